// What `publish` and `validate` work on: a skill folder (packed here) or a ready .tgz.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "./errors.js";
import { inspectTarballFile, packSkillFolder } from "./pack.js";

/**
 * `--dir <folder>`, or a positional folder or .tgz, or the current folder.
 * @param {{dir?: string, positional?: string, cwd: string}} where
 * @returns {Promise<{kind: "dir" | "tarball", path: string}>}
 */
export async function locateSource({ dir, positional, cwd }) {
  if (dir && positional) throw new UsageError("Give either --dir <folder> or a path, not both.");
  const target = path.resolve(cwd, dir ?? positional ?? ".");
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new UsageError(`${target} does not exist.`);
  }
  if (info.isDirectory()) return { kind: "dir", path: target };
  if (dir) throw new UsageError(`--dir ${dir} is not a folder.`);
  if (!/\.(tgz|tar\.gz)$/.test(target)) {
    throw new UsageError(`${target} is neither a skill folder nor a .tgz tarball.`);
  }
  return { kind: "tarball", path: target };
}

/**
 * @param {{kind: "dir" | "tarball", path: string}} source
 * @param {{name?: string, version?: string}} flags
 */
export async function packSource(source, flags) {
  if (source.kind === "dir") return packSkillFolder(source.path, flags);
  return inspectTarballFile(new Uint8Array(await readFile(source.path)), flags);
}
