// Installs a skill from a git repository or a folder: fetch (git) → find the skill → read and check
// every file → integrity of the files → for each agent folder, the same atomic install as a
// registry skill (`placeEntries`). Skills from sources install under their bare SKILL.md name, as
// `npx skills` does; a different skill already there under that name is refused without --force.
import { lstat } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../errors.js";
import { openSkillsDir, placeEntries, RECORD_DIR, RECORD_FILE, readInstallRecord } from "../install.js";
import { discoverSkills, pickSkill } from "./discover.js";
import { filesIntegrity, readSkillEntries } from "./folder.js";
import { checkoutGit, submodulesUnder } from "./git.js";
import { describeGitSource } from "./parse.js";

/**
 * @typedef {import("./parse.js").GitSource | import("./parse.js").FolderSource} FetchableSource
 * @typedef {import("../platforms.js").InstallScope} InstallScope
 */

/**
 * What an install record and the lockfile say about where a skill came from.
 * @typedef {object} SourceInfo
 * @property {"git" | "folder"} type
 * @property {string} source `github:owner/repo`, a git URL, or a folder
 * @property {string} path   the skill's folder inside the source ('' = its root)
 * @property {string} [ref]    what was asked for (branch, tag, commit)
 * @property {string} [commit] the commit installed
 */

/**
 * @typedef {object} SourceInstallResult
 * @property {string} name
 * @property {string} version  short commit, or "local" for a folder
 * @property {string} integrity
 * @property {SourceInfo} source
 * @property {string} platform
 * @property {InstallScope} scope
 * @property {string} dir
 * @property {"installed" | "updated" | "unchanged"} status
 * @property {string} [previousVersion]
 */

/** @param {FetchableSource} source */
export const sourceLabel = (source) => (source.kind === "git" ? describeGitSource(source) : source.source);

/** The identity of a source skill: the same source and folder is the same skill. @param {SourceInfo} info */
export const sourceKey = (info) => `${info.source}::${info.path || "."}`;

/**
 * The files of a source at a ref (or a pinned commit), ready to look at. Call `cleanup` after.
 * @param {FetchableSource} source
 * @param {{commit?: string}} [pin]
 */
async function open(source, pin = {}) {
  if (source.kind === "folder") {
    return { root: source.path, commit: undefined, cleanup: async () => {} };
  }
  const checkout = await checkoutGit({ url: source.url, ref: pin.commit ?? source.ref, label: sourceLabel(source) });
  return { root: checkout.dir, commit: checkout.commit, cleanup: checkout.cleanup };
}

/**
 * The skills a source holds (`skild install <source> --list`).
 * @param {FetchableSource} source
 */
export async function listSourceSkills(source) {
  const opened = await open(source);
  try {
    const found = await discoverSkills(
      opened.root,
      source.kind === "git" ? source.subpath : undefined,
      sourceLabel(source),
    );
    return {
      commit: opened.commit,
      skills: found.map(({ name, description, path: p }) => ({ name, description, path: p })),
    };
  } finally {
    await opened.cleanup();
  }
}

/**
 * @param {object} opts
 * @param {FetchableSource} opts.source
 * @param {string} [opts.skill] `--skill NAME` when the source holds several
 * @param {{platform: string, scope: InstallScope}[]} opts.targets
 * @param {string} opts.projectDir
 * @param {boolean} [opts.force]
 * @param {string} [opts.path] the skill's folder in the source (an update of an installed skill)
 * @param {{commit?: string, path: string, integrity: string}} [opts.locked] reinstall exactly this (skild.lock.json)
 * @returns {Promise<SourceInstallResult[]>}
 */
export async function installSourceSkill(opts) {
  const { source, projectDir } = opts;
  const label = sourceLabel(source);
  const opened = await open(source, { commit: opts.locked?.commit });
  try {
    const subpath = opts.locked?.path ?? opts.path ?? (source.kind === "git" ? source.subpath : undefined);
    const found = pickSkill(await discoverSkills(opened.root, subpath, label), opts.skill, label);
    if (source.kind === "git") {
      const submodules = await submodulesUnder(opened.root, found.path);
      if (submodules.length > 0) {
        throw new CliError(
          `${label}: ${submodules[0]} is a git submodule; skild does not fetch submodules (their content is another repository), so the skill would be incomplete.`,
          { code: "SUBMODULE" },
        );
      }
    }
    const entries = await readSkillEntries(opened.root, found.dir, label);
    const integrity = filesIntegrity(entries);
    if (opts.locked && opts.locked.integrity !== integrity) {
      throw new CliError(
        `${label}${opts.locked.commit ? ` at ${opts.locked.commit}` : ""}: the files' integrity is ${integrity}, but skild.lock.json records ${opts.locked.integrity}; refusing to install different files (run skild install ${label} to take the new ones).`,
        { code: "INTEGRITY_MISMATCH" },
      );
    }
    /** @type {SourceInfo} */
    const info = {
      type: source.kind,
      source: source.kind === "folder" ? source.path : source.source,
      path: found.path,
      ...(source.kind === "git" && source.ref ? { ref: source.ref } : {}),
      ...(opened.commit ? { commit: opened.commit } : {}),
    };
    const version = opened.commit ? opened.commit.slice(0, 12) : "local";
    /** @type {SourceInstallResult[]} */
    const results = [];
    for (const { platform, scope } of opts.targets) {
      const parent = await openSkillsDir(platform, scope, projectDir, found.name);
      const target = path.join(parent, found.name);
      const existing = await readInstallRecord(target);
      const base = { name: found.name, version, integrity, source: info, platform, scope, dir: target };
      if (!existing && !opts.force) {
        const there = await lstat(target).then(
          () => true,
          () => false,
        );
        if (there) {
          throw new CliError(
            `${target} exists but was not installed by skild (no ${RECORD_DIR}/${RECORD_FILE}); pass --force to replace it.`,
            { code: "TARGET_EXISTS" },
          );
        }
      }
      const existingSource = existing?.source;
      const sameSkill = existingSource ? sourceKey(existingSource) === sourceKey(info) : false;
      if (existing && !sameSkill && !opts.force) {
        const from = existingSource
          ? `from ${existingSource.source}${existingSource.path ? `/${existingSource.path}` : ""}`
          : `(${existing.name} from the registry)`;
        throw new CliError(
          `${target} already holds a different skill named "${found.name}" ${from}; pass --force to replace it with the one from ${label}.`,
          { code: "TARGET_EXISTS" },
        );
      }
      if (existing && sameSkill && existing.integrity === integrity && !opts.force) {
        results.push({ ...base, status: "unchanged" });
        continue;
      }
      await placeEntries(parent, found.name, entries, {
        schemaVersion: 1,
        name: found.name,
        installDir: found.name,
        source: info,
        registryUrl: "",
        platform,
        scope,
        requested: info.ref ?? "",
        resolvedVersion: version,
        integrity,
        tarballUrl: "",
        installedAt: new Date().toISOString(),
      });
      results.push({
        ...base,
        status: existing ? "updated" : "installed",
        ...(existing ? { previousVersion: existing.resolvedVersion } : {}),
      });
    }
    return results;
  } finally {
    await opened.cleanup();
  }
}
