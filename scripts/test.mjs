#!/usr/bin/env node
// `npm test`: typecheck, lint, build the production bundle, then every vitest project (Worker tests
// in workerd, Node tests that start the real Worker). Ends with the line CI reads: "N passed, N failed".
// Extra arguments go to vitest (e.g. `npm test -- test/worker/auth.test.ts`).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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

const report = path.join(mkdtempSync(path.join(os.tmpdir(), "skild-vitest-")), "report.json");
console.log("\n▶ vitest");
const vitest = spawnSync(
  bin("vitest"),
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...vitestArgs],
  {
    cwd: ROOT,
    env,
    stdio: "inherit",
  },
);
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

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
