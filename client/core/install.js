// installRegistrySkill: resolve → download → verify integrity → extract into a temp folder beside
// the target → write .skild/install.json → atomic rename into place. Any failure leaves the
// previous install as it was and no temp folder behind.
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import semver from "semver";
import ssri from "ssri";
import { CliError } from "./errors.js";
import { skillsDir } from "./platforms.js";
import { downloadProgress } from "./progress.js";
import { readPackageTarball, writeEntries } from "./tarball.js";

export const RECORD_DIR = ".skild";
export const RECORD_FILE = "install.json";
const TEMP_PREFIX = ".skild-tmp-";
const ASIDE_PREFIX = ".skild-old-";

/**
 * @typedef {import("./names.js").SkillRef} SkillRef
 * @typedef {import("./platforms.js").InstallScope} InstallScope
 * @typedef {import("./registry.js").RegistryClient} RegistryClient
 */

/**
 * @typedef {object} InstallRecord
 * @property {number} schemaVersion
 * @property {string} name          `@acme/hello-skill`
 * @property {string} installDir    `acme__hello-skill`
 * @property {string} registryUrl
 * @property {string} platform
 * @property {InstallScope} scope   global (home folder) or local (project)
 * @property {string} requested     the spec asked for: "latest", "beta", "^1.0.0", "1.2.3"
 * @property {string} resolvedVersion
 * @property {string} integrity
 * @property {string} tarballUrl
 * @property {string} installedAt
 */

/**
 * @typedef {object} InstalledSkill
 * @property {InstallRecord} record
 * @property {string} dir
 */

/**
 * @typedef {object} InstallTarget
 * @property {string} platform
 * @property {InstallScope} scope
 */

/**
 * @typedef {object} InstallResult
 * @property {string} name
 * @property {string} version
 * @property {string} integrity
 * @property {string} tarballUrl
 * @property {string} requested
 * @property {string} platform
 * @property {InstallScope} scope
 * @property {string} dir
 * @property {"installed" | "updated" | "unchanged"} status
 * @property {string} [previousVersion]
 */

/**
 * @param {string} dir an installed skill folder
 * @returns {Promise<InstallRecord | null>} null when the folder has no readable record
 */
export async function readInstallRecord(dir) {
  try {
    const data = JSON.parse(await readFile(path.join(dir, RECORD_DIR, RECORD_FILE), "utf8"));
    const strings = ["name", "installDir", "resolvedVersion", "integrity", "platform", "scope"];
    if (!data || typeof data !== "object" || strings.some((k) => typeof data[k] !== "string")) return null;
    return data;
  } catch {
    return null;
  }
}

