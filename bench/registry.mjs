// Starts servers on a free 127.0.0.1 port with their own temp state: the real registry the way `npm
// start` serves it (for tests and benchmarks; test/helpers/registry-server.ts re-exports this), and
// any wrangler config under `wrangler dev` (the benchmark's hello-world anchor). Each server runs in
// its own process group so stopping it also stops workerd.
import { spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { ROOT, WRANGLER_BIN, WRANGLER_ENV } from "../scripts/wrangler-env.mjs";
import { captureOutput, makeTempDir, removeTempDir, spawnGroup, stopGroup } from "./procs.mjs";

/**
 * @typedef {object} RegistryServer
 * @property {string} url
 * @property {string} stateDir
 * @property {(command: string) => unknown[]} sql Runs SQL against the server's local D1 (wrangler d1 execute).
 * @property {() => Promise<void>} stop
 * @property {number} pid The server process (leader of its process group, with workerd inside).
 * @property {number} inspectorPort The Worker's DevTools inspector (0 when not asked for).
 */

/** @returns {Promise<number>} a port free on 127.0.0.1 right now */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(address.port));
    });
  });
}

const env = { ...process.env, ...WRANGLER_ENV };

/**
 * Runs a local-state wrangler command (d1, r2) against `stateDir`; returns stdout, throws on failure.
 * @param {string[]} args
 * @param {string} stateDir
 * @param {string} [config] wrangler config file (default: the registry's wrangler.toml)
 */
