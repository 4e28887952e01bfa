// Registry signatures: the keys document, signatures in both packument forms and the skild version
// document (checked with Node's crypto, as npm/pacote checks them), signing on read, and rotation.

import { createExecutionContext, env } from "cloudflare:test";
import { Buffer } from "node:buffer";
import { createHash, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import { keyRingFromEnv } from "../../worker/domain/signatures";
import { sortKey } from "../../worker/domain/versions";
import { TEST_NEXT_SIGNING_KEY, TEST_SIGNING_KEY } from "../helpers/signing-keys.mjs";
import { BASE, call, createAccount, json, publish } from "./helpers";
import { CORGI, escaped, type PackumentDoc } from "./npm-helpers";

interface KeysDoc {
  keys: { expires: string | null; keyid: string; keytype: string; scheme: string; key: string }[];
}
type Signature = { keyid: string; sig: string };

const pem = (spkiBase64: string) => `-----BEGIN PUBLIC KEY-----\n${spkiBase64}\n-----END PUBLIC KEY-----`;

/** What `ssh-keygen -l` (and npm) print for a P-256 key: sha256 of the OpenSSH blob, unpadded base64. */
function opensshKeyId(spkiBase64: string): string {
  const spki = Buffer.from(spkiBase64, "base64");
  const point = spki.subarray(spki.length - 65);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 255, b.length & 255]), b]);
  const blob = Buffer.concat([str(Buffer.from("ecdsa-sha2-nistp256")), str(Buffer.from("nistp256")), str(point)]);
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** pacote's check: ECDSA-SHA256 over `${name}@${version}:${integrity}`, DER signature, PEM key. */
function verifies(keys: KeysDoc, name: string, version: string, integrity: string, signature: Signature): boolean {
  const key = keys.keys.find((k) => k.keyid === signature.keyid);
  if (!key) return false;
  return verify(
    "sha256",
    Buffer.from(`${name}@${version}:${integrity}`),
    pem(key.key),
    Buffer.from(signature.sig, "base64"),
  );
}

async function keysOf(fetcher: (path: string) => Promise<Response> = call): Promise<KeysDoc> {
  const res = await fetcher("/-/npm/v1/keys");
  expect(res.status).toBe(200);
  return json<KeysDoc>(res);
}

/** The Worker with other keys than the test binding (rotation, or none). */
function appWith(bindings: { REGISTRY_SIGNING_KEY?: string; REGISTRY_RETIRED_KEYS?: string }) {
  const app = createApp((b) => ({ ...defaultDeps(b), signingKeys: () => keyRingFromEnv(bindings) }));
  return (path: string, init: RequestInit = {}) =>
    Promise.resolve(app.fetch(new Request(new URL(path, BASE), init), env, createExecutionContext()));
}

