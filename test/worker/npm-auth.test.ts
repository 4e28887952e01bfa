import { describe, expect, it } from "vitest";
import { call, createAccount, json, postJson, uniqueHandle } from "./helpers";
import { npmPublish, putJson } from "./npm-helpers";

/** The body npm-profile's adduserCouch/loginCouch sends. */
const couchUser = (name: string, password: string, email?: string) => ({
  _id: `org.couchdb.user:${name}`,
  name,
  password,
  ...(email ? { email } : {}),
  type: "user",
  roles: [],
  date: new Date().toISOString(),
});

const userPath = (name: string) => `/-/user/org.couchdb.user:${encodeURIComponent(name)}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe("npm login / adduser", () => {
  it("makes npm fall back from web login: POST /-/v1/login answers 4xx", async () => {
    const res = await postJson("/-/v1/login", {});
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await json(res)).code).toBe("WEB_LOGIN_UNSUPPORTED");
  });

  it("adduser creates the account when the handle is free, then whoami names it", async () => {
    const handle = uniqueHandle();
    const res = await putJson(userPath(handle), couchUser(handle, "long enough pw", `${handle}@example.com`));
    expect(res.status).toBe(201);
    const body = await json<{ ok: unknown; token: string }>(res);
    expect(body.ok).toBeTruthy();
    expect(body.token).toMatch(/^skild_/);
    const me = await call("/-/whoami", { headers: bearer(body.token) });
    expect(me.status).toBe(200);
    expect(await json(me)).toEqual({ username: handle });
    // The same account logs in through the skild API too.
    expect((await postJson("/auth/login", { handleOrEmail: handle, password: "long enough pw" })).status).toBe(200);
  });

  it("login (no email) and adduser of an existing handle with its password issue a token", async () => {
    const account = await createAccount();
    for (const body of [
      couchUser(account.handle, account.password),
      couchUser(account.handle, account.password, "someone-else@example.com"),
    ]) {
      const res = await putJson(userPath(account.handle), body);
      expect(res.status).toBe(201);
      const { token } = await json<{ token: string }>(res);
      expect(await json(await call("/-/whoami", { headers: bearer(token) }))).toEqual({ username: account.handle });
    }
  });

  it("accepts the password from Basic auth on npm's /-rev retry", async () => {
    const account = await createAccount();
    const { password: _, ...body } = couchUser(account.handle, account.password);
    const basic = btoa(`${account.handle}:${account.password}`);
    const res = await putJson(`${userPath(account.handle)}/-rev/1-0`, body, { Authorization: `Basic ${basic}` });
    expect(res.status).toBe(201);
  });

  it("refuses wrong passwords, unknown users, invalid handles and mismatched names", async () => {
    const account = await createAccount();
    const wrong = await putJson(userPath(account.handle), couchUser(account.handle, "not the password"));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("WWW-Authenticate")).toBe('Bearer realm="skild"');
    const ghost = uniqueHandle("ghost");
    expect((await putJson(userPath(ghost), couchUser(ghost, "whatever123"))).status).toBe(401);
    const invalid = await putJson(userPath("Bad_Name"), couchUser("Bad_Name", "long enough pw", "b@example.com"));
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error).toMatch(/handle/);
    const short = uniqueHandle();
    const weak = await putJson(userPath(short), couchUser(short, "short", `${short}@example.com`));
    expect(weak.status).toBe(400);
    const other = await putJson(userPath(account.handle), couchUser("someone-else", account.password));
    expect(other.status).toBe(400);
    // A taken email does not log the new handle in as someone else.
    const fresh = uniqueHandle();
    const takenEmail = await putJson(userPath(fresh), couchUser(fresh, "long enough pw", account.email));
    expect(takenEmail.status).toBe(401);
  });
});

describe("whoami, logout and tokens", () => {
  it("whoami needs a valid token", async () => {
    const anonymous = await call("/-/whoami");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("WWW-Authenticate")).toBe('Bearer realm="skild"');
    expect((await call("/-/whoami", { headers: bearer("skild_nope") })).status).toBe(401);
  });

  it("logout revokes the token in the path; it is refused afterwards", async () => {
    const account = await createAccount();
    const out = await call(`/-/user/token/${encodeURIComponent(account.token)}`, {
      method: "DELETE",
      headers: account.auth,
    });
    expect(out.status).toBe(200);
    expect((await call("/-/whoami", { headers: account.auth })).status).toBe(401);
  });

  it("lists, creates (with the password) and revokes tokens by key or by value", async () => {
    const account = await createAccount();
    const list = async () =>
      (
        await json<{ objects: { key: string; token: string; readonly: boolean; created: string }[] }>(
          await call("/-/npm/v1/tokens", { headers: account.auth }),
        )
      ).objects;
    const initial = await list();
    expect(initial).toHaveLength(1);
    expect(initial[0].key).toMatch(/^[0-9a-f]{64}$/);
    expect(account.token.startsWith(initial[0].token)).toBe(true);
    expect(initial[0].token.length).toBeLessThan(account.token.length);

    const refused = await postJson("/-/npm/v1/tokens", { password: "wrong password" }, account.auth);
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe("BAD_PASSWORD");
    const created = await postJson(
      "/-/npm/v1/tokens",
      { password: account.password, name: "ci", packages_and_scopes_permission: "read-only" },
      account.auth,
    );
    expect(created.status).toBe(201);
    const made = await json<{ token: string; key: string; readonly: boolean }>(created);
    expect(made.readonly).toBe(true);
    expect(await json(await call("/-/whoami", { headers: bearer(made.token) }))).toEqual({ username: account.handle });
    expect(await list()).toHaveLength(2);

    const byKey = await call(`/-/npm/v1/tokens/token/${made.key}`, { method: "DELETE", headers: account.auth });
    expect(byKey.status).toBe(204);
    expect((await call("/-/whoami", { headers: bearer(made.token) })).status).toBe(401);

    const another = await json<{ token: string }>(
      await postJson("/-/npm/v1/tokens", { password: account.password }, account.auth),
    );
    const byValue = await call(`/-/npm/v1/tokens/token/${another.token}`, { method: "DELETE", headers: account.auth });
    expect(byValue.status).toBe(204);
    expect((await call("/-/whoami", { headers: bearer(another.token) })).status).toBe(401);
    expect(await list()).toHaveLength(1);

    const unknown = await call(`/-/npm/v1/tokens/token/${"0".repeat(64)}`, { method: "DELETE", headers: account.auth });
    expect(unknown.status).toBe(404);
  });

  it("cannot revoke another account's token", async () => {
    const a = await createAccount();
    const b = await createAccount();
    const [bToken] = (await json<{ objects: { key: string }[] }>(await call("/-/npm/v1/tokens", { headers: b.auth })))
      .objects;
    const res = await call(`/-/npm/v1/tokens/token/${bToken.key}`, { method: "DELETE", headers: a.auth });
    expect(res.status).toBe(404);
    expect((await call("/-/whoami", { headers: b.auth })).status).toBe(200);
  });
});

describe("search, ping and audit", () => {
  it("finds published skills in npm's search format, paged by from/size", async () => {
    const account = await createAccount(uniqueHandle("searchy"));
    const tarballs = ["alpha-skill", "beta-skill"];
    for (const skill of tarballs) expect((await npmPublish(account, { skill })).status).toBe(201);
    const res = await call(`/-/v1/search?text=${account.handle}&size=1`);
    expect(res.status).toBe(200);
    const body = await json<{ objects: { package: Record<string, unknown> }[]; total: number; time: string }>(res);
    expect(body.total).toBe(2);
    expect(body.objects).toHaveLength(1);
    expect(body.objects[0].package).toMatchObject({
      name: `@${account.handle}/alpha-skill`,
      version: "1.0.0",
      description: "A test skill",
      publisher: { username: account.handle },
      maintainers: [{ username: account.handle }],
      links: { npm: expect.stringContaining(`/package/@${account.handle}/alpha-skill`) },
    });
    const next = await json<{ objects: { package: { name: string } }[] }>(
      await call(`/-/v1/search?text=@${account.handle}&size=1&from=1`),
    );
    expect(next.objects.map((o) => o.package.name)).toEqual([`@${account.handle}/beta-skill`]);
    expect((await call("/-/v1/search?size=0")).status).toBe(400);
  });

  it("answers ping and both audit endpoints with 200 {}", async () => {
    expect(await json(await call("/-/ping"))).toEqual({});
    for (const path of ["/-/npm/v1/security/advisories/bulk", "/-/npm/v1/security/audits/quick"]) {
      const res = await postJson(path, { "@acme/x": ["1.0.0"] });
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({});
    }
  });
});
