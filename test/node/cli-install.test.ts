import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  installRecord,
  publishVersions,
  writeSkillFolder,
} from "./cli-helpers";

// Some platform folders as DESIGN.md states them (global under HOME, local under the project); each
// is the first platform --all installs into for its folder. Every agent is in cli-agents.test.ts.
const PLATFORM_DIRS = {
  claude: { global: ".claude/skills", local: ".claude/skills" },
  codex: { global: ".agents/skills", local: ".agents/skills" },
  copilot: { global: ".copilot/skills", local: ".github/skills" },
  cursor: { global: ".cursor/skills", local: ".cursor/skills" },
  opencode: { global: ".config/opencode/skills", local: ".opencode/skills" },
};

type InstallJson = { installed: { name: string; version: string; status: string; platform: string; dir: string }[] };

describe("skild install / list / info / search / update / uninstall", () => {
  let server: RegistryServer;
  let publisher: CliSandbox;
  let cli: CliSandbox;
  beforeAll(async () => {
    server = await startRegistry();
    publisher = createSandbox(server.url);
    await createPublisher(publisher, "acme");
    await publishVersions(publisher, "@acme/multi", ["1.0.0", "1.1.0", "2.0.0"]);
    await publishVersions(publisher, "@acme/multi", ["2.1.0-beta.1"], "beta");
  });
  afterAll(async () => {
    await server?.stop();
    publisher?.cleanup();
    cli?.cleanup();
  });
  // A fresh machine per test: nothing installed.
  const fresh = () => {
    cli?.cleanup();
    cli = createSandbox(server.url);
    return cli;
  };

  const globalDir = (platform: keyof typeof PLATFORM_DIRS, skill = "acme__multi") =>
    path.join(cli.home, PLATFORM_DIRS[platform].global, skill);
  const localDir = (platform: keyof typeof PLATFORM_DIRS, skill = "acme__multi") =>
    path.join(cli.project, PLATFORM_DIRS[platform].local, skill);
  // A missing skill and a private one look alike, so the message says both (cli-access.test.ts).
  const notFound = (name: string) =>
    `${name} does not exist, or it is private: if you have access, run \`skild login --registry ${server.url}\` first.`;
  const bodyVersion = (dir: string) => /Version (\S+)\./.exec(readFileSync(path.join(dir, "SKILL.md"), "utf8"))?.[1];

  it.each([
    ["an exact version", "@acme/multi@1.0.0", "1.0.0", "1.0.0"],
    ["a dist-tag", "@acme/multi@beta", "2.1.0-beta.1", "beta"],
    ["a range", "@acme/multi@^1.0.0", "1.1.0", "^1.0.0"],
    ["nothing (latest)", "@acme/multi", "2.0.0", "latest"],
  ])("installs by %s", async (_label, spec, version, requested) => {
    fresh();
    const out = await cli.json<InstallJson>(["install", spec, "-t", "claude"]);
    expect(out.installed).toMatchObject([{ name: "@acme/multi", version, status: "installed", platform: "claude" }]);
    const dir = globalDir("claude");
    expect(bodyVersion(dir)).toBe(version);
    expect(installRecord(dir)).toMatchObject({
      name: "@acme/multi",
      resolvedVersion: version,
      requested,
      scope: "global",
    });
    expect(existsSync(path.join(cli.project, "skild.lock.json"))).toBe(false);
  });

  it("installs into every platform's global folder with --all, and every local one with --all --local", async () => {
    fresh();
    await cli.ok(["install", "@acme/multi@1.0.0", "--all"]);
    for (const platform of Object.keys(PLATFORM_DIRS) as (keyof typeof PLATFORM_DIRS)[]) {
      expect(installRecord(globalDir(platform)), platform).toMatchObject({
        platform,
        scope: "global",
        resolvedVersion: "1.0.0",
      });
      expect(existsSync(localDir(platform)), platform).toBe(false);
    }
    await cli.ok(["install", "@acme/multi@1.1.0", "--all", "--local"]);
    for (const platform of Object.keys(PLATFORM_DIRS) as (keyof typeof PLATFORM_DIRS)[]) {
      expect(installRecord(localDir(platform)), platform).toMatchObject({
        platform,
        scope: "local",
        resolvedVersion: "1.1.0",
      });
      expect(bodyVersion(localDir(platform))).toBe("1.1.0");
    }
    // -t picks exactly the named agents (repeatable or comma-separated).
    fresh();
    await cli.ok(["install", "@acme/multi", "-t", "codex", "-t", "cursor,opencode", "--local"]);
    const installed = Object.keys(PLATFORM_DIRS).filter((p) => existsSync(localDir(p as keyof typeof PLATFORM_DIRS)));
    expect(installed.sort()).toEqual(["codex", "cursor", "opencode"]);
    const list = await cli.ok(["list"]);
    expect(list.stdout.trim().split("\n")).toEqual([
      "@acme/multi  2.0.0  codex (local)",
      "@acme/multi  2.0.0  cursor (local)",
      "@acme/multi  2.0.0  opencode (local)",
    ]);
  });

  it("reinstalling the same version is a no-op; --force reinstalls; another version replaces it atomically", async () => {
    fresh();
    await cli.ok(["install", "@acme/multi@1.0.0", "-t", "codex"]);
    const dir = globalDir("codex");
    const first = readFileSync(path.join(dir, ".skild/install.json"), "utf8");
    writeFileSync(path.join(dir, "local-note.txt"), "mine");

    const again = await cli.json<InstallJson>(["install", "@acme/multi@1.0.0", "-t", "codex"]);
    expect(again.installed[0].status).toBe("unchanged");
    expect(readFileSync(path.join(dir, ".skild/install.json"), "utf8")).toBe(first);
    expect(existsSync(path.join(dir, "local-note.txt"))).toBe(true);
    expect((await cli.ok(["install", "@acme/multi@1.0.0", "-t", "codex"])).stdout).toContain(
      "is already installed in ~/.agents/skills/acme__multi (codex, global); --force reinstalls it",
    );

    const forced = await cli.json<InstallJson>(["install", "@acme/multi@1.0.0", "-t", "codex", "--force"]);
    expect(forced.installed[0].status).toBe("updated");
    expect(readFileSync(path.join(dir, ".skild/install.json"), "utf8")).not.toBe(first);
    expect(existsSync(path.join(dir, "local-note.txt"))).toBe(false);

    const replaced = await cli.ok(["install", "@acme/multi@1.1.0", "-t", "codex"]);
    expect(replaced.stdout).toContain("Updated @acme/multi 1.0.0 → 1.1.0 in ~/.agents/skills/acme__multi");
    expect(bodyVersion(dir)).toBe("1.1.0");
    // Only the skill folder: no temp or set-aside folder left beside it.
    expect(readdirSync(path.dirname(dir))).toEqual(["acme__multi"]);
  });

  it("refuses to replace a folder skild did not install, unless --force", async () => {
    fresh();
    const dir = globalDir("claude");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "SKILL.md"), "hand-made");
    const refused = await cli.run(["install", "@acme/multi", "-t", "claude"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("exists but was not installed by skild");
    expect(readFileSync(path.join(dir, "SKILL.md"), "utf8")).toBe("hand-made");
    await cli.ok(["install", "@acme/multi", "-t", "claude", "--force"]);
    expect(bodyVersion(dir)).toBe("2.0.0");
  });

  it("says clearly when a skill or version does not exist", async () => {
    fresh();
    const missing = await cli.run(["install", "@acme/nope", "-t", "claude"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`skild: ${notFound("@acme/nope")}\n`);
    const noMatch = await cli.run(["install", "@acme/multi@^9.0.0"]);
    expect(noMatch.code).toBe(1);
    expect(noMatch.stderr).toBe('skild: @acme/multi has no version matching "^9.0.0".\n');
    const noTag = await cli.run(["install", "@acme/multi@nightly"]);
    expect(noTag.code).toBe(1);
    expect(noTag.stderr).toBe('skild: @acme/multi has no version or dist-tag "nightly".\n');
    const json = await cli.run(["install", "@acme/nope", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({ error: notFound("@acme/nope"), code: "SKILL_NOT_FOUND" });
    expect(existsSync(path.join(cli.home, ".claude"))).toBe(false);
  });

  it("list shows @scope/name, version and agent; --json has the details", async () => {
    fresh();
    expect((await cli.ok(["list"])).stdout).toContain("No skills installed");
    await cli.ok(["install", "@acme/multi@1.0.0", "-t", "claude"]);
    await cli.ok(["install", "@acme/multi@beta", "-t", "codex", "--local"]);
    // A folder skild did not install is not listed.
    mkdirSync(path.join(cli.home, ".claude/skills/hand-made"), { recursive: true });

    expect((await cli.ok(["list"])).stdout).toBe(
      "@acme/multi  1.0.0         claude\n@acme/multi  2.1.0-beta.1  codex (local)\n",
    );
    expect((await cli.ok(["list", "--global"])).stdout).toBe("@acme/multi  1.0.0  claude\n");
    expect((await cli.ok(["list", "-t", "codex", "--local"])).stdout).toBe(
      "@acme/multi  2.1.0-beta.1  codex (local)\n",
    );
    const json = await cli.json<{ skills: Record<string, unknown>[] }>(["list", "--local"]);
    expect(json.skills).toEqual([
      expect.objectContaining({
        name: "@acme/multi",
        version: "2.1.0-beta.1",
        platform: "codex",
        scope: "local",
        requested: "beta",
        dir: localDir("codex"),
      }),
    ]);
  });

  it("info shows the registry view and where the skill is installed", async () => {
    fresh();
    await cli.ok(["install", "@acme/multi@1.1.0", "-t", "cursor"]);
    const text = (await cli.ok(["info", "@acme/multi"])).stdout;
    expect(text).toContain("@acme/multi\nA test skill. Use it in tests.");
    expect(text).toContain("dist-tags: beta: 2.1.0-beta.1  latest: 2.0.0");
    expect(text).toContain("versions:  1.0.0, 1.1.0, 2.0.0, 2.1.0-beta.1");
    expect(text).toContain("installed: 1.1.0  cursor  ~/.cursor/skills/acme__multi");
    const json = await cli.json<{ registry: { distTags: Record<string, string> }; installed: unknown[] }>([
      "info",
      "@acme/multi",
    ]);
    expect(json.registry.distTags).toEqual({ latest: "2.0.0", beta: "2.1.0-beta.1" });
    expect(json.installed).toEqual([
      expect.objectContaining({ version: "1.1.0", platform: "cursor", scope: "global" }),
    ]);
    const missing = await cli.run(["info", "@acme/nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`skild: ${notFound("@acme/nope")}\n`);
  });

  it("search finds skills by name or description", async () => {
    fresh();
    const dir = writeSkillFolder(publisher.root, {
      name: "pdf-filler",
      description: "Fills PDF forms.",
      version: "0.1.0",
    });
    await publisher.ok(["publish", "--dir", dir, "--name", "@acme/pdf-filler"]);
    const text = (await cli.ok(["search", "pdf"])).stdout;
    expect(text).toMatch(/^NAME\s+LATEST\s+DESCRIPTION\n@acme\/pdf-filler\s+0\.1\.0\s+Fills PDF forms\.\n$/);
    const json = await cli.json<{ skills: { name: string }[] }>(["search"]);
    expect(json.skills.map((s) => s.name)).toEqual(["@acme/multi", "@acme/pdf-filler"]);
    expect((await cli.ok(["search", "zebra"])).stdout).toBe('No skills match "zebra".\n');
    const badLimit = await cli.run(["search", "--limit", "0"]);
    expect(badLimit.code).toBe(2);
  });

  it("update moves each skill within its recorded tag or range; exact versions stay", async () => {
    fresh();
    await publishVersions(publisher, "@acme/upd", ["1.0.0"]);
    await cli.ok(["install", "@acme/upd@^1.0.0", "-t", "claude"]);
    await cli.ok(["install", "@acme/upd", "-t", "codex"]);
    await cli.ok(["install", "@acme/upd@1.0.0", "-t", "cursor"]);
    expect((await cli.ok(["update"])).stdout).toContain("@acme/upd@1.0.0 is up to date (^1.0.0) for claude");

    await publishVersions(publisher, "@acme/upd", ["1.1.0", "2.0.0"]);
    const out = await cli.ok(["update", "@acme/upd"]);
    expect(out.stdout).toContain("Updated @acme/upd 1.0.0 → 1.1.0 (^1.0.0) for claude");
    expect(out.stdout).toContain("Updated @acme/upd 1.0.0 → 2.0.0 (latest) for codex");
    expect(out.stdout).toContain("@acme/upd@1.0.0 is up to date (1.0.0) for cursor");
    expect(bodyVersion(globalDir("claude", "acme__upd"))).toBe("1.1.0");
    expect(bodyVersion(globalDir("codex", "acme__upd"))).toBe("2.0.0");
    expect(bodyVersion(globalDir("cursor", "acme__upd"))).toBe("1.0.0");
    const notInstalled = await cli.run(["update", "@acme/multi"]);
    expect(notInstalled.code).toBe(1);
    expect(notInstalled.stderr).toContain("@acme/multi is not installed in your home folder");
  });

  it("uninstall removes the skill from every agent (or the -t ones) and says so when it is not there", async () => {
    fresh();
    await cli.ok(["install", "@acme/multi", "-t", "claude,codex,cursor"]);
    const one = await cli.ok(["uninstall", "@acme/multi", "-t", "codex"]);
    expect(one.stdout).toBe("Removed @acme/multi@2.0.0 from ~/.agents/skills/acme__multi (codex, global)\n");
    expect(existsSync(globalDir("codex"))).toBe(false);
    expect(existsSync(globalDir("claude"))).toBe(true);
    const rest = await cli.json<{ removed: { platform: string }[] }>(["uninstall", "@acme/multi"]);
    expect(rest.removed.map((r) => r.platform).sort()).toEqual(["claude", "cursor"]);
    expect(readdirSync(path.join(cli.home, ".claude/skills"))).toEqual([]);
    const gone = await cli.run(["uninstall", "@acme/multi"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe("skild: @acme/multi is not installed in your home folder. See `skild list`.\n");
  });
});