describe("GET /-/npm/v1/keys", () => {
  it("lists the signing key as npm does: keyid of the OpenSSH blob, DER SPKI, no expiry", async () => {
    const { keys } = await keysOf();
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(Object.keys(key).sort()).toEqual(["expires", "key", "keyid", "keytype", "scheme"]);
    expect(key).toMatchObject({ expires: null, keytype: "ecdsa-sha2-nistp256", scheme: "ecdsa-sha2-nistp256" });
    expect(key.keyid).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(key.keyid).toBe(opensshKeyId(key.key));
    // The public half of the test key: Node derives the same SPKI from the private key.
    const { createPrivateKey, createPublicKey } = await import("node:crypto");
    const privateKey = createPrivateKey({ key: Buffer.from(TEST_SIGNING_KEY, "base64"), format: "der", type: "pkcs8" });
    expect(createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64")).toBe(key.key);
  });

  it("answers 404 without a signing key, and versions carry no signatures", async () => {
    const unsigned = appWith({});
    const res = await unsigned("/-/npm/v1/keys");
    expect(res.status).toBe(404);
    const account = await createAccount();
    expect((await publish(account)).status).toBe(201);
    const doc = await json<PackumentDoc>(await unsigned(`/${escaped(`@${account.handle}/hello-skill`)}`));
    expect(doc.versions["1.0.0"].dist).not.toHaveProperty("signatures");
  });

  it("accepts the key as PEM and as a JWK, with the same keyid", async () => {
    const { createPrivateKey } = await import("node:crypto");
    const privateKey = createPrivateKey({ key: Buffer.from(TEST_SIGNING_KEY, "base64"), format: "der", type: "pkcs8" });
    const asPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const asJwk = JSON.stringify(privateKey.export({ format: "jwk" }));
    const [expected] = (await keysOf()).keys;
    for (const form of [asPem, asJwk]) {
      const { keys } = await keysOf(appWith({ REGISTRY_SIGNING_KEY: form }));
      expect(keys.map((k) => k.keyid)).toEqual([expected.keyid]);
    }
  });
});

describe("signatures on every version", () => {
  it("verify with Node's crypto in the full and abbreviated packuments, the version manifest and the skild document", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    for (const version of ["1.0.0", "1.1.0", "2.0.0-beta.1"]) {
      expect((await publish(account, { version, tag: version.includes("beta") ? "beta" : undefined })).status).toBe(
        201,
      );
    }
    const keys = await keysOf();
    const full = await json<PackumentDoc>(await call(`/${escaped(name)}`));
    const corgi = await json<PackumentDoc>(await call(`/${escaped(name)}`, { headers: { Accept: CORGI } }));
    expect(Object.keys(full.versions)).toHaveLength(3);
    for (const doc of [full, corgi]) {
      for (const [version, manifest] of Object.entries(doc.versions)) {
        const signatures = manifest.dist.signatures as Signature[];
        expect(signatures).toHaveLength(1);
        expect(signatures[0].keyid).toBe(keys.keys[0].keyid);
        expect(verifies(keys, name, version, manifest.dist.integrity, signatures[0])).toBe(true);
        // Bound to name, version and integrity: the same signature does not fit another version.
        expect(
          verifies(keys, name, version === "1.0.0" ? "1.1.0" : "1.0.0", manifest.dist.integrity, signatures[0]),
        ).toBe(false);
      }
    }
    const one = await json<{ dist: { integrity: string; signatures: Signature[] } }>(
      await call(`/${escaped(name)}/1.1.0`),
    );
    expect(verifies(keys, name, "1.1.0", one.dist.integrity, one.dist.signatures[0])).toBe(true);
    const skild = await json<{ integrity: string; signatures: Signature[] }>(
      await call(`/skills/${account.handle}/hello-skill/versions/1.0.0`),
    );
    expect(skild.signatures).toHaveLength(1);
    expect(verifies(keys, name, "1.0.0", skild.integrity, skild.signatures[0])).toBe(true);
  });

  it("signs at publish and stores the signature with the version", async () => {
    const account = await createAccount();
    expect((await publish(account)).status).toBe(201);
    const row = await env.DB.prepare(
      "SELECT v.signatures FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND v.version = '1.0.0'",
    )
      .bind(account.handle)
      .first<{ signatures: string }>();
    const stored = JSON.parse(row!.signatures) as Signature[];
    expect(stored).toHaveLength(1);
    expect(stored[0].keyid).toBe((await keysOf()).keys[0].keyid);
  });

  it("signs versions published before signing on their next read, and stores that signature", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const unsigned = appWith({});
    for (const version of ["1.0.0", "1.1.0"]) {
      const res = await unsigned(`/skills/${account.handle}/hello-skill/publish`, {
        method: "POST",
        headers: { ...account.auth, "Content-Type": "application/gzip" },
        body: await (await import("../helpers/tarball")).skillTarball({ name, version }),
      });
      expect(res.status).toBe(201);
    }
    const storedNow = () =>
      env.DB.prepare(
        "SELECT v.version, v.signatures FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? ORDER BY v.version",
      )
        .bind(account.handle)
        .all<{ version: string; signatures: string | null }>();
    expect((await storedNow()).results.map((r) => r.signatures)).toEqual([null, null]);

    const keys = await keysOf();
    const doc = await json<PackumentDoc>(await call(`/${escaped(name)}`));
    for (const [version, manifest] of Object.entries(doc.versions)) {
      const [signature] = manifest.dist.signatures as Signature[];
      expect(verifies(keys, name, version, manifest.dist.integrity, signature)).toBe(true);
    }
    const stored = (await storedNow()).results;
    for (const row of stored) {
      const [signature] = JSON.parse(row.signatures!) as Signature[];
      expect(signature).toEqual((doc.versions[row.version].dist.signatures as Signature[])[0]);
    }
  });

  it("signs and stores every version of a large skill on its first signed read (stored in batches)", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const unsigned = appWith({});
    const res = await unsigned(`/skills/${account.handle}/hello-skill/publish`, {
      method: "POST",
      headers: { ...account.auth, "Content-Type": "application/gzip" },
      body: await (await import("../helpers/tarball")).skillTarball({ name, version: "1.0.0" }),
    });
    expect(res.status).toBe(201);
    // 249 more versions as rows (same bytes): as if published before the registry had a key.
    const copies = Array.from({ length: 249 }, (_, i) => `1.0.${i + 1}`);
    await env.DB.batch(
      copies.map((version) =>
        env.DB.prepare(
          `INSERT INTO versions (skill_id, version, sort_key, prerelease, integrity, shasum, sha256, size, unpacked_size,
             file_count, manifest_json, readme, published_at)
           SELECT skill_id, ?1, ?2, 0, integrity, shasum, sha256, size, unpacked_size, file_count,
             json_set(manifest_json, '$.version', ?1), readme, published_at
           FROM versions WHERE skill_id = (SELECT id FROM skills WHERE scope = ?3) AND version = '1.0.0'`,
        ).bind(version, sortKey(version), account.handle),
      ),
    );
    const keys = await keysOf();
    const doc = await json<PackumentDoc>(await call(`/${escaped(name)}`));
    expect(Object.keys(doc.versions)).toHaveLength(250);
    for (const [version, manifest] of Object.entries(doc.versions)) {
      const [signature] = manifest.dist.signatures as Signature[];
      expect(verifies(keys, name, version, manifest.dist.integrity, signature)).toBe(true);
    }
    const unsignedLeft = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM versions WHERE skill_id = (SELECT id FROM skills WHERE scope = ?) AND signatures IS NULL",
    )
      .bind(account.handle)
      .first<{ n: number }>();
    expect(unsignedLeft!.n).toBe(0);
  });
});

