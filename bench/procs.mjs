// Child processes in their own process groups, so stopping one also stops its children (wrangler
// leaves workerd running otherwise). Every live group is tracked so a benchmark interrupted by a
// signal or a crash can still stop everything it started.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** @type {Set<import("node:child_process").ChildProcess>} */
const live = new Set();
/** @type {Set<string>} */
const tempDirs = new Set();

/** A new temp dir, removed by removeTempDir() or, after a signal, by the cleanup handlers. @param {string} prefix */
export function makeTempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** @param {string} dir */
export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Spawns `command` detached (a new process group) with piped output, and tracks it until it exits.
 * @param {string} command
 * @param {string[]} args
 * @param {import("node:child_process").SpawnOptions} [options]
 */
export function spawnGroup(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options, detached: true });
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

/** @param {import("node:child_process").ChildProcess} child @param {NodeJS.Signals} signal */
function signalGroup(child, signal) {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL after `graceMs`. The SIGKILL goes to the group even
 * when the leader has exited, since children (workerd) may outlive it.
 * @param {import("node:child_process").ChildProcess} child
 * @param {number} [graceMs]
 */
export async function stopGroup(child, graceMs = 5000) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    signalGroup(child, "SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  }
  signalGroup(child, "SIGKILL");
  live.delete(child);
}

/** SIGKILLs every tracked group at once; synchronous, so it also works from an `exit` handler. */
export function killAllGroups() {
  for (const child of live) signalGroup(child, "SIGKILL");
  live.clear();
}

/** Removes every temp dir still tracked (synchronous). */
export function removeAllTempDirs() {
  for (const dir of tempDirs) removeTempDir(dir);
}

/**
 * For a top-level script: on SIGINT/SIGTERM/SIGHUP or process exit, kill every tracked group and
 * remove the tracked temp dirs. Signals exit with 128 + signal number after cleanup.
 */
export function installCleanupHandlers() {
  process.once("exit", () => {
    killAllGroups();
    removeAllTempDirs();
  });
  /** @type {[NodeJS.Signals, number][]} */
  const signals = [
    ["SIGINT", 2],
    ["SIGTERM", 15],
    ["SIGHUP", 1],
  ];
  for (const [signal, number] of signals) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping every process the benchmark started…`);
      // The exit handler kills every group and removes the temp dirs.
      process.exit(128 + number);
    });
  }
}

/**
 * Collects a child's stdout and stderr (bounded) for error messages.
 * @param {import("node:child_process").ChildProcess} child
 * @param {number} [maxChars]
 */
export function captureOutput(child, maxChars = 20_000) {
  let output = "";
  /** @param {Buffer | string} chunk */
  const add = (chunk) => {
    output = (output + chunk).slice(-maxChars);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return () => output;
}

/**
 * Runs a command to completion in its own process group; resolves with its exit code, output and
 * wall time in ms. Never rejects on a non-zero exit.
 * @param {string} command
 * @param {string[]} args
 * @param {import("node:child_process").SpawnOptions & { timeoutMs?: number }} [options]
 * @returns {Promise<{ code: number | null, output: string, ms: number }>}
 */
export function run(command, args, options = {}) {
  const { timeoutMs = 120_000, ...spawnOptions } = options;
  const started = performance.now();
  const child = spawnGroup(command, args, spawnOptions);
  const output = captureOutput(child);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signalGroup(child, "SIGKILL");
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output()}\n${err.message}`, ms: performance.now() - started });
    });
    child.once("exit", (code) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      // Anything the command left behind in its group goes too.
      signalGroup(child, "SIGKILL");
      resolve({ code, output: output(), ms });
    });
  });
}
