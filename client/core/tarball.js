// Reads a package tarball the way the client trusts it: fully in memory, every entry checked
// before anything touches the disk. Only regular files and folders under `package/`; no links,
// absolute paths, `..`, devices, duplicates or names some OS cannot hold, whatever the server sent.
import { Buffer } from "node:buffer";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { Parser } from "tar";
import { unsafeFileNameReason, visibleName } from "../../common/skill-format.js";
import { CliError } from "./errors.js";
import { formatBytes } from "./format.js";

/** The registry's limits (DESIGN "Package format"); a package beyond them was not served by a sane registry. */
export const LIMITS = { maxUnpackedBytes: 50 * 1024 * 1024, maxEntries: 2000 };

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const LINK_TYPES = new Set(["Link", "SymbolicLink"]);

/**
 * @typedef {object} PackageEntry
 * @property {string} path relative to the package root (`package/` stripped), `/`-separated
 * @property {"file" | "dir"} type
 * @property {number} mode
 * @property {Uint8Array} data empty for folders
 */

/**
 * @typedef {object} PackageContents
 * @property {PackageEntry[]} entries
 * @property {number} fileCount
 * @property {number} unpackedSize
 * @property {Record<string, unknown>} packageJson
 * @property {string} skillMd
 */

/** @param {string} message @param {string} [code] */
const unsafe = (message, code = "UNSAFE_TARBALL") => new CliError(message, { code });

/**
 * Checks one entry path; returns it relative to `package/`, or throws saying what is wrong.
 * @param {string} raw
 * @returns {string} "" for the package folder itself
 */
export function checkEntryPath(raw) {
  if (/[\u0000-\u001f\\]/.test(raw)) {
    throw unsafe(`The tarball entry "${JSON.stringify(raw).slice(1, -1)}" has a control character or backslash.`);
  }
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) {
    throw unsafe(`The tarball entry "${raw}" is an absolute path; refusing to install it.`);
  }
  const segments = raw.split("/");
  if (segments.includes("..")) throw unsafe(`The tarball entry "${raw}" contains ".."; refusing to install it.`);
  const parts = segments.filter((s) => s !== "" && s !== ".");
  if (parts[0] !== "package") throw unsafe(`The tarball entry "${raw}" is outside package/; refusing to install it.`);
  // The registry refuses these at publish too (one rule, common/skill-format.js); another server may not.
  for (const part of parts.slice(1)) {
    const reason = unsafeFileNameReason(part);
    if (reason) {
      throw unsafe(
        `The tarball entry "${visibleName(raw)}": "${visibleName(part)}" ${reason}; refusing to install it.`,
      );
    }
  }
  return parts.slice(1).join("/");
}

/** @param {Uint8Array} bytes */
function gunzip(bytes) {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw unsafe("The download is not a gzip tarball (.tgz).", "NOT_GZIP");
  }
  try {
    // A tar stream of the limits' worth of files is at most this big; a gzip bomb stops here.
    return gunzipSync(bytes, { maxOutputLength: LIMITS.maxUnpackedBytes + (LIMITS.maxEntries + 4) * 1024 });
  } catch (err) {
    if (err instanceof RangeError || /** @type {{code?: string}} */ (err).code === "ERR_BUFFER_TOO_LARGE") {
      throw unsafe(`The tarball unpacks to more than ${formatBytes(LIMITS.maxUnpackedBytes)}.`, "TOO_LARGE");
    }
    throw unsafe(`The tarball's gzip data is corrupt (${String(err)}).`, "BAD_GZIP");
  }
}

/**
 * @param {Uint8Array} bytes a .tgz
 * @returns {Promise<PackageContents>}
 */