export function wrangler(args, stateDir, config) {
  const configArgs = config ? ["--config", config] : [];
  const result = spawnSync(
    process.execPath,
    [WRANGLER_BIN, ...args, ...configArgs, "--local", "--persist-to", stateDir],
    { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Another process took the port between freePort() and wrangler binding it: start again on new ports. */
class PortTaken extends Error {}

/**
 * Ready means wrangler itself says it serves on `port` and the URL answers 2xx: an answer alone could
 * come from another process that grabbed the port first.
 * @param {string} url
 * @param {number} port
 * @param {import("node:child_process").ChildProcess} child
 * @param {() => string} log
 * @param {RegExp} [portTaken] what the server prints when another process holds the port
 * @param {number} [timeoutMs]
 */
async function waitUntilReady(url, port, child, log, portTaken = /Address already in use/, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (portTaken.test(log())) throw new PortTaken(`port ${port} was taken`);
    if (child.exitCode !== null) throw new Error(`the server exited early (${child.exitCode}):\n${log()}`);
    if (log().includes(`Ready on http://127.0.0.1:${port}`)) {
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the server did not answer within ${timeoutMs} ms:\n${log()}`);
}

/**
 * `wrangler dev` for `config` with its state in `stateDir`. Without one, a temp dir is created and
 * removed on stop; a caller's `stateDir` is left in place (so a second server can reuse it).
 * @param {{ config?: string, stateDir?: string, vars?: Record<string, string>, readyPath?: string, migrate?: boolean }} [opts]
 * @returns {Promise<RegistryServer>}
 */
export async function startWrangler(opts = {}) {
  const ownsState = !opts.stateDir;
  const stateDir = opts.stateDir ?? makeTempDir("skild-state-");
  const configArgs = opts.config ? ["--config", opts.config] : [];
  try {
    if (opts.migrate ?? true) wrangler(["d1", "migrations", "apply", "DB"], stateDir, opts.config);
  } catch (err) {
    if (ownsState) removeTempDir(stateDir);
    throw err;
  }
  const varArgs = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  for (let attempt = 1; ; attempt++) {
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const child = spawnGroup(
      process.execPath,
      [
        WRANGLER_BIN,
        "dev",
        ...configArgs,
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        stateDir,
        "--show-interactive-dev-session=false",
        ...varArgs,
      ],
      { cwd: ROOT, env },
    );
    const output = captureOutput(child);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(`${url}${opts.readyPath ?? "/-/ping"}`, port, child, output);
    } catch (err) {
      await stopGroup(child);
      if (err instanceof PortTaken && attempt < 3) continue;
      if (ownsState) removeTempDir(stateDir);
      throw err;
    }
    const stop = async () => {
      await stopGroup(child);
      if (ownsState) removeTempDir(stateDir);
    };
    return {
      url,
      stateDir,
      sql: (command) => {
        const out = wrangler(["d1", "execute", "DB", "--yes", "--json", "--command", command], stateDir, opts.config);
        return /** @type {{ results: unknown[] }[]} */ (JSON.parse(out))[0]?.results ?? [];
      },
      stop,
      pid: /** @type {number} */ (child.pid),
      inspectorPort,
    };
  }
}

/**
 * Runs a Node script that serves on PORT and prints "Ready on <url>" (scripts/start.mjs, the
 * benchmark's one-workerd hello-world), on a free port, in its own process group.
 * @param {string} script
 * @param {Record<string, string>} scriptEnv
 * @param {{ stateDir: string, ownsState: boolean, inspector?: boolean }} opts
 * @returns {Promise<RegistryServer>}
 */
async function startScript(script, scriptEnv, opts) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const inspectorPort = opts.inspector ? await freePort() : 0;
    const child = spawnGroup(process.execPath, [script], {
      cwd: ROOT,
      env: {
        ...env,
        ...scriptEnv,
        PORT: String(port),
        ...(inspectorPort ? { SKILD_INSPECTOR_PORT: String(inspectorPort) } : {}),
      },
    });
    const output = captureOutput(child);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(`${url}/-/ping`, port, child, output, /already in use/);
    } catch (err) {
      await stopGroup(child);
      if (err instanceof PortTaken && attempt < 3) continue;
      if (opts.ownsState) removeTempDir(opts.stateDir);
      throw err;
    }
    return {
      url,
      stateDir: opts.stateDir,
      sql: (command) => {
        const out = wrangler(["d1", "execute", "DB", "--yes", "--json", "--command", command], opts.stateDir);
        return /** @type {{ results: unknown[] }[]} */ (JSON.parse(out))[0]?.results ?? [];
      },
      stop: async () => {
        await stopGroup(child);
        if (opts.ownsState) removeTempDir(opts.stateDir);
      },
      pid: /** @type {number} */ (child.pid),
      inspectorPort,
    };
  }
}

/**
 * The registry as `npm start` serves it (scripts/start.mjs: the production bundle on one workerd),
 * on a free port with fresh temp state unless `stateDir` is given. `vars` override wrangler.toml vars
 * and `secrets` add secret bindings for this start only; `inspector: true` opens workerd's DevTools
 * inspector on a free port (the benchmark samples the isolate's heap through it).
 * @param {{ vars?: Record<string, string>, secrets?: Record<string, string>, stateDir?: string, inspector?: boolean }} [opts]
 * @returns {Promise<RegistryServer>}
 */
export function startRegistry(opts = {}) {
  const stateDir = opts.stateDir ?? makeTempDir("skild-state-");
  const scriptEnv = {
    SKILD_STATE_DIR: stateDir,
    SKILD_VARS: JSON.stringify(opts.vars ?? {}),
    SKILD_SECRETS: JSON.stringify(opts.secrets ?? {}),
  };
  return startScript(path.join(ROOT, "scripts", "start.mjs"), scriptEnv, {
    stateDir,
    ownsState: !opts.stateDir,
    inspector: opts.inspector,
  });
}

/**
 * The benchmark's ceiling: the hello-world Worker on one workerd (bench/hello-workerd.mjs).
 * @returns {Promise<RegistryServer>}
 */
export function startHelloWorkerd() {
  const stateDir = makeTempDir("skild-hello-");
  return startScript(path.join(ROOT, "bench", "hello-workerd.mjs"), {}, { stateDir, ownsState: true, inspector: true });
}
