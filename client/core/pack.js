// Turns a skill folder into an npm-pack style tarball (entries under `package/`, a package.json
// written from SKILL.md frontmatter and flags), or checks a ready .tgz (e.g. `npm pack` output).
import { Buffer } from "node:buffer";
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ignore from "ignore";
import semver from "semver";
import ssri from "ssri";
import { create as createTar } from "tar";
import {
  checkSkillMdName,
  checkSpecFrontmatter,
  SkillFormatError,
  splitCanonicalName,
  unsafeFileNameReason,
  visibleName,
} from "../../common/skill-format.js";
import { parseSkillMd } from "../../common/skill-md.js";
import { CliError, UsageError } from "./errors.js";
import { skillRef } from "./names.js";
import { readPackageTarball } from "./tarball.js";

/** Never part of a package, whatever .skildignore says. */
const ALWAYS_IGNORED = new Set([".git", "node_modules", ".skild", ".DS_Store", ".skildignore"]);
/** npm pack's fixed date: the same files give the same bytes, so the same integrity. */
const PACK_MTIME = new Date("1985-10-26T08:15:00.000Z");

/**
 * @typedef {object} PackedSkill
 * @property {import("./names.js").SkillRef} skill
 * @property {string} version
 * @property {string} description
 * @property {Uint8Array} tarball
 * @property {string} integrity sha512 SRI of `tarball`
 * @property {string} shasum sha1 hex of `tarball`
 * @property {{path: string, size: number}[]} files
 * @property {number} unpackedSize
 * @property {string[]} warnings Agent Skills spec warnings (unknown keys, `@scope/name` form)
 */

/**
 * The registry refuses names some OS cannot hold (and installers would refuse them): say so before packing.
 * @param {string} rel
 * @param {string} name
 */
function assertPortableName(rel, name) {
  const reason = unsafeFileNameReason(name);
  if (reason) {
    throw new CliError(`${visibleName(rel)}: "${visibleName(name)}" ${reason}; rename it or list it in .skildignore.`, {
      code: "UNSAFE_NAME",
    });
  }
}

/**
 * Compiles `.skildignore` text (gitignore syntax, by the `ignore` package that ESLint and
 * Prettier use) into a predicate. The last matching pattern wins; `!` re-includes.
 * @param {string} text
 * @returns {(relPath: string, isDir: boolean) => boolean} true when the path is ignored
 */
export function compileIgnore(text) {
  const rules = ignore().add(text);
  // A trailing slash tells `ignore` the path is a folder, so `name/` patterns match folders only.
  return (relPath, isDir) => rules.ignores(isDir ? `${relPath}/` : relPath);
}

/**
 * The files a skill folder publishes, sorted, as `/`-separated relative paths. A folder that is
 * ignored is not entered (as in git). Links are refused: a package holds files only.
 * @param {string} dir
 * @returns {Promise<{path: string, size: number}[]>}
 */
export async function collectSkillFiles(dir) {
  let ignoreText = "";
  try {
    ignoreText = await readFile(path.join(dir, ".skildignore"), "utf8");
  } catch {}
  const ignored = compileIgnore(ignoreText);
  /** @type {{path: string, size: number}[]} */
  const files = [];
  /** @param {string} rel */
  async function walk(rel) {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      if (ALWAYS_IGNORED.has(entry.name)) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) {
        if (ignored(childRel, false)) continue;
        throw new CliError(
          `${childRel} is a symbolic link; a skill package holds plain files only (copy the file, or list it in .skildignore).`,
          { code: "LINK_NOT_ALLOWED" },
        );
      }
      if (entry.isDirectory()) {
        if (ignored(childRel, true)) continue;
        assertPortableName(childRel, entry.name);
        await walk(childRel);
      } else if (entry.isFile()) {
        if (ignored(childRel, false)) continue;
        assertPortableName(childRel, entry.name);
        files.push({ path: childRel, size: (await lstat(path.join(dir, childRel))).size });
      }
    }
  }
  await walk("");
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** @param {unknown} err */
function formatError(err) {
  if (err instanceof SkillFormatError) return new CliError(err.message, { code: err.code });
  return err;
}

/**
 * @param {string} raw
 * @param {string} from
 */
