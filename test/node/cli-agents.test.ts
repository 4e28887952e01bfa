// The agents table (DESIGN "The skild client"): every agent's project and user folder, --all once
// per distinct folder, bare-name folders for Roo and Cline with the cross-publisher collision rule,
// the older folders skild used (found by list/uninstall, moved by update), and `skild agents`.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { type CliSandbox, createPublisher, createSandbox, installRecord, publishVersions } from "./cli-helpers";

// Agent → [project folder, user folder], as each agent's docs say (DESIGN.md's table).
const AGENTS: Record<string, [string, string]> = {
  claude: [".claude/skills", ".claude/skills"],
  codex: [".agents/skills", ".agents/skills"],
  copilot: [".github/skills", ".copilot/skills"],
  cursor: [".cursor/skills", ".cursor/skills"],
  opencode: [".opencode/skills", ".config/opencode/skills"],
  gemini: [".gemini/skills", ".gemini/skills"],
  windsurf: [".windsurf/skills", ".codeium/windsurf/skills"],
  goose: [".agents/skills", ".agents/skills"],
  kiro: [".kiro/skills", ".kiro/skills"],
  roo: [".roo/skills", ".roo/skills"],
  cline: [".cline/skills", ".cline/skills"],
  agents: [".agents/skills", ".agents/skills"],
};
const BARE = new Set(["roo", "cline"]);

