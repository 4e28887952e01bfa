// Shared by the compat tests: a registry per test file, temp dirs, stock clients run as real
// processes with their own HOME, config and cache (nothing from the developer's or CI's setup leaks in).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { ROOT } from "../scripts/wrangler-env.mjs";
import { type RegistryServer, startRegistry } from "../test/helpers/registry-server";
import { skillMd, skillTarball } from "../test/helpers/tarball";

export type { RegistryServer };
export { ROOT };

export const BIN = {
  /** npm 11 from node_modules, or the npm `npm test`'s Node 24 step puts first (npm 12). */
  npm: process.env.SKILD_TEST_NPM || path.join(ROOT, "node_modules", ".bin", "npm"),
  pnpm: path.join(ROOT, "node_modules", ".bin", "pnpm"),
  bun: path.join(ROOT, "node_modules", ".bin", "bun"),
  /** yarn 4 (@yarnpkg/cli-dist). */
  yarn4: path.join(ROOT, "node_modules", ".bin", "yarn"),
  /** yarn 1, run through node (its .bin name is taken by yarn 4). */
  yarn1: path.join(ROOT, "node_modules", "yarn", "bin", "yarn.js"),
};

/**
 * `npm view <spec> <field> --json` as npm 11 shapes it. npm 12 always answers with an array
 * (npm/cli#9160, "npm view --json now always returns an array"), except that a sole array-valued
 * field such as `versions` comes back flat (npm/cli#9745); npm 11 unwraps a single result. The
 * tests ask for one version's scalar or object fields, so a one-element array around a
 * non-array field is that wrapper.
 */
export function parseNpmViewJson(stdout: string, field: string | undefined): ReturnType<typeof JSON.parse> {
  const value = JSON.parse(stdout);
  const arrayFields = new Set(["versions", "maintainers", "keywords", "files"]);
  if (Array.isArray(value) && value.length === 1 && field && !arrayFields.has(field)) return value[0];
  return value;
}

/** The major version of the npm under test (11 from node_modules; 12 in `npm test`'s Node 24 step). */
export const NPM_MAJOR = Number(
  spawnSync(BIN.npm, ["--version"], {
    encoding: "utf8",
    env: { ...process.env, NO_UPDATE_NOTIFIER: "1" },
  }).stdout.split(".")[0],
);

/** `npm pack --json`'s one package: npm 11 prints an array, npm 12 an object keyed by package name. */
export function parseNpmPackJson(stdout: string): { integrity: string; shasum: string; filename: string } {
  type Packed = { integrity: string; shasum: string; filename: string };
  const parsed = JSON.parse(stdout) as Packed[] | Record<string, Packed>;
  return Array.isArray(parsed) ? parsed[0] : Object.values(parsed)[0];
}

const tempDirs: string[] = [];

/** A fresh temp dir, removed by `removeTempDirs()`. */
export function tempDir(prefix = "skild-compat-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * One registry for a test file, plus cleanup of every temp dir the file made.
 * Usage: `const ctx = await setupRegistry()` in beforeAll, `await ctx.stop()` in afterAll.
 */
export async function setupRegistry(): Promise<RegistryServer> {
  const server = await startRegistry();
  return {
    ...server,
    stop: async () => {
      await server.stop();
      removeTempDirs();
    },
  };
}

/**
 * The environment a client runs in: the parent's PATH and locale, but none of its npm/yarn/pnpm/bun
 * settings (`npm test` itself exports dozens of npm_config_* variables) and not CI=true (yarn 4 and
 * pnpm change behaviour on CI). HOME and the XDG dirs point into `home`.
 */
export function clientEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|yarn_|pnpm_|bun_|corepack_|berry_)/i.test(key) || key === "CI" || key === "INIT_CWD") continue;
    env[key] = value;
  }
  for (const dir of ["config", "cache", "data", "state"]) mkdirSync(path.join(home, `.${dir}`), { recursive: true });
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    XDG_DATA_HOME: path.join(home, ".data"),
    XDG_STATE_HOME: path.join(home, ".state"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions on messages that tools print on either. */
  output: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Answer prompts as they appear: each regexp is awaited on the output, then its answer is typed. */
  prompts?: [RegExp, string][];
  timeoutMs?: number;
}

