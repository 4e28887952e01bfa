// Fetching a skill source with the system `git`: the user's own credentials (helpers, SSH keys)
// apply, and nothing of the repository runs (no hooks, no submodules, no filters from the repo).
// One shallow commit into a throwaway folder; the caller reads the files and deletes the folder.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError } from "../errors.js";
import { redactCredentials } from "./parse.js";

/**
 * @param {string[]} args
 * @param {string} [cwd]
 * @returns {Promise<{code: number, stdout: string, stderr: string}>}
 */
function git(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-c", "core.hooksPath=/dev/null", "-c", "core.symlinks=true", ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      // No prompt can appear in a script; interactively, git may still ask for a password itself.
      env: {
        ...process.env,
        ...(process.stdin.isTTY ? {} : { GIT_TERMINAL_PROMPT: "0" }),
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", (err) => {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === "ENOENT") {
        reject(
          new CliError(
            "Installing from a git repository needs git, and no `git` command was found on PATH; install git and try again.",
            {
              code: "GIT_MISSING",
            },
          ),
        );
      } else reject(err);
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** git's reason in one line (its first `fatal:`/`error:` line, else its last line), credentials taken out. @param {string} stderr */
function lastLine(stderr) {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const reason = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.pop() ?? "";
  return redactCredentials(reason.replace(/^(fatal|error):\s*/, "").replace(/\.$/, ""));
}

/**
 * @typedef {object} Checkout
 * @property {string} dir    the files of the commit (with .git inside: skip it)
 * @property {string} commit the full commit id
 * @property {() => Promise<void>} cleanup
 */

/**
 * One commit of `url` at `ref` (branch, tag or commit; the remote's HEAD when none), shallow.
 * @param {{url: string, ref?: string, label: string}} what `label` names the source in messages
 * @returns {Promise<Checkout>}
 */
export async function checkoutGit({ url, ref, label }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "skild-git-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const init = await git(["init", "-q", dir]);
    if (init.code !== 0) throw new CliError(`git init failed: ${lastLine(init.stderr)}`, { code: "GIT_FAILED" });
    // `--` keeps a hostile URL or ref from reading as an option.
    const fetchArgs = ["fetch", "-q", "--no-tags", "--no-recurse-submodules"];
    const target = ["--", url, ref ?? "HEAD"];
    let fetched = await git([...fetchArgs, "--depth", "1", ...target], dir);
    // Shallow where the server can: git's dumb HTTP transport cannot, so fetch the history there.
    if (fetched.code !== 0 && /shallow/i.test(fetched.stderr)) fetched = await git([...fetchArgs, ...target], dir);
    if (fetched.code !== 0) {
      const why = lastLine(fetched.stderr);
      if (
        ref &&
        /couldn't find remote ref|not our ref|no such remote ref|unadvertised object|invalid refspec/i.test(why)
      ) {
        throw new CliError(`${label}: no branch, tag or commit "${ref}" there (${why}).`, {
          code: "GIT_REF_NOT_FOUND",
        });
      }
      throw new CliError(`Could not fetch ${label} with git: ${why || `git exited ${fetched.code}`}.`, {
        code: "GIT_FAILED",
      });
    }
    const checkout = await git(["checkout", "-q", "--detach", "FETCH_HEAD"], dir);
    if (checkout.code !== 0) {
      throw new CliError(`Could not check out ${label}: ${lastLine(checkout.stderr)}.`, { code: "GIT_FAILED" });
    }
    const head = await git(["rev-parse", "HEAD"], dir);
    return { dir, commit: head.stdout.trim(), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Paths of submodules (gitlinks) in the checked-out commit under `subpath` ('' = everywhere).
 * @param {string} dir
 * @param {string} subpath
 */
export async function submodulesUnder(dir, subpath) {
  const listed = await git(["ls-tree", "-r", "-z", "HEAD", ...(subpath ? ["--", subpath] : [])], dir);
  return listed.stdout
    .split("\0")
    .filter((line) => line.startsWith("160000 "))
    .map((line) => line.split("\t")[1]);
}
