// Registry signatures, as the npm registry makes them: ECDSA P-256 over
// `${name}@${version}:${integrity}`, base64 DER, listed in `dist.signatures` and checked by
// `npm audit signatures` (pacote) and the skild CLI against `GET /-/npm/v1/keys`.
//
// Keys come from secret bindings: REGISTRY_SIGNING_KEY (the current key: PKCS8 DER base64, PEM, or
// a private JWK) and REGISTRY_RETIRED_KEYS (keys that signed before a rotation, still listed with
// `expires`: a JSON array of {key, expires}, `key` in any of those forms or an SPKI public key).
// A version is signed at publish; one with no signature by the current key (published before
// signing, or before a rotation) is signed on its next read and stored, so no admin step is needed.
import type { Bindings, Deps } from "../env";
import type { SkillName } from "./names";
import type { PackumentVersionRow } from "./packument";
import type { SkillSnapshot } from "./read-cache";
import { skillWriteBatch } from "./read-cache";

export interface VersionSignature {
  keyid: string;
  sig: string;
}

/** One entry of `GET /-/npm/v1/keys`, as the npm registry serves it. */
export interface PublicKeyEntry {
  expires: string | null;
  keyid: string;
  keytype: "ecdsa-sha2-nistp256";
  scheme: "ecdsa-sha2-nistp256";
  /** base64 DER SubjectPublicKeyInfo */
  key: string;
}

export interface KeyRing {
  /** A short hash of the listed keys: changes with them, so it goes into cache keys and ETags of signed documents. */
  id: string;
  current: { keyid: string; privateKey: CryptoKey };
  /** Every listed key, the current one first. */
  keys: PublicKeyEntry[];
}

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array) => {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
};

function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) throw new Error("not base64");
  return Uint8Array.from(atob(clean), (ch) => ch.charCodeAt(0));
}

/** The OpenSSH wire form of a string: uint32 length, then the bytes. */
function sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.byteLength);
  new DataView(out.buffer).setUint32(0, bytes.byteLength);
  out.set(bytes, 4);
  return out;
}

/**
 * npm's keyid: `SHA256:` + unpadded base64 of sha256 over the OpenSSH public key blob
 * (string "ecdsa-sha2-nistp256", string "nistp256", string <65-byte uncompressed point>), which is
 * what `ssh-keygen -l` prints for the same key.
 */
export async function keyIdOf(point: Uint8Array): Promise<string> {
  const parts = [
    sshString(encoder.encode("ecdsa-sha2-nistp256")),
    sshString(encoder.encode("nistp256")),
    sshString(point),
  ];
  const blob = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    blob.set(part, at);
    at += part.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
  return `SHA256:${toBase64(digest).replace(/=+$/, "")}`;
}

/** ECDSA's raw r||s (what WebCrypto returns) as the DER SEQUENCE{INTEGER r, INTEGER s} npm verifies. */
export function rawSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.byteLength !== 64) throw new Error(`expected a 64-byte P-256 signature, got ${raw.byteLength}`);
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.byteLength - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    // A set high bit would read as negative: DER prefixes a zero byte.
    const body = trimmed[0] & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
    return Uint8Array.of(0x02, body.byteLength, ...body);
  };
  const r = integer(raw.subarray(0, 32));
  const s = integer(raw.subarray(32));
  return Uint8Array.of(0x30, r.byteLength + s.byteLength, ...r, ...s);
}

interface ParsedKey {
  /** Present for private key material. */
  privateKey?: CryptoKey;
  spki: Uint8Array;
  point: Uint8Array;
}

async function publicParts(publicJwk: JsonWebKey): Promise<{ spki: Uint8Array; point: Uint8Array }> {
  const { kty, crv, x, y } = publicJwk;
  const key = await crypto.subtle.importKey("jwk", { kty, crv, x, y }, P256, true, ["verify"]);
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", key)) as ArrayBuffer);
  const point = new Uint8Array((await crypto.subtle.exportKey("raw", key)) as ArrayBuffer);
  return { spki, point };
}

async function fromPrivateJwk(jwk: JsonWebKey): Promise<ParsedKey> {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256") throw new Error("the JWK is not an EC P-256 key");
  const { kty, crv, x, y, d } = jwk;
  if (!d) return publicParts(jwk);
  const privateKey = await crypto.subtle.importKey("jwk", { kty, crv, x, y, d }, P256, false, ["sign"]);
  return { privateKey, ...(await publicParts(jwk)) };
}

/**
 * Key material in any accepted form: PKCS8 DER base64 (one line, what `npm start` generates), PEM
 * (`PRIVATE KEY` or `PUBLIC KEY`), a JWK (JSON text or object), or SPKI DER base64.
 */