function checkVersion(raw, from) {
  if (semver.valid(raw) !== raw) {
    throw new CliError(`${from} "${raw}" is not a valid semver version (like 1.0.0 or 1.1.0-beta.1).`, {
      code: "INVALID_VERSION",
    });
  }
  return raw;
}

/**
 * @param {string} raw
 * @param {string} from
 */
function checkPackageName(raw, from) {
  const parts = splitCanonicalName(raw);
  if (!parts) {
    throw new UsageError(
      `${from} "${raw}" is not a full skill name: use @publisher/skill, e.g. @acme/${raw.replace(/^@[^/]*\//, "") || "my-skill"}.`,
    );
  }
  return skillRef(parts);
}

/**
 * Reads and checks a skill folder: SKILL.md frontmatter, the package name and version.
 * @param {string} dir
 * @param {{name?: string, version?: string}} flags `--name`, `--skill-version`
 */
export async function inspectSkillFolder(dir, flags = {}) {
  let skillMdText;
  try {
    skillMdText = await readFile(path.join(dir, "SKILL.md"), "utf8");
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new CliError(`No SKILL.md in ${dir}: a skill folder needs one (create one with \`skild init\`).`, {
        code: "MISSING_SKILL_MD",
      });
    }
    throw err;
  }
  /** @type {Record<string, unknown> | undefined} */
  let pkg;
  try {
    pkg = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== "ENOENT") {
      throw new CliError(`${path.join(dir, "package.json")} is not valid JSON (${String(err)}).`, {
        code: "BAD_PACKAGE_JSON",
      });
    }
  }
  if (pkg !== undefined && (pkg === null || typeof pkg !== "object" || Array.isArray(pkg))) {
    throw new CliError(`${path.join(dir, "package.json")} must be a JSON object.`, { code: "BAD_PACKAGE_JSON" });
  }
  let frontmatter;
  /** @type {string[]} */
  let warnings;
  try {
    frontmatter = parseSkillMd(skillMdText).frontmatter;
    warnings = checkSpecFrontmatter(frontmatter);
  } catch (err) {
    throw formatError(err);
  }

  // The name: --name, else package.json, else a full `@acme/x` in the frontmatter.
  const pkgName = typeof pkg?.name === "string" ? pkg.name : undefined;
  if (flags.name && pkgName && flags.name !== pkgName) {
    throw new UsageError(`--name ${flags.name} disagrees with package.json name ${pkgName}; fix one of them.`);
  }
  const rawName = flags.name ?? pkgName ?? (frontmatter.name.startsWith("@") ? frontmatter.name : undefined);
  const skill = rawName
    ? checkPackageName(rawName, flags.name ? "--name" : pkgName ? "package.json name" : "SKILL.md name")
    : undefined;
  if (skill) {
    try {
      checkSkillMdName(frontmatter.name, skill);
    } catch (err) {
      throw formatError(err);
    }
  }

  // The version: --skill-version, else package.json and SKILL.md (which must agree).
  const pkgVersion = typeof pkg?.version === "string" ? pkg.version : undefined;
  if (!flags.version && pkgVersion && frontmatter.version && pkgVersion !== frontmatter.version) {
    throw new CliError(
      `SKILL.md says version ${frontmatter.version} but package.json says ${pkgVersion}; make them agree or pass --skill-version.`,
      { code: "VERSION_MISMATCH" },
    );
  }
  const version = flags.version
    ? checkVersion(flags.version, "--skill-version")
    : pkgVersion
      ? checkVersion(pkgVersion, "package.json version")
      : frontmatter.version
        ? checkVersion(frontmatter.version, "SKILL.md version")
        : undefined;
  const description =
    typeof pkg?.description === "string" && pkg.description.trim() ? pkg.description : frontmatter.description;
  return { skill, version, description, frontmatter, packageJson: pkg ?? {}, warnings };
}

/**
 * @param {Uint8Array} tarball
 */
function digests(tarball) {
  return {
    integrity: ssri.fromData(Buffer.from(tarball), { algorithms: ["sha512"] }).toString(),
    shasum: ssri.fromData(Buffer.from(tarball), { algorithms: ["sha1"] }).hexDigest(),
  };
}

