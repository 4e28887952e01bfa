// installRegistrySkill: resolve → download → verify integrity → extract into a temp folder beside
// the target → write .skild/install.json → atomic rename into place. Any failure leaves the
// previous install as it was and no temp folder behind; a crash (kill -9, power loss) leaves at
// most named leftovers that the next skild run in that folder undoes (`openSkillsDir`).
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import valid from "semver/functions/valid.js";
import ssri from "ssri";
import { CliError } from "./errors.js";
import { installDirFor, legacySkillsDirs, PLATFORMS, skillsDir } from "./platforms.js";
import { downloadProgress } from "./progress.js";
import { parseRisk } from "./risk.js";
import { checkInstallSignature, fileDigests } from "./signatures.js";
import { readPackageTarball, writeEntries } from "./tarball.js";

export const RECORD_DIR = ".skild";
export const RECORD_FILE = "install.json";
// Leftovers beside the skill folders, named `<prefix><installDir>-<pid>-<random>`:
const TEMP_PREFIX = ".skild-tmp-"; // a new version being unpacked
const ASIDE_PREFIX = ".skild-old-"; // the previous version, moved aside for the swap
const TRASH_PREFIX = ".skild-del-"; // an uninstalled skill being deleted
const LEFTOVER_RE = /^\.skild-(tmp|old|del)-(.+)-(\d+)-[A-Za-z0-9]+$/;
/** A leftover of a live process is another install in progress, unless it is this old (its pid was reused). */
const LIVE_OWNER_GRACE_MS = 60 * 60 * 1000;
const PROCESS_STARTED_MS = Date.now() - process.uptime() * 1000;

/** @param {string} prefix @param {string} installDir */
const leftoverName = (prefix, installDir) => `${prefix}${installDir}-${process.pid}-`;

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
 * @property {string} [keyid]       the registry key whose signature verified (absent: the registry does not sign)
 * @property {Record<string, string>} [files] sha256 hex of every installed file, by `/`-separated path (`skild verify`)
 * @property {import("./sources/install-source.js").SourceInfo} [source] set for skills from a folder or git repository
 */

/**
 * @typedef {object} InstalledSkill
 * @property {InstallRecord} record
 * @property {string} dir
 * @property {boolean} [legacy] in a folder skild used earlier for this agent (update moves it on)
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
 * @property {string} [keyid] the registry key whose signature verified
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
 * Whether a leftover was abandoned by a process that is gone: made before this one started, and
 * its owner is dead (or long since reused). A concurrent install's leftovers are left alone.
 * @param {number} pid
 * @param {number} mtimeMs
 */
function abandoned(pid, mtimeMs) {
  if (pid === process.pid || mtimeMs >= PROCESS_STARTED_MS) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === "ESRCH";
  }
  return Date.now() - mtimeMs > LIVE_OWNER_GRACE_MS;
}

/**
 * Undoes what an interrupted skild left in a skills folder: a skill whose folder is missing while
 * its previous version sits aside (killed inside the swap) gets that version back; abandoned temp,
 * aside and trash folders are deleted. Best effort: a step that fails is retried by the next run.
 * @param {string} parent a skills folder
 * @param {string} [installDir] only this skill's leftovers
 */
export async function recoverInterrupted(parent, installDir) {
  let names;
  try {
    names = await readdir(parent);
  } catch {
    return; // no folder yet: nothing to recover
  }
  /** @type {Map<string, {name: string, mtimeMs: number}[]>} installDir → abandoned asides */
  const asides = new Map();
  for (const name of names) {
    const match = LEFTOVER_RE.exec(name);
    if (!match || (installDir !== undefined && match[2] !== installDir)) continue;
    const [, kind, dir, pid] = match;
    const full = path.join(parent, name);
    try {
      const { mtimeMs } = await lstat(full);
      if (!abandoned(Number(pid), mtimeMs)) continue;
      if (kind === "old") asides.set(dir, [...(asides.get(dir) ?? []), { name, mtimeMs }]);
      else await rm(full, { recursive: true, force: true });
    } catch {}
  }
  for (const [dir, found] of asides) {
    try {
      const target = path.join(parent, dir);
      // Killed between moving the old version aside and moving the new one in: put the old one back.
      if (!(await exists(target))) {
        const newest = found.sort((a, b) => b.mtimeMs - a.mtimeMs).shift();
        if (newest) await rename(path.join(parent, newest.name), target);
      }
      for (const { name } of found) await rm(path.join(parent, name), { recursive: true, force: true });
    } catch {}
  }
}

/**
 * The skills folder of an agent, after undoing what an interrupted run left there. Every command
 * that reads or changes installed skills comes through here first.
 * @param {string} platform
 * @param {InstallScope} scope
 * @param {string} projectDir
 * @param {string} [installDir] recover only this skill's leftovers
 */
