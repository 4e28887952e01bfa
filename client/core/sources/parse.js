// What `skild install <source>` was given: a registry spec, a folder on disk, or a git repository
// in one of the forms people paste (DESIGN "Sources, standards and counts"). Pure: no network.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";

export const DEFAULT_GITHUB_URL = "https://github.com";

/**
 * @typedef {object} GitSource
 * @property {"git"} kind
 * @property {string} source  how the lockfile and messages name it: `github:owner/repo` or the URL
 * @property {string} url     what git fetches (SKILD_GITHUB_URL applied)
 * @property {string} [ref]   branch, tag or commit (`#ref`, or the `/tree/<ref>/` of a GitHub URL)
 * @property {string} [subpath] folder inside the repository (from a `/tree/<ref>/<path>` URL)
 */
/**
 * @typedef {object} FolderSource
 * @property {"folder"} kind
 * @property {string} source the folder as given
 * @property {string} path   absolute
 */
/** @typedef {{kind: "registry", spec: string}} RegistrySource */
/** @typedef {GitSource | FolderSource | RegistrySource} Source */

/**
 * A URL with its password or token taken out, for messages. Never print a source without it.
 * @param {string} text
 */
export function redactCredentials(text) {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, "$1***@");
}

/**
 * Refuses a URL that carries credentials: skild would have to store them in the lockfile and the
 * install record. Git's own credential helpers and SSH keys do that job.
 * @param {URL} url
 */
function refuseCredentials(url) {
  const userOnlySsh = url.protocol === "ssh:" && url.username && !url.password;
  if ((url.username || url.password) && !userOnlySsh) {
    throw new UsageError(
      `${redactCredentials(url.href)} has credentials in it; skild never stores or prints them: drop them and let git's credential helper or your SSH key authenticate.`,
    );
  }
}

/** @param {string} ref */
function checkRef(ref) {
  // A ref goes to git as an argument: it must not read as an option or a path trick.
  if (!ref || ref.startsWith("-") || /[\s\0~^:?*[\\]|\.\.|@\{/.test(ref)) {
    throw new UsageError(`"${ref}" is not a branch, tag or commit name.`);
  }
  return ref;
}

/**
 * `owner/repo` on GitHub (or SKILD_GITHUB_URL) → a GitSource.
 * @param {string} owner
 * @param {string} repo
 * @param {string | undefined} ref
 * @param {string | undefined} subpath
 * @param {NodeJS.ProcessEnv} env
 * @returns {GitSource}
 */
function github(owner, repo, ref, subpath, env) {
  const name = repo.replace(/\.git$/, "");
  const base = (env.SKILD_GITHUB_URL || DEFAULT_GITHUB_URL).replace(/\/+$/, "");
  return {
    kind: "git",
    source: `github:${owner}/${name}`,
    url: `${base}/${owner}/${name}.git`,
    ...(ref ? { ref: checkRef(ref) } : {}),
    ...(subpath ? { subpath } : {}),
  };
}

const SEGMENT = "[A-Za-z0-9_.-]+";
const SHORTHAND_RE = new RegExp(`^(?:github:)?(${SEGMENT})/(${SEGMENT})$`);

/**
 * @param {string} raw what the user typed
 * @param {{cwd: string, env?: NodeJS.ProcessEnv}} where
 * @returns {Source}
 */
export function parseSource(raw, { cwd, env = process.env }) {
  if (raw.startsWith("@")) return { kind: "registry", spec: raw };
  // A folder: a path-looking argument, or anything that exists on disk (as npm reads it).
  if (/^(\.{1,2}|~)?[/\\]/.test(raw) || raw === "." || raw === ".." || raw === "~") {
    const expanded = raw === "~" || raw.startsWith("~/") ? path.join(os.homedir(), raw.slice(1)) : raw;
    return { kind: "folder", source: raw, path: path.resolve(cwd, expanded) };
  }
  if (!raw.includes("://") && !raw.startsWith("git@") && existsSync(path.resolve(cwd, raw))) {
    return { kind: "folder", source: raw, path: path.resolve(cwd, raw) };
  }

  const hash = raw.indexOf("#");
  const body = hash === -1 ? raw : raw.slice(0, hash);
  const ref = hash === -1 ? undefined : raw.slice(hash + 1);

  const shorthand = SHORTHAND_RE.exec(body);
  if (shorthand) return github(shorthand[1], shorthand[2], ref, undefined, env);

  // git@host:owner/repo.git (scp-like ssh).
  const scp = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/)(.+)$/.exec(body);
  if (scp) {
    return { kind: "git", source: body, url: body, ...(ref ? { ref: checkRef(ref) } : {}) };
  }

  if (/^(git\+)?(https?|ssh|file|git):\/\//i.test(body)) {
    const bare = body.replace(/^git\+/i, "");
    // URL parsing would quietly resolve `..`; a source that climbs is refused, not reinterpreted.
    if (/\/(\.|%2e){2}(\/|$)/i.test(bare.replace(/^[a-z+]+:\/\//i, ""))) {
      throw new UsageError(`${redactCredentials(raw)}: a path with ".." is not allowed.`);
    }
    let url;
    try {
      url = new URL(bare);
    } catch {
      throw new UsageError(`${redactCredentials(raw)} is not a valid URL.`);
    }
    refuseCredentials(url);
    // https://github.com/o/r, …/o/r.git, …/o/r/tree/<ref>/<path>: GitHub, so SKILD_GITHUB_URL applies.
    if (url.protocol === "https:" && url.hostname === "github.com") {
      const parts = url.pathname.split("/").filter(Boolean);
      if (parts.length === 2) return github(parts[0], parts[1], ref, undefined, env);
      if (parts.length >= 4 && parts[2] === "tree") {
        if (ref) throw new UsageError(`${raw} names its ref twice (/tree/${parts[3]}/ and #${ref}); keep one.`);
        const subpath = parts.slice(4).map(decodeURIComponent).join("/");
        if (subpath.split("/").includes("..")) throw new UsageError(`${raw}: a path with ".." is not allowed.`);
        return github(parts[0], parts[1], decodeURIComponent(parts[3]), subpath || undefined, env);
      }
      throw new UsageError(
        `${raw} is not a repository URL: use https://github.com/<owner>/<repo> or …/tree/<ref>/<path>.`,
      );
    }
    return { kind: "git", source: url.href, url: url.href, ...(ref ? { ref: checkRef(ref) } : {}) };
  }
  throw new UsageError(
    `"${redactCredentials(raw)}" is not a skill source: use @publisher/skill, a folder (./my-skill), owner/repo, github:owner/repo, a git URL (https://…, git@host:owner/repo.git, git+ssh://…, file://…) with an optional #ref.`,
  );
}

/**
 * The source again as a string with its ref, for messages (credentials are refused before here).
 * @param {GitSource} git
 */
export const describeGitSource = (git) =>
  `${git.source}${git.subpath ? `/${git.subpath}` : ""}${git.ref ? `#${git.ref}` : ""}`;
