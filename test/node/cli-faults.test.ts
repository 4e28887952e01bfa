import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyIdOf } from "../../client/core/signatures.js";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { TEST_SIGNING_KEY } from "../helpers/signing-keys.mjs";
import { gzip, skillEntries, type TarEntry, tar } from "../helpers/tarball";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  type FakeRegistry,
  type FakeResponse,
  publishVersions,
  snapshot,
  startFakeRegistry,
} from "./cli-helpers";

const integrityOf = (bytes: Uint8Array) => ssri.fromData(Buffer.from(bytes), { algorithms: ["sha512"] }).toString();

// The registry signs with the fixed test key, and the forged answers below are signed with it too:
// a registry (or its key) gone bad. The client's own checks must hold even behind a valid signature.
const signingKey = createPrivateKey({ key: Buffer.from(TEST_SIGNING_KEY, "base64"), format: "der", type: "pkcs8" });
const testKeyId = keyIdOf(createPublicKey(signingKey));
const signed = (version: string, integrity: string) => [
  {
    keyid: testKeyId,
    sig: sign("sha256", Buffer.from(`@acme/victim@${version}:${integrity}`), signingKey).toString("base64"),
  },
];

// The client must not trust the server: bytes that do not match the integrity, metadata that lies,
// and archives with links or paths that escape are refused, whoever served them.
describe("skild install refuses bad downloads", () => {
  let server: RegistryServer;
  let publisher: CliSandbox;
  let cli: CliSandbox;
  let fake: FakeRegistry | undefined;
  /** What the fake registry does to the next requests; undefined = forward as is. */
  let intercept: (
    req: { method: string; path: string },
    forward: () => Promise<{ status: number; body: Uint8Array; headers: Headers }>,
    self: string,
  ) => Promise<FakeResponse | undefined> = async () => undefined;

  beforeAll(async () => {
    server = await startRegistry({ secrets: { REGISTRY_SIGNING_KEY: TEST_SIGNING_KEY } });
    publisher = createSandbox(server.url);
    await createPublisher(publisher, "acme");
    await publishVersions(publisher, "@acme/victim", ["1.0.0", "2.0.0"]);
    fake = await startFakeRegistry(server.url, (req, forward, self) => intercept(req, forward, self));
  });
  afterAll(async () => {
    await fake?.stop();
    await server?.stop();
    publisher?.cleanup();
    cli?.cleanup();
  });

  /** A machine with @acme/victim@1.0.0 installed for codex in the project, from the real registry. */
  async function machineWithV1() {
    cli?.cleanup();
    cli = createSandbox(server.url);
    await cli.ok(["install", "@acme/victim@1.0.0", "-t", "codex", "--local"]);
    return snapshot(cli.project);
  }
  const installV2ViaFake = () =>
    cli.run(["install", "@acme/victim@2.0.0", "-t", "codex", "--local", "--registry", fake!.url]);

  /** Serves `bytes` as @acme/victim@2.0.0 with an integrity that matches them. */
  function serveAsV2(bytes: Uint8Array) {
    intercept = async (req, _forward, self) => {
      if (req.path === "/skills/acme/victim/versions/2.0.0") {
        return {
          body: JSON.stringify({
            name: "@acme/victim",
            version: "2.0.0",
            integrity: integrityOf(bytes),
            signatures: signed("2.0.0", integrityOf(bytes)),
            shasum: "",
            size: bytes.byteLength,
            tarballUrl: `${self}/evil/victim-2.0.0.tgz`,
            publishedAt: new Date().toISOString(),
            manifest: {},
          }),
        };
      }
      if (req.path === "/evil/victim-2.0.0.tgz") {
        return { headers: { "Content-Type": "application/octet-stream" }, body: bytes };
      }
      return undefined;
    };
  }

  it("a corrupted tarball: integrity error, previous install untouched, no temp folder", async () => {
    const before = await machineWithV1();
    intercept = async (req, forward) => {
      if (!req.path.endsWith("/tarball")) return undefined;
      const upstream = await forward();
      const body = new Uint8Array(upstream.body);
      body[Math.floor(body.length / 2)] ^= 0xff;
      return { headers: { "Content-Type": "application/octet-stream" }, body };
    };
    const { code, stderr } = await installV2ViaFake();
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /skild: Integrity check failed for @acme\/victim@2\.0\.0: expected sha512-\S+, got sha512-\S+\. The download was corrupted or tampered with; nothing was installed\.\n$/,
    );
    expect(snapshot(cli.project)).toEqual(before);
    expect(readdirSync(path.join(cli.project, ".agents/skills"))).toEqual(["acme__victim"]);
  });

  it("metadata that lies about the integrity: same refusal", async () => {
    const before = await machineWithV1();
    const lie = integrityOf(new TextEncoder().encode("something else"));
    intercept = async (req, forward) => {
      if (req.path !== "/skills/acme/victim/versions/2.0.0") return undefined;
      const upstream = JSON.parse(new TextDecoder().decode((await forward()).body));
      return { body: JSON.stringify({ ...upstream, integrity: lie, signatures: signed("2.0.0", lie) }) };
    };
    const { code, stderr } = await installV2ViaFake();
    expect(code).toBe(1);
    expect(stderr).toContain(`Integrity check failed for @acme/victim@2.0.0: expected ${lie}, got sha512-`);
    expect(snapshot(cli.project)).toEqual(before);
  });

  it("a truncated download: refused", async () => {
    const before = await machineWithV1();
    intercept = async (req, forward) => {
      if (!req.path.endsWith("/tarball")) return undefined;
      const upstream = await forward();
      return { headers: { "Content-Type": "application/octet-stream" }, body: upstream.body.slice(0, 40) };
    };
    const { code, stderr } = await installV2ViaFake();
    expect(code).toBe(1);
    expect(stderr).toContain("Integrity check failed for @acme/victim@2.0.0");
    expect(snapshot(cli.project)).toEqual(before);
  });

  const absoluteTarget = path.join(os.tmpdir(), `skild-escape-${process.pid}.txt`);
  const hostile: [string, TarEntry, string][] = [
    ["a `../` path", { path: "package/../../escape.txt", content: "pwned" }, 'contains ".."; refusing to install it'],
    ["an absolute path", { path: absoluteTarget, content: "pwned" }, "is an absolute path; refusing to install it"],
    [
      "a symbolic link",
      { path: "package/link", type: "symlink", linkpath: "../../../../etc" },
      'is a symbolic link (to "../../../../etc"); links are not allowed in a skill',
    ],
    [
      "a hard link",
      { path: "package/hard", type: "hardlink", linkpath: "/etc/passwd" },
      'is a hard link (to "/etc/passwd"); links are not allowed in a skill',
    ],
    ["a device", { path: "package/tty", type: "chardev" }, "only files and folders are allowed"],
    // Names some OS cannot hold, or that read as something else: refused by the same rule the registry applies.
    ["a Windows device name", { path: "package/CON", content: "x" }, '"CON" is a reserved device name on Windows'],
    [
      "a Windows device name with an extension",
      { path: "package/docs/aux.md", content: "x" },
      '"aux.md" is a reserved device name on Windows',
    ],
    ["a name ending with a dot", { path: "package/run.sh.", content: "x" }, '"run.sh." ends with a dot or a space'],
    ["a colon (NTFS stream)", { path: "package/SKILL.md:x", content: "x" }, "a character Windows forbids"],
    [
      "a right-to-left override",
      { path: "package/evil\u202ehs.md", content: "x" },
      '"evil\\u202ehs.md" has an invisible zero-width or bidirectional control character',
    ],
    [
      "a zero-width space",
      { path: "package/SKILL\u200b.md", content: "x" },
      '"SKILL\\u200b.md" has an invisible zero-width or bidirectional control character',
    ],
  ];

  it.each(hostile)("a tarball with %s: refused though its integrity matches", async (_label, entry, message) => {
    const before = await machineWithV1();
    const bytes = await gzip(tar([...skillEntries({ name: "@acme/victim", version: "2.0.0" }), entry]));
    serveAsV2(bytes);
    const { code, stderr } = await installV2ViaFake();
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr.trim().split("\n").at(-1)).toMatch(/^skild: The tarball entry/);
    expect(snapshot(cli.project)).toEqual(before);
    expect(readdirSync(path.join(cli.project, ".agents/skills"))).toEqual(["acme__victim"]);
    expect(existsSync(path.join(cli.project, ".agents/escape.txt"))).toBe(false);
    expect(existsSync(path.join(cli.project, ".agents/skills/escape.txt"))).toBe(false);
    expect(existsSync(absoluteTarget)).toBe(false);
  });

  it("a tarball holding another package: refused", async () => {
    const before = await machineWithV1();
    serveAsV2(await gzip(tar(skillEntries({ name: "@acme/other", version: "2.0.0" }))));
    const { code, stderr } = await installV2ViaFake();
    expect(code).toBe(1);
    expect(stderr).toContain("\nskild: The tarball for @acme/victim@2.0.0 holds @acme/other@2.0.0; refusing it.\n");
    expect(snapshot(cli.project)).toEqual(before);
  });

  it("a tarball without SKILL.md: refused", async () => {
    const before = await machineWithV1();
    serveAsV2(await gzip(tar(skillEntries({ name: "@acme/victim", version: "2.0.0" }).slice(0, 1))));
    const { code, stderr } = await installV2ViaFake();
    expect(code).toBe(1);
    expect(stderr).toContain("\nskild: The tarball has no package/SKILL.md; a skill needs one.\n");
    expect(snapshot(cli.project)).toEqual(before);
  });

  it("passes a server error through as one line; a non-JSON error names the request", async () => {
    await machineWithV1();
    intercept = async (req) =>
      req.path.includes("/versions/")
        ? {
            status: 503,
            body: JSON.stringify({ error: "The registry is in maintenance; try again soon.", code: "MAINT" }),
          }
        : undefined;
    const json = await installV2ViaFake();
    expect(json.code).toBe(1);
    expect(json.stderr).toBe("skild: The registry is in maintenance; try again soon.\n");

    intercept = async (req) =>
      req.path.includes("/versions/")
        ? { status: 502, headers: { "Content-Type": "text/html" }, body: "<html>bad gateway</html>" }
        : undefined;
    const html = await installV2ViaFake();
    expect(html.code).toBe(1);
    expect(html.stderr).toBe("skild: GET /skills/acme/victim/versions/2.0.0 failed: 502 Bad Gateway\n");
  });
});