export async function openSkillsDir(platform, scope, projectDir, installDir) {
  const parent = skillsDir(platform, scope, projectDir);
  await recoverInterrupted(parent, installDir);
  for (const legacy of legacySkillsDirs(platform, scope, projectDir)) await recoverInterrupted(legacy, installDir);
  return parent;
}

/**
 * Moves `fresh` to `target`; an existing `target` is renamed aside first and put back if the
 * move fails, then deleted. A crash between the two renames is undone by `recoverInterrupted`.
 * @param {string} fresh
 * @param {string} target
 */
export async function swapIntoPlace(fresh, target) {
  let aside;
  if (await exists(target)) {
    aside = path.join(
      path.dirname(target),
      `${leftoverName(ASIDE_PREFIX, path.basename(target))}${randomBytes(4).toString("hex")}`,
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
 * @property {unknown} [signatures] the registry's signatures of this version
 * @property {string} [publishedAt]
 * @property {import("./risk.js").Risk | null} [risk] the registry's risk scan (absent: not fetched yet, lockfile installs)
 */

/**
 * @param {RegistryClient} registry
 * @param {SkillRef} skill
 * @param {string} requested
 * @returns {Promise<Resolved>}
 */
export async function resolveSkill(registry, skill, requested) {
  const meta = await registry.getVersion(skill, requested);
  if (meta?.name !== skill.canonical || typeof meta.version !== "string" || !valid(meta.version)) {
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
    signatures: meta.signatures,
    publishedAt: meta.publishedAt,
    risk: parseRisk(meta.risk),
  };
}

/**
 * The version's risk scan: from the version document already fetched, or (lockfile installs) fetched
 * now; null when the registry has none for it.
 * @param {RegistryClient} registry
 * @param {SkillRef} skill
 * @param {Resolved} resolved
 */
async function riskOf(registry, skill, resolved) {
  if (resolved.risk !== undefined) return resolved.risk;
  try {
    return parseRisk((await registry.getVersion(skill, resolved.version)).risk);
  } catch (err) {
    // The download that follows says what is wrong with the registry; an unknown scan is "not scanned".
    if (err instanceof CliError) return null;
    throw err;
  }
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
 * @param {{version: string, integrity: string, resolved: string, keyid?: string}} [opts.locked] install exactly this (from skild.lock.json)
 * @param {{write: (s: string) => unknown, isTTY?: boolean}} [opts.progress] where the download line goes (stderr)
 * @param {(placing: {platform: string, scope: InstallScope, dir: string}) => Promise<unknown>} [opts.beforeSwap] called right before a folder is replaced (lockfile-journal.js)
 * @param {(text: string) => void} [opts.warn] a warning line (a changed signing key)
 * @param {(risk: import("./risk.js").Risk | null, label: string) => Promise<void>} [opts.reviewRisk] called once before
 *   anything is downloaded, with the registry's risk scan of the version; throws to stop the install
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
  // Before any download: the registry's signature of exactly this name, version and integrity.
  const keyid = await checkInstallSignature(registry, skill, resolved, Boolean(opts.locked));
  const warnedKeyChange = new Set([opts.locked?.keyid ?? keyid]);
  /** @param {string | undefined} before */
  const warnIfKeyChanged = (before) => {
    if (before === undefined || warnedKeyChange.has(before)) return;
    warnedKeyChange.add(before);
    opts.warn?.(
      `warning: ${skill.canonical}@${resolved.version} was verified with registry key ${before} before and now with ${keyid ?? "no key (the registry lists none)"}; the registry rotated its key, or someone else signs for it.`,
    );
  };
  warnIfKeyChanged(opts.locked?.keyid);

  /** @type {Awaited<ReturnType<typeof fetchVerified>> | undefined} */
  let contents;
  /** @type {InstallResult[]} */
  const results = [];
  for (const { platform, scope } of opts.targets) {
    // Roo and Cline need the bare name as folder; everyone else gets publisher__skill.
    const installDir = installDirFor(platform, skill);
    const parent = await openSkillsDir(platform, scope, projectDir, installDir);
    const target = path.join(parent, installDir);
    const base = {
      name: skill.canonical,
      requested,
      platform,
      scope,
      dir: target,
      version: resolved.version,
      integrity: resolved.integrity,
      tarballUrl: resolved.tarballUrl,
      size: resolved.size,
      ...(resolved.risk !== undefined ? { risk: resolved.risk } : {}),
      ...(keyid ? { keyid } : {}),
    };
    const existing = await readInstallRecord(target);
    if (existing?.name === skill.canonical) warnIfKeyChanged(existing.keyid);
    if (!existing && !opts.force && (await exists(target))) {
      throw new CliError(
        `${target} exists but was not installed by skild (no ${RECORD_DIR}/${RECORD_FILE}); pass --force to replace it.`,
        { code: "TARGET_EXISTS" },
      );
    }
    if (existing && existing.name !== skill.canonical && !opts.force) {
      const why = PLATFORMS[platform]?.bareFolder
        ? ` (${platform} needs the folder to be the bare skill name, so two publishers' "${skill.name}" cannot sit side by side)`
        : "";
      throw new CliError(
        `${target} holds ${existing.name}, not ${skill.canonical}${why}; pass --force to replace it.`,
        {
          code: "TARGET_EXISTS",
        },
      );
    }
    const same = existing?.resolvedVersion === resolved.version && existing.integrity === resolved.integrity;
    if (same && !opts.force) {
      results.push({ ...base, status: "unchanged" });
      continue;
    }

    if (!contents && opts.reviewRisk)
      await opts.reviewRisk(await riskOf(registry, skill, resolved), `${skill.canonical}@${resolved.version}`);
    contents ??= await fetchVerified(registry, skill, resolved, opts.progress ?? process.stderr);

    await mkdir(parent, { recursive: true });
    const temp = await mkdtemp(path.join(parent, leftoverName(TEMP_PREFIX, installDir)));
    try {
      await writeEntries(temp, contents.entries);
      /** @type {InstallRecord} */
      const record = {
        schemaVersion: 1,
        name: skill.canonical,
        installDir,
        registryUrl: registry.url,
        platform,
        scope,
        requested,
        resolvedVersion: resolved.version,
        integrity: resolved.integrity,
        tarballUrl: resolved.tarballUrl,
        installedAt: new Date().toISOString(),
        ...(keyid ? { keyid } : {}),
        files: fileDigests(contents.entries),
      };
      // The package's own .skild (if any) is replaced by ours.
      await rm(path.join(temp, RECORD_DIR), { recursive: true, force: true });
      await mkdir(path.join(temp, RECORD_DIR));
      await writeFile(path.join(temp, RECORD_DIR, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
      await opts.beforeSwap?.({ platform, scope, dir: target });
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
 * Skills skild installed under the given platforms and scopes (folders without a record are not
 * listed), in each agent's folder and in the older folders skild used for it. A folder shared by
 * several agents (`.agents/skills`) is read once: its skills are reported for the agent that
 * installed them when that agent is asked for, else for the first one asked for.
 * @param {{platforms: string[], scopes: InstallScope[], projectDir: string}} where
 * @returns {Promise<InstalledSkill[]>}
 */
export async function listInstalled({ platforms, scopes, projectDir }) {
  /** @type {InstalledSkill[]} */
  const found = [];
  for (const scope of scopes) {
    /** @type {Map<string, {platforms: string[], legacy: boolean}>} folder → who reads it */
    const folders = new Map();
    for (const platform of platforms) {
      const current = await openSkillsDir(platform, scope, projectDir);
      const all = [[current, false], ...legacySkillsDirs(platform, scope, projectDir).map((d) => [d, true])];
      for (const [dir, legacy] of /** @type {[string, boolean][]} */ (all)) {
        const entry = folders.get(dir) ?? { platforms: [], legacy };
        entry.platforms.push(platform);
        folders.set(dir, entry);
      }
    }
    for (const [parent, { platforms: readers, legacy }] of folders) {
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
        if (!record) continue;
        // Trust where it is, not what the file claims about where it is.
        const platform = readers.includes(record.platform) ? record.platform : readers[0];
        found.push({ record: { ...record, platform, scope }, dir, ...(legacy ? { legacy } : {}) });
      }
    }
  }
  return found;
}

/**
 * Removes an installed skill folder: renamed to a trash name first, so a half-deleted skill is never
 * visible, and a crash mid-delete is finished by the next run (never restored, unlike an aside).
 * @param {string} dir
 */
export async function removeInstalled(dir) {
  const trash = path.join(
    path.dirname(dir),
    `${leftoverName(TRASH_PREFIX, path.basename(dir))}${randomBytes(4).toString("hex")}`,
  );
  await rename(dir, trash);
  await rm(trash, { recursive: true, force: true });
}

/**
 * Installs checked entries (from a git checkout or a folder) as `parent/installDir` with `record`,
 * through the same temp folder and atomic swap as a registry install: a failure leaves the
 * previous install as it was.
 * @param {string} parent a skills folder (from openSkillsDir)
 * @param {string} installDir
 * @param {import("./tarball.js").PackageEntry[]} entries
 * @param {Record<string, unknown>} record written as .skild/install.json
 */
export async function placeEntries(parent, installDir, entries, record) {
  await mkdir(parent, { recursive: true });
  const temp = await mkdtemp(path.join(parent, leftoverName(TEMP_PREFIX, installDir)));
  try {
    await writeEntries(temp, entries);
    await rm(path.join(temp, RECORD_DIR), { recursive: true, force: true });
    await mkdir(path.join(temp, RECORD_DIR));
    await writeFile(path.join(temp, RECORD_DIR, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    await swapIntoPlace(temp, path.join(parent, installDir));
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
