import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, call, createAccount, json } from "./helpers";
import { escaped, npmPublish, type PackumentDoc, packument, putJson, type VersionDoc } from "./npm-helpers";

async function skillWith(versions: string[]) {
  const account = await createAccount();
  for (const version of versions) {
    const res = await npmPublish(account, { version, tag: version.includes("-") ? "next" : undefined });
    expect(res.status).toBe(201);
  }
  return { account, name: `@${account.handle}/hello-skill` };
}

const revision = async (name: string) => {
  const [scope, skill] = name.slice(1).split("/");
  const row = await env.DB.prepare("SELECT revision, updated_at FROM skills WHERE scope = ? AND name = ?")
    .bind(scope, skill)
    .first<{ revision: number; updated_at: string }>();
  return row!;
};

/** What `npm deprecate`/`npm unpublish` fetch before editing. */
const forWrite = async (name: string, auth: Account["auth"]) => {
  const res = await call(`/${escaped(name)}?write=true`, { headers: auth });
  expect(res.status).toBe(200);
  expect(res.headers.get("Cache-Control")).toBe("private, no-store");
  return (await res.json()) as PackumentDoc;
};

describe("dist-tags API", () => {
  it("lists, adds, moves and removes tags; every write bumps the revision", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const path = `/-/package/${escaped(name)}/dist-tags`;
    expect(await json(await call(path))).toEqual({ latest: "1.1.0" });
    const r0 = await revision(name);
    const add = await putJson(`${path}/stable`, "1.0.0", account.auth);
    expect(add.status).toBe(201);
    expect((await json(add))["dist-tags"]).toEqual({ latest: "1.1.0", stable: "1.0.0" });
    expect((await revision(name)).revision).toBe(r0.revision + 1);
    // The unencoded form works too.
    const move = await putJson(`/-/package/${name}/dist-tags/latest`, "1.0.0", account.auth);
    expect(move.status).toBe(201);
    expect((await packument(name)).body!["dist-tags"]).toEqual({ latest: "1.0.0", stable: "1.0.0" });
    const rm = await call(`${path}/stable`, { method: "DELETE", headers: account.auth });
    expect(rm.status).toBe(200);
    expect(await json(await call(path))).toEqual({ latest: "1.0.0" });
    expect((await revision(name)).revision).toBe(r0.revision + 3);
  });

  it("refuses bad tags, missing versions, removing latest, strangers and anonymous writes", async () => {
    const { account, name } = await skillWith(["1.0.0"]);
    const stranger = await createAccount();
    const path = `/-/package/${escaped(name)}/dist-tags`;
    const cases: [Promise<Response>, number, string?][] = [
      [putJson(`${path}/1.2.3`, "1.0.0", account.auth), 400, "INVALID_TAG"],
      [putJson(`${path}/beta`, "9.9.9", account.auth), 404, "VERSION_NOT_FOUND"],
      [putJson(`${path}/beta`, "not a version", account.auth), 400, "INVALID_VERSION"],
      [call(`${path}/latest`, { method: "DELETE", headers: account.auth }), 400, "LATEST_REQUIRED"],
      [call(`${path}/nope`, { method: "DELETE", headers: account.auth }), 404, "TAG_NOT_FOUND"],
      [putJson(`${path}/beta`, "1.0.0", stranger.auth), 403, "NOT_OWNER"],
      [putJson(`${path}/beta`, "1.0.0"), 401],
      [call(`/-/package/${escaped("@nobody-x/none")}/dist-tags`), 404],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      if (code) expect((await json(res)).code).toBe(code);
    }
    expect(await json(await call(path))).toEqual({ latest: "1.0.0" });
  });
});

