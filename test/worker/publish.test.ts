import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { gzip, skillEntries, skillMd, skillTarball, tar } from "../helpers/tarball";
import { call, createAccount, json, publish, storeCounts } from "./helpers";

type Published = {
  name: string;
  version: string;
  integrity: string;
  shasum: string;
  tarballUrl: string;
  distTags: Record<string, string>;
};

async function sri(bytes: Uint8Array, algo: "SHA-512" | "SHA-1") {
  const digest = new Uint8Array(await crypto.subtle.digest(algo, bytes));
  return algo === "SHA-512"
    ? `sha512-${btoa(String.fromCharCode(...digest))}`
    : [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("POST /skills/:scope/:skill/publish", () => {
  it("stores an npm-pack style tarball and serves identical bytes with matching integrity", async () => {
    const acme = await createAccount();
    const body = await skillTarball({ name: `@${acme.handle}/hello-skill`, version: "1.0.0" });
    const res = await publish(acme, { body });
    expect(res.status).toBe(201);
    const published = await json<Published>(res);
    expect(published).toMatchObject({
      name: `@${acme.handle}/hello-skill`,
      version: "1.0.0",
      integrity: await sri(body, "SHA-512"),
      shasum: await sri(body, "SHA-1"),
      distTags: { latest: "1.0.0" },
    });

    const download = await call(new URL(published.tarballUrl).pathname);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(bytes).toEqual(body);
    expect(await sri(bytes, "SHA-512")).toBe(published.integrity);
    expect(download.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(download.headers.get("ETag")).toBe(`"${published.integrity}"`);

    // Content-addressed: the object lives at sha256/<hex>.tgz.
    const sha256 = [...new Uint8Array(await crypto.subtle.digest("SHA-256", body))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(await env.ARTIFACTS.head(`sha256/${sha256}.tgz`)).not.toBeNull();
  });

  it("answers 304 to If-None-Match with the integrity ETag", async () => {
    const acme = await createAccount();
    const published = await json<Published>(await publish(acme));
    const path = new URL(published.tarballUrl).pathname;
    const res = await call(path, { headers: { "If-None-Match": `"${published.integrity}"` } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
    const stale = await call(path, { headers: { "If-None-Match": '"sha512-other"' } });
    expect(stale.status).toBe(200);
  });

  it("accepts the scope as acme, @acme and %40acme", async () => {
    const acme = await createAccount();
    await publish(acme);
    for (const scope of [acme.handle, `@${acme.handle}`, `%40${acme.handle}`]) {
      const res = await call(`/skills/${scope}/hello-skill`);
      expect(res.status, scope).toBe(200);
      expect((await json(res)).name).toBe(`@${acme.handle}/hello-skill`);
    }
  });

  it("accepts SKILL.md name in the full @scope/name form", async () => {
    const acme = await createAccount();
    const res = await publish(acme, { skillMd: skillMd(`"@${acme.handle}/hello-skill"`) });
    expect(res.status).toBe(201);
  });

  it("deduplicates identical bytes into one R2 object", async () => {
    const acme = await createAccount();
    const body = await skillTarball({ name: `@${acme.handle}/hello-skill`, version: "1.0.0" });
    const before = await storeCounts();
    expect((await publish(acme, { body })).status).toBe(201);
    const after = await storeCounts();
    expect(after.objects).toBe(before.objects + 1);
    // Same bytes again (a conflict) must not write a second object either.
    expect((await publish(acme, { body })).status).toBe(409);
    expect((await storeCounts()).objects).toBe(after.objects);
  });

  it("answers 409 to a republish of an existing version", async () => {
    const acme = await createAccount();
    expect((await publish(acme, { version: "1.0.0" })).status).toBe(201);
    const again = await publish(acme, { version: "1.0.0", description: "changed" });
    expect(again.status).toBe(409);
    expect((await json(again)).code).toBe("VERSION_EXISTS");
  });

  it("answers 403 when publishing into another publisher's scope, and stores nothing", async () => {
    const acme = await createAccount();
    const mallory = await createAccount();
    const before = await storeCounts();
    const body = await skillTarball({ name: `@${acme.handle}/hello-skill` });
    const res = await call(`/skills/${acme.handle}/hello-skill/publish`, {
      method: "POST",
      headers: { ...mallory.auth, "Content-Type": "application/gzip" },
      body,
    });
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe("NOT_OWNER");
    expect(await storeCounts()).toEqual(before);
  });

  it("answers 401 without a token and after logout", async () => {
    const acme = await createAccount();
    const anonymous = await call(`/skills/${acme.handle}/hello-skill/publish`, {
      method: "POST",
      headers: { "Content-Type": "application/gzip" },
      body: await skillTarball({ name: `@${acme.handle}/hello-skill` }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("WWW-Authenticate")).toContain("Bearer");
    await call("/auth/logout", { method: "POST", headers: acme.auth });
    expect((await publish(acme)).status).toBe(401);
  });

  const rejected: [string, (scope: string) => Promise<Uint8Array>, number, string][] = [
    [
      "no SKILL.md",
      async (s) => gzip(tar(skillEntries({ name: `@${s}/hello-skill` }).slice(0, 1))),
      400,
      "MISSING_SKILL_MD",
    ],
    [
      "no package.json",
      async (s) => gzip(tar(skillEntries({ name: `@${s}/hello-skill` }).slice(1))),
      400,
      "MISSING_PACKAGE_JSON",
    ],
    [
      "SKILL.md without frontmatter",
      (s) => skillTarball({ name: `@${s}/hello-skill`, skillMd: "# Just a title\n" }),
      400,
      "BAD_FRONTMATTER",
    ],
    [
      "frontmatter without description",
      (s) => skillTarball({ name: `@${s}/hello-skill`, skillMd: "---\nname: hello-skill\n---\nbody\n" }),
      400,
      "BAD_FRONTMATTER",
    ],
    [
      "frontmatter that is not YAML",
      (s) => skillTarball({ name: `@${s}/hello-skill`, skillMd: "---\nname: [unclosed\n---\n" }),
      400,
      "BAD_FRONTMATTER",
    ],
    [
      "SKILL.md name of another skill",
      (s) => skillTarball({ name: `@${s}/hello-skill`, skillMd: skillMd("other-skill") }),
      400,
      "NAME_MISMATCH",
    ],
    [
      "package.json name differing from the URL",
      (s) => skillTarball({ name: `@${s}/other-skill`, skillMd: skillMd("hello-skill") }),
      400,
      "NAME_MISMATCH",
    ],
    ["invalid semver", (s) => skillTarball({ name: `@${s}/hello-skill`, version: "1.0" }), 400, "INVALID_VERSION"],
    [
      "a v-prefixed version",
      (s) => skillTarball({ name: `@${s}/hello-skill`, version: "v1.0.0" }),
      400,
      "INVALID_VERSION",
    ],
    [
      "package.json that is not JSON",
      (s) => skillTarball({ name: `@${s}/hello-skill`, packageJson: "{nope" }),
      400,
      "BAD_PACKAGE_JSON",
    ],
    [
      "a .. path",
      (s) => gzip(tar([...skillEntries({ name: `@${s}/hello-skill` }), { path: "package/../evil.sh", content: "x" }])),
      400,
      "UNSAFE_PATH",
    ],
    [
      "an absolute path",
      (s) => gzip(tar([...skillEntries({ name: `@${s}/hello-skill` }), { path: "/etc/evil", content: "x" }])),
      400,
      "UNSAFE_PATH",
    ],
    [
      "a symlink",
      (s) =>
        gzip(
          tar([
            ...skillEntries({ name: `@${s}/hello-skill` }),
            { path: "package/link", type: "symlink", linkpath: "/etc/passwd" },
          ]),
        ),
      400,
      "LINK_NOT_ALLOWED",
    ],
    ["not gzip", async () => new TextEncoder().encode("just some text, not a tarball"), 400, "NOT_GZIP"],
    ["truncated gzip", async (s) => (await skillTarball({ name: `@${s}/hello-skill` })).slice(0, 40), 400, "BAD_GZIP"],
  ];

  it.each(rejected)("rejects a tarball with %s, storing nothing", async (_label, build, status, code) => {
    const acme = await createAccount();
    const before = await storeCounts();
    const res = await publish(acme, { body: await build(acme.handle) });
    expect(res.status).toBe(status);
    const body = await json<{ error: string; code: string }>(res);
    expect(body.code).toBe(code);
    expect(body.error.length).toBeGreaterThan(10);
    expect(await storeCounts()).toEqual(before);
  });

  it("rejects a tarball over the packed size limit with 413 before storing anything", async () => {
    const acme = await createAccount();
    const before = await storeCounts();
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    const res = await publish(acme, { body: big });
    expect(res.status).toBe(413);
    expect(await storeCounts()).toEqual(before);
  });

  it("refuses a body that is not sent as a tarball", async () => {
    const acme = await createAccount();
    const res = await call(`/skills/${acme.handle}/hello-skill/publish`, {
      method: "POST",
      headers: { ...acme.auth, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(415);
  });

  it("gives exactly one 201 when the same version is published in parallel", async () => {
    const acme = await createAccount();
    const body = await skillTarball({ name: `@${acme.handle}/hello-skill`, version: "2.0.0" });
    const results = await Promise.all(Array.from({ length: 5 }, () => publish(acme, { body })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND v.version = '2.0.0'",
    )
      .bind(acme.handle)
      .first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });
});

describe("dist-tag latest", () => {
  const tags = async (handle: string) =>
    (await json<{ distTags: Record<string, string> }>(await call(`/skills/${handle}/hello-skill`))).distTags;

  it("stays on the highest release when a lower one is published", async () => {
    const acme = await createAccount();
    await publish(acme, { version: "1.0.0" });
    await publish(acme, { version: "0.9.0" });
    expect(await tags(acme.handle)).toEqual({ latest: "1.0.0" });
  });

  it("moves when ?tag=latest names it explicitly", async () => {
    const acme = await createAccount();
    await publish(acme, { version: "1.0.0" });
    const res = await publish(acme, { version: "0.9.0", tag: "latest" });
    expect((await json<Published>(res)).distTags).toEqual({ latest: "0.9.0" });
  });

  it("does not move to a prerelease; a named tag points at it", async () => {
    const acme = await createAccount();
    await publish(acme, { version: "1.0.0" });
    await publish(acme, { version: "2.0.0-beta.1" });
    expect(await tags(acme.handle)).toEqual({ latest: "1.0.0" });
    await publish(acme, { version: "2.0.0-beta.2", tag: "beta" });
    expect(await tags(acme.handle)).toEqual({ latest: "1.0.0", beta: "2.0.0-beta.2" });
    await publish(acme, { version: "1.1.0" });
    expect(await tags(acme.handle)).toEqual({ latest: "1.1.0", beta: "2.0.0-beta.2" });
  });

  it("is set by the first publish even when that is a prerelease with another tag", async () => {
    const acme = await createAccount();
    await publish(acme, { version: "0.1.0-alpha.1", tag: "next" });
    expect(await tags(acme.handle)).toEqual({ latest: "0.1.0-alpha.1", next: "0.1.0-alpha.1" });
  });

  it("rejects a tag that looks like a version", async () => {
    const acme = await createAccount();
    const res = await publish(acme, { version: "1.0.0", tag: "1.2.3" });
    expect(res.status).toBe(400);
    expect((await json(res)).code).toBe("INVALID_TAG");
  });
});