/** @param {string} p */
async function exists(p) {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves `fresh` to `target`; an existing `target` is renamed aside first and put back if the
 * move fails, then deleted.
 * @param {string} fresh
 * @param {string} target
 */
export async function swapIntoPlace(fresh, target) {
  let aside;
  if (await exists(target)) {
    aside = path.join(
      path.dirname(target),
      `${ASIDE_PREFIX}${path.basename(target)}-${randomBytes(4).toString("hex")}`,
    );
    await rename(target, aside);
  }
  try {
    await rename(fresh, target);
  } catch (err) {
    if (aside) await rename(aside, target);
    throw err;
  }
  if (aside) await rm(aside, { recursive: true, force: true });
}

/**
 * @typedef {object} Resolved
 * @property {string} version
 * @property {string} integrity
 * @property {string} tarballUrl
 * @property {number | undefined} size
 */

/**
 * @param {RegistryClient} registry
 * @param {SkillRef} skill
 * @param {string} requested
 * @returns {Promise<Resolved>}
 */
export async function resolveSkill(registry, skill, requested) {
  const meta = await registry.getVersion(skill, requested);
  if (meta?.name !== skill.canonical || typeof meta.version !== "string" || !semver.valid(meta.version)) {
    throw new CliError(`The registry answered for ${String(meta?.name)} when asked for ${skill.canonical}.`, {
      code: "BAD_RESPONSE",
    });
  }
  if (typeof meta.integrity !== "string" || typeof meta.tarballUrl !== "string") {
    throw new CliError(`The registry gave no integrity or tarball URL for ${skill.canonical}@${meta.version}.`, {
      code: "BAD_RESPONSE",
    });
  }
  return {
    version: meta.version,
    integrity: meta.integrity,
    tarballUrl: meta.tarballUrl,
    size: typeof meta.size === "number" ? meta.size : undefined,
  };
}

/**
 * Downloads, verifies against `resolved.integrity` and checks every entry; nothing touches the disk.
 * @param {RegistryClient} registry
 * @param {SkillRef} skill
 * @param {Resolved} resolved
 * @param {{write: (s: string) => unknown, isTTY?: boolean}} progressStream
 */
async function fetchVerified(registry, skill, resolved, progressStream) {
  const label = `${skill.canonical}@${resolved.version}`;
  const expected = ssri.parse(resolved.integrity, { single: false });
  if (!expected || Object.keys(expected).length === 0) {
    throw new CliError(`The integrity "${resolved.integrity}" for ${label} is not a valid SRI hash; refusing it.`, {
      code: "BAD_INTEGRITY",
    });
  }
  const progress = downloadProgress(progressStream, label, resolved.size);
  let bytes;
  try {
    bytes = await registry.download(resolved.tarballUrl, {
      expectedSize: resolved.size,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.done();
  }
  if (!ssri.checkData(Buffer.from(bytes), resolved.integrity)) {
    const actual = ssri.fromData(Buffer.from(bytes), { algorithms: [expected.pickAlgorithm()] }).toString();
    throw new CliError(
      `Integrity check failed for ${label}: expected ${resolved.integrity}, got ${actual}. The download was corrupted or tampered with; nothing was installed.`,
      { code: "INTEGRITY_MISMATCH" },
    );
  }
  const contents = await readPackageTarball(bytes);
  if (contents.packageJson.name !== skill.canonical || contents.packageJson.version !== resolved.version) {
    throw new CliError(
      `The tarball for ${label} holds ${String(contents.packageJson.name)}@${String(contents.packageJson.version)}; refusing it.`,
      { code: "WRONG_PACKAGE" },
    );
  }
  return contents;
}

/**
 * Installs one skill for one or more agents. Resolves and downloads once, then places a copy per target.
 * @param {object} opts
 * @param {RegistryClient} opts.registry
 * @param {SkillRef} opts.skill
 * @param {string} opts.requested version, dist-tag or range ("latest" when the user named none)
 * @param {InstallTarget[]} opts.targets
 * @param {string} opts.projectDir the project root for local installs
 * @param {boolean} [opts.force] reinstall even when the same version is there, replace folders skild did not install
 * @param {{version: string, integrity: string, resolved: string}} [opts.locked] install exactly this (from skild.lock.json)
 * @param {{write: (s: string) => unknown, isTTY?: boolean}} [opts.progress] where the download line goes (stderr)
 * @returns {Promise<InstallResult[]>}
 */
export async function installRegistrySkill(opts) {
  const { registry, skill, requested, projectDir } = opts;
  /** @type {Resolved} */
  const resolved = opts.locked
    ? {
        version: opts.locked.version,
        integrity: opts.locked.integrity,
        tarballUrl: opts.locked.resolved,
        size: undefined,
      }
    : await resolveSkill(registry, skill, requested);

  /** @type {Awaited<ReturnType<typeof fetchVerified>> | undefined} */
  let contents;
  /** @type {InstallResult[]} */
  const results = [];
  for (const { platform, scope } of opts.targets) {
    const parent = skillsDir(platform, scope, projectDir);
    const target = path.join(parent, skill.installDir);
    const base = { name: skill.canonical, requested, platform, scope, dir: target, ...resolved };
    const existing = await readInstallRecord(target);
    if (!existing && !opts.force && (await exists(target))) {
      throw new CliError(
        `${target} exists but was not installed by skild (no ${RECORD_DIR}/${RECORD_FILE}); pass --force to replace it.`,
        { code: "TARGET_EXISTS" },
      );
    }
    if (existing && existing.name !== skill.canonical && !opts.force) {
      throw new CliError(`${target} holds ${existing.name}, not ${skill.canonical}; pass --force to replace it.`, {
        code: "TARGET_EXISTS",
      });
    }
    const same = existing?.resolvedVersion === resolved.version && existing.integrity === resolved.integrity;
    if (same && !opts.force) {
      results.push({ ...base, status: "unchanged" });
      continue;
    }

    contents ??= await fetchVerified(registry, skill, resolved, opts.progress ?? process.stderr);

    await mkdir(parent, { recursive: true });
    const temp = await mkdtemp(path.join(parent, `${TEMP_PREFIX}${skill.installDir}-`));
    try {
      await writeEntries(temp, contents.entries);
      /** @type {InstallRecord} */
      const record = {
        schemaVersion: 1,
        name: skill.canonical,
        installDir: skill.installDir,
        registryUrl: registry.url,
        platform,
        scope,
        requested,
        resolvedVersion: resolved.version,
        integrity: resolved.integrity,
        tarballUrl: resolved.tarballUrl,
        installedAt: new Date().toISOString(),
      };
      // The package's own .skild (if any) is replaced by ours.
      await rm(path.join(temp, RECORD_DIR), { recursive: true, force: true });
      await mkdir(path.join(temp, RECORD_DIR));
      await writeFile(path.join(temp, RECORD_DIR, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
      await swapIntoPlace(temp, target);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    results.push({
      ...base,
      status: existing ? "updated" : "installed",
      ...(existing ? { previousVersion: existing.resolvedVersion } : {}),
    });
  }
  return results;
}

/**
 * Skills skild installed under the given platforms and scopes (folders without a record are not listed).
 * @param {{platforms: string[], scopes: InstallScope[], projectDir: string}} where
 * @returns {Promise<InstalledSkill[]>}
 */
export async function listInstalled({ platforms, scopes, projectDir }) {
  /** @type {InstalledSkill[]} */
  const found = [];
  for (const scope of scopes) {
    for (const platform of platforms) {
      const parent = skillsDir(platform, scope, projectDir);
      let names;
      try {
        names = await readdir(parent);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith(".")) continue;
        const dir = path.join(parent, name);
        const record = await readInstallRecord(dir);
        // Trust where it is, not what the file claims about where it is.
        if (record) found.push({ record: { ...record, platform, scope }, dir });
      }
    }
  }
  return found;
}

/**
 * Removes an installed skill folder (renamed aside first, so a half-deleted skill is never visible).
 * @param {string} dir
 */
export async function removeInstalled(dir) {
  const aside = path.join(path.dirname(dir), `${ASIDE_PREFIX}${path.basename(dir)}-${randomBytes(4).toString("hex")}`);
  await rename(dir, aside);
  await rm(aside, { recursive: true, force: true });
}
