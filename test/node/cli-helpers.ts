// Shared by the CLI tests: run the real `skild` binary in a throwaway HOME/SKILD_HOME/project, make
// skill folders, and stand up a fake registry (node:http) that forwards to the real Worker but can
// corrupt what it serves.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const SKILD_BIN = path.join(ROOT, "client/bin/skild.js");
export const PASSWORD = "correct horse battery";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  env?: Record<string, string | undefined>;
}

/** One user on one machine: a home folder, a SKILD_HOME, a project folder. */
export interface CliSandbox {
  root: string;
  home: string;
  skildHome: string;
  project: string;
  /** Runs `skild ...args` with SKILD_REGISTRY_URL set to the sandbox's registry (override with env). */
  run: (args: string[], opts?: RunOptions) => Promise<RunResult>;
  /** Like run, but returns at once with the process, to kill it mid-way. */
  start: (args: string[], opts?: RunOptions) => StartedSkild;
  /** Like run, but throws with the output when the exit code is not 0. */
  ok: (args: string[], opts?: RunOptions) => Promise<RunResult>;
  /** Like run, but parses stdout as JSON (adds --json). */
  json: <T = Record<string, unknown>>(args: string[], opts?: RunOptions) => Promise<T>;
  cleanup: () => void;
}

/** A running `skild` process (to signal it) and its result once it exits. */
export interface StartedSkild {
  child: ChildProcess;
  /** `code` is -1 when the process was killed by a signal (`signal` says which). */
  result: Promise<RunResult & { signal: NodeJS.Signals | null }>;
}

