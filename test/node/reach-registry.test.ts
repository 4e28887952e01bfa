// Issue 14 over HTTP with real clients: the Vercel `skills` CLI (under Node 24) installs from the
// registry's Agent Skills discovery index and `skills check` sees a new version; `skild star`,
// `skild unstar` and `skild info` show stars and downloads.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { node24, skillsCli } from "../../scripts/node-runtime.mjs";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { skillMd, skillTarball } from "../helpers/tarball";
import { type CliSandbox, createSandbox, PASSWORD } from "./cli-helpers";

interface Run {
  code: number | null;
  output: string;
}

/** Runs the `skills` CLI with Node 24 in `cwd`, HOME in `home`, telemetry off (the env vars it honours). */
function skills(args: string[], cwd: string, home: string): Promise<Run> {
  const { node } = node24();
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
    const child = spawn(node, [skillsCli(), ...args], {
      cwd,
      env: { ...env, HOME: home, DISABLE_TELEMETRY: "1", DO_NOT_TRACK: "1", NO_COLOR: "1", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function api(server: RegistryServer, method: string, p: string, body?: unknown, token?: string) {
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function publishVersion(server: RegistryServer, token: string, version: string, body: string) {
  const tarball = await skillTarball({
    name: "@acme/hello",
    version,
    description: "Says hello",
    skillMd: skillMd("hello", "Says hello. Use it to greet.", body),
    extra: [{ path: "package/scripts/greet.sh", content: "#!/bin/sh\necho hello\n" }],
  });
  const res = await fetch(`${server.url}/skills/acme/hello/publish`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/gzip" },
    body: tarball as Uint8Array<ArrayBuffer>,
  });
  expect(res.status, await res.text()).toBe(201);
}

describe("reach: the skills CLI, stars and downloads against the real registry", () => {
  let server: RegistryServer;
  let cli: CliSandbox;
  let token: string;
  let work: string;
  beforeAll(async () => {
    // Installed from the npm registry on first use (outside the timed tests).
    node24();
    skillsCli();
    server = await startRegistry();
    cli = createSandbox(server.url);
    work = mkdtempSync(path.join(os.tmpdir(), "skild-skills-cli-"));
    await cli.ok(["signup", "--email", "acme@example.com", "--handle", "acme", "--password", PASSWORD]);
    await cli.ok(["login", "--handle-or-email", "acme", "--password", PASSWORD]);
    const login = await api(server, "POST", "/auth/login", { handleOrEmail: "acme", password: PASSWORD });
    token = String(login.body.token);
  });
  afterAll(async () => {
    await server?.stop();
    cli?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("`npx skills add <registry>/~acme --skill hello` installs from the index; `skills check` updates it", async () => {
    await publishVersion(server, token, "1.0.0", "# Hello\n\nVersion one.\n");
    const home = path.join(work, "home");
    const project = path.join(work, "project");
    mkdirSync(home, { recursive: true });
    mkdirSync(project, { recursive: true });

    const add = await skills(
      ["add", `${server.url}/~acme`, "--skill", "hello", "-a", "claude-code", "-y"],
      project,
      home,
    );
    expect(add.code, add.output).toBe(0);
    const installed = path.join(project, ".claude", "skills", "hello");
    expect(readFileSync(path.join(installed, "SKILL.md"), "utf8")).toContain("Version one.");
    expect(readFileSync(path.join(installed, "scripts", "greet.sh"), "utf8")).toContain("echo hello");
    expect(existsSync(path.join(installed, "package"))).toBe(false);

    await publishVersion(server, token, "1.1.0", "# Hello\n\nVersion two.\n");
    const check = await skills(["check"], project, home);
    expect(check.code, check.output).toBe(0);
    expect(check.output).toMatch(/Updated hello|Updating hello/);
    expect(readFileSync(path.join(installed, "SKILL.md"), "utf8")).toContain("Version two.");

    // Both archive downloads counted.
    const deadline = Date.now() + 5_000;
    let downloads = 0;
    while (Date.now() < deadline && downloads < 2) {
      downloads = Number((await api(server, "GET", "/-/downloads/point/last-day/@acme/hello")).body.downloads);
      if (downloads < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(downloads).toBe(2);
  });

  it("`skild star` / `skild unstar` and `skild info` show stars and last week's downloads", async () => {
    const star = await cli.ok(["star", "@acme/hello"]);
    expect(star.stdout).toContain("Starred @acme/hello (1 star)");
    const info = await cli.ok(["info", "@acme/hello"]);
    expect(info.stdout).toMatch(/downloads: \d+ in the last 7 days/);
    expect(info.stdout).toContain("stars:     1");
    const json = await cli.json<{ registry: { stars: number; downloadsLastWeek: number } }>(["info", "@acme/hello"]);
    expect(json.registry.stars).toBe(1);
    expect(json.registry.downloadsLastWeek).toBeGreaterThanOrEqual(2);
    const unstar = await cli.ok(["unstar", "@acme/hello"]);
    expect(unstar.stdout).toContain("Unstarred @acme/hello (0 stars)");
    const missing = await cli.run(["star", "@acme/nope"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("does not exist");
  });
});