describe("key rotation", () => {
  it("a new key signs new versions and countersigns old ones on read; the retired key stays listed with expires", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    expect((await publish(account, { version: "1.0.0" })).status).toBe(201); // signed by the old (test) key
    const [oldKey] = (await keysOf()).keys;

    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const rotated = appWith({
      REGISTRY_SIGNING_KEY: TEST_NEXT_SIGNING_KEY,
      REGISTRY_RETIRED_KEYS: JSON.stringify([{ key: TEST_SIGNING_KEY, expires }]),
    });
    const keys = await keysOf(rotated);
    expect(keys.keys.map((k) => [k.keyid === oldKey.keyid, k.expires])).toEqual([
      [false, null],
      [true, expires],
    ]);
    const newKeyId = keys.keys[0].keyid;

    const res = await rotated(`/skills/${account.handle}/hello-skill/publish`, {
      method: "POST",
      headers: { ...account.auth, "Content-Type": "application/gzip" },
      body: await (await import("../helpers/tarball")).skillTarball({ name, version: "1.1.0" }),
    });
    expect(res.status).toBe(201);

    const doc = await json<PackumentDoc>(await rotated(`/${escaped(name)}`));
    const old = doc.versions["1.0.0"].dist.signatures as Signature[];
    expect(old.map((s) => s.keyid)).toEqual([oldKey.keyid, newKeyId]);
    for (const s of old) expect(verifies(keys, name, "1.0.0", doc.versions["1.0.0"].dist.integrity, s)).toBe(true);
    const fresh = doc.versions["1.1.0"].dist.signatures as Signature[];
    expect(fresh.map((s) => s.keyid)).toEqual([newKeyId]);
    expect(verifies(keys, name, "1.1.0", doc.versions["1.1.0"].dist.integrity, fresh[0])).toBe(true);

    // Once the old key is no longer listed, its signatures are no longer served (npm would refuse
    // a signature by a key it cannot find).
    const dropped = appWith({ REGISTRY_SIGNING_KEY: TEST_NEXT_SIGNING_KEY });
    const later = await json<PackumentDoc>(await dropped(`/${escaped(name)}`));
    expect((later.versions["1.0.0"].dist.signatures as Signature[]).map((s) => s.keyid)).toEqual([newKeyId]);
  });

  it("does not serve a retired key's signature on a version published after that key expired", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    expect((await publish(account, { version: "1.0.0" })).status).toBe(201);
    const expiredBeforePublish = new Date(Date.now() - 86_400_000).toISOString();
    const rotated = appWith({
      REGISTRY_SIGNING_KEY: TEST_NEXT_SIGNING_KEY,
      REGISTRY_RETIRED_KEYS: JSON.stringify([{ key: TEST_SIGNING_KEY, expires: expiredBeforePublish }]),
    });
    const keys = await keysOf(rotated);
    const doc = await json<PackumentDoc>(await rotated(`/${escaped(name)}`));
    const signatures = doc.versions["1.0.0"].dist.signatures as Signature[];
    expect(signatures.map((s) => s.keyid)).toEqual([keys.keys[0].keyid]);
  });

  it("the packument's ETag changes with the keys, so a cached unsigned copy is not revalidated as current", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    expect((await publish(account)).status).toBe(201);
    const signedTag = (await call(`/${escaped(name)}`)).headers.get("ETag");
    const unsignedTag = (await appWith({})(`/${escaped(name)}`)).headers.get("ETag");
    expect(signedTag).not.toBe(unsignedTag);
    const revalidated = await call(`/${escaped(name)}`, { headers: { "If-None-Match": unsignedTag! } });
    expect(revalidated.status).toBe(200);
  });
});
