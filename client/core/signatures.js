// Registry signatures on the client side: the registry's public keys (`/-/npm/v1/keys`, cached per
// registry under SKILD_HOME) and the check of a version's signatures, the same one npm/pacote make:
// ECDSA-SHA256 over `${name}@${version}:${integrity}`, base64 DER, by a listed key that had not
// expired when the version was published. Every refusal is one line that says what is wrong.
import { createHash, createPublicKey, verify } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { skildHome } from "./config.js";
import { CliError } from "./errors.js";

/** Keys fetched this recently are used without asking the registry again (a new keyid always refetches). */
const KEYS_FRESH_MS = 10 * 60 * 1000;
const KEY_TYPE = "ecdsa-sha2-nistp256";

/**
 * @typedef {object} RegistryKey
 * @property {string} keyid    `SHA256:<unpadded base64>` of the OpenSSH public key blob
 * @property {string} key      base64 DER SubjectPublicKeyInfo
 * @property {string | null} expires
 */

/**
 * @typedef {object} SignedVersion
 * @property {string} name       `@acme/hello-skill`
 * @property {string} version
 * @property {string} integrity  the tarball's sha512 SRI
 * @property {string} [publishedAt]
 * @property {unknown} signatures what the registry served: `[{keyid, sig}]`
 */

/** @param {Buffer} bytes */
const sshString = (bytes) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/**
 * npm's keyid of a P-256 SPKI key: sha256 over the OpenSSH blob, unpadded base64.
 * @param {import("node:crypto").KeyObject} publicKey
 */
export function keyIdOf(publicKey) {
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(/** @type {string} */ (jwk.x), "base64url"),
    Buffer.from(/** @type {string} */ (jwk.y), "base64url"),
  ]);
  const blob = Buffer.concat([sshString(Buffer.from(KEY_TYPE)), sshString(Buffer.from("nistp256")), sshString(point)]);
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Checks a `/-/npm/v1/keys` document; null when the registry lists no keys.
 * @param {unknown} doc
 * @param {string} registryUrl
 * @returns {RegistryKey[] | null}
 */
export function parseKeysDocument(doc, registryUrl) {
  /** @param {string} why */
  const malformed = (why) =>
    new CliError(
      `The signing keys of ${registryUrl} (/-/npm/v1/keys) are malformed: ${why}. Refusing to install what cannot be verified.`,
      { code: "BAD_KEYS" },
    );
  const keys = /** @type {{keys?: unknown}} */ (doc)?.keys;
  if (!doc || typeof doc !== "object" || !Array.isArray(keys)) throw malformed('no "keys" list');
  if (keys.length === 0) return null;
  return keys.map((entry, i) => {
    const { keyid, key, keytype, scheme, expires } = /** @type {Record<string, unknown>} */ (entry ?? {});
    if (typeof keyid !== "string" || typeof key !== "string") throw malformed(`keys[${i}] lacks keyid or key`);
    if (keytype !== KEY_TYPE || scheme !== KEY_TYPE) throw malformed(`keys[${i}] is not an ${KEY_TYPE} key`);
    if (
      expires !== null &&
      expires !== undefined &&
      (typeof expires !== "string" || Number.isNaN(Date.parse(expires)))
    ) {
      throw malformed(`keys[${i}].expires is not a date`);
    }
    let publicKey;
    try {
      publicKey = createPublicKey({ key: Buffer.from(key, "base64"), format: "der", type: "spki" });
    } catch {
      throw malformed(`keys[${i}].key is not a base64 DER public key`);
    }
    if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw malformed(`keys[${i}] is not a P-256 key`);
    }
    if (keyIdOf(publicKey) !== keyid) throw malformed(`keys[${i}].keyid ${keyid} is not the id of its key`);
    return { keyid, key, expires: typeof expires === "string" ? expires : null };
  });
}

/** @param {string} registryUrl */
const cacheFile = (registryUrl) =>
  path.join(skildHome(), "keys", `${createHash("sha256").update(registryUrl).digest("hex").slice(0, 32)}.json`);

/**
 * The registry's keys: from the cache when fresh and it knows every keyid asked about, else fetched
 * (and cached). null: the registry does not sign (404 or an empty list).
 * @param {import("./registry.js").RegistryClient} registry
 * @param {string[]} [needKeyIds] keyids the caller is about to check
 * @returns {Promise<RegistryKey[] | null>}
 */
