// Source skills in skild.lock.json: keyed by source and path, pinned to a commit and an integrity
// of the files, so `skild install` with no arguments puts back exactly those files.
import path from "node:path";
import { UsageError } from "../errors.js";
import { lockInstall } from "../lockfile.js";
import { sourceKey } from "./install-source.js";
import { parseSource } from "./parse.js";

/**
 * A folder inside the project is recorded relative to it (`/`-separated), so the lockfile works in
 * any checkout; anything else as it is.
 * @param {import("./install-source.js").SourceInfo} info
 * @param {string} projectDir
 */
function portableSource(info, projectDir) {
  if (info.type !== "folder") return info.source;
  const rel = path.relative(projectDir, info.source);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return info.source;
  return `./${rel.split(path.sep).join("/")}`.replace(/\/$/, "");
}

/**
 * The lockfile key of an installed source skill (as `lockSourceInstall` wrote it).
 * @param {import("./install-source.js").SourceInfo} info
 * @param {string} projectDir
 */
export const sourceLockKey = (info, projectDir) => sourceKey({ ...info, source: portableSource(info, projectDir) });

/**
 * Records a source install for `platform` in the project's lockfile.
 * @param {string} projectDir
 * @param {import("./install-source.js").SourceInstallResult} result
 */
export async function lockSourceInstall(projectDir, result) {
  const info = { ...result.source, source: portableSource(result.source, projectDir) };
  /** @type {Omit<import("../lockfile.js").LockedSource, "platforms">} */
  const entry = {
    type: info.type,
    source: info.source,
    path: info.path,
    name: result.name,
    ...(info.ref ? { ref: info.ref } : {}),
    ...(info.commit ? { commit: info.commit } : {}),
    integrity: result.integrity,
  };
  await lockInstall(projectDir, sourceKey(info), entry, result.platform);
}

/**
 * The source a lockfile entry names, ready to fetch again.
 * @param {import("../lockfile.js").LockedSource} entry
 * @param {string} projectDir
 * @returns {import("./install-source.js").FetchableSource}
 */
export function sourceFromLock(entry, projectDir) {
  if (entry.type === "folder") {
    return { kind: "folder", source: entry.source, path: path.resolve(projectDir, entry.source) };
  }
  const parsed = parseSource(entry.source, { cwd: projectDir });
  if (parsed.kind !== "git") throw new UsageError(`skild.lock.json: "${entry.source}" is not a git source.`);
  return { ...parsed, ...(entry.ref ? { ref: entry.ref } : {}) };
}
