// Cold installs: each run in a fresh temp project with a fresh cache and HOME, timed from process
// start to exit (so the client's own start-up counts, as a user would feel it).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../scripts/wrangler-env.mjs";
import { makeTempDir, removeTempDir, run } from "./procs.mjs";

export const SKILD_BIN = path.join(ROOT, "client", "bin", "skild.js");
const NPM_CLI = path.join(ROOT, "node_modules", "npm", "bin", "npm-cli.js");

/** @typedef {{ ok: true, medianMs: number, runsMs: number[] } | { ok: false, reason: string }} InstallResult */

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A temp project (with an empty package.json) and a temp home; removed by the returned function. */
function sandbox() {
  const dir = makeTempDir("skild-bench-install-");
  const project = path.join(dir, "project");
  const home = path.join(dir, "home");
  mkdirSync(project);
  mkdirSync(home);
  writeFileSync(
    path.join(project, "package.json"),
    `${JSON.stringify({ name: "bench-project", version: "1.0.0", private: true })}\n`,
  );
  return { dir, project, home, cleanup: () => removeTempDir(dir) };
}

/** Set by the benchmark when it runs out of time: the runs left are skipped. */
let cancelled = () => false;
/** @param {() => boolean} check */
export function cancelInstallsWhen(check) {
  cancelled = check;
}

/** @typedef {() => Promise<{ ms: number } | { reason: string }>} InstallRun */

/**
 * Runs each client's install `times` times, taking turns (A B C, A B C, ...), so a ratio between two
 * of them compares runs made seconds apart under the same conditions; median wall time of each.
 * A client whose run fails is n/a with that reason and is not run again.
 * @template {string} K
 * @param {number} times
 * @param {Record<K, InstallRun>} runs
 * @returns {Promise<Record<K, InstallResult>>}
 */
export async function interleavedInstalls(times, runs) {
  const keys = /** @type {K[]} */ (Object.keys(runs));
  /** @type {Map<K, number[]>} */
  const timings = new Map(keys.map((k) => [k, []]));
  /** @type {Map<K, string>} */
  const failed = new Map();
  for (let i = 0; i < times; i++) {
    for (const key of keys) {
      if (failed.has(key)) continue;
      if (cancelled()) failed.set(key, "n/a (deadline)");
      else {
        const result = await runs[key]();
        if ("reason" in result) failed.set(key, result.reason);
        else timings.get(key)?.push(result.ms);
      }
    }
  }
  /** @type {Partial<Record<K, InstallResult>>} */
  const out = {};
  for (const key of keys) {
    const reason = failed.get(key);
    const runsMs = timings.get(key) ?? [];
    out[key] = reason ? { ok: false, reason } : { ok: true, medianMs: median(runsMs), runsMs };
  }
  return /** @type {Record<K, InstallResult>} */ (out);
}

/** The first error line of a client's output (else its last line), short. @param {string} output */
function lastLine(output) {
  const lines = output.trim().split("\n");
  return (lines.find((line) => /error/i.test(line) && !/complete log/i.test(line)) ?? lines.at(-1) ?? "").slice(0, 160);
}

/**
 * One `npm install <name>` from `registry` into a fresh project with a fresh cache; its wall time.
 * @param {string} registry
 * @param {string} name
 * @returns {InstallRun}
 */
export function npmInstall(registry, name) {
  return async () => {
    const box = sandbox();
    try {
      const npmrc = path.join(box.home, ".npmrc");
      writeFileSync(npmrc, `registry=${registry}/\n`);
      const { code, output, ms } = await run(
        process.execPath,
        [
          NPM_CLI,
          "install",
          name,
          "--userconfig",
          npmrc,
          "--cache",
          path.join(box.dir, "cache"),
          "--no-audit",
          "--no-fund",
          "--no-update-notifier",
          "--loglevel=error",
        ],
        { cwd: box.project, env: { ...process.env, HOME: box.home } },
      );
      if (code !== 0) return { reason: `n/a (npm exit ${code}: ${lastLine(output)})` };
      const installed = path.join(box.project, "node_modules", ...name.split("/"), "SKILL.md");
      if (!existsSync(installed)) return { reason: "n/a (npm exited 0 but SKILL.md is missing)" };
      return { ms };
    } finally {
      box.cleanup();
    }
  };
}

/**
 * One `skild install <name> -t claude --local` from `registry` into a fresh project with a fresh
 * SKILD_HOME; its wall time.
 * @param {string} registry
 * @param {string} name
 * @returns {InstallRun}
 */
export function skildInstall(registry, name) {
  return async () => {
    const box = sandbox();
    try {
      const { code, output, ms } = await run(
        process.execPath,
        [SKILD_BIN, "install", name, "-t", "claude", "--local", "--registry", registry],
        { cwd: box.project, env: { ...process.env, HOME: box.home, SKILD_HOME: path.join(box.home, ".skild") } },
      );
      if (code !== 0) return { reason: `n/a (skild exit ${code}: ${lastLine(output)})` };
      const installDir = path.join(box.project, ".claude", "skills", name.slice(1).replace("/", "__"));
      if (!existsSync(path.join(installDir, "SKILL.md"))) {
        return { reason: "n/a (skild exited 0 but SKILL.md is missing)" };
      }
      return { ms };
    } finally {
      box.cleanup();
    }
  };
}