export async function registryKeys(registry, needKeyIds = []) {
  const file = cacheFile(registry.url);
  /** @type {{registry?: string, fetchedAt?: string, keys?: unknown} | undefined} */
  let cached;
  try {
    cached = JSON.parse(await readFile(file, "utf8"));
  } catch {
    cached = undefined;
  }
  try {
    if (!cached) throw new Error("no cache");
    const fresh = cached.registry === registry.url && Date.now() - Date.parse(String(cached.fetchedAt)) < KEYS_FRESH_MS;
    if (fresh) {
      const keys = cached.keys === null ? null : parseKeysDocument({ keys: cached.keys }, registry.url);
      const known = new Set((keys ?? []).map((k) => k.keyid));
      if (needKeyIds.every((id) => known.has(id))) return keys;
    }
  } catch {
    // No cache, or a damaged one: ask the registry.
  }
  const keys = parseKeysDocument((await registry.signingKeys()) ?? { keys: [] }, registry.url);
  // A registry that signed before and now lists no keys is how a downgrade looks: refuse rather than
  // silently install unsigned versions (the cache file names the decision to undo if it was meant).
  if (!keys && Array.isArray(cached?.keys) && cached.keys.length > 0) {
    throw new CliError(
      `${registry.url} listed signing keys before (${cached.fetchedAt}) and lists none now; refusing unverifiable installs. If the registry stopped signing on purpose, delete ${file}.`,
      { code: "KEYS_WITHDRAWN" },
    );
  }
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ registry: registry.url, fetchedAt: new Date().toISOString(), keys })}\n`);
    await rename(tmp, file).catch(async (err) => {
      await rm(tmp, { force: true });
      throw err;
    });
  } catch {
    // The cache is an optimisation; a read-only home still installs.
  }
  return keys;
}

/**
 * Whether `sig` is a well-formed DER ECDSA signature: SEQUENCE { INTEGER r, INTEGER s }, nothing more.
 * @param {Buffer} sig
 */
export function isDerEcdsaSignature(sig) {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) return false;
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (sig[at] !== 0x02) return false;
    const length = sig[at + 1];
    if (length < 1 || length > 33 || at + 2 + length > sig.length) return false;
    at += 2 + length;
  }
  return at === sig.length;
}

/** @param {unknown} signatures @returns {{keyid: string, sig: string}[]} */
function signatureList(signatures) {
  if (signatures === undefined || signatures === null) return [];
  if (!Array.isArray(signatures)) return [{ keyid: "", sig: "" }];
  return signatures.map((s) => ({
    keyid: typeof s?.keyid === "string" ? s.keyid : "",
    sig: typeof s?.sig === "string" ? s.sig : "",
  }));
}

/**
 * Checks the registry's signatures of a version against its keys; returns the keyid of the
 * signature that verified (the current key's when several do). Throws a one-line CliError when the
 * registry lists keys and no listed key's signature verifies, or when any signature by a listed key
 * is bad (someone changed what the registry serves).
 * @param {RegistryKey[]} keys
 * @param {SignedVersion} version
 * @returns {string}
 */
export function verifyVersionSignature(keys, version) {
  const label = `${version.name}@${version.version}`;
  const message = Buffer.from(`${label}:${version.integrity}`);
  const signatures = signatureList(version.signatures);
  /** @param {string} why @param {string} [code] */
  const refuse = (why, code = "BAD_SIGNATURE") =>
    new CliError(`Refusing ${label}: ${why}; nothing was installed.`, { code });
  if (signatures.length === 0) throw refuse("it is not signed, but the registry lists signing keys", "UNSIGNED");
  /** @type {string[]} */
  const verified = [];
  let unlisted = "";
  for (const { keyid, sig } of signatures) {
    const key = keys.find((k) => k.keyid === keyid);
    if (!key) {
      unlisted ||= keyid || "(none)";
      continue;
    }
    if (key.expires && version.publishedAt && Date.parse(version.publishedAt) >= Date.parse(key.expires)) {
      throw refuse(`its signature is by key ${keyid}, which expired (${key.expires}) before it was published`);
    }
    const der = Buffer.from(sig, "base64");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sig) || !isDerEcdsaSignature(der)) {
      throw refuse(`its signature by key ${keyid} is not a DER ECDSA signature (truncated or damaged)`);
    }
    const publicKey = createPublicKey({ key: Buffer.from(key.key, "base64"), format: "der", type: "spki" });
    let ok = false;
    try {
      ok = verify("sha256", message, publicKey, der);
    } catch {
      ok = false;
    }
    if (!ok) throw refuse(`its signature by key ${keyid} does not match ${label}:${version.integrity} (tampered?)`);
    verified.push(keyid);
  }
  if (verified.length === 0) {
    throw refuse(`it is signed by key ${unlisted}, which the registry does not list`, "UNKNOWN_SIGNING_KEY");
  }
  const current = keys.find((k) => k.expires === null && verified.includes(k.keyid));
  return current?.keyid ?? verified[0];
}

/**
 * The install-time check: the registry's keys (cached), then the version's signatures. Returns the
 * verified keyid, or undefined when the registry does not sign (nothing to check, nothing recorded).
 * @param {import("./registry.js").RegistryClient} registry
 * @param {SignedVersion} version
 * @returns {Promise<string | undefined>}
 */
export async function checkRegistrySignature(registry, version) {
  const keyIds = signatureList(version.signatures)
    .map((s) => s.keyid)
    .filter(Boolean);
  const keys = await registryKeys(registry, keyIds);
  if (!keys) return undefined;
  return verifyVersionSignature(keys, version);
}

/**
 * `installRegistrySkill`'s check. A lockfile install knows the integrity but not the signatures: it
 * asks the registry for them (the signature must cover the locked integrity, so a registry that now
 * serves other bytes under that version is refused).
 * @param {import("./registry.js").RegistryClient} registry
 * @param {import("./names.js").SkillRef} skill
 * @param {{version: string, integrity: string, signatures?: unknown, publishedAt?: string}} resolved
 * @param {boolean} locked
 * @returns {Promise<string | undefined>}
 */
export async function checkInstallSignature(registry, skill, resolved, locked) {
  let { signatures, publishedAt } = resolved;
  if (locked) {
    const meta = await registry.getVersion(skill, resolved.version);
    signatures = meta.signatures;
    publishedAt = meta.publishedAt;
  }
  return checkRegistrySignature(registry, {
    name: skill.canonical,
    version: resolved.version,
    integrity: resolved.integrity,
    publishedAt,
    signatures,
  });
}

/**
 * sha256 hex of every file of a package, by path: what `skild verify` compares the disk against.
 * @param {{path: string, type: string, data: Uint8Array}[]} entries
 * @returns {Record<string, string>}
 */
export function fileDigests(entries) {
  /** @type {Record<string, string>} */
  const files = {};
  for (const entry of entries) {
    if (entry.type === "file") files[entry.path] = createHash("sha256").update(entry.data).digest("hex");
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