describe("npm deprecate (PUT of the edited packument)", () => {
  it("deprecates and undeprecates versions and shows it in both packument forms", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const doc = await forWrite(name, account.auth);
    doc.versions["1.0.0"].deprecated = "use 1.1.0";
    const r0 = await revision(name);
    const res = await putJson(`/${escaped(name)}`, doc, account.auth);
    expect(res.status).toBe(200);
    const after = await revision(name);
    expect(after.revision).toBe(r0.revision + 1);
    expect(after.updated_at >= r0.updated_at).toBe(true);
    const full = (await packument(name)).body!;
    expect(full.versions["1.0.0"].deprecated).toBe("use 1.1.0");
    expect(full.versions["1.1.0"].deprecated).toBeUndefined();
    expect(full.time.modified).toBe(after.updated_at);
    const corgi = (await packument(name, { Accept: "application/vnd.npm.install-v1+json" })).body!;
    expect(corgi.versions["1.0.0"].deprecated).toBe("use 1.1.0");

    const undo = await forWrite(name, account.auth);
    undo.versions["1.0.0"].deprecated = "";
    expect((await putJson(`/${escaped(name)}`, undo, account.auth)).status).toBe(200);
    expect((await packument(name)).body!.versions["1.0.0"].deprecated).toBeUndefined();
  });

  it("does not drop versions missing from a PUT without a revision, and refuses unknown versions", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const doc = await forWrite(name, account.auth);
    delete doc.versions["1.0.0"];
    expect((await putJson(`/${escaped(name)}`, doc, account.auth)).status).toBe(200);
    expect(Object.keys((await packument(name)).body!.versions)).toEqual(["1.0.0", "1.1.0"]);
    doc.versions["3.0.0"] = { name, version: "3.0.0" } as VersionDoc;
    const res = await putJson(`/${escaped(name)}`, doc, account.auth);
    expect(res.status).toBe(400);
    expect((await json(res)).code).toBe("UNKNOWN_VERSION");
  });

  it("refuses edits it cannot store (owners that do not exist, stars) and never reads a missing `versions` as removal", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const { _id, _rev } = await forWrite(name, account.auth);
    // `npm owner add bob <name>` sends only these fields to /-rev/.
    const owners = await putJson(
      `/${escaped(name)}/-rev/${_rev}`,
      { _id, _rev, maintainers: [{ name: account.handle }, { name: "bob", email: "bob@example.com" }] },
      account.auth,
    );
    // Owners can be changed now (npm-orgs.test.ts), but only to accounts that exist.
    expect(owners.status).toBe(404);
    expect((await json(owners)).code).toBe("USER_NOT_FOUND");
    // `npm star` sends users.
    const star = await putJson(`/${escaped(name)}`, { _id, _rev, users: { [account.handle]: true } }, account.auth);
    expect(star.status).toBe(400);
    expect((await json(star)).code).toBe("STARS_UNSUPPORTED");
    const bare = await putJson(`/${escaped(name)}/-rev/${_rev}`, { _id, _rev, name }, account.auth);
    expect(bare.status).toBe(200);
    expect(Object.keys((await packument(name)).body!.versions)).toEqual(["1.0.0", "1.1.0"]);
  });

  it("is refused for another's package and without a token", async () => {
    const { account, name } = await skillWith(["1.0.0"]);
    const stranger = await createAccount();
    const doc = await forWrite(name, account.auth);
    doc.versions["1.0.0"].deprecated = "hijacked";
    expect((await putJson(`/${escaped(name)}`, doc, stranger.auth)).status).toBe(403);
    expect((await putJson(`/${escaped(name)}`, doc)).status).toBe(401);
    expect((await packument(name)).body!.versions["1.0.0"].deprecated).toBeUndefined();
  });
});

