// `npm start` as users run it (scripts/start.mjs → scripts/serve.mjs): the production bundle on one
// workerd, D1/R2 in wrangler's layout, a signing key kept in the state folder, clean failures.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_CACHE, sourceHash } from "../../scripts/serve.mjs";
import { freePort, type RegistryServer, startRegistry } from "../helpers/registry-server";

const ROOT = path.resolve(import.meta.dirname, "../..");
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Is any process left in the process group led by `pid` (workerd included)? */
function groupAlive(pid: number) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `npm start`'s script with `env` until it prints Ready, exits, or `until` says stop.
 * Resolves with its exit code (null when still running) and output; the caller stops it.
 */
function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  // The exit code, or the signal when one ended it before the launcher installed its handlers.
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal)),
  );
  const ready = async (timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && child.exitCode === null && !output.includes("Ready on")) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return output;
  };
  const kill = () => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {}
  };
  return { child, exited, ready, kill, output: () => output };
}

async function waitGone(pid: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !groupAlive(pid);
}

describe("npm start: the registry on one workerd", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await startRegistry();
  });
  afterAll(() => server?.stop());

  it("answers ping and stores an account in local D1 that wrangler itself can read", async () => {
    expect((await fetch(`${server.url}/-/ping`)).status).toBe(200);
    const res = await fetch(`${server.url}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "dev@example.com", handle: "dev-check", password: "long enough" }),
    });
    expect(res.status).toBe(201);
    // `wrangler d1 execute --local --persist-to` reads the same state: wrangler's own layout.
    expect(server.sql("SELECT handle FROM publishers")).toEqual([{ handle: "dev-check" }]);
    expect(server.sql("SELECT name FROM d1_migrations ORDER BY id").length).toBe(
      readdirSync(path.join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).length,
    );
  });

  it("never exposes the scheduled handler over HTTP", async () => {
    for (const route of ["/cdn-cgi/handler/scheduled", "/cdn-cgi/mf/scheduled"]) {
      const res = await fetch(`${server.url}${route}`);
      await res.arrayBuffer();
      expect(res.status).toBe(404);
    }
  });
});

describe("npm start: state across restarts", () => {
  it("keeps D1, R2 and the signing key, and applies no migration twice", async () => {
    const stateDir = tempDir("skild-restart-");
    const first = launch({ PORT: String(await freePort()), SKILD_STATE_DIR: stateDir });
    try {
      expect(await first.ready()).toMatch(/Applied migrations: 0001_init\.sql/);
    } finally {
      first.child.kill("SIGINT");
      expect(await first.exited).toBe(130);
    }
    expect(await waitGone(first.child.pid as number)).toBe(true);
    const key = readFileSync(path.join(stateDir, "signing-key.pkcs8.b64"), "utf8");
    expect(key.trim()).toMatch(/^[A-Za-z0-9+/]+=*$/);

    const port = await freePort();
    const second = launch({ PORT: String(port), SKILD_STATE_DIR: stateDir });
    try {
      const output = await second.ready();
      expect(output).toContain(`Ready on http://127.0.0.1:${port}`);
      expect(output).not.toContain("Applied migrations");
      expect(readFileSync(path.join(stateDir, "signing-key.pkcs8.b64"), "utf8")).toBe(key);
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(143);
    }
    expect(await waitGone(second.child.pid as number)).toBe(true);
  });
});

describe("npm start: bad input gives one clear line, a non-zero exit and nothing left running", () => {
  it("a port in use", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const run = launch({ PORT: String(port), SKILD_STATE_DIR: tempDir("skild-port-") });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output().trim()).toBe(`skild: port ${port} on 127.0.0.1 is already in use; set PORT to another port`);
      expect(await waitGone(run.child.pid as number)).toBe(true);
    } finally {
      run.kill();
      blocker.close();
    }
  });

  it("a state folder that cannot be written", async () => {
    const file = path.join(tempDir("skild-notdir-"), "a-file");
    writeFileSync(file, "");
    const run = launch({ PORT: String(await freePort()), SKILD_STATE_DIR: path.join(file, "state") });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output().trim()).toMatch(/^skild: the state folder .*a-file\/state is not writable: .*ENOTDIR/);
      expect(run.output().trim().split("\n")).toHaveLength(1);
      expect(await waitGone(run.child.pid as number)).toBe(true);
    } finally {
      run.kill();
    }
  });

  it("a failed migration", async () => {
    const stateDir = tempDir("skild-migrate-");
    const first = launch({ PORT: String(await freePort()), SKILD_STATE_DIR: stateDir });
    await first.ready();
    first.child.kill("SIGINT");
    await first.exited;
    // Forget what was applied: 0001 then meets its own tables and fails.
    const { wrangler } = await import("../../bench/registry.mjs");
    wrangler(["d1", "execute", "DB", "--yes", "--command", "DROP TABLE d1_migrations"], stateDir);
    const run = launch({ PORT: String(await freePort()), SKILD_STATE_DIR: stateDir });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output().trim()).toMatch(/^skild: migration 0001_init\.sql failed: .*already exists/);
      expect(run.output().trim().split("\n")).toHaveLength(1);
      expect(await waitGone(run.child.pid as number)).toBe(true);
    } finally {
      run.kill();
    }
  });

  it("a damaged cached bundle is rebuilt; a bundle workerd refuses is one line", async () => {
    const cache = tempDir("skild-bundle-cache-");
    const hash = sourceHash();
    cpSync(path.join(BUNDLE_CACHE, hash), path.join(cache, hash), { recursive: true });
    const bundle = path.join(cache, hash, "index.js");

    writeFileSync(bundle, "this is not JavaScript {");
    const rebuilt = launch({
      PORT: String(await freePort()),
      SKILD_STATE_DIR: tempDir("skild-bundle-"),
      SKILD_BUNDLE_CACHE: cache,
    });
    try {
      expect(await rebuilt.ready()).toContain("The cached bundle is damaged; building it again.");
      expect(rebuilt.output()).toContain("Ready on");
    } finally {
      rebuilt.child.kill("SIGINT");
      await rebuilt.exited;
    }

    // A bundle whose recorded hash matches but which workerd cannot load (a broken build).
    const planFile = path.join(cache, hash, "plan.json");
    const broken = "export default { fetch( }";
    writeFileSync(bundle, broken);
    const plan = JSON.parse(readFileSync(planFile, "utf8"));
    const { createHash } = await import("node:crypto");
    plan.bundleSha256 = createHash("sha256").update(broken).digest("hex");
    writeFileSync(planFile, JSON.stringify(plan));
    const refused = launch({
      PORT: String(await freePort()),
      SKILD_STATE_DIR: tempDir("skild-bundle-"),
      SKILD_BUNDLE_CACHE: cache,
    });
    try {
      expect(await refused.exited).toBe(1);
      expect(refused.output().trim()).toMatch(/^skild: the Workers runtime did not start/);
      expect(await waitGone(refused.child.pid as number)).toBe(true);
    } finally {
      refused.kill();
    }
  });

  it("Ctrl-C during start-up leaves nothing behind", async () => {
    const run = launch({ PORT: String(await freePort()), SKILD_STATE_DIR: tempDir("skild-ctrlc-") });
    try {
      await new Promise((r) => setTimeout(r, 400));
      run.child.kill("SIGINT");
      expect([130, "SIGINT"]).toContain(await run.exited);
      expect(run.output()).not.toContain("Ready on");
      expect(await waitGone(run.child.pid as number)).toBe(true);
    } finally {
      run.kill();
    }
  });
});
