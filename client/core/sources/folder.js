// Reads one skill's files from a folder on disk (a local source or a git checkout) the way the
// client trusts a tarball: every file checked before anything is installed. No links (a link out
// of the tree would install someone else's file), no names some OS cannot hold, the registry's
// size and count limits, a SKILL.md in UTF-8. The result is what `placeEntries` installs.
import { Buffer } from "node:buffer";
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import ssri from "ssri";
import { unsafeFileNameReason, visibleName } from "../../../common/skill-format.js";
import { CliError } from "../errors.js";
import { formatBytes } from "../format.js";
import { LIMITS } from "../tarball.js";

/** Never part of an installed skill: version control, dependencies, skild's own record. */
export const SKIPPED = new Set([".git", "node_modules", ".skild"]);

/** @param {string} message @param {string} [code] */
const refuse = (message, code = "UNSAFE_SOURCE") => new CliError(message, { code });

/**
 * @param {string} root the source's top folder (a checkout or the folder given): nothing outside it is read
 * @param {string} skillDir the skill's folder, inside root
 * @param {string} label how messages name the source
 * @returns {Promise<import("../tarball.js").PackageEntry[]>}
 */
export async function readSkillEntries(root, skillDir, label) {
  const realRoot = await realpath(root);
  /** @param {string} p */
  const insideRoot = (p) => p === realRoot || p.startsWith(realRoot + path.sep);
  // The skill's folder itself may be reached through a link (a /tree/<ref>/<path> naming one).
  if (!insideRoot(await realpath(skillDir))) {
    throw refuse(
      `${label}: the skill's folder is reached through a symbolic link that points outside the source; refusing to install it.`,
      "LINK_NOT_ALLOWED",
    );
  }
  /** @type {{rel: string, full: string, size: number, mode: number}[]} */
  const files = [];
  /** @type {string[]} */
  const dirs = [];
  let total = 0;
  /** @param {string} rel */
  async function walk(rel) {
    const entries = await readdir(path.join(skillDir, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIPPED.has(entry.name)) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(skillDir, childRel);
      const reason =
        unsafeFileNameReason(entry.name) ??
        (/[\u0000-\u001f\\]/.test(entry.name) ? "has a control character or backslash" : null);
      if (reason)
        throw refuse(`${label}: "${visibleName(childRel)}" ${reason}; refusing to install it.`, "UNSAFE_NAME");
      if (entry.isSymbolicLink()) {
        let inside = false;
        try {
          const target = await realpath(full);
          inside = insideRoot(target);
        } catch {}
        throw refuse(
          inside
            ? `${label}: ${childRel} is a symbolic link; a skill holds plain files only (copy the file instead).`
            : `${label}: ${childRel} is a symbolic link that points outside the source; refusing to install it.`,
          "LINK_NOT_ALLOWED",
        );
      }
      if (entry.isDirectory()) {
        dirs.push(childRel);
        await walk(childRel);
        continue;
      }
      if (!entry.isFile())
        throw refuse(`${label}: ${childRel} is not a regular file or folder; refusing to install it.`);
      const info = await lstat(full);
      total += info.size;
      if (files.length + 1 > LIMITS.maxEntries) {
        throw refuse(
          `${label}: the skill has more than ${LIMITS.maxEntries} files; refusing to install it.`,
          "TOO_MANY_FILES",
        );
      }
      if (total > LIMITS.maxUnpackedBytes) {
        throw refuse(
          `${label}: the skill's files are over ${formatBytes(LIMITS.maxUnpackedBytes)} (${childRel} is ${formatBytes(info.size)}); refusing to install it.`,
          "TOO_LARGE",
        );
      }
      files.push({ rel: childRel, full, size: info.size, mode: info.mode });
    }
  }
  await walk("");
  // As the tarball reader: names that differ only in case or Unicode form are one file on macOS and Windows.
  const seen = new Set();
  for (const rel of [...dirs, ...files.map((f) => f.rel)]) {
    const key = rel.normalize("NFC").toLowerCase();
    if (seen.has(key))
      throw refuse(
        `${label}: "${visibleName(rel)}" clashes with another name that differs only in case or Unicode form.`,
      );
    seen.add(key);
  }
  /** @type {import("../tarball.js").PackageEntry[]} */
  const out = dirs.map((d) => ({ path: d, type: /** @type {const} */ ("dir"), mode: 0o755, data: new Uint8Array() }));
  for (const f of files) {
    const data = await readFile(f.full);
    if (data.byteLength !== f.size) throw refuse(`${label}: ${f.rel} changed while it was read; try again.`);
    out.push({ path: f.rel, type: "file", mode: f.mode & 0o111 ? 0o755 : 0o644, data });
  }
  const skillMd = out.find((e) => e.path === "SKILL.md");
  if (!skillMd) throw refuse(`${label}: no SKILL.md in the skill's folder.`, "MISSING_SKILL_MD");
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(skillMd.data);
  } catch {
    throw refuse(`${label}: SKILL.md is not UTF-8 text; refusing to install it.`, "BAD_ENCODING");
  }
  return out;
}

/**
 * sha512 SRI over the skill's files: path, executable bit and bytes of each, in path order. The
 * same files give the same integrity on every machine, whatever git or the filesystem did.
 * @param {import("../tarball.js").PackageEntry[]} entries
 */
export function filesIntegrity(entries) {
  const files = entries
    .filter((e) => e.type === "file")
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts = files.flatMap((f) => [
    Buffer.from(`${f.path}\0${f.mode & 0o111 ? "755" : "644"}\0${f.data.byteLength}\0`),
    Buffer.from(f.data),
  ]);
  return ssri.fromData(Buffer.concat(parts), { algorithms: ["sha512"] }).toString();
}
