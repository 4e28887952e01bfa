// skild.lock.json for skills from git and folders: keyed by source and path, pinned to the commit and
// an sha512 integrity of the files; `skild install` reproduces exactly those files after a tag
// moved, refuses files that differ from the integrity, and `skild update` moves to the ref's newest commit.
import { copyFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliSandbox, createSandbox, readJsonFile, snapshot } from "./cli-helpers";
import { createRepo, git, type Repo, skillMdText, writeFiles } from "./git-fixtures";

type Lock = { lockfileVersion: number; skills: Record<string, Record<string, unknown>> };

describe("skild.lock.json for git and folder skills", () => {
  let gh: string;
  let repo: Repo;
  let v1: string;
  const sandboxes: CliSandbox[] = [];
  let env: Record<string, string>;
  const machine = () => {
    const cli = createSandbox();
    sandboxes.push(cli);
    return cli;
  };
  const lockOf = (cli: CliSandbox) => readJsonFile<Lock>(path.join(cli.project, "skild.lock.json"));
  const skillBody = (cli: CliSandbox, agentDir = ".claude/skills") =>
    readFileSync(path.join(cli.project, agentDir, "tool", "SKILL.md"), "utf8");

  beforeAll(() => {
    const root = machine().root;
    gh = path.join(root, "gh");
    env = { SKILD_GITHUB_URL: `file://${gh}` };
    repo = createRepo(gh, "acme", "kit", {
      "skills/tool/SKILL.md": skillMdText("tool", undefined, "# tool v1\n"),
      "skills/tool/run.sh": "#!/bin/sh\necho v1\n",
      "skills/other/SKILL.md": skillMdText("other"),
    });
    repo.tag("stable");
    v1 = git(repo.work, "rev-parse", "HEAD");
  });
  afterAll(() => {
    for (const s of sandboxes) s.cleanup();
  });

  it("records source, path, ref, commit and the files' integrity; reinstalls that commit after the tag moved", async () => {
    const dev = machine();
    await dev.ok(["install", "acme/kit#stable", "--skill", "tool", "--local", "-t", "claude", "-t", "roo"], { env });
    const lock = lockOf(dev);
    expect(Object.keys(lock.skills)).toEqual(["github:acme/kit::skills/tool"]);
    const entry = lock.skills["github:acme/kit::skills/tool"];
    expect(entry).toEqual({
      type: "git",
      source: "github:acme/kit",
      path: "skills/tool",
      name: "tool",
      ref: "stable",
      commit: v1,
      integrity: expect.stringMatching(/^sha512-[A-Za-z0-9+/]{86}==$/),
      platforms: ["claude", "roo"],
    });

    // The tag moves to a new commit with other files.
    writeFiles(repo.work, { "skills/tool/SKILL.md": skillMdText("tool", undefined, "# tool v2\n") });
    repo.commit("v2");
    repo.tag("stable");
    expect(git(repo.work, "rev-parse", "stable")).not.toBe(v1);

    const ci = machine();
    copyFileSync(path.join(dev.project, "skild.lock.json"), path.join(ci.project, "skild.lock.json"));
    const out = await ci.json<{ installed: { name: string; version: string; platform: string; status: string }[] }>(
      ["install"],
      { env },
    );
    expect(out.installed.map((r) => [r.name, r.version, r.platform, r.status])).toEqual([
      ["tool", v1.slice(0, 12), "claude", "installed"],
      ["tool", v1.slice(0, 12), "roo", "installed"],
    ]);
    expect(skillBody(ci)).toContain("# tool v1");
    expect(skillBody(ci, ".roo/skills")).toContain("# tool v1");
    expect(readFileSync(path.join(ci.project, "skild.lock.json"), "utf8")).toBe(
      readFileSync(path.join(dev.project, "skild.lock.json"), "utf8"),
    );
  });

  it("refuses files whose integrity differs from the lockfile, installing nothing", async () => {
    const dev = machine();
    await dev.ok(["install", `${repo.url}#${v1}`, "--skill", "tool", "--local"], { env });
    const ci = machine();
    const lock = lockOf(dev);
    const [key] = Object.keys(lock.skills);
    lock.skills[key].integrity = `sha512-${Buffer.alloc(64, 1).toString("base64")}`;
    writeFileSync(path.join(ci.project, "skild.lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
    const before = snapshot(ci.project);
    const out = await ci.run(["install"], { env });
    expect(out.code).toBe(1);
    expect(out.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(out.stderr).toContain(`at ${v1}: the files' integrity is sha512-`);
    expect(out.stderr).toContain("but skild.lock.json records sha512-AQEB");
    expect(snapshot(ci.project)).toEqual(before);
  });

  it("skild update moves a git skill to its ref's newest commit, and updates the lockfile", async () => {
    const dev = machine();
    await dev.ok(["install", "acme/kit#main", "--skill", "tool", "--local"], { env });
    const installed = lockOf(dev).skills["github:acme/kit::skills/tool"].commit as string;
    const upToDate = await dev.ok(["update", "--local"], { env });
    expect(upToDate.stdout).toBe(`tool@${installed.slice(0, 12)} is up to date (main) for claude (local)\n`);

    writeFiles(repo.work, { "skills/tool/SKILL.md": skillMdText("tool", undefined, "# tool v3\n") });
    const v3 = repo.commit("v3");
    const moved = await dev.ok(["update", "tool", "--local"], { env });
    expect(moved.stdout).toBe(
      `Updated tool ${installed.slice(0, 12)} → ${v3.slice(0, 12)} (main) for claude (local)\n`,
    );
    expect(skillBody(dev)).toContain("# tool v3");
    expect(lockOf(dev).skills["github:acme/kit::skills/tool"]).toMatchObject({ ref: "main", commit: v3 });

    // Without a ref, the repository's default branch.
    const other = machine();
    await other.ok(["install", "acme/kit", "--skill", "tool"], { env });
    writeFiles(repo.work, { "skills/tool/SKILL.md": skillMdText("tool", undefined, "# tool v4\n") });
    const v4 = repo.commit("v4");
    const updated = await other.ok(["update"], { env });
    expect(updated.stdout).toContain(`→ ${v4.slice(0, 12)} (default branch) for claude`);
    expect(readFileSync(path.join(other.home, ".claude/skills/tool/SKILL.md"), "utf8")).toContain("# tool v4");
  });

  it("records a folder inside the project relative to it, so the lockfile works in another checkout", async () => {
    const dev = machine();
    writeFiles(dev.project, { "vendor/tool/SKILL.md": skillMdText("tool", undefined, "# vendored\n") });
    await dev.ok(["install", "./vendor/tool", "--local", "-t", "cursor"]);
    const lock = lockOf(dev);
    expect(lock.skills).toEqual({
      "./vendor/tool::.": {
        type: "folder",
        source: "./vendor/tool",
        path: "",
        name: "tool",
        integrity: expect.stringMatching(/^sha512-/),
        platforms: ["cursor"],
      },
    });
    const checkout = machine();
    cpSync(path.join(dev.project, "vendor"), path.join(checkout.project, "vendor"), { recursive: true });
    copyFileSync(path.join(dev.project, "skild.lock.json"), path.join(checkout.project, "skild.lock.json"));
    await checkout.ok(["install"]);
    expect(skillBody(checkout, ".cursor/skills")).toContain("# vendored");
  });
});