export async function parseKeyMaterial(material: unknown): Promise<ParsedKey> {
  if (material && typeof material === "object") return fromPrivateJwk(material as JsonWebKey);
  if (typeof material !== "string" || !material.trim()) throw new Error("the key is empty");
  const text = material.trim();
  if (text.startsWith("{")) return fromPrivateJwk(JSON.parse(text));
  const pem = /^-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----$/.exec(text);
  if (pem && pem[1] !== "PRIVATE KEY" && pem[1] !== "PUBLIC KEY") {
    throw new Error(`a PEM "${pem[1]}" is not supported: convert it to PKCS8 (openssl pkcs8 -topk8 -nocrypt)`);
  }
  const der = fromBase64(pem ? pem[2] : text);
  if (!pem || pem[1] === "PRIVATE KEY") {
    try {
      const extractable = await crypto.subtle.importKey("pkcs8", der, P256, true, ["sign"]);
      return fromPrivateJwk((await crypto.subtle.exportKey("jwk", extractable)) as JsonWebKey);
    } catch (err) {
      if (pem) throw err;
    }
  }
  const publicKey = await crypto.subtle.importKey("spki", der, P256, true, ["verify"]);
  return publicParts((await crypto.subtle.exportKey("jwk", publicKey)) as JsonWebKey);
}

const retiredKeysSchema = (raw: string): { key: unknown; expires: string }[] => {
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed)) throw new Error("REGISTRY_RETIRED_KEYS must be a JSON array of {key, expires}");
  return parsed.map((entry, i) => {
    const expires = (entry as { expires?: unknown })?.expires;
    if (typeof expires !== "string" || Number.isNaN(Date.parse(expires))) {
      throw new Error(`REGISTRY_RETIRED_KEYS[${i}].expires must be an ISO date`);
    }
    return { key: (entry as { key?: unknown }).key, expires: new Date(expires).toISOString() };
  });
};

async function buildKeyRing(signingKey: string, retired: string | undefined): Promise<KeyRing> {
  const current = await parseKeyMaterial(signingKey);
  if (!current.privateKey) throw new Error("REGISTRY_SIGNING_KEY holds a public key; it needs the private key");
  const currentId = await keyIdOf(current.point);
  const keys: PublicKeyEntry[] = [
    {
      expires: null,
      keyid: currentId,
      keytype: "ecdsa-sha2-nistp256",
      scheme: "ecdsa-sha2-nistp256",
      key: toBase64(current.spki),
    },
  ];
  for (const { key, expires } of retired?.trim() ? retiredKeysSchema(retired) : []) {
    const parsed = await parseKeyMaterial(key);
    const keyid = await keyIdOf(parsed.point);
    if (keys.some((k) => k.keyid === keyid)) continue;
    keys.push({
      expires,
      keyid,
      keytype: "ecdsa-sha2-nistp256",
      scheme: "ecdsa-sha2-nistp256",
      key: toBase64(parsed.spki),
    });
  }
  const listing = encoder.encode(keys.map((k) => `${k.keyid}@${k.expires ?? ""}`).join(","));
  const id = toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", listing)))
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 10);
  return { id, current: { keyid: currentId, privateKey: current.privateKey }, keys };
}

/**
 * Key rings by their secret text, per isolate. Only settled results are kept: an import is cheap,
 * and a promise shared between requests would hang them all if the first one were cancelled.
 */
const keyRings = new Map<string, KeyRing | null>();
let saidNoKey = false;

/** The registry's keys from its bindings, or null when it has no signing key (then it signs nothing). */
export async function keyRingFromEnv(env: Pick<Bindings, "REGISTRY_SIGNING_KEY" | "REGISTRY_RETIRED_KEYS">) {
  const signingKey = env.REGISTRY_SIGNING_KEY?.trim();
  if (!signingKey) {
    if (!saidNoKey) {
      saidNoKey = true;
      console.log("No REGISTRY_SIGNING_KEY: versions are served unsigned and /-/npm/v1/keys answers 404.");
    }
    return null;
  }
  const cacheKey = `${signingKey}\n${env.REGISTRY_RETIRED_KEYS ?? ""}`;
  if (keyRings.has(cacheKey)) return keyRings.get(cacheKey) ?? null;
  let ring: KeyRing | null;
  try {
    ring = await buildKeyRing(signingKey, env.REGISTRY_RETIRED_KEYS);
  } catch (err) {
    // A broken secret must not take the registry down: it serves unsigned and says why, once.
    console.error(`REGISTRY_SIGNING_KEY/REGISTRY_RETIRED_KEYS unusable (${String(err)}): serving no signatures.`);
    ring = null;
  }
  keyRings.set(cacheKey, ring);
  return ring;
}