/**
 * Builds the tarball from a folder. Needs a full name and a version; says which flag to pass otherwise.
 * @param {string} dir
 * @param {{name?: string, version?: string}} flags
 * @returns {Promise<PackedSkill>}
 */
export async function packSkillFolder(dir, flags = {}) {
  const info = await inspectSkillFolder(dir, flags);
  if (!info.skill) {
    throw new UsageError(
      `SKILL.md names the skill "${info.frontmatter.name}" but not its publisher: pass --name @<your handle>/${info.frontmatter.name}.`,
    );
  }
  if (!info.version) {
    throw new UsageError("No version: add `version: 1.0.0` to the SKILL.md frontmatter or pass --skill-version 1.0.0.");
  }
  const files = (await collectSkillFiles(dir)).filter((f) => f.path !== "package.json");
  const license = typeof info.frontmatter.license === "string" ? { license: info.frontmatter.license } : {};
  const packageJson = {
    ...license,
    ...info.packageJson,
    name: info.skill.canonical,
    version: info.version,
    description: info.description,
  };
  const packageJsonText = `${JSON.stringify(packageJson, null, 2)}\n`;

  // Stage the exact files (plus the generated package.json) and let tar write them npm-pack style.
  const staging = await mkdtemp(path.join(os.tmpdir(), "skild-pack-"));
  try {
    const root = path.join(staging, "package");
    await mkdir(root);
    await writeFile(path.join(root, "package.json"), packageJsonText);
    for (const file of files) {
      await mkdir(path.dirname(path.join(root, file.path)), { recursive: true });
      await copyFile(path.join(dir, file.path), path.join(root, file.path));
    }
    const entries = ["package/package.json", ...files.map((f) => `package/${f.path}`)];
    const stream = createTar({ gzip: true, portable: true, mtime: PACK_MTIME, cwd: staging }, entries);
    const tarball = new Uint8Array(await stream.concat());
    const allFiles = [{ path: "package.json", size: Buffer.byteLength(packageJsonText) }, ...files].sort((a, b) =>
      a.path < b.path ? -1 : 1,
    );
    return {
      skill: info.skill,
      version: info.version,
      description: info.description,
      tarball,
      ...digests(tarball),
      files: allFiles,
      unpackedSize: allFiles.reduce((n, f) => n + f.size, 0),
      warnings: info.warnings,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Checks a ready tarball (e.g. `npm pack` output) and publishes it as is: flags may only confirm it.
 * @param {Uint8Array} tarball
 * @param {{name?: string, version?: string}} flags
 * @returns {Promise<PackedSkill>}
 */
export async function inspectTarballFile(tarball, flags = {}) {
  const contents = await readPackageTarball(tarball);
  const pkg = contents.packageJson;
  if (typeof pkg.name !== "string") {
    throw new CliError("The tarball's package.json has no name.", { code: "BAD_PACKAGE_JSON" });
  }
  const skill = checkPackageName(pkg.name, "The tarball's package.json name");
  if (flags.name && flags.name !== skill.canonical) {
    throw new UsageError(
      `The tarball holds ${skill.canonical}, not ${flags.name}; a ready tarball is published as is.`,
    );
  }
  const version = checkVersion(
    typeof pkg.version === "string" ? pkg.version : "",
    "The tarball's package.json version",
  );
  if (flags.version && flags.version !== version) {
    throw new UsageError(
      `The tarball holds version ${version}, not ${flags.version}; a ready tarball is published as is (repack it to change the version).`,
    );
  }
  let frontmatter;
  /** @type {string[]} */
  let warnings;
  try {
    frontmatter = parseSkillMd(contents.skillMd).frontmatter;
    warnings = checkSpecFrontmatter(frontmatter);
    checkSkillMdName(frontmatter.name, skill);
  } catch (err) {
    throw formatError(err);
  }
  const description =
    typeof pkg.description === "string" && pkg.description.trim() ? pkg.description : frontmatter.description;
  return {
    skill,
    version,
    description,
    tarball,
    ...digests(tarball),
    files: contents.entries
      .filter((e) => e.type === "file")
      .map((e) => ({ path: e.path, size: e.data.byteLength }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
    unpackedSize: contents.unpackedSize,
    warnings,
  };
}