/** Runs a client to completion (never throws on a non-zero exit: tests assert on `code`). */
export function run(command: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    const prompts = [...(opts.prompts ?? [])];
    // Prompting libraries read one line per prompt; typing all answers up front loses the later ones.
    const answer = () => {
      while (prompts.length > 0 && prompts[0][0].test(pending)) {
        const [, reply] = prompts.shift()!;
        pending = "";
        child.stdin.write(`${reply}\n`);
      }
      if (prompts.length === 0) child.stdin.end();
    };
    child.stdout.on("data", (d) => {
      stdout += d;
      pending += d;
      answer();
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      pending += d;
      answer();
    });
    answer();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(command)} ${args.join(" ")} timed out\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 90_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

/** Registry URL with the trailing slash npm config keys use. */
export const registryUrl = (server: RegistryServer) => `${server.url}/`;
/** `//127.0.0.1:1234/` — the prefix of per-registry auth keys in .npmrc. */
export const authKeyPrefix = (server: RegistryServer) => `${server.url.replace(/^https?:/, "")}/`;

/** The `.npmrc` lines that point a scope at the registry (and authenticate, with a token). */
export function npmrcFor(server: RegistryServer, opts: { scope?: string; token?: string } = {}): string {
  const lines = [`@${opts.scope ?? "acme"}:registry=${registryUrl(server)}`];
  if (opts.token) lines.push(`${authKeyPrefix(server)}:_authToken=${opts.token}`);
  return `${lines.join("\n")}\n`;
}

export interface NpmClient {
  home: string;
  userconfig: string;
  cache: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], opts?: { cwd?: string; prompts?: [RegExp, string][] }): Promise<RunResult>;
  /** The token npm saved for the registry, if logged in. */
  token(): string | undefined;
}

/** Stock npm 11 with its own userconfig, cache and HOME, pointed at the registry for everything. */
export function npmClient(server: RegistryServer, opts: { token?: string } = {}): NpmClient {
  const home = tempDir("skild-npm-home-");
  const userconfig = path.join(home, ".npmrc");
  const cache = path.join(home, "npm-cache");
  writeFileSync(
    userconfig,
    [
      `registry=${registryUrl(server)}`,
      npmrcFor(server, { token: opts.token }).trim(),
      `cache=${cache}`,
      "update-notifier=false",
      "fund=false",
      "loglevel=warn",
      "",
    ].join("\n"),
  );
  const env = clientEnv(home);
  return {
    home,
    userconfig,
    cache,
    env,
    run: (args, runOpts = {}) =>
      run(BIN.npm, [...args, "--userconfig", userconfig], { cwd: runOpts.cwd ?? home, env, prompts: runOpts.prompts }),
    token: () => {
      const match = new RegExp(`^${escapeRegExp(authKeyPrefix(server))}:_authToken=(.+)$`, "m").exec(
        readFileSync(userconfig, "utf8"),
      );
      return match?.[1];
    },
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A project folder with a package.json (and whatever files are given), like `npm init -y` makes. */
export function makeProject(files: Record<string, string> = {}, name = "compat-project"): string {
  const dir = tempDir("skild-project-");
  writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name, version: "1.0.0", private: true }, null, 2)}\n`,
  );
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  return dir;
}

/**
 * A yarn 4 project routing `scope` to the registry. yarn 4 needs the age gate off at the top level
 * and per scope, and plain http allowed for 127.0.0.1; a token, when given, is sent on reads too
 * (npmAlwaysAuth is not needed).
 */
export function makeYarn4Project(
  opts: { registry: string; scope: string; cache: string; token?: string },
  extra: string[] = [],
): string {
  const project = makeProject({ "yarn.lock": "" });
  const yarnrc = [
    "npmMinimalAgeGate: 0",
    "unsafeHttpWhitelist:",
    '  - "127.0.0.1"',
    "nodeLinker: node-modules",
    "enableTelemetry: false",
    "enableGlobalCache: false",
    ...extra,
    `cacheFolder: "${opts.cache}"`,
    "npmScopes:",
    `  ${opts.scope}:`,
    `    npmRegistryServer: "${opts.registry}"`,
    "    npmMinimalAgeGate: 0",
    ...(opts.token ? [`    npmAuthToken: "${opts.token}"`] : []),
    "",
  ];
  writeFileSync(path.join(project, ".yarnrc.yml"), yarnrc.join("\n"));
  return project;
}

/** A skill package folder: package.json + SKILL.md, ready for `npm publish` / `npm pack`. */
export function makeSkillPackage(
  name: string,
  version: string,
  opts: { description?: string; files?: Record<string, string> } = {},
): string {
  const dir = tempDir("skild-skill-");
  writeSkillVersion(dir, name, version, opts.description);
  for (const [file, content] of Object.entries(opts.files ?? {})) writeFileSync(path.join(dir, file), content);
  return dir;
}

/** Rewrites the package.json of a skill folder for another version. */
export function writeSkillVersion(
  dir: string,
  name: string,
  version: string,
  description = "A compat-test skill",
): void {
  const pkg = { name, version, description, license: "MIT" };
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(path.join(dir, "SKILL.md"), skillMd(name.split("/")[1], `${description}. Use it in compat tests.`));
}

export interface ApiAccount {
  handle: string;
  password: string;
  token: string;
}

/** Signs up and logs in through the skild API (fast setup for tests about other things). */
export async function createAccount(server: RegistryServer, handle = "acme"): Promise<ApiAccount> {
  const password = "correct horse battery";
  const post = (p: string, body: unknown) =>
    fetch(`${server.url}${p}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  const signup = await post("/auth/signup", { email: `${handle}@example.com`, handle, password });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
  const login = await post("/auth/login", { handleOrEmail: handle, password });
  const { token } = (await login.json()) as { token: string };
  return { handle, password, token };
}

