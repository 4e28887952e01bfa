// Organisations through the skild API: names, roles and the rules owners/admins/developers live by,
// malformed input, and races settled by the database.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, call, createAccount, expectRefused, json, postJson, uniqueHandle } from "./helpers";
import { escaped, npmPublishBody, putJson } from "./npm-helpers";

function send(method: string, path: string, account: Account | null, body?: unknown) {
  return call(path, {
    method,
    headers: { ...(account?.auth ?? {}), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function newOrg(owner: Account) {
  const name = uniqueHandle("org");
  const res = await postJson("/orgs", { name }, owner.auth);
  expect(res.status).toBe(201);
  return name;
}

const setRole = (actor: Account, org: string, handle: string, role: string) =>
  send("PUT", `/orgs/${org}/members/${handle}`, actor, { role });

async function orgRows(org: string) {
  const { results } = await env.DB.prepare(
    `SELECT p.handle, m.role FROM org_members m JOIN scopes o ON o.id = m.org_id JOIN publishers p ON p.id = m.publisher_id
     WHERE o.name = ? ORDER BY p.handle`,
  )
    .bind(org)
    .all();
  return results;
}

describe("creating an organisation", () => {
  it("POST /orgs → 201 {org, role: owner}; GET shows members and teams to members only", async () => {
    const owner = await createAccount();
    const name = uniqueHandle("org");
    const res = await postJson("/orgs", { name }, owner.auth);
    expect(res.status).toBe(201);
    const body = await json<{ org: { name: string; createdAt: string }; role: string }>(res);
    expect(body).toEqual({ org: { name, createdAt: expect.any(String) }, role: "owner" });
    expect(await json(await send("GET", `/orgs/${name}`, owner))).toEqual({
      org: body.org,
      role: "owner",
      members: [{ handle: owner.handle, role: "owner" }],
      teams: ["developers"],
    });
    expect(await json(await send("GET", `/orgs/${name}`, null))).toEqual({ org: body.org });
    const me = await json<{ orgs: unknown }>(await send("GET", "/auth/me", owner));
    expect(me.orgs).toEqual([{ name, role: "owner" }]);
    await expectRefused(await send("GET", "/orgs/no-such-org-x", null), 404, "ORG_NOT_FOUND");
  });

  it("one namespace: 409 when a user or an org has the name, either way round; 400 for reserved and invalid", async () => {
    const owner = await createAccount();
    const taken = await newOrg(owner);
    await expectRefused(await postJson("/orgs", { name: taken }, owner.auth), 409, "NAME_TAKEN");
    await expectRefused(await postJson("/orgs", { name: owner.handle }, owner.auth), 409, "NAME_TAKEN");
    // A signup cannot take an org's name either.
    const signup = await postJson("/auth/signup", {
      email: `${taken}@example.com`,
      handle: taken,
      password: "long enough pw",
    });
    await expectRefused(signup, 409, "ACCOUNT_EXISTS");
    for (const reserved of ["admin", "orgs", "www", "skild"]) {
      await expectRefused(await postJson("/orgs", { name: reserved }, owner.auth), 400);
      await expectRefused(
        await postJson("/auth/signup", {
          email: `${reserved}@example.com`,
          handle: reserved,
          password: "long enough pw",
        }),
        400,
      );
    }
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM scopes").first<{ n: number }>();
    for (const body of [
      {},
      { name: 7 },
      { name: "Upper" },
      { name: "a" },
      { name: "-x-" },
      { name: "x".repeat(33) },
      [],
      "acme",
    ]) {
      await expectRefused(await postJson("/orgs", body, owner.auth), 400);
    }
    await expectRefused(await call("/orgs", { method: "POST", headers: owner.auth, body: "{}" }), 415);
    await expectRefused(await postJson("/orgs", { name: uniqueHandle("org") }), 401);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM scopes").first<{ n: number }>()).toEqual(before);
  });

  it("every account has its user scope (migration + trigger)", async () => {
    const user = await createAccount();
    const row = await env.DB.prepare("SELECT kind FROM scopes WHERE name = ?").bind(user.handle).first();
    expect(row).toEqual({ kind: "user" });
    const orphans = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM publishers p WHERE NOT EXISTS (SELECT 1 FROM scopes s WHERE s.publisher_id = p.id)",
    ).first<{ n: number }>();
    expect(orphans?.n).toBe(0);
  });
});

describe("role rules", () => {
  it("developers cannot promote themselves or manage; admins cannot make or remove owners", async () => {
    const owner = await createAccount();
    const admin = await createAccount();
    const dev = await createAccount();
    const org = await newOrg(owner);
    expect((await setRole(owner, org, admin.handle, "admin")).status).toBe(200);
    expect((await setRole(owner, org, dev.handle, "developer")).status).toBe(200);
    await expectRefused(await setRole(dev, org, dev.handle, "admin"), 403, "NOT_ORG_ADMIN");
    await expectRefused(await setRole(dev, org, dev.handle, "owner"), 403, "NOT_ORG_ADMIN");
    await expectRefused(await send("DELETE", `/orgs/${org}/members/${owner.handle}`, dev), 403, "NOT_ORG_ADMIN");
    await expectRefused(await setRole(admin, org, admin.handle, "owner"), 403, "OWNER_REQUIRED");
    await expectRefused(await setRole(admin, org, owner.handle, "developer"), 403, "OWNER_REQUIRED");
    await expectRefused(await send("DELETE", `/orgs/${org}/members/${owner.handle}`, admin), 403, "OWNER_REQUIRED");
    // Admins do manage developers.
    expect((await setRole(admin, org, dev.handle, "admin")).status).toBe(200);
    expect(await orgRows(org)).toEqual(
      [
        { handle: owner.handle, role: "owner" },
        { handle: admin.handle, role: "admin" },
        { handle: dev.handle, role: "admin" },
      ].sort((a, b) => a.handle.localeCompare(b.handle)),
    );
  });

  it("the last owner cannot leave or be demoted; with two owners one may", async () => {
    const owner = await createAccount();
    const second = await createAccount();
    const org = await newOrg(owner);
    await expectRefused(await send("DELETE", `/orgs/${org}/members/${owner.handle}`, owner), 409, "LAST_OWNER");
    await expectRefused(await setRole(owner, org, owner.handle, "developer"), 409, "LAST_OWNER");
    expect((await setRole(owner, org, second.handle, "owner")).status).toBe(200);
    // Both owners demote each other at once: exactly one succeeds, one owner remains.
    const [a, b] = await Promise.all([
      setRole(owner, org, second.handle, "developer"),
      setRole(second, org, owner.handle, "developer"),
    ]);
    // The loser is refused either by the guard inside the write (409) or, when it runs second, because it
    // is no longer an owner (403); either way exactly one owner remains.
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const owners = (await orgRows(org)).filter((r) => r.role === "owner");
    expect(owners).toHaveLength(1);
    const remaining = owners[0].handle === owner.handle ? owner : second;
    const other = remaining === owner ? second : owner;
    expect((await send("DELETE", `/orgs/${org}/members/${other.handle}`, other)).status).toBe(200); // leaving
    expect(await orgRows(org)).toEqual([{ handle: remaining.handle, role: "owner" }]);
  });

  it("malformed member requests change nothing", async () => {
    const owner = await createAccount();
    const dev = await createAccount();
    const org = await newOrg(owner);
    await expectRefused(await setRole(owner, org, dev.handle, "superuser"), 400);
    await expectRefused(await send("PUT", `/orgs/${org}/members/${dev.handle}`, owner, ["developer"]), 400);
    await expectRefused(await send("PUT", `/orgs/${org}/members/NOT_A_HANDLE`, owner, { role: "developer" }), 400);
    await expectRefused(await setRole(owner, org, "nobody-by-that-name", "developer"), 404, "USER_NOT_FOUND");
    await expectRefused(await send("DELETE", `/orgs/${org}/members/${dev.handle}`, owner), 404, "NOT_A_MEMBER");
    expect(await orgRows(org)).toEqual([{ handle: owner.handle, role: "owner" }]);
  });
});

describe("races", () => {
  it("two concurrent adds of the same member leave one row", async () => {
    const owner = await createAccount();
    const dev = await createAccount();
    const org = await newOrg(owner);
    const results = await Promise.all([
      setRole(owner, org, dev.handle, "developer"),
      setRole(owner, org, dev.handle, "developer"),
      send("PUT", `/-/org/${org}/user`, owner, { user: dev.handle, role: "developer" }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await orgRows(org)).filter((r) => r.handle === dev.handle)).toEqual([
      { handle: dev.handle, role: "developer" },
    ]);
  });

  it("a grant during a publish leaves consistent rows", async () => {
    const owner = await createAccount();
    const org = await newOrg(owner);
    await send("PUT", `/-/org/${org}/team`, owner, { name: "readers" });
    const name = `@${org}/racing`;
    expect((await putJson(`/${escaped(name)}`, await npmPublishBody(name), owner.auth)).status).toBe(201);
    const [published, granted] = await Promise.all([
      putJson(`/${escaped(name)}`, await npmPublishBody(name, { version: "1.1.0" }), owner.auth),
      send("PUT", `/-/team/${org}/readers/package`, owner, { package: name, permissions: "read-only" }),
    ]);
    expect(published.status).toBe(201);
    expect(granted.status).toBe(201);
    const { results } = await env.DB.prepare(
      `SELECT t.name, g.permission FROM team_grants g JOIN teams t ON t.id = g.team_id JOIN skills s ON s.id = g.skill_id
       WHERE s.scope = ? AND s.name = 'racing' ORDER BY t.name`,
    )
      .bind(org)
      .all();
    expect(results).toEqual([
      { name: "developers", permission: "read-write" },
      { name: "readers", permission: "read-only" },
    ]);
    const versions = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND s.name = 'racing'",
    )
      .bind(org)
      .first<{ n: number }>();
    expect(versions?.n).toBe(2);
  });
});

describe("publishing under an org", () => {
  it("members publish new skills (developers get read-write); outsiders get 403; restricted via ?access=", async () => {
    const owner = await createAccount();
    const dev = await createAccount();
    const outsider = await createAccount();
    const org = await newOrg(owner);
    await setRole(owner, org, dev.handle, "developer");
    const { skillTarball } = await import("../helpers/tarball");
    const publishAs = async (who: Account, skill: string, query = "") =>
      call(`/skills/${org}/${skill}/publish${query}`, {
        method: "POST",
        headers: { ...who.auth, "Content-Type": "application/gzip" },
        body: await skillTarball({ name: `@${org}/${skill}` }),
      });
    expect((await publishAs(dev, "by-dev", "?access=restricted")).status).toBe(201);
    await expectRefused(await publishAs(outsider, "by-outsider"), 403, "NOT_OWNER");
    await expectRefused(await publishAs(dev, "bad-access", "?access=secret"), 400);
    expect((await call(`/skills/${org}/by-dev`)).status).toBe(404);
    expect((await call(`/skills/${org}/by-dev`, { headers: dev.auth })).status).toBe(200);
    expect((await call(`/skills/${org}/by-dev`, { headers: owner.auth })).status).toBe(200);
    expect((await call(`/skills/${org}/by-dev`, { headers: outsider.auth })).status).toBe(404);
    // PATCH access: writers only; malformed bodies are 400.
    const patch = (who: Account, body: unknown) => send("PATCH", `/skills/${org}/by-dev`, who, body);
    await expectRefused(await patch(dev, { access: "hidden" }), 400);
    await expectRefused(await patch(dev, {}), 400);
    await expectRefused(await patch(outsider, { access: "public" }), 404, "SKILL_NOT_FOUND");
    expect((await patch(dev, { access: "public" })).status).toBe(200);
    expect((await call(`/skills/${org}/by-dev`)).status).toBe(200);
    await expectRefused(await patch(outsider, { access: "restricted" }), 403, "NOT_OWNER");
  });
});
