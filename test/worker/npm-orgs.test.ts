// npm org/team/access/owner endpoints, called the way npm 11/12 (libnpmorg, libnpmteam,
// libnpmaccess, lib/commands/owner.js) call them.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, call, createAccount, expectRefused, json, postJson, uniqueHandle } from "./helpers";
import { escaped, npmPublishBody, packument, putJson } from "./npm-helpers";

function send(method: string, path: string, account: Account | null, body?: unknown) {
  return call(path, {
    method,
    headers: { ...(account?.auth ?? {}), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function createOrg(owner: Account, name = uniqueHandle("org")) {
  const res = await postJson("/orgs", { name }, owner.auth);
  expect(res.status).toBe(201);
  return name;
}

async function orgPublish(account: Account, org: string, skill: string, access?: "restricted") {
  const name = `@${org}/${skill}`;
  const body = { ...(await npmPublishBody(name)), ...(access ? { access } : {}) };
  return putJson(`/${escaped(name)}`, body, account.auth);
}

describe("npm org set/rm/ls", () => {
  it("adds members with roles, lists them to members only, removes them", async () => {
    const owner = await createAccount();
    const alice = await createAccount();
    const outsider = await createAccount();
    const org = await createOrg(owner);
    const set = await send("PUT", `/-/org/${org}/user`, owner, { user: alice.handle, role: "developer" });
    expect(set.status).toBe(200);
    expect(await json(set)).toEqual({ org: { name: org, size: 2 }, user: alice.handle, role: "developer" });
    const ls = await send("GET", `/-/org/${org}/user`, alice);
    expect(await json(ls)).toEqual({ [owner.handle]: "owner", [alice.handle]: "developer" });
    await expectRefused(await send("GET", `/-/org/${org}/user`, outsider), 403, "NOT_ORG_MEMBER");
    await expectRefused(await send("GET", `/-/org/${org}/user`, null), 401);
    const rm = await send("DELETE", `/-/org/${org}/user`, owner, { user: alice.handle });
    expect(rm.status).toBe(204);
    expect(await json(await send("GET", `/-/org/${org}/user`, owner))).toEqual({ [owner.handle]: "owner" });
  });

  it("defaults the role to developer and refuses unknown users, roles and malformed bodies without changing anything", async () => {
    const owner = await createAccount();
    const bob = await createAccount();
    const org = await createOrg(owner);
    const set = await send("PUT", `/-/org/${org}/user`, owner, { user: bob.handle });
    expect((await json(set)).role).toBe("developer");
    await expectRefused(
      await send("PUT", `/-/org/${org}/user`, owner, { user: "no-such-user-x" }),
      404,
      "USER_NOT_FOUND",
    );
    await expectRefused(await send("PUT", `/-/org/${org}/user`, owner, { user: bob.handle, role: "god" }), 400);
    await expectRefused(await send("PUT", `/-/org/${org}/user`, owner, { role: "admin" }), 400);
    await expectRefused(await send("PUT", `/-/org/${org}/user`, owner, [1, 2]), 400);
    await expectRefused(await send("PUT", `/-/org/${org}/user`, owner, { user: "UPPER CASE" }), 400);
    await expectRefused(
      await call(`/-/org/${org}/user`, {
        method: "PUT",
        headers: { ...owner.auth, "Content-Type": "application/json" },
        body: "{",
      }),
      400,
      "INVALID_JSON",
    );
    await expectRefused(
      await send("PUT", `/-/org/no-such-org-x/user`, owner, { user: bob.handle }),
      404,
      "ORG_NOT_FOUND",
    );
    expect(await json(await send("GET", `/-/org/${org}/user`, owner))).toEqual({
      [owner.handle]: "owner",
      [bob.handle]: "developer",
    });
  });
});

describe("npm team create/destroy/add/rm/ls", () => {
  it("manages teams; developers holds every member", async () => {
    const owner = await createAccount();
    const dev = await createAccount();
    const org = await createOrg(owner);
    await send("PUT", `/-/org/${org}/user`, owner, { user: dev.handle, role: "developer" });
    expect((await send("PUT", `/-/org/${org}/team`, owner, { name: "docs", description: null })).status).toBe(201);
    await expectRefused(await send("PUT", `/-/org/${org}/team`, owner, { name: "docs" }), 409, "TEAM_EXISTS");
    await expectRefused(await send("PUT", `/-/org/${org}/team`, dev, { name: "mine" }), 403, "NOT_ORG_ADMIN");
    expect(await json(await call(`/-/org/${org}/team?format=cli`, { headers: dev.auth }))).toEqual([
      `${org}:developers`,
      `${org}:docs`,
    ]);
    expect(await json(await call(`/-/team/${org}/developers/user?format=cli`, { headers: dev.auth }))).toEqual(
      [owner.handle, dev.handle].sort(),
    );
    expect((await send("PUT", `/-/team/${org}/docs/user`, owner, { user: dev.handle })).status).toBe(201);
    const outsider = await createAccount();
    await expectRefused(
      await send("PUT", `/-/team/${org}/docs/user`, owner, { user: outsider.handle }),
      400,
      "NOT_A_MEMBER",
    );
    expect(await json(await call(`/-/team/${org}/docs/user?format=cli`, { headers: owner.auth }))).toEqual([
      dev.handle,
    ]);
    expect((await send("DELETE", `/-/team/${org}/docs/user`, owner, { user: dev.handle })).status).toBe(204);
    expect(await json(await call(`/-/team/${org}/docs/user?format=cli`, { headers: owner.auth }))).toEqual([]);
    await expectRefused(await send("DELETE", `/-/team/${org}/developers`, owner), 400, "DEVELOPERS_TEAM");
    expect((await send("DELETE", `/-/team/${org}/docs`, owner)).status).toBe(204);
    await expectRefused(
      await call(`/-/team/${org}/docs/user?format=cli`, { headers: owner.auth }),
      404,
      "TEAM_NOT_FOUND",
    );
  });
});

describe("npm access and owner", () => {
  it("publishes restricted, reports status, sets it, lists collaborators and packages", async () => {
    const owner = await createAccount();
    const dev = await createAccount();
    const org = await createOrg(owner);
    await send("PUT", `/-/org/${org}/user`, owner, { user: dev.handle });
    expect((await orgPublish(dev, org, "secret", "restricted")).status).toBe(201);
    const name = `@${org}/secret`;
    expect(await json(await call(`/-/package/${escaped(name)}/visibility`, { headers: owner.auth }))).toEqual({
      public: false,
    });
    expect(await json(await call(`/-/package/${escaped(name)}/collaborators`, { headers: dev.auth }))).toEqual({
      [owner.handle]: "write",
      [dev.handle]: "write",
      [`${org}:developers`]: "write",
    });
    expect(await json(await call(`/-/org/${org}/package`, { headers: dev.auth }))).toEqual({ [name]: "write" });
    expect(await json(await call(`/-/org/${org}/package`))).toEqual({});
    expect(await json(await call(`/-/user/${dev.handle}/package`, { headers: dev.auth }))).toEqual({ [name]: "write" });
    expect(await json(await call(`/-/user/${dev.handle}/package`))).toEqual({});
    // npm access set status=public
    const set = await send("POST", `/-/package/${escaped(name)}/access`, dev, { access: "public" });
    expect(set.status).toBe(200);
    expect(await json(await call(`/-/package/${escaped(name)}/visibility`))).toEqual({ public: true });
    await expectRefused(await send("POST", `/-/package/${escaped(name)}/access`, dev, { access: "secret" }), 400);
    await expectRefused(
      await send("POST", `/-/package/${escaped(name)}/access`, dev, { publish_requires_tfa: true }),
      400,
      "UNSUPPORTED",
    );
  });

  it("grants and revokes team access; a developer cannot grant, an admin cannot grant write it lacks", async () => {
    const owner = await createAccount();
    const admin = await createAccount();
    const dev = await createAccount();
    const org = await createOrg(owner);
    await send("PUT", `/-/org/${org}/user`, owner, { user: admin.handle, role: "admin" });
    await send("PUT", `/-/org/${org}/user`, owner, { user: dev.handle, role: "developer" });
    await send("PUT", `/-/org/${org}/team`, owner, { name: "readers" });
    expect((await orgPublish(owner, org, "tool", "restricted")).status).toBe(201);
    const name = `@${org}/tool`;
    // The owner takes write away from developers; the admin now has read only.
    expect((await send("DELETE", `/-/team/${org}/developers/package`, owner, { package: name })).status).toBe(204);
    await expectRefused(
      await send("PUT", `/-/team/${org}/readers/package`, dev, { package: name, permissions: "read-only" }),
      403,
      "NOT_ORG_ADMIN",
    );
    await expectRefused(
      await send("PUT", `/-/team/${org}/readers/package`, admin, { package: name, permissions: "read-write" }),
      403,
      "GRANT_EXCEEDS_OWN",
    );
    expect(
      (await send("PUT", `/-/team/${org}/readers/package`, admin, { package: name, permissions: "read-only" })).status,
    ).toBe(201);
    await expectRefused(
      await send("PUT", `/-/team/${org}/readers/package`, owner, { package: name, permissions: "all" }),
      400,
    );
    await expectRefused(
      await send("PUT", `/-/team/${org}/readers/package`, owner, {
        package: "@someone-else/tool",
        permissions: "read-only",
      }),
      400,
      "WRONG_SCOPE",
    );
    expect(await json(await call(`/-/team/${org}/readers/package`, { headers: owner.auth }))).toEqual({
      [name]: "read",
    });
    // The developer lost read with the developers grant; in the readers team it reads again.
    expect((await packument(name, dev.auth)).res.status).toBe(404);
    await send("PUT", `/-/team/${org}/readers/user`, owner, { user: dev.handle });
    expect((await packument(name, dev.auth)).res.status).toBe(200);
    // Read is not write.
    const again = await npmPublishBody(name, { version: "1.1.0" });
    await expectRefused(await putJson(`/${escaped(name)}`, again, dev.auth), 403, "NOT_OWNER");
  });

  it("npm owner ls/add/rm: maintainers are every account with write", async () => {
    const alice = await createAccount();
    const bob = await createAccount();
    const res = await putJson(
      `/${escaped(`@${alice.handle}/owned`)}`,
      await npmPublishBody(`@${alice.handle}/owned`),
      alice.auth,
    );
    expect(res.status).toBe(201);
    const name = `@${alice.handle}/owned`;
    const user = await call(`/-/user/org.couchdb.user:${bob.handle}`, { headers: alice.auth });
    expect(await json(user)).toMatchObject({ name: bob.handle, email: "" });
    await expectRefused(await call("/-/user/org.couchdb.user:nobody-here-x"), 404);
    const before = (await packument(name)).body!;
    expect(before.maintainers).toEqual([{ name: alice.handle, email: "" }]);
    // npm owner add bob
    const add = await putJson(
      `/${escaped(name)}/-rev/${before._rev}`,
      {
        _id: before._id,
        _rev: before._rev,
        maintainers: [...(before.maintainers as object[]), { name: bob.handle, email: "" }],
      },
      alice.auth,
    );
    expect(add.status).toBe(200);
    const after = (await packument(name)).body!;
    expect(after.maintainers).toEqual([alice.handle, bob.handle].sort().map((handle) => ({ name: handle, email: "" })));
    expect(after._rev).not.toBe(before._rev);
    // bob can now publish a new version
    expect(
      (await putJson(`/${escaped(name)}`, await npmPublishBody(name, { version: "1.1.0" }), bob.auth)).status,
    ).toBe(201);
    // the scope's own user cannot be removed as an owner
    const cur = (await packument(name)).body!;
    await expectRefused(
      await putJson(
        `/${escaped(name)}/-rev/${cur._rev}`,
        { _id: cur._id, _rev: cur._rev, maintainers: [{ name: bob.handle }] },
        bob.auth,
      ),
      400,
      "OWNER_BY_SCOPE",
    );
    // npm owner rm bob
    const rm = await putJson(
      `/${escaped(name)}/-rev/${cur._rev}`,
      { _id: cur._id, _rev: cur._rev, maintainers: [{ name: alice.handle, email: "" }] },
      alice.auth,
    );
    expect(rm.status).toBe(200);
    expect((await packument(name)).body!.maintainers).toEqual([{ name: alice.handle, email: "" }]);
    await expectRefused(
      await putJson(`/${escaped(name)}`, await npmPublishBody(name, { version: "1.2.0" }), bob.auth),
      403,
      "NOT_OWNER",
    );
    // A stale revision is refused.
    await expectRefused(
      await putJson(
        `/${escaped(name)}/-rev/${cur._rev}`,
        { _id: cur._id, _rev: cur._rev, maintainers: [] },
        alice.auth,
      ),
      409,
      "REV_MISMATCH",
    );
  });

  it("read-only tokens read private skills but never write", async () => {
    const owner = await createAccount();
    const org = await createOrg(owner);
    expect((await orgPublish(owner, org, "ro", "restricted")).status).toBe(201);
    const created = await call("/-/npm/v1/tokens", {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ password: owner.password, readonly: true }),
    });
    const { token } = await json<{ token: string }>(created);
    const readonly = { ...owner, auth: { Authorization: `Bearer ${token}` } };
    const name = `@${org}/ro`;
    expect((await packument(name, readonly.auth)).res.status).toBe(200);
    await expectRefused(
      await send("POST", `/-/package/${escaped(name)}/access`, readonly, { access: "public" }),
      403,
      "READONLY_TOKEN",
    );
    await expectRefused(await send("PUT", `/-/org/${org}/team`, readonly, { name: "x1" }), 403, "READONLY_TOKEN");
    const row = await env.DB.prepare("SELECT access FROM skills WHERE scope = ? AND name = 'ro'").bind(org).first();
    expect(row).toEqual({ access: "restricted" });
  });
});