/** The exact bytes npm verifies: `${name}@${version}:${integrity}`. */
export const signedMessage = (name: string, version: string, integrity: string) => `${name}@${version}:${integrity}`;

export async function signVersion(
  ring: KeyRing,
  name: string,
  version: string,
  integrity: string,
): Promise<VersionSignature> {
  const raw = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    ring.current.privateKey,
    encoder.encode(signedMessage(name, version, integrity)),
  );
  return { keyid: ring.current.keyid, sig: toBase64(rawSignatureToDer(new Uint8Array(raw))) };
}

/** Stored signatures of a version row (tolerates NULL and damage: a bad value counts as none). */
export function storedSignatures(json: string | null | undefined): VersionSignature[] {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed)
      ? parsed.filter((s): s is VersionSignature => typeof s?.keyid === "string" && typeof s?.sig === "string")
      : [];
  } catch {
    return [];
  }
}

/**
 * The signatures to serve: those by a listed key, and for a retired key only on versions published
 * before it expired (npm refuses a signature whose key expired before the version's publish time).
 */
export function servedSignatures(ring: KeyRing | null, stored: VersionSignature[], publishedAt: string) {
  if (!ring) return [];
  const published = Date.parse(publishedAt);
  return stored.filter((s) => {
    const key = ring.keys.find((k) => k.keyid === s.keyid);
    return key !== undefined && (key.expires === null || published < Date.parse(key.expires));
  });
}

/** The statement that records a version's signatures; joins the publish batch, or runs alone on read. */
export function storeSignaturesStatement(
  db: D1Database,
  skill: SkillName,
  version: string,
  signatures: VersionSignature[],
  previous: string | null,
): D1PreparedStatement {
  // Only over what this request saw: another isolate's concurrent write (maybe adding a retired
  // key's signature we did not know of) wins, and ours is still valid for this response.
  return db
    .prepare(
      `UPDATE versions SET signatures = ?3
       WHERE skill_id = (SELECT id FROM skills WHERE scope = ?1 AND name = ?2) AND version = ?4 AND signatures IS ?5`,
    )
    .bind(skill.scope, skill.name, JSON.stringify(signatures), version, previous);
}

const STORE_BATCH = 100;

/** Which key ring a snapshot's rows were last made ready for (rows are shared by every request on it). */
const preparedWith = new WeakMap<object, string>();

/**
 * Makes every version of a cached skill carry its served signatures: signs those that have no
 * signature by the current key, stores the new ones (once per version and key: later reads find
 * them in D1), and fills `row.served_signatures`. Cheap on a warm snapshot: one WeakMap lookup.
 * Returns the key ring's id ("" without keys), for cache keys and ETags of documents built from it.
 */
export async function ensureSigned(deps: Deps, name: SkillName, snapshot: SkillSnapshot): Promise<string> {
  const ring = await deps.signingKeys();
  const ringId = ring?.id ?? "";
  if (preparedWith.get(snapshot.source) === ringId) return ringId;
  const { skill, versions } = snapshot.source;
  const canonical = `@${skill.scope}/${skill.name}`;
  const updates: D1PreparedStatement[] = [];
  const served = new Map<PackumentVersionRow, VersionSignature[]>();
  for (const row of versions) {
    let stored = storedSignatures(row.signatures);
    if (ring && !stored.some((s) => s.keyid === ring.current.keyid)) {
      const fresh = await signVersion(ring, canonical, row.version, row.integrity);
      const next = [...stored, fresh];
      updates.push(storeSignaturesStatement(deps.db, name, row.version, next, row.signatures ?? null));
      stored = next;
      row.signatures = JSON.stringify(next);
    }
    served.set(row, servedSignatures(ring, stored, row.published_at));
  }
  for (const [row, signatures] of served) row.served_signatures = signatures;
  // In modest batches: the first read after a key is added may sign every version of a large skill.
  for (let at = 0; at < updates.length; at += STORE_BATCH) {
    try {
      await skillWriteBatch(deps.db, name, updates.slice(at, at + STORE_BATCH));
    } catch (err) {
      // The signatures just made are valid and served; the next read signs again.
      console.error(`signatures: could not store new signatures of ${canonical}`, err);
      break;
    }
  }
  preparedWith.set(snapshot.source, ringId);
  return ringId;
}

/** The skild API's `signatures` field / npm's `dist.signatures` for a prepared row. */
export const rowSignatures = (row: PackumentVersionRow): VersionSignature[] => row.served_signatures ?? [];