describe("agents and their folders", () => {
  let server: RegistryServer;
  let publisher: CliSandbox;
  const sandboxes: CliSandbox[] = [];
  const machine = () => {
    const cli = createSandbox(server.url);
    sandboxes.push(cli);
    return cli;
  };
  const bodyVersion = (dir: string) => /Version (\S+)\./.exec(readFileSync(path.join(dir, "SKILL.md"), "utf8"))?.[1];

  beforeAll(async () => {
    server = await startRegistry();
    publisher = machine();
    await createPublisher(publisher, "acme");
    await publishVersions(publisher, "@acme/tool", ["1.0.0", "1.1.0"]);
    const rival = machine();
    await createPublisher(rival, "rival");
    await publishVersions(rival, "@rival/tool", ["3.0.0"]);
  });
  afterAll(async () => {
    await server?.stop();
    for (const s of sandboxes) s.cleanup();
  });

  it.each(Object.entries(AGENTS))("installs for %s into its project and user folders", async (agent, [local, user]) => {
    const cli = machine();
    const folder = BARE.has(agent) ? "tool" : "acme__tool";
    await cli.ok(["install", "@acme/tool@1.0.0", "-t", agent, "--local"]);
    await cli.ok(["install", "@acme/tool@1.0.0", "-t", agent]);
    for (const dir of [path.join(cli.project, local, folder), path.join(cli.home, user, folder)]) {
      expect(installRecord(dir), dir).toMatchObject({ name: "@acme/tool", platform: agent, resolvedVersion: "1.0.0" });
      expect((installRecord(dir) as unknown as { installDir: string }).installDir).toBe(folder);
    }
    const listed = await cli.json<{ skills: { name: string; platform: string; scope: string }[] }>([
      "list",
      "-t",
      agent,
    ]);
    expect(listed.skills.map((s) => [s.name, s.platform, s.scope])).toEqual([
      ["@acme/tool", agent, "global"],
      ["@acme/tool", agent, "local"],
    ]);
  });

  it("--all installs once per distinct folder (codex, goose and agents share .agents/skills)", async () => {
    const cli = machine();
    const out = await cli.json<{ installed: { platform: string; dir: string }[] }>([
      "install",
      "@acme/tool@1.0.0",
      "--all",
      "--local",
    ]);
    const dirs = out.installed.map((r) => path.relative(cli.project, r.dir));
    expect(new Set(dirs).size).toBe(dirs.length);
    expect(out.installed.map((r) => r.platform)).toEqual([
      "claude",
      "codex",
      "copilot",
      "cursor",
      "opencode",
      "gemini",
      "windsurf",
      "kiro",
      "roo",
      "cline",
    ]);
    expect(dirs).toContain(path.join(".agents/skills/acme__tool"));
    expect(dirs).toContain(path.join(".roo/skills/tool"));
    const lock = JSON.parse(readFileSync(path.join(cli.project, "skild.lock.json"), "utf8"));
    expect(lock.skills["@acme/tool"].platforms).toHaveLength(10);
  });

  it("Roo and Cline: another publisher's skill of the same bare name is refused, --force replaces it", async () => {
    const cli = machine();
    await cli.ok(["install", "@acme/tool@1.1.0", "-t", "roo,cline,claude", "--local"]);
    const roo = path.join(cli.project, ".roo/skills/tool");
    const refused = await cli.run(["install", "@rival/tool", "-t", "roo", "--local"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `skild: ${roo} holds @acme/tool, not @rival/tool (roo needs the folder to be the bare skill name, so two publishers' "tool" cannot sit side by side); pass --force to replace it.\n`,
    );
    expect(installRecord(roo).name).toBe("@acme/tool");
    // Where folders are publisher__skill, both live side by side.
    await cli.ok(["install", "@rival/tool", "-t", "claude", "--local"]);
    expect(readdirSync(path.join(cli.project, ".claude/skills")).sort()).toEqual(["acme__tool", "rival__tool"]);
    await cli.ok(["install", "@rival/tool", "-t", "roo", "--local", "--force"]);
    expect(installRecord(roo)).toMatchObject({ name: "@rival/tool", installDir: "tool", resolvedVersion: "3.0.0" });
    expect(readdirSync(path.join(cli.project, ".roo/skills"))).toEqual(["tool"]);
    // uninstall and update find the bare folder by the canonical name.
    const removed = await cli.ok(["uninstall", "@acme/tool", "-t", "cline", "--local"]);
    expect(removed.stdout).toBe("Removed @acme/tool@1.1.0 from .cline/skills/tool (cline, local)\n");
  });

  it("list, uninstall and update find skills in the old folders; update moves them to the agent's folder", async () => {
    const cli = machine();
    // Skills installed by an older skild: into .codex/skills, ~/.github/skills and .opencode/skill.
    await cli.ok(["install", "@acme/tool@1.0.0", "-t", "codex", "--local"]);
    await publishVersions(publisher, "@acme/mover", ["1.0.0"]);
    await cli.ok(["install", "@acme/mover", "-t", "opencode", "--local"]);
    await cli.ok(["install", "@acme/tool@1.0.0", "-t", "copilot"]);
    const move = (from: string, to: string) => {
      mkdirSync(path.dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
      rmSync(path.dirname(from), { recursive: true });
    };
    move(path.join(cli.project, ".agents/skills/acme__tool"), path.join(cli.project, ".codex/skills/acme__tool"));
    move(path.join(cli.project, ".opencode/skills/acme__mover"), path.join(cli.project, ".opencode/skill/acme__mover"));
    move(path.join(cli.home, ".copilot/skills/acme__tool"), path.join(cli.home, ".github/skills/acme__tool"));

    const listed = await cli.ok(["list"]);
    expect(listed.stdout.trim().split("\n").sort()).toEqual([
      "@acme/mover  1.0.0  opencode (local)",
      "@acme/tool   1.0.0  codex (local)",
      "@acme/tool   1.0.0  copilot",
    ]);

    await publishVersions(publisher, "@acme/mover", ["1.1.0"]);
    const updated = await cli.ok(["update", "--local"]);
    expect(updated.stdout.trim().split("\n").sort()).toEqual([
      "Moved @acme/mover 1.0.0 → 1.1.0 from .opencode/skill/acme__mover to .opencode/skills/acme__mover (latest) for opencode (local)",
      "Moved @acme/tool@1.0.0 from .codex/skills/acme__tool to .agents/skills/acme__tool (1.0.0) for codex (local)",
    ]);
    expect(existsSync(path.join(cli.project, ".codex/skills/acme__tool"))).toBe(false);
    expect(bodyVersion(path.join(cli.project, ".agents/skills/acme__tool"))).toBe("1.0.0");
    expect(bodyVersion(path.join(cli.project, ".opencode/skills/acme__mover"))).toBe("1.1.0");
    expect(existsSync(path.join(cli.project, ".opencode/skill/acme__mover"))).toBe(false);

    const removed = await cli.ok(["uninstall", "@acme/tool", "-t", "copilot"]);
    expect(removed.stdout).toBe("Removed @acme/tool@1.0.0 from ~/.github/skills/acme__tool (copilot, global)\n");
    expect(existsSync(path.join(cli.home, ".github/skills/acme__tool"))).toBe(false);
  });

  it("skild agents prints the table, and --json", async () => {
    const cli = machine();
    const text = await cli.ok(["agents"]);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toMatch(/^AGENT\s+PROJECT \(--local\)\s+USER\s+FOLDER NAME$/);
    expect(lines).toContainEqual(
      expect.stringMatching(/^copilot\s+\.github\/skills\s+~\/\.copilot\/skills\s+publisher__skill$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^roo\s+\.roo\/skills\s+~\/\.roo\/skills\s+skill$/));
    expect(text.stdout).toContain("codex: .codex/skills, ~/.codex/skills");
    const json = await cli.json<{ agents: { name: string; project: string; user: string; folderName: string }[] }>([
      "agents",
    ]);
    expect(Object.fromEntries(json.agents.map((a) => [a.name, [a.project, a.user.replace(/^~\//, "")]]))).toEqual(
      AGENTS,
    );
    expect(json.agents.filter((a) => a.folderName === "skill").map((a) => a.name)).toEqual(["roo", "cline"]);
  });
});
