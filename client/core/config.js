// Where skild keeps its state (`~/.skild`, or SKILD_HOME), the saved logins, and which registry a
// command talks to: `--registry` > SKILD_REGISTRY_URL > the saved login > the default.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError, UsageError } from "./errors.js";

export const DEFAULT_REGISTRY = "http://127.0.0.1:18787";
const AUTH_FILE = "registry-auth.json";

/** @returns {string} */
export function skildHome() {
  return process.env.SKILD_HOME || path.join(os.homedir(), ".skild");
}

export const authFilePath = () => path.join(skildHome(), AUTH_FILE);

/**
 * `http://127.0.0.1:18787/` → `http://127.0.0.1:18787`: one spelling per registry, so logins match.
 * @param {string} raw
 * @param {string} from where the value came from, for the error message
 */
export function normalizeRegistryUrl(raw, from = "--registry") {
  let url;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${from} "${raw}" is not a URL; use e.g. ${DEFAULT_REGISTRY}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${from} "${raw}" must be an http:// or https:// URL.`);
  }
  if (url.username || url.password) {
    throw new UsageError(`${from} must not contain credentials; log in with \`skild login\` instead.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * @typedef {object} SavedLogin
 * @property {string} token
 * @property {string} handle
 * @property {string} savedAt
 */

/**
 * @typedef {object} AuthFile
 * @property {number} schemaVersion
 * @property {string} [current] the registry of the most recent login
 * @property {Record<string, SavedLogin>} registries keyed by normalized registry URL
 */

/** @returns {Promise<AuthFile>} */
export async function readAuthFile() {
  const file = authFilePath();
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === "ENOENT") return { schemaVersion: 1, registries: {} };
    throw err;
  }
  try {
    const data = JSON.parse(text);
    if (!data || typeof data !== "object" || typeof data.registries !== "object" || data.registries === null) {
      throw new Error("not a skild credentials file");
    }
    return { schemaVersion: 1, current: typeof data.current === "string" ? data.current : undefined, ...data };
  } catch (err) {
    throw new CliError(`${file} is unreadable (${String(err)}); delete it and log in again.`, { code: "BAD_CONFIG" });
  }
}

/**
 * Written to a temp file with mode 0600 and renamed, so a crash never leaves half a file or a readable token.
 * @param {AuthFile} data
 */
async function writeAuthFile(data) {
  const home = skildHome();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = authFilePath();
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** @param {string} registryUrl @param {{token: string, handle: string}} login */
export async function saveLogin(registryUrl, login) {
  const data = await readAuthFile();
  data.registries[registryUrl] = { token: login.token, handle: login.handle, savedAt: new Date().toISOString() };
  data.current = registryUrl;
  await writeAuthFile(data);
}

/** @param {string} registryUrl */
export async function forgetLogin(registryUrl) {
  const data = await readAuthFile();
  if (!(registryUrl in data.registries)) return;
  delete data.registries[registryUrl];
  if (data.current === registryUrl) data.current = Object.keys(data.registries)[0];
  await writeAuthFile(data);
}

/**
 * @typedef {object} RegistryTarget
 * @property {string} url
 * @property {string | undefined} token  SKILD_TOKEN, else the saved login for this URL
 * @property {string | undefined} handle the saved login's handle, if any
 */

/**
 * @param {string | undefined} flag the --registry value
 * @returns {Promise<RegistryTarget>}
 */
export async function resolveRegistry(flag) {
  const auth = await readAuthFile();
  let url;
  if (flag) url = normalizeRegistryUrl(flag);
  else if (process.env.SKILD_REGISTRY_URL)
    url = normalizeRegistryUrl(process.env.SKILD_REGISTRY_URL, "SKILD_REGISTRY_URL");
  else if (auth.current && auth.registries[auth.current]) url = auth.current;
  else url = DEFAULT_REGISTRY;
  const saved = auth.registries[url];
  return { url, token: process.env.SKILD_TOKEN || saved?.token, handle: saved?.handle };
}

/**
 * The registry an installed skill came from, with the token to read it (a private skill needs one):
 * the saved login for that URL. SKILD_TOKEN goes only to the registry this command would talk to
 * anyway, never to another one an old install record names.
 * @param {string} recordedUrl
 * @returns {Promise<RegistryTarget>}
 */
export async function resolveRecordedRegistry(recordedUrl) {
  const current = await resolveRegistry(undefined);
  if (current.url === recordedUrl) return current;
  const saved = (await readAuthFile()).registries[recordedUrl];
  return { url: recordedUrl, token: saved?.token, handle: saved?.handle };
}
