// Reads are served from a per-isolate cache (worker/domain/read-cache.ts). These tests warm every
// cached view of a skill, write, and check that the very next read shows the write: for each kind
// of write, through both dialects.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import ssri from "ssri";
import { describe, expect, it } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import { packumentRev } from "../../worker/domain/packument";
import { type Account, BASE, call, createAccount, json, publish } from "./helpers";
import { CORGI, escaped, npmPublish, type PackumentDoc, putJson } from "./npm-helpers";

const MIRROR = "http://mirror.test";

type Read = { status: number; etag: string | null; body: Record<string, unknown> | undefined };

async function read(path: string, headers: Record<string, string> = {}, origin = BASE): Promise<Read> {
  const res = await call(new URL(path, origin).href, { headers });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get("ETag"), body: text ? JSON.parse(text) : undefined };
}

/** Every cached view of a skill, read (and so cached) in one go. */
async function views(name: string, origin = BASE) {
  const [full, abbreviated, detail, tags, latest] = await Promise.all([
    read(`/${escaped(name)}`, {}, origin),
    read(`/${escaped(name)}`, { Accept: CORGI }, origin),
    read(`/skills/${name}`, {}, origin),
    read(`/-/package/${escaped(name)}/dist-tags`, {}, origin),
    read(`/skills/${name}/versions/latest`, {}, origin),
  ]);
  return {
    full,
    abbreviated,
    detail,
    tags,
    latest,
    fullDoc: full.body as PackumentDoc | undefined,
    abbreviatedDoc: abbreviated.body as PackumentDoc | undefined,
  };
}

/** Both tarball URLs of a version: status and, when served, the bytes' integrity. */
async function tarball(name: string, version: string) {
  const file = `${name.split("/")[1]}-${version}.tgz`;
  const results = await Promise.all(
    [`/${name}/-/${file}`, `/skills/${name}/versions/${version}/tarball`].map(async (path) => {
      const res = await call(path);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return {
        status: res.status,
        integrity: res.ok ? ssri.fromData(bytes, { algorithms: ["sha512"] }).toString() : null,
      };
    }),
  );
  expect(results[0]).toEqual(results[1]);
  return results[0];
}

async function packumentVersions(pending: Promise<Response>) {
  return Object.keys((await json<PackumentDoc>(await pending)).versions);
}

/** A D1 whose next batch runs at once but answers only when released. */
function gatedBatch(db: D1Database) {
  let release = () => {};
  let reached = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reachedPromise = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let armed = true;
  const gated = {
    prepare: (query: string) => db.prepare(query),
    batch: async (statements: D1PreparedStatement[]) => {
      const results = await db.batch(statements);
      if (armed) {
        armed = false;
        reached();
        await held;
      }
      return results;
    },
  };
  return { db: gated as unknown as D1Database, reached: reachedPromise, release };
}

async function conditional(path: string, etag: string, headers: Record<string, string> = {}) {
  return (await call(path, { headers: { ...headers, "If-None-Match": etag } })).status;
}

async function skillWith(versions: string[], skill = "hello-skill") {
  const account = await createAccount();
  for (const version of versions) expect((await publish(account, { skill, version })).status).toBe(201);
  return { account, name: `@${account.handle}/${skill}` };
}

/** `npm deprecate`/`npm unpublish` read `?write=true` first. */
async function forWrite(name: string, account: Account) {
  return json<PackumentDoc>(await call(`/${escaped(name)}?write=true`, { headers: account.auth }));
}

