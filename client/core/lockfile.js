// skild.lock.json: what a project's --local installs resolved to, so `skild install` with no
// arguments puts the same bytes (same integrity) into the same places on another machine.
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { CliError } from "./errors.js";
import { acquireLock } from "./folder-lock.js";

export const LOCKFILE_NAME = "skild.lock.json";

/**
 * @typedef {object} LockedSkill
 * @property {string} version   the exact version installed
 * @property {string} integrity sha512 SRI of the tarball
 * @property {string} resolved  the tarball URL it came from
 * @property {string} requested the spec asked for: "latest", "beta", "^1.0.0", "1.2.3"
 * @property {string} registry
 * @property {string[]} platforms the agents it is installed for in this project
 * @property {string} [keyid]   the registry key whose signature verified at install
 */

/**
 * A skill from a git repository or a folder (client/core/sources), keyed by `<source>::<path>`.
 * @typedef {object} LockedSource
 * @property {"git" | "folder"} type
 * @property {string} source    `github:owner/repo`, a git URL (never with credentials), or a folder
 * @property {string} path      the skill's folder inside the source ('' = its root)
 * @property {string} name      the SKILL.md name it installs under
 * @property {string} [ref]     the branch, tag or commit asked for
 * @property {string} [commit]  the commit installed (git)
 * @property {string} integrity sha512 SRI of the skill's files
 * @property {string[]} platforms
 */

/**
 * @typedef {object} Lockfile
 * @property {number} lockfileVersion
 * @property {Record<string, LockedSkill | LockedSource>} skills keyed by `@scope/name` (registry) or `<source>::<path>`
 */

/**
 * @param {LockedSkill | LockedSource} entry
 * @returns {entry is LockedSource}
 */
export const isLockedSource = (entry) => "type" in entry && (entry.type === "git" || entry.type === "folder");

/** @param {string} projectDir */
export const lockfilePath = (projectDir) => path.join(projectDir, LOCKFILE_NAME);

/**
 * @param {string} projectDir
 * @returns {Promise<Lockfile | null>} null when the project has none
 */
export async function readLockfile(projectDir) {
  const file = lockfilePath(projectDir);
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === "ENOENT") return null;
    throw err;
  }
  /** @type {unknown} */
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON (${String(err)}).`, { code: "BAD_LOCKFILE" });
  }
  const lock = /** @type {Lockfile} */ (data);
  if (!lock || typeof lock !== "object" || typeof lock.skills !== "object" || lock.skills === null) {
    throw new CliError(`${file} is not a skild lockfile (no "skills" object).`, { code: "BAD_LOCKFILE" });
  }
  for (const [name, entry] of Object.entries(lock.skills)) {
    const fields =
      entry && isLockedSource(entry)
        ? [...["source", "integrity", "name"], ...(entry.type === "git" ? ["commit"] : [])]
        : ["version", "integrity", "resolved"];
    const missing = fields.filter(
      (f) =>
        typeof entry?.[/** @type {keyof typeof entry} */ (f)] !== "string" ||
        !entry[/** @type {keyof typeof entry} */ (f)],
    );
    if (entry && isLockedSource(entry) && typeof entry.path !== "string") missing.push("path");
    if (missing.length || !Array.isArray(entry.platforms)) {
      throw new CliError(`${file}: the entry for ${name} lacks ${missing.join(", ") || "platforms"}.`, {
        code: "BAD_LOCKFILE",
      });
    }
  }
  return lock;
}

/**
 * Sorted keys and a trailing newline, so the file diffs cleanly; written atomically.
 * @param {string} projectDir
 * @param {Lockfile} lock
 */
export async function writeLockfile(projectDir, lock) {
  const file = lockfilePath(projectDir);
  const sorted = Object.fromEntries(
    Object.keys(lock.skills)
      .sort()
      .map((k) => [k, { ...lock.skills[k], platforms: [...new Set(lock.skills[k].platforms)].sort() }]),
  );
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify({ lockfileVersion: 1, skills: sorted }, null, 2)}\n`);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Records that `name` is installed at `entry` for `platform` in this project.
 * @param {string} projectDir
 * @param {string} name
 * @param {Omit<LockedSkill, "platforms"> | Omit<LockedSource, "platforms">} entry
 * @param {string} platform
 */
export async function lockInstall(projectDir, name, entry, platform) {
  await changeLockfile(projectDir, async () => {
    const lock = (await readLockfile(projectDir)) ?? { lockfileVersion: 1, skills: {} };
    const previous = lock.skills[name];
    lock.skills[name] = { ...entry, platforms: [...(previous?.platforms ?? []), platform] };
    await writeLockfile(projectDir, lock);
  });
}

/**
 * Read-modify-write of the lockfile under its own lock (`skild.lock.json.lock`), so two skild runs
 * changing different agents' folders of one project never lose each other's entries.
 * @param {string} projectDir
 * @param {() => Promise<void>} change
 */
async function changeLockfile(projectDir, change) {
  const file = lockfilePath(projectDir);
  const release = await acquireLock(file, `${file}.lock`, file);
  try {
    await change();
  } finally {
    await release();
  }
}

/**
 * Forgets `name` for `platform`; the entry goes when no platform is left.
 * @param {string} projectDir
 * @param {string} name
 * @param {string} platform
 */
export async function unlockInstall(projectDir, name, platform) {
  await changeLockfile(projectDir, async () => {
    const lock = await readLockfile(projectDir);
    const entry = lock?.skills[name];
    if (!lock || !entry) return;
    entry.platforms = entry.platforms.filter((p) => p !== platform);
    if (entry.platforms.length === 0) delete lock.skills[name];
    await writeLockfile(projectDir, lock);
  });
}