export function startSkild(
  args: string[],
  opts: RunOptions & { env: Record<string, string | undefined> },
): StartedSkild {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [SKILD_BIN, ...args], {
    cwd: opts.cwd,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const result = new Promise<RunResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  child.stdin.end(opts.input ?? "");
  return { child, result };
}

export function runSkild(args: string[], opts: RunOptions & { env: Record<string, string | undefined> }) {
  return startSkild(args, opts).result;
}

export function createSandbox(registryUrl?: string): CliSandbox {
  const root = mkdtempSync(path.join(os.tmpdir(), "skild-cli-"));
  const home = path.join(root, "home");
  const skildHome = path.join(home, ".skild");
  const project = path.join(root, "project");
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  const start = (args: string[], opts: RunOptions = {}) =>
    startSkild(args, {
      cwd: opts.cwd ?? project,
      input: opts.input,
      env: {
        HOME: home,
        USERPROFILE: home,
        SKILD_HOME: skildHome,
        SKILD_REGISTRY_URL: registryUrl,
        SKILD_TOKEN: undefined,
        SKILD_DEBUG: "1",
        // Retries back off in tens of milliseconds here, not seconds: a test that wants the real
        // defaults or other bounds passes its own.
        SKILD_FETCH_RETRY_MINTIMEOUT: "20",
        SKILD_FETCH_RETRY_MAXTIMEOUT: "200",
        ...opts.env,
      },
    });
  const run = (args: string[], opts: RunOptions = {}): Promise<RunResult> => start(args, opts).result;
  const ok = async (args: string[], opts?: RunOptions) => {
    const result = await run(args, opts);
    if (result.code !== 0) {
      throw new Error(
        `skild ${args.join(" ")} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
      );
    }
    return result;
  };
  return {
    root,
    home,
    skildHome,
    project,
    run,
    start,
    ok,
    json: async <T>(args: string[], opts?: RunOptions) => JSON.parse((await ok([...args, "--json"], opts)).stdout) as T,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Signs up and logs in `handle` through the CLI (password on stdin, as a script would). */
export async function createPublisher(cli: CliSandbox, handle: string) {
  await cli.ok(["signup", "--email", `${handle}@example.com`, "--handle", handle, "--password-stdin"], {
    input: `${PASSWORD}\n`,
  });
  await cli.ok(["login", "--handle-or-email", handle, "--password-stdin"], { input: `${PASSWORD}\n` });
}

export interface SkillFolderOptions {
  name?: string;
  description?: string;
  version?: string;
  body?: string;
  files?: Record<string, string>;
}

/** Writes a skill folder (SKILL.md plus extra files) and returns its path. */
export function writeSkillFolder(parent: string, opts: SkillFolderOptions = {}): string {
  const name = opts.name ?? "hello-skill";
  const dir = path.join(parent, `${name.replace(/^@[^/]+\//, "")}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  const frontmatter = [
    `name: ${name}`,
    `description: ${opts.description ?? "A test skill. Use it in tests."}`,
    ...(opts.version ? [`version: ${opts.version}`] : []),
  ];
  writeFileSync(path.join(dir, "SKILL.md"), `---\n${frontmatter.join("\n")}\n---\n\n${opts.body ?? "# Test\n"}`);
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Publishes each version of `@scope/name` from a fresh folder whose SKILL.md body names the version. */
export async function publishVersions(cli: CliSandbox, fullName: string, versions: string[], tag?: string) {
  const bare = fullName.split("/")[1];
  for (const version of versions) {
    const dir = writeSkillFolder(cli.root, { name: bare, body: `# ${bare}\n\nVersion ${version}.\n` });
    await cli.ok([
      "publish",
      "--dir",
      dir,
      "--name",
      fullName,
      "--skill-version",
      version,
      ...(tag ? ["--tag", tag] : []),
    ]);
  }
}

export function readJsonFile<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The install record of an installed skill folder. */
export const installRecord = (dir: string) =>
  readJsonFile<{ name: string; resolvedVersion: string; integrity: string; platform: string; scope: string }>(
    path.join(dir, ".skild", "install.json"),
  );

/** Everything in a folder, recursively, as sorted relative paths (to prove nothing extra was left). */
export function listTree(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
  } catch {
    return [];
  }
}

/** Every file under `dir` with its content: to prove a failed install changed nothing. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const full = path.join(dir, rel);
    try {
      out[rel] = readFileSync(full, "utf8");
    } catch {
      out[rel] = "<dir>";
    }
  }
  return out;
}

export interface FakeRegistry {
  url: string;
  /** Requests seen, as "METHOD /path". */
  requests: string[];
  stop: () => Promise<void>;
}

export type FakeResponse =
  | { status?: number; headers?: Record<string, string>; body: string | Uint8Array }
  /** Answer on the raw socket: write part of a body, then stall or cut the connection. */
  | { raw: (res: http.ServerResponse) => void };

/**
 * A registry in front of the real one. `intercept` may answer a request itself (given the upstream's
 * answer, fetched on demand); otherwise the request is forwarded and JSON bodies have the upstream
 * origin rewritten to this server's, so tarball URLs come back through it.
 */
export async function startFakeRegistry(
  upstream: string,
  intercept: (
    req: { method: string; path: string },
    forward: () => Promise<{ status: number; body: Uint8Array; headers: Headers }>,
    self: string,
  ) => Promise<FakeResponse | undefined>,
): Promise<FakeRegistry> {
  const requests: string[] = [];
  let self = "";
  const forwardRequest = async (req: http.IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "connection", "content-length"].includes(k)) headers[k] = v;
    }
    const res = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
    });
    let bytes = new Uint8Array(await res.arrayBuffer());
    if ((res.headers.get("content-type") ?? "").includes("json")) {
      bytes = new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll(upstream, self));
    }
    return { status: res.status, body: bytes, headers: res.headers };
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? "GET";
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(`${method} ${pathname}`);
    try {
      const answer = (await intercept({ method, path: pathname }, () => forwardRequest(req, body), self)) ?? null;
      if (answer && "raw" in answer) {
        answer.raw(res);
        return;
      }
      if (answer) {
        res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...answer.headers });
        res.end(answer.body);
        return;
      }
      const forwarded = await forwardRequest(req, body);
      res.writeHead(forwarded.status, { "Content-Type": forwarded.headers.get("content-type") ?? "text/plain" });
      res.end(forwarded.body);
    } catch (err) {
      res.writeHead(502, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: `fake registry: ${String(err)}`, code: "FAKE" }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: self,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