describe("a write is visible to the very next read", () => {
  it("skild publish: packument, skill, tags, ranges, tarball and ETags", async () => {
    const { account, name } = await skillWith(["1.0.0"]);
    const before = await views(name);
    expect(await tarball(name, "1.0.0")).toMatchObject({ status: 200 });
    expect((await tarball(name, "1.1.0")).status).toBe(404);
    expect(await conditional(`/${escaped(name)}`, before.full.etag!)).toBe(304);

    expect((await publish(account, { version: "1.1.0" })).status).toBe(201);
    const after = await views(name);
    expect(Object.keys(after.fullDoc!.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect(Object.keys(after.abbreviatedDoc!.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect(after.fullDoc!["dist-tags"]).toEqual({ latest: "1.1.0" });
    expect((after.detail.body!.versions as unknown[]).length).toBe(2);
    expect(after.tags.body).toEqual({ latest: "1.1.0" });
    expect(after.latest.body!.version).toBe("1.1.0");
    expect((await read(`/skills/${name}/versions/%5E1.0.0`)).body!.version).toBe("1.1.0");
    expect((await read(`/${escaped(name)}/1.1.0`)).status).toBe(200);
    expect(await tarball(name, "1.1.0")).toMatchObject({ status: 200 });
    // New revision, new ETags: the old one no longer gets a 304.
    expect(after.full.etag).not.toBe(before.full.etag);
    expect(after.abbreviated.etag).not.toBe(before.abbreviated.etag);
    expect(await conditional(`/${escaped(name)}`, before.full.etag!)).toBe(200);
    expect(await conditional(`/${escaped(name)}`, after.full.etag!)).toBe(304);
    expect(await conditional(`/${escaped(name)}`, after.abbreviated.etag!, { Accept: CORGI })).toBe(304);
  });

  it("npm publish (PUT), including extra dist-tags", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    expect((await npmPublish(account, { version: "1.0.0" })).status).toBe(201);
    const before = await views(name);
    expect((await tarball(name, "2.0.0-beta.1")).status).toBe(404);

    expect((await npmPublish(account, { version: "2.0.0-beta.1", tag: "beta" })).status).toBe(201);
    const after = await views(name);
    expect(Object.keys(after.fullDoc!.versions)).toEqual(["1.0.0", "2.0.0-beta.1"]);
    expect(after.abbreviatedDoc!["dist-tags"]).toEqual({ latest: "1.0.0", beta: "2.0.0-beta.1" });
    expect(after.detail.body!.distTags).toEqual({ latest: "1.0.0", beta: "2.0.0-beta.1" });
    expect(after.tags.body).toEqual({ latest: "1.0.0", beta: "2.0.0-beta.1" });
    expect((await read(`/skills/${name}/versions/beta`)).body!.version).toBe("2.0.0-beta.1");
    expect(await tarball(name, "2.0.0-beta.1")).toMatchObject({ status: 200 });
    expect(after.full.etag).not.toBe(before.full.etag);
  });

  it("dist-tag add and rm", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const path = `/-/package/${escaped(name)}/dist-tags`;
    const before = await views(name);
    expect((await read(`/skills/${name}/versions/stable`)).status).toBe(404);

    expect((await putJson(`${path}/stable`, "1.0.0", account.auth)).status).toBe(201);
    const added = await views(name);
    expect(added.fullDoc!["dist-tags"]).toEqual({ latest: "1.1.0", stable: "1.0.0" });
    expect(added.abbreviatedDoc!["dist-tags"]).toEqual({ latest: "1.1.0", stable: "1.0.0" });
    expect(added.detail.body!.distTags).toEqual({ latest: "1.1.0", stable: "1.0.0" });
    expect(added.tags.body).toEqual({ latest: "1.1.0", stable: "1.0.0" });
    expect((await read(`/skills/${name}/versions/stable`)).body!.version).toBe("1.0.0");
    expect((await read(`/${escaped(name)}/stable`)).body!.version).toBe("1.0.0");
    expect(added.full.etag).not.toBe(before.full.etag);

    // Moving latest changes what `versions/latest` and ranges resolve to.
    expect((await putJson(`${path}/latest`, "1.0.0", account.auth)).status).toBe(201);
    expect((await views(name)).latest.body!.version).toBe("1.0.0");

    expect((await call(`${path}/stable`, { method: "DELETE", headers: account.auth })).status).toBe(200);
    const removed = await views(name);
    expect(removed.fullDoc!["dist-tags"]).toEqual({ latest: "1.0.0" });
    expect(removed.tags.body).toEqual({ latest: "1.0.0" });
    expect((await read(`/skills/${name}/versions/stable`)).status).toBe(404);
    expect(await conditional(`/${escaped(name)}`, added.full.etag!)).toBe(200);
  });

  it("deprecate and undeprecate", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    await views(name);
    const doc = await forWrite(name, account);
    doc.versions["1.0.0"].deprecated = "use 1.1.0";
    expect((await putJson(`/${escaped(name)}`, doc, account.auth)).status).toBe(200);
    const deprecated = await views(name);
    expect(deprecated.fullDoc!.versions["1.0.0"].deprecated).toBe("use 1.1.0");
    expect(deprecated.abbreviatedDoc!.versions["1.0.0"].deprecated).toBe("use 1.1.0");
    expect((deprecated.detail.body!.versions as { deprecated?: string }[])[0].deprecated).toBe("use 1.1.0");
    expect((await read(`/skills/${name}/versions/1.0.0`)).body!.deprecated).toBe("use 1.1.0");

    const undo = await forWrite(name, account);
    undo.versions["1.0.0"].deprecated = "";
    expect((await putJson(`/${escaped(name)}`, undo, account.auth)).status).toBe(200);
    const restored = await views(name);
    expect(restored.fullDoc!.versions["1.0.0"].deprecated).toBeUndefined();
    expect(restored.abbreviatedDoc!.versions["1.0.0"].deprecated).toBeUndefined();
    expect(restored.full.etag).not.toBe(deprecated.full.etag);
  });

  it("unpublish of one version (PUT without it, then the tarball DELETE)", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0", "1.2.0"]);
    await views(name);
    // Warm the tarball caches (location and bytes) of the versions that go.
    expect(await tarball(name, "1.1.0")).toMatchObject({ status: 200 });
    expect(await tarball(name, "1.2.0")).toMatchObject({ status: 200 });

    // libnpmpublish: PUT the document without 1.2.0 to /-rev/<rev> ...
    const doc = await forWrite(name, account);
    delete doc.versions["1.2.0"];
    doc["dist-tags"].latest = "1.1.0";
    expect((await putJson(`/${escaped(name)}/-rev/${doc._rev}`, doc, account.auth)).status).toBe(200);
    const put = await views(name);
    expect(Object.keys(put.fullDoc!.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect(put.tags.body).toEqual({ latest: "1.1.0" });
    expect((await tarball(name, "1.2.0")).status).toBe(404);

    // ... and `npm unpublish x@1.1.0`'s tarball DELETE.
    const { _rev } = await forWrite(name, account);
    const file = `/${name}/-/hello-skill-1.1.0.tgz`;
    expect((await call(`${file}/-rev/${_rev}`, { method: "DELETE", headers: account.auth })).status).toBe(200);
    const after = await views(name);
    expect(Object.keys(after.fullDoc!.versions)).toEqual(["1.0.0"]);
    expect(Object.keys(after.abbreviatedDoc!.versions)).toEqual(["1.0.0"]);
    expect((after.detail.body!.versions as unknown[]).length).toBe(1);
    expect(after.tags.body).toEqual({ latest: "1.0.0" });
    expect(after.latest.body!.version).toBe("1.0.0");
    expect((await read(`/skills/${name}/versions/1.1.0`)).status).toBe(404);
    expect((await read(`/${escaped(name)}/1.1.0`)).status).toBe(404);
    expect((await tarball(name, "1.1.0")).status).toBe(404);
    expect(await conditional(`/${escaped(name)}`, put.full.etag!)).toBe(200);
    expect(await tarball(name, "1.0.0")).toMatchObject({ status: 200 });
  });

  it("unpublish of the whole package: 404 everywhere, then a new version shows again", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    const before = await views(name);
    expect(await tarball(name, "1.1.0")).toMatchObject({ status: 200 });

    const { _rev } = await forWrite(name, account);
    expect((await call(`/${escaped(name)}/-rev/${_rev}`, { method: "DELETE", headers: account.auth })).status).toBe(
      200,
    );
    const gone = await views(name);
    expect(gone.full.status).toBe(404);
    expect(gone.abbreviated.status).toBe(404);
    expect(gone.tags.body).toEqual({});
    expect(gone.detail.body!.versions).toEqual([]);
    expect(gone.latest.status).toBe(404);
    expect((await tarball(name, "1.0.0")).status).toBe(404);
    expect((await tarball(name, "1.1.0")).status).toBe(404);
    expect(await conditional(`/${escaped(name)}`, before.full.etag!)).toBe(404);

    expect((await publish(account, { version: "1.2.0" })).status).toBe(201);
    const back = await views(name);
    expect(Object.keys(back.fullDoc!.versions)).toEqual(["1.2.0"]);
    expect(back.tags.body).toEqual({ latest: "1.2.0" });
    expect(await tarball(name, "1.2.0")).toMatchObject({ status: 200 });
  });

  it("listings and search show a new skill and a new description at once", async () => {
    const account = await createAccount();
    const search = async (q: string) => {
      const skild = await json<{ skills: { name: string; description: string }[] }>(await call(`/skills?q=${q}`));
      const npm = await json<{ total: number; objects: { package: { name: string } }[] }>(
        await call(`/-/v1/search?text=${q}`),
      );
      expect(npm.total).toBe(skild.skills.length);
      return skild.skills;
    };
    expect(await search(account.handle)).toEqual([]);
    expect((await publish(account, { skill: "first", description: "Sorts walrus photos" })).status).toBe(201);
    expect((await search(account.handle)).map((s) => s.name)).toEqual([`@${account.handle}/first`]);
    expect((await search("walrus photo")).map((s) => s.name)).toContain(`@${account.handle}/first`);
    // The description follows latest: the old words stop matching, the new ones match.
    expect(
      (await publish(account, { skill: "first", version: "2.0.0", description: "Sorts narwhal pictures" })).status,
    ).toBe(201);
    expect((await search("walrus photo")).map((s) => s.name)).not.toContain(`@${account.handle}/first`);
    expect((await search("NARWHAL pic")).map((s) => s.description)).toEqual(["Sorts narwhal pictures"]);
    expect((await publish(account, { skill: "second" })).status).toBe(201);
    expect((await search(account.handle)).map((s) => s.name)).toEqual([
      `@${account.handle}/first`,
      `@${account.handle}/second`,
    ]);
  });
});

describe("the read cache", () => {
  it("keeps npm search answers per origin, and never keeps a refused query", async () => {
    const account = await createAccount();
    expect((await publish(account, { skill: "found" })).status).toBe(201);
    for (const origin of [BASE, MIRROR, BASE, MIRROR]) {
      const { body } = await read(`/-/v1/search?text=${account.handle}`, {}, origin);
      const objects = (body as { objects: { package: { links: { npm: string } } }[] }).objects;
      expect(objects.map((o) => o.package.links.npm)).toEqual([`${origin}/package/@${account.handle}/found`]);
    }
    const tooLong = `/skills?q=${"x".repeat(129)}`;
    for (let i = 0; i < 2; i++) expect((await read(tooLong)).status).toBe(400);
    expect((await read(`/-/v1/search?size=0`)).status).toBe(400);
    expect((await read(`/-/v1/search?size=0`)).status).toBe(400);
  });

  it("keeps documents per origin: tarball URLs of one origin never reach another", async () => {
    const { name } = await skillWith(["1.0.0"]);
    for (const origin of [BASE, MIRROR, BASE, MIRROR]) {
      const { fullDoc, abbreviatedDoc, latest } = await views(name, origin);
      expect(fullDoc!.versions["1.0.0"].dist.tarball).toBe(`${origin}/${name}/-/hello-skill-1.0.0.tgz`);
      expect(abbreviatedDoc!.versions["1.0.0"].dist.tarball).toBe(`${origin}/${name}/-/hello-skill-1.0.0.tgz`);
      expect(latest.body!.tarballUrl).toBe(`${origin}/skills/${name}/versions/1.0.0/tarball`);
      const version = await read(`/${escaped(name)}/1.0.0`, {}, origin);
      expect((version.body!.dist as { tarball: string }).tarball).toBe(`${origin}/${name}/-/hello-skill-1.0.0.tgz`);
    }
  });

  it("serves the same tarball bytes on every download, with ETag and 304", async () => {
    const { name } = await skillWith(["1.0.0"]);
    const integrity = (await views(name)).fullDoc!.versions["1.0.0"].dist.integrity;
    for (let i = 0; i < 3; i++) expect(await tarball(name, "1.0.0")).toEqual({ status: 200, integrity });
    const path = `/${name}/-/hello-skill-1.0.0.tgz`;
    const res = await call(path);
    expect(res.headers.get("ETag")).toBe(`"${integrity}"`);
    expect(res.headers.get("Content-Length")).toBe(String((await res.arrayBuffer()).byteLength));
    expect(await conditional(path, `"${integrity}"`)).toBe(304);
  });

  it("drops tarball locations cached without a packument read when the version is unpublished", async () => {
    const { account, name } = await skillWith(["1.0.0", "1.1.0"]);
    // Only tarball reads: their locations are cached on their own (no packument snapshot).
    for (let i = 0; i < 2; i++) expect(await tarball(name, "1.1.0")).toMatchObject({ status: 200 });
    const [scope, skill] = name.slice(1).split("/");
    const row = await env.DB.prepare("SELECT id, revision FROM skills WHERE scope = ? AND name = ?")
      .bind(scope, skill)
      .first<{ id: number; revision: number }>();
    const rev = packumentRev(row!);
    const file = `/${name}/-/hello-skill-1.1.0.tgz`;
    expect((await call(`${file}/-rev/${rev}`, { method: "DELETE", headers: account.auth })).status).toBe(200);
    expect((await tarball(name, "1.1.0")).status).toBe(404);
    expect(await tarball(name, "1.0.0")).toMatchObject({ status: 200 });
  });

  it("never lets a read that raced a write store what it read before the write", async () => {
    const { account, name } = await skillWith(["1.0.0"]);
    // A second app on the same isolate (so the same cache) whose next D1 batch answers only when released:
    // a packument read that reached D1 before the publish but returns after it.
    const gate = gatedBatch(env.DB);
    const app = createApp((bindings) => ({ ...defaultDeps(bindings), db: gate.db }));
    const slowRead = app.fetch(new Request(`${BASE}/${escaped(name)}`), env, createExecutionContext());
    await gate.reached;
    expect((await publish(account, { version: "1.1.0" })).status).toBe(201);
    // A read after the publish neither waits for nor shares the slow read.
    const blocked = new Promise((resolve) => setTimeout(() => resolve("still waiting for the slow read"), 2000));
    expect(await Promise.race([packumentVersions(call(`/${escaped(name)}`)), blocked])).toEqual(["1.0.0", "1.1.0"]);
    gate.release();
    expect(await packumentVersions(Promise.resolve(slowRead))).toEqual(["1.0.0"]);
    // The slow read's (older) rows were not cached over the newer ones.
    expect(await packumentVersions(call(`/${escaped(name)}`))).toEqual(["1.0.0", "1.1.0"]);
  });

  it("searches substrings of 3+ characters through the index and shorter ones by scan", async () => {
    const account = await createAccount();
    expect((await publish(account, { skill: "quokka-tools", description: 'Handles "quoted" 100% of_it' })).status).toBe(
      201,
    );
    const names = async (q: string) =>
      (await json<{ skills: { name: string }[] }>(await call(`/skills?q=${encodeURIComponent(q)}`))).skills.map(
        (s) => s.name,
      );
    const mine = `@${account.handle}/quokka-tools`;
    for (const q of ["okka-to", "QUOKKA", '"quoted"', "100% of_it", `${account.handle}`]) {
      expect(await names(q), q).toContain(mine);
    }
    expect(await names("kka-x")).not.toContain(mine);
    // Two characters: below the trigram index, still a substring match.
    expect((await json<{ skills: unknown[] }>(await call("/skills?q=ok&limit=100"))).skills.length).toBeGreaterThan(0);
  });
});
