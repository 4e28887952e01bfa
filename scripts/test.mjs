#!/usr/bin/env node
// `npm test`: typecheck, lint, build the production bundle, then every vitest project (Worker tests
// in workerd, Node tests that start the real Worker), then the CLI and compat tests once more on
// Node 24 with npm 12. Ends with the line CI reads: "N passed, N failed".
// Extra arguments go to vitest (e.g. `npm test -- test/worker/auth.test.ts`).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { node24 } from "./node-runtime.mjs";
import { ROOT, WRANGLER_ENV } from "./wrangler-env.mjs";

const env = { ...process.env, ...WRANGLER_ENV };
/** @param {string} name */
const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);
let passed = 0;
let failed = 0;

/** @param {string} name @param {string} command @param {string[]} args */
function step(name, command, args) {
  const started = Date.now();
  console.log(`\n▶ ${name}`);
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio: "inherit" });
  const ok = result.status === 0;
  console.log(`${ok ? "✔" : "✘"} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (ok) passed += 1;
  else failed += 1;
  return ok;
}

const vitestArgs = process.argv.slice(2);
if (vitestArgs.length === 0) {
  step("typecheck (worker)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
  step("typecheck (node)", bin("tsc"), ["--noEmit", "-p", "tsconfig.node.json"]);
  step("lint (biome)", bin("biome"), ["check", "."]);
  // The same cached build `npm start` and the Node-pool tests serve (scripts/serve.mjs).
  step("production bundle (wrangler deploy --dry-run)", process.execPath, [
    "--input-type=module",
    "-e",
    'const { ensureBundle } = await import("./scripts/serve.mjs"); const { dir } = await ensureBundle(); console.log(dir);',
  ]);
}

/**
 * Runs vitest with a JSON report and adds its passed/failed tests to the totals.
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} stepEnv
 */
function vitestStep(name, command, args, stepEnv) {
  const report = path.join(mkdtempSync(path.join(os.tmpdir(), "skild-vitest-")), "report.json");
  console.log(`\n▶ ${name}`);
  const vitest = spawnSync(command, [...args, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], {
    cwd: ROOT,
    env: stepEnv,
    stdio: "inherit",
  });
  try {
    const results = JSON.parse(readFileSync(report, "utf8"));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    // A file that fails to load, or an unhandled error, fails no test of its own: count it so the run cannot pass silently.
    const brokenFiles = results.testResults.filter(
      (/** @type {{status: string, assertionResults: unknown[]}} */ file) =>
        file.status === "failed" && file.assertionResults.length === 0,
    ).length;
    failed += brokenFiles;
    if (vitest.status !== 0 && results.numFailedTests + brokenFiles === 0) failed += 1;
  } catch (err) {
    console.error(`vitest wrote no report (${String(err)}); counting the run as failed`);
    failed += 1;
  }
}

vitestStep("vitest", bin("vitest"), ["run", ...vitestArgs], env);

/**
 * The CLI and compat tests again on the current Node: Node 24 runs vitest (so the skild CLI it
 * spawns is Node 24 too), and npm 12 comes first on PATH and in SKILD_TEST_NPM (which the compat
 * tests run instead of node_modules/.bin/npm). Both install from the npm registry on first use
 * (scripts/node-runtime.mjs); without a network a local run skips this step and says so; CI fails it.
 */
function currentNodeStep() {
  const name = "CLI and compat tests on Node 24 + npm 12";
  let runtime;
  try {
    runtime = node24();
  } catch (err) {
    if (process.env.CI) {
      console.error(`\n✘ ${name}: cannot install Node 24 / npm 12 (${String(err)})`);
      failed += 1;
    } else {
      console.log(
        `\n▶ ${name}: skipped, Node 24 / npm 12 could not be installed from the npm registry (${String(err)})`,
      );
    }
    return;
  }
  const shims = mkdtempSync(path.join(os.tmpdir(), "skild-npm12-"));
  const npmBin = path.dirname(runtime.npmCli);
  for (const [shim, script] of [
    ["npm", runtime.npmCli],
    ["npx", path.join(npmBin, "npx-cli.js")],
  ]) {
    writeFileSync(path.join(shims, shim), `#!/bin/sh\nexec "${runtime.node}" "${script}" "$@"\n`, { mode: 0o755 });
  }
  /** @type {NodeJS.ProcessEnv} */
  const stepEnv = {
    ...env,
    PATH: [shims, path.dirname(runtime.node), process.env.PATH ?? ""].join(path.delimiter),
    SKILD_TEST_NPM: path.join(shims, "npm"),
  };
  const version = (/** @type {string} */ command) =>
    spawnSync(command, ["--version"], { env: stepEnv, encoding: "utf8" }).stdout.trim();
  console.log(`\n${name}: node ${version("node")}, npm ${version("npm")}`);
  vitestStep(
    name,
    runtime.node,
    [
      path.join(ROOT, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "--project",
      "node",
      "test/node/cli-",
      "test/node/client-",
      "compat-tests/",
    ],
    stepEnv,
  );
  rmSync(shims, { recursive: true, force: true });
}

if (vitestArgs.length === 0) currentNodeStep();
else console.log("\n(Node 24 + npm 12 step skipped: it runs with the full `npm test` only)");

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