export async function readPackageTarball(bytes) {
  const tarBytes = gunzip(bytes);
  /** @type {CliError | undefined} */
  let failure;
  /** @param {unknown} err */
  const fail = (err) => {
    failure ??= err instanceof CliError ? err : unsafe(`The tarball is not a valid tar archive: ${String(err)}`);
  };
  /** @type {Map<string, {type: "file" | "dir", mode: number, chunks: Buffer[]}>} */
  const seen = new Map();
  /** @type {Set<string>} */
  const collisions = new Set();
  let entryCount = 0;
  let unpackedSize = 0;

  const parser = new Parser({
    strict: false,
    onwarn: (code, message) => fail(unsafe(`The tarball is not a valid tar archive (${code}: ${message}).`)),
    onReadEntry: (entry) => {
      try {
        if (failure) return entry.resume();
        entryCount += 1;
        if (entryCount > LIMITS.maxEntries) throw unsafe(`The tarball has more than ${LIMITS.maxEntries} entries.`);
        const rel = checkEntryPath(entry.path);
        if (LINK_TYPES.has(entry.type)) {
          const kind = entry.type === "Link" ? "hard link" : "symbolic link";
          throw unsafe(
            `The tarball entry "${entry.path}" is a ${kind} (to "${entry.linkpath ?? ""}"); links are not allowed in a skill.`,
            "LINK_NOT_ALLOWED",
          );
        }
        if (entry.type !== "Directory" && !FILE_TYPES.has(entry.type)) {
          throw unsafe(`The tarball entry "${entry.path}" is a ${entry.type}; only files and folders are allowed.`);
        }
        if (rel === "") return entry.resume();
        // As the registry compares them: names that differ only in case or Unicode form are one file on macOS and Windows.
        const key = rel.normalize("NFC").toLowerCase();
        if (collisions.has(key)) {
          throw unsafe(
            `The tarball entry "${entry.path}" appears twice (names that differ only in case or Unicode form are one file on macOS and Windows).`,
          );
        }
        collisions.add(key);
        /** @type {Buffer[]} */
        const chunks = [];
        const type = entry.type === "Directory" ? "dir" : "file";
        seen.set(rel, { type, mode: entry.mode ?? 0o644, chunks });
        if (type === "file") {
          unpackedSize += entry.size ?? 0;
          if (unpackedSize > LIMITS.maxUnpackedBytes) {
            throw unsafe(`The files unpack to more than ${formatBytes(LIMITS.maxUnpackedBytes)}.`, "TOO_LARGE");
          }
          entry.on("data", (/** @type {Buffer} */ chunk) => chunks.push(chunk));
        } else entry.resume();
      } catch (err) {
        fail(err);
        entry.resume();
      }
    },
  });
  const ended = new Promise((resolve) => parser.on("end", resolve));
  parser.on("error", fail);
  parser.end(Buffer.from(tarBytes.buffer, tarBytes.byteOffset, tarBytes.byteLength));
  await ended;
  if (failure) throw failure;

  /** @type {PackageEntry[]} */
  const entries = [...seen].map(([p, e]) => ({ path: p, type: e.type, mode: e.mode, data: Buffer.concat(e.chunks) }));
  const files = entries.filter((e) => e.type === "file");
  // A file whose name another entry uses as a folder cannot be written faithfully.
  const names = new Set(files.map((f) => f.path));
  for (const entry of entries) {
    const parts = entry.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (names.has(parent)) throw unsafe(`The tarball uses "package/${parent}" as both a file and a folder.`);
    }
  }
  const packageJsonEntry = files.find((f) => f.path === "package.json");
  const skillMdEntry = files.find((f) => f.path === "SKILL.md");
  if (!packageJsonEntry) throw unsafe("The tarball has no package/package.json.", "MISSING_PACKAGE_JSON");
  if (!skillMdEntry) throw unsafe("The tarball has no package/SKILL.md; a skill needs one.", "MISSING_SKILL_MD");
  let packageJson;
  try {
    packageJson = JSON.parse(Buffer.from(packageJsonEntry.data).toString("utf8"));
  } catch (err) {
    throw unsafe(`The tarball's package.json is not valid JSON (${String(err)}).`, "BAD_PACKAGE_JSON");
  }
  if (!packageJson || typeof packageJson !== "object" || Array.isArray(packageJson)) {
    throw unsafe("The tarball's package.json is not a JSON object.", "BAD_PACKAGE_JSON");
  }
  return {
    entries,
    fileCount: files.length,
    unpackedSize,
    packageJson,
    skillMd: Buffer.from(skillMdEntry.data).toString("utf8"),
  };
}

/**
 * Writes checked entries into `dir`, which must be a fresh, empty folder skild just created.
 * `wx` never follows or overwrites anything already there.
 * @param {string} dir
 * @param {PackageEntry[]} entries
 */
export async function writeEntries(dir, entries) {
  const root = path.resolve(dir);
  for (const entry of entries) {
    const target = path.resolve(root, ...entry.path.split("/"));
    const rel = path.relative(root, target);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
      throw unsafe(`The tarball entry "package/${entry.path}" would land outside the install folder.`);
    }
    if (entry.type === "dir") {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, entry.data, { flag: "wx", mode: entry.mode & 0o111 ? 0o755 : 0o644 });
  }
}
