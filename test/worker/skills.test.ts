import { describe, expect, it } from "vitest";
import { call, createAccount, json, publish, uniqueHandle } from "./helpers";

type Listing = {
  skills: { name: string; description: string; latest: string; updatedAt: string }[];
  nextCursor: string | null;
};

describe("GET /skills", () => {
  it("searches by substring and pages with a cursor until the end", async () => {
    const acme = await createAccount(uniqueHandle("pager"));
    const names = ["alpha-skill", "beta-skill", "gamma-skill", "delta-skill", "epsilon-skill"];
    for (const skill of names) {
      expect((await publish(acme, { skill, description: `The ${skill} for paging` })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ q: acme.handle, limit: "2", ...(cursor ? { cursor } : {}) });
      const res = await call(`/skills?${query}`);
      expect(res.status).toBe(200);
      const page = await json<Listing>(res);
      expect(page.skills.length).toBeLessThanOrEqual(2);
      seen.push(...page.skills.map((s) => s.name));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].sort().map((n) => `@${acme.handle}/${n}`));
  });

  it("returns name, description, latest and updatedAt for a match on the description", async () => {
    const acme = await createAccount();
    const marker = `zebra${Date.now()}`;
    await publish(acme, { skill: "find-me", description: `Finds ${marker} things` });
    const page = await json<Listing>(await call(`/skills?q=${marker}`));
    expect(page.skills).toHaveLength(1);
    expect(page.skills[0]).toMatchObject({
      name: `@${acme.handle}/find-me`,
      description: `Finds ${marker} things`,
      latest: "1.0.0",
    });
    expect(page.nextCursor).toBeNull();
  });

  it("treats % and _ in the query literally", async () => {
    const page = await json<Listing>(await call("/skills?q=%25%25_"));
    expect(page.skills).toEqual([]);
  });

  it.each([["limit=0"], ["limit=101"], ["limit=abc"], ["cursor=!!!"]])("rejects %s with 400", async (query) => {
    const res = await call(`/skills?${query}`);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBeTruthy();
  });
});

describe("GET /skills/:scope/:skill", () => {
  it("describes the skill with its versions, tags and readme", async () => {
    const acme = await createAccount();
    await publish(acme, { version: "1.0.0", description: "first" });
    await publish(acme, { version: "1.1.0", description: "second" });
    const res = await call(`/skills/@${acme.handle}/hello-skill`);
    expect(res.status).toBe(200);
    const skill = await json<{
      name: string;
      description: string;
      distTags: object;
      versions: { version: string; integrity: string; size: number; publishedAt: string }[];
      readme: string;
    }>(res);
    expect(skill.name).toBe(`@${acme.handle}/hello-skill`);
    expect(skill.description).toBe("second");
    expect(skill.distTags).toEqual({ latest: "1.1.0" });
    expect(skill.versions.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    expect(skill.versions[0].integrity).toMatch(/^sha512-/);
    expect(skill.versions[0].size).toBeGreaterThan(0);
    expect(skill.readme).toContain("name: hello-skill");
  });

  it("answers 404 for an unknown skill and 400 for an invalid name", async () => {
    const missing = await call(`/skills/${uniqueHandle()}/nothing-here`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe("SKILL_NOT_FOUND");
    const invalid = await call("/skills/ACME/Hello");
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error).toMatch(/lowercase/);
  });
});

describe("GET /skills/:scope/:skill/versions/:versionOrTag", () => {
  async function seeded() {
    const acme = await createAccount();
    for (const version of ["1.0.0", "1.2.0", "1.10.0", "2.0.0"]) await publish(acme, { version });
    await publish(acme, { version: "3.0.0-beta.1", tag: "beta" });
    return acme;
  }
  const resolve = async (handle: string, spec: string) =>
    call(`/skills/${handle}/hello-skill/versions/${encodeURIComponent(spec)}`);

  it("resolves an exact version, a dist-tag and a semver range (highest match)", async () => {
    const acme = await seeded();
    const cases: [string, string][] = [
      ["1.2.0", "1.2.0"],
      ["latest", "2.0.0"],
      ["beta", "3.0.0-beta.1"],
      ["^1.0.0", "1.10.0"],
      ["~1.2", "1.2.0"],
      ["*", "2.0.0"],
      [">=3.0.0-0", "3.0.0-beta.1"],
    ];
    for (const [spec, expected] of cases) {
      const res = await resolve(acme.handle, spec);
      expect(res.status, spec).toBe(200);
      expect((await json(res)).version, spec).toBe(expected);
    }
  });

  it("returns the version document with its manifest and a working tarball URL", async () => {
    const acme = await seeded();
    const doc = await json<{
      name: string;
      version: string;
      integrity: string;
      shasum: string;
      size: number;
      tarballUrl: string;
      publishedAt: string;
      manifest: { name: string };
    }>(await resolve(acme.handle, "1.2.0"));
    expect(doc).toMatchObject({
      name: `@${acme.handle}/hello-skill`,
      version: "1.2.0",
      manifest: { name: `@${acme.handle}/hello-skill`, version: "1.2.0" },
    });
    expect(doc.shasum).toMatch(/^[0-9a-f]{40}$/);
    const tarball = await call(new URL(doc.tarballUrl).pathname);
    expect(tarball.status).toBe(200);
    expect((await tarball.arrayBuffer()).byteLength).toBe(doc.size);
  });

  it.each([["9.9.9"], ["^9.0.0"], ["nightly"]])("answers 404 for %s", async (spec) => {
    const acme = await seeded();
    const res = await resolve(acme.handle, spec);
    expect(res.status).toBe(404);
    expect((await json(res)).code).toBe("VERSION_NOT_FOUND");
  });

  it("answers 404 for the tarball of a version that does not exist", async () => {
    const acme = await seeded();
    const res = await call(`/skills/${acme.handle}/hello-skill/versions/9.9.9/tarball`);
    expect(res.status).toBe(404);
  });
});
