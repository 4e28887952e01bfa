// Starts the real registry Worker with `wrangler dev` on a free port, with its own temp state, for
// tests and benchmarks that drive it over HTTP. Each server runs in its own process group so
// stopping it also stops workerd.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ROOT, WRANGLER_BIN, WRANGLER_ENV } from "../../scripts/wrangler-env.mjs";

export interface RegistryServer {
  url: string;
  stateDir: string;
  /** Runs SQL against the server's local D1 (wrangler d1 execute), for tests that inspect storage. */
  sql: (command: string) => unknown[];
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const env = { ...process.env, ...WRANGLER_ENV };

function wrangler(args: string[], stateDir: string) {
  const result = spawnSync(process.execPath, [WRANGLER_BIN, ...args, "--local", "--persist-to", stateDir], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

async function waitUntilReady(url: string, child: ChildProcess, log: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`${url}/-/ping`);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${log()}`);
}

export async function startRegistry(opts: { vars?: Record<string, string> } = {}): Promise<RegistryServer> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "skild-state-"));
  wrangler(["d1", "migrations", "apply", "DB"], stateDir);
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const varArgs = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(
    process.execPath,
    [
      WRANGLER_BIN,
      "dev",
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
    { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    stateDir,
    sql: (command) => {
      const out = wrangler(["d1", "execute", "DB", "--yes", "--json", "--command", command], stateDir);
      return (JSON.parse(out) as { results: unknown[] }[])[0]?.results ?? [];
    },
    stop,
  };
}