describe("npm unpublish", () => {
  it("unpublishes one version the way libnpmpublish does; the number is never reused", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0", "1.2.0-rc.1"]);
    // 1. PUT the packument without the version (and without its tags) to /-rev/<rev>.
    const doc = await forWrite(name, account.auth);
    const tarball = new URL(doc.versions["1.1.0"].dist.tarball).pathname;
    delete doc.versions["1.1.0"];
    doc["dist-tags"].latest = "1.0.0";
    const put = await putJson(`/${escaped(name)}/-rev/${doc._rev}`, doc, account.auth);
    expect(put.status).toBe(200);
    // 2. DELETE the tarball with the new revision.
    const { _rev } = await forWrite(name, account.auth);
    expect(_rev).not.toBe(doc._rev);
    const del = await call(`${tarball}/-rev/${_rev}`, { method: "DELETE", headers: account.auth });
    expect(del.status).toBe(200);

    const after = (await packument(name)).body!;
    expect(Object.keys(after.versions)).toEqual(["1.0.0", "1.2.0-rc.1"]);
    expect(after["dist-tags"]).toEqual({ latest: "1.0.0", next: "1.2.0-rc.1" });
    expect((await call(tarball)).status).toBe(404);
    const [scope] = name.slice(1).split("/");
    const row = await env.DB.prepare(
      "SELECT v.unpublished_at FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND v.version = '1.1.0'",
    )
      .bind(scope)
      .first<{ unpublished_at: string | null }>();
    expect(row!.unpublished_at).toBeTruthy();
    const republish = await npmPublish(account, { version: "1.1.0" });
    expect(republish.status).toBe(409);
    expect((await json(republish)).error).toMatch(/never reused/);
  });

  it("moves latest to the highest remaining release when its version goes", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0", "2.0.0-rc.1"]);
    const doc = await forWrite(name, account.auth);
    const tarball = new URL(doc.versions["1.1.0"].dist.tarball).pathname;
    // A DELETE of a live version's tarball unpublishes it too.
    const del = await call(`${tarball}/-rev/${doc._rev}`, { method: "DELETE", headers: account.auth });
    expect(del.status).toBe(200);
    expect((await packument(name)).body!["dist-tags"]).toEqual({ latest: "1.0.0", next: "2.0.0-rc.1" });
  });

  it("refuses a stale revision with 409", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const doc = await forWrite(name, account.auth);
    expect((await npmPublish(account, { version: "1.2.0" })).status).toBe(201);
    delete doc.versions["1.0.0"];
    const put = await putJson(`/${escaped(name)}/-rev/${doc._rev}`, doc, account.auth);
    expect(put.status).toBe(409);
    expect((await json(put)).code).toBe("REV_MISMATCH");
    const del = await call(`/${escaped(name)}/-rev/${doc._rev}`, { method: "DELETE", headers: account.auth });
    expect(del.status).toBe(409);
    const noRev = await call(`/${escaped(name)}`, { method: "DELETE", headers: account.auth });
    expect(noRev.status).toBe(400);
    expect((await json(noRev)).code).toBe("REV_REQUIRED");
    expect(Object.keys((await packument(name)).body!.versions)).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
  });

  it("unpublishes the whole package: 404 afterwards, rows kept, old numbers refused, new ones allowed", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const stranger = await createAccount();
    const { _rev } = await forWrite(name, account.auth);
    expect((await call(`/${escaped(name)}/-rev/${_rev}`, { method: "DELETE", headers: stranger.auth })).status).toBe(
      403,
    );
    const del = await call(`/${escaped(name)}/-rev/${_rev}`, { method: "DELETE", headers: account.auth });
    expect(del.status).toBe(200);
    const gone = await call(`/${escaped(name)}`);
    expect(gone.status).toBe(404);
    expect(await json(gone)).toMatchObject({ error: "Not found" });
    const [scope] = name.slice(1).split("/");
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND v.unpublished_at IS NOT NULL",
    )
      .bind(scope)
      .first<{ n: number }>();
    expect(rows!.n).toBe(2);
    expect((await npmPublish(account, { version: "1.0.0" })).status).toBe(409);
    expect((await npmPublish(account, { version: "1.2.0" })).status).toBe(201);
    expect((await packument(name)).body!["dist-tags"]).toEqual({ latest: "1.2.0" });
  });
});
