import ssri from "ssri";
import { describe, expect, it } from "vitest";
import { buildPackument, type PackumentVersionRow } from "../../worker/domain/packument";
import type { SkillRow } from "../../worker/domain/skills";
import { skillMd } from "../helpers/tarball";
import { BASE, call, createAccount, json } from "./helpers";
import { CORGI, escaped, npmPublish, packument } from "./npm-helpers";

async function publishedSkill(versions = ["1.0.0"]) {
  const account = await createAccount();
  const name = `@${account.handle}/hello-skill`;
  for (const version of versions) {
    const res = await npmPublish(account, { version, tag: version.includes("-") ? "beta" : undefined });
    expect(res.status).toBe(201);
  }
  return { account, name };
}

describe("GET /<name> packument", () => {
  it("serves the full document: dist-tags, versions with dist, time, maintainers, readme", async () => {
    const { account, name } = await publishedSkill(["1.0.0", "1.1.0", "2.0.0-beta.1"]);
    const { res, body } = await packument(name);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("Vary")).toBe("Accept");
    expect(body!._id).toBe(name);
    expect(body!.name).toBe(name);
    expect(body!._rev).toMatch(/^\d+-[0-9a-f]+$/);
    expect(body!["dist-tags"]).toEqual({ latest: "1.1.0", beta: "2.0.0-beta.1" });
    expect(Object.keys(body!.versions)).toEqual(["1.0.0", "1.1.0", "2.0.0-beta.1"]);
    const v = body!.versions["1.1.0"];
    expect(v).toMatchObject({ name, version: "1.1.0", _id: `${name}@1.1.0`, description: "A test skill" });
    expect(v._npmVersion).toBeUndefined(); // npm's private fields are not stored
    expect(v.dist).toEqual({
      tarball: `${BASE}/${name}/-/hello-skill-1.1.0.tgz`,
      integrity: expect.stringMatching(/^sha512-/),
      shasum: expect.stringMatching(/^[0-9a-f]{40}$/),
      fileCount: 2,
      unpackedSize: expect.any(Number),
      // The registry's signature (checked in signatures.test.ts).
      signatures: [{ keyid: expect.stringMatching(/^SHA256:/), sig: expect.any(String) }],
    });
    expect(Object.keys(body!.time)).toEqual(expect.arrayContaining(["created", "modified", "1.0.0", "1.1.0"]));
    expect(Date.parse(body!.time["1.1.0"])).toBeGreaterThanOrEqual(Date.parse(body!.time["1.0.0"]));
    expect(body!.maintainers).toEqual([{ name: account.handle, email: "" }]);
    expect(body!.readme).toBe(skillMd("hello-skill"));
    expect(body!.readmeFilename).toBe("SKILL.md");
  });

  it("serves the abbreviated document for npm's install Accept header", async () => {
    const { name } = await publishedSkill(["1.0.0"]);
    const { res, body } = await packument(name, { Accept: CORGI });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/vnd.npm.install-v1+json");
    expect(Object.keys(body!).sort()).toEqual(["dist-tags", "modified", "name", "versions"]);
    expect(Object.keys(body!.versions["1.0.0"]).sort()).toEqual(["dist", "name", "version"]);
    expect(body!.versions["1.0.0"].dist.integrity).toMatch(/^sha512-/);
  });

  it("answers the same document for every spelling of the name", async () => {
    const { name } = await publishedSkill();
    const [scope, skill] = name.slice(1).split("/");
    const bodies = await Promise.all(
      [`/@${scope}%2f${skill}`, `/@${scope}%2F${skill}`, `/@${scope}/${skill}`, `/%40${scope}%2f${skill}`].map(
        async (path) => {
          const res = await call(path);
          expect(res.status, path).toBe(200);
          return res.text();
        },
      ),
    );
    expect(new Set(bodies).size).toBe(1);
  });

  it("has an ETag per form and revision and answers 304 to If-None-Match", async () => {
    const { account, name } = await publishedSkill();
    const full = await packument(name);
    const abbreviated = await packument(name, { Accept: CORGI });
    const fullTag = full.res.headers.get("ETag")!;
    const abbreviatedTag = abbreviated.res.headers.get("ETag")!;
    expect(fullTag).toBeTruthy();
    expect(fullTag).not.toBe(abbreviatedTag);
    const notModified = await call(`/${escaped(name)}`, { headers: { "If-None-Match": fullTag } });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe("");
    const wrongForm = await call(`/${escaped(name)}`, { headers: { "If-None-Match": fullTag, Accept: CORGI } });
    expect(wrongForm.status).toBe(200);
    // A publish changes the revision, so the old ETag no longer matches.
    expect((await npmPublish(account, { version: "1.0.1" })).status).toBe(201);
    const changed = await call(`/${escaped(name)}`, { headers: { "If-None-Match": fullTag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("ETag")).not.toBe(fullTag);
  });

  it("answers 404 {error: Not found} for an unknown package, 400 for an invalid name", async () => {
    const res = await call("/@nobody-here%2fnothing");
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: "Not found" });
    const bad = await call("/@Bad_Scope%2fthing");
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe("INVALID_NAME");
  });

  it("serves one version's manifest by version or tag", async () => {
    const { name } = await publishedSkill(["1.0.0", "1.2.0"]);
    const byTag = await call(`/${name}/latest`);
    expect(byTag.status).toBe(200);
    expect(await json(byTag)).toMatchObject({ name, version: "1.2.0", dist: { integrity: expect.any(String) } });
    const byVersion = await call(`/${escaped(name)}/1.0.0`);
    expect((await json(byVersion)).version).toBe("1.0.0");
    expect((await call(`/${name}/9.9.9`)).status).toBe(404);
  });

  it("leaves non-npm paths to the web pages", async () => {
    for (const path of ["/", "/search", "/package/@acme/no-such-skill", "/~acme", "/login"]) {
      const res = await call(path);
      expect([200, 404], path).toContain(res.status);
      expect(res.headers.get("Content-Type"), path).toMatch(/^text\/html/);
    }
  });
});