/**
 * Publishes versions through the skild API (same pipeline as npm publish), for install tests. By
 * default under the account's own scope; `scope` names an org it may publish to, `access:
 * "restricted"` makes a new skill private.
 */
export async function seedSkill(
  server: RegistryServer,
  account: ApiAccount,
  skill: string,
  versions: { version: string; tag?: string }[],
  opts: { scope?: string; access?: "public" | "restricted" } = {},
): Promise<void> {
  const scope = opts.scope ?? account.handle;
  for (const { version, tag } of versions) {
    const body = await skillTarball({ name: `@${scope}/${skill}`, version });
    const params = new URLSearchParams();
    if (tag) params.set("tag", tag);
    if (opts.access) params.set("access", opts.access);
    const query = params.size ? `?${params}` : "";
    const res = await fetch(`${server.url}/skills/${scope}/${skill}/publish${query}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${account.token}`, "Content-Type": "application/gzip" },
      body: body as Uint8Array<ArrayBuffer>,
    });
    if (res.status !== 201) throw new Error(`seed ${skill}@${version} failed: ${res.status} ${await res.text()}`);
  }
}

/** A JSON request to the skild API as `account` (or anonymously); throws unless the status is `expect`. */
export async function apiRequest(
  server: RegistryServer,
  method: string,
  pathname: string,
  opts: { account?: ApiAccount; json?: unknown; expect?: number } = {},
): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (opts.account) headers.Authorization = `Bearer ${opts.account.token}`;
  if (opts.json !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${server.url}${pathname}`, {
    method,
    headers,
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  if (res.status !== (opts.expect ?? 200)) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** `owner` creates the org `name` and adds each member with its role (DESIGN.md: POST /orgs, PUT members). */
export async function createOrg(
  server: RegistryServer,
  owner: ApiAccount,
  name: string,
  members: Record<string, "owner" | "admin" | "developer"> = {},
): Promise<void> {
  await apiRequest(server, "POST", "/orgs", { account: owner, json: { name }, expect: 201 });
  for (const [handle, role] of Object.entries(members)) {
    await apiRequest(server, "PUT", `/orgs/${name}/members/${handle}`, { account: owner, json: { role } });
  }
}

/** A read-only token for `account`, made as `npm token create --read-only` makes one. */
export async function createReadOnlyToken(server: RegistryServer, account: ApiAccount): Promise<string> {
  const created = (await apiRequest(server, "POST", "/-/npm/v1/tokens", {
    account,
    json: { password: account.password, readonly: true },
    expect: 201,
  })) as { token: string };
  return created.token;
}

export const readJson = <T = Record<string, unknown>>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/** One registry with @acme/hello-skill at 1.0.0, 1.1.0 and 2.0.0: what the package-manager tests install from. */
export async function setupSeededRegistry(): Promise<RegistryServer> {
  const server = await setupRegistry();
  const account = await createAccount(server, "acme");
  await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }, { version: "2.0.0" }]);
  return server;
}

/** Asserts that `project` has @acme/hello-skill at `version` in node_modules, SKILL.md included. */
export function expectInstalledSkill(project: string, version: string): void {
  const installed = path.join(project, "node_modules/@acme/hello-skill");
  expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe(version);
  expect(readFileSync(path.join(installed, "SKILL.md"), "utf8")).toMatch(/^---\nname: hello-skill/);
}