describe("tarballs", () => {
  it("are served at dist.tarball and the %2f form, immutable, with 304 on the integrity ETag", async () => {
    const { name } = await publishedSkill();
    const { body } = await packument(name);
    const dist = body!.versions["1.0.0"].dist;
    const res = await call(new URL(dist.tarball).pathname);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(ssri.checkData(bytes, dist.integrity)).toBeTruthy();
    const encoded = await call(`/${escaped(name)}/-/hello-skill-1.0.0.tgz`);
    expect(new Uint8Array(await encoded.arrayBuffer())).toEqual(bytes);
    const again = await call(new URL(dist.tarball).pathname, {
      headers: { "If-None-Match": res.headers.get("ETag")! },
    });
    expect(again.status).toBe(304);
    expect((await call(`/${name}/-/hello-skill-3.0.0.tgz`)).status).toBe(404);
    expect((await call(`/${name}/-/other-1.0.0.tgz`)).status).toBe(404);
  });
});

describe("buildPackument", () => {
  it("builds a 1,000-version document from rows alone", () => {
    const skill: SkillRow = {
      id: 7,
      scope: "acme",
      name: "big",
      description: "Big",
      created_at: "2026-01-01T00:00:00.000Z",
      updated_at: "2026-02-01T00:00:00.000Z",
      revision: 1001,
      access: "public",
    };
    const versions: PackumentVersionRow[] = Array.from({ length: 1000 }, (_, i) => ({
      version: `1.0.${i}`,
      integrity: `sha512-${i}`,
      shasum: "0".repeat(40),
      sha256: "0".repeat(64),
      size: 100,
      unpacked_size: 200,
      file_count: 2,
      deprecated: i === 0 ? "old" : null,
      published_at: "2026-01-02T00:00:00.000Z",
      unpublished_at: null,
      manifest_json: JSON.stringify({ name: "@acme/big", version: `1.0.${i}`, readme: "not here", license: "MIT" }),
      readme: i === 999 ? "# Big" : null,
    }));
    const doc = buildPackument(
      { skill, versions, tags: { latest: "1.0.999" }, maintainers: ["acme"] },
      "full",
      "https://r.example",
    );
    expect(Object.keys(doc.versions as object)).toHaveLength(1000);
    expect(Object.keys(doc.time as object)).toHaveLength(1002);
    expect(doc._rev).toBe("1001-00000007");
    expect(doc.readme).toBe("# Big");
    const first = (doc.versions as Record<string, Record<string, unknown>>)["1.0.0"];
    expect(first.deprecated).toBe("old");
    expect(first.readme).toBeUndefined();
    expect(first.dist).toMatchObject({ tarball: "https://r.example/@acme/big/-/big-1.0.0.tgz" });
    const small = buildPackument(
      { skill, versions, tags: { latest: "1.0.999" }, maintainers: ["acme"] },
      "abbreviated",
      "https://r.example",
    );
    expect((small.versions as Record<string, Record<string, unknown>>)["1.0.0"]).toEqual({
      name: "@acme/big",
      version: "1.0.0",
      deprecated: "old",
      license: "MIT",
      dist: expect.any(Object),
    });
  });
});
