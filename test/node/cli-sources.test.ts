// `skild install <source>` for folders and git repositories, through the real CLI and the real git:
// every source form DESIGN.md lists, #ref as branch, tag and commit, sources with many skills
// (--skill, --list), the folder-or-shorthand rule, bare-name installs and their collision rule.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliSandbox, createSandbox, installRecord, readJsonFile } from "./cli-helpers";
import { createRepo, fakeSsh, git, type Repo, skillMdText, startDumbHttp, writeFiles } from "./git-fixtures";

describe("skild install from folders and git repositories", () => {
  let cli: CliSandbox;
  let gh: string; // what SKILD_GITHUB_URL points at
  let single: Repo; // one skill at the root
  let firstCommit: string;
  let http: Awaited<ReturnType<typeof startDumbHttp>>;
  let env: Record<string, string>;
  const claudeDir = (name: string, base = cli.home) => path.join(base, ".claude/skills", name);
  const body = (dir: string) => readFileSync(path.join(dir, "SKILL.md"), "utf8");

  beforeAll(async () => {
    cli = createSandbox();
    gh = path.join(cli.root, "gh");
    single = createRepo(gh, "acme", "solo", {
      "SKILL.md": skillMdText("solo", undefined, "# solo v1\n"),
      "scripts/run.sh": "#!/bin/sh\necho solo\n",
    });
    firstCommit = git(single.work, "rev-parse", "HEAD");
    single.tag("v1.0.0");
    git(single.work, "checkout", "-q", "-b", "beta");
    writeFiles(single.work, { "SKILL.md": skillMdText("solo", undefined, "# solo beta\n") });
    single.commit("beta");
    git(single.work, "push", "-q", "origin", "beta");
    git(single.work, "checkout", "-q", "main");
    writeFiles(single.work, { "SKILL.md": skillMdText("solo", undefined, "# solo v2\n") });
    single.commit("v2");
    git(single.bare, "update-server-info");

    // skills/*, one a few levels down, and decoys in node_modules and too deep.
    createRepo(gh, "acme", "pack", {
      "README.md": "# a pack of skills\n",
      "skills/hello/SKILL.md": skillMdText("hello"),
      "skills/hello/ref/notes.md": "notes\n",
      "skills/goodbye/SKILL.md": skillMdText("goodbye"),
      "tools/deep/er/nested/SKILL.md": skillMdText("nested"),
      "node_modules/dep/SKILL.md": skillMdText("from-node-modules"),
      "a/b/c/d/e/SKILL.md": skillMdText("too-deep"),
    });
    http = await startDumbHttp(gh);
    env = { SKILD_GITHUB_URL: `file://${gh}` };
  });
  afterAll(async () => {
    await http?.stop();
    cli?.cleanup();
  });

  it("installs owner/repo and github:owner/repo (GitHub shorthand, SKILD_GITHUB_URL) under the bare SKILL.md name", async () => {
    const out = await cli.ok(["install", "acme/solo"], { env });
    expect(out.stdout).toMatch(/^Installed solo from github:acme\/solo at [0-9a-f]{12} into ~\/\.claude\/skills\/solo/);
    expect(body(claudeDir("solo"))).toContain("# solo v2");
    expect(readFileSync(path.join(claudeDir("solo"), "scripts/run.sh"), "utf8")).toContain("echo solo");
    expect(existsSync(path.join(claudeDir("solo"), ".git"))).toBe(false);
    const record = installRecord(claudeDir("solo")) as ReturnType<typeof installRecord> & {
      source: { type: string; source: string; path: string; commit: string };
      installDir: string;
    };
    expect(record).toMatchObject({
      name: "solo",
      installDir: "solo",
      source: { type: "git", source: "github:acme/solo", path: "", commit: git(single.work, "rev-parse", "HEAD") },
    });
    expect(record.integrity).toMatch(/^sha512-/);

    const again = await cli.ok(["install", "github:acme/solo", "-t", "cursor"], { env });
    expect(again.stdout).toContain("into ~/.cursor/skills/solo (cursor, global)");
  });

  it("installs https://github.com/o/r(.git) and …/tree/<ref>/<path> through SKILD_GITHUB_URL", async () => {
    const local = { env, cwd: cli.project };
    await cli.ok(["install", "https://github.com/acme/solo.git", "-t", "gemini", "--local"], local);
    expect(body(path.join(cli.project, ".gemini/skills/solo"))).toContain("# solo v2");
    await cli.ok(["install", "https://github.com/acme/pack/tree/main/skills/goodbye", "-t", "kiro", "--local"], local);
    expect(readdirSync(path.join(cli.project, ".kiro/skills"))).toEqual(["goodbye"]);
    const beta = await cli.ok(
      ["install", "https://github.com/acme/solo/tree/beta", "-t", "windsurf", "--local"],
      local,
    );
    expect(beta.stdout).toContain("Installed solo");
    expect(body(path.join(cli.project, ".windsurf/skills/solo"))).toContain("# solo beta");
  });

  it("takes #ref as a branch, a tag or a commit", async () => {
    const sandbox = createSandbox();
    try {
      await sandbox.ok(["install", "acme/solo#beta", "-t", "claude"], { env });
      expect(body(claudeDir("solo", sandbox.home))).toContain("# solo beta");
      await sandbox.ok(["install", "acme/solo#v1.0.0", "-t", "claude"], { env });
      expect(body(claudeDir("solo", sandbox.home))).toContain("# solo v1");
      await sandbox.ok(["install", `acme/solo#${git(single.work, "rev-parse", "HEAD")}`, "-t", "claude"], { env });
      expect(body(claudeDir("solo", sandbox.home))).toContain("# solo v2");
      // The same repository by another name is another source: replacing it takes --force.
      await sandbox.ok(["install", `${single.url}#${firstCommit}`, "-t", "claude", "--force"], { env });
      expect(body(claudeDir("solo", sandbox.home))).toContain("# solo v1");
      expect(installRecord(claudeDir("solo", sandbox.home)).resolvedVersion).toBe(firstCommit.slice(0, 12));
    } finally {
      sandbox.cleanup();
    }
  });

  it("installs from git+file://, file://, git@host:owner/repo.git and git+ssh:// (the system git, its ssh)", async () => {
    const sandbox = createSandbox();
    const ssh = { ...env, GIT_SSH_COMMAND: fakeSsh(gh), GIT_SSH_VARIANT: "simple" };
    try {
      for (const [source, agent] of [
        [`git+${single.url}`, "claude"],
        [single.url, "cursor"],
        ["git@git.example:acme/solo.git", "gemini"],
        ["git+ssh://git@git.example/acme/solo.git#v1.0.0", "kiro"],
      ]) {
        const out = await sandbox.ok(["install", source, "-t", agent], { env: ssh });
        expect(out.stdout).toContain(`Installed solo from`);
      }
      expect(body(path.join(sandbox.home, ".kiro/skills/solo"))).toContain("# solo v1");
      expect(body(path.join(sandbox.home, ".gemini/skills/solo"))).toContain("# solo v2");
    } finally {
      sandbox.cleanup();
    }
  });

  it("installs from http(s)://host/owner/repo(.git) (dumb HTTP: no shallow fetch there, so the full history)", async () => {
    const sandbox = createSandbox();
    try {
      await sandbox.ok(["install", `${http.url}/acme/solo.git#v1.0.0`, "-t", "claude"]);
      expect(body(claudeDir("solo", sandbox.home))).toContain("# solo v1");
      expect(http.requests).toContain("/acme/solo.git/info/refs");
      const record = installRecord(claudeDir("solo", sandbox.home)) as unknown as { source: { source: string } };
      expect(record.source.source).toBe(`${http.url}/acme/solo.git`);
    } finally {
      sandbox.cleanup();
    }
  });

  it("lists a source's skills (root, skills/*, a few levels down; never node_modules or too deep) and --skill picks one", async () => {
    const listed = await cli.json<{ skills: { name: string; path: string }[] }>(["install", "acme/pack", "--list"], {
      env,
    });
    expect(listed.skills.map((s) => [s.name, s.path])).toEqual([
      ["goodbye", "skills/goodbye"],
      ["hello", "skills/hello"],
      ["nested", "tools/deep/er/nested"],
    ]);
    const text = await cli.ok(["install", "acme/pack", "--list"], { env });
    expect(text.stdout).toContain("hello  skills/hello  The hello skill. Use it in tests.");

    const many = await cli.run(["install", "acme/pack"], { env });
    expect(many.code).toBe(1);
    expect(many.stderr).toBe(
      "skild: github:acme/pack holds 3 skills (goodbye, hello, nested); pick one with --skill NAME, or see them with --list.\n",
    );
    const missing = await cli.run(["install", "acme/pack", "--skill", "nope"], { env });
    expect(missing.stderr).toContain('has no skill named "nope"; it has: goodbye, hello, nested');

    await cli.ok(["install", "acme/pack", "--skill", "hello", "-t", "codex"], { env });
    const dir = path.join(cli.home, ".agents/skills/hello");
    expect(readFileSync(path.join(dir, "ref/notes.md"), "utf8")).toBe("notes\n");
    expect(readdirSync(dir).sort()).toEqual([".skild", "SKILL.md", "ref"]);
    await cli.ok(["install", "acme/pack", "--skill", "nested", "-t", "codex"], { env });
    expect(existsSync(path.join(cli.home, ".agents/skills/nested/SKILL.md"))).toBe(true);
  });

  it("reads a folder: ./, ../, absolute, ~ and a name that exists on disk; owner/repo otherwise is GitHub", async () => {
    const sandbox = createSandbox();
    try {
      writeFiles(sandbox.project, {
        "my-skill/SKILL.md": skillMdText("mine"),
        "acme/solo/SKILL.md": skillMdText("shadow"),
      });
      writeFiles(sandbox.home, { "skills/homey/SKILL.md": skillMdText("homey") });
      writeFiles(sandbox.root, { "up/SKILL.md": skillMdText("upper") });
      await sandbox.ok(["install", "./my-skill", "-t", "claude"]);
      await sandbox.ok(["install", "../up", "-t", "claude"]);
      await sandbox.ok(["install", path.join(sandbox.project, "my-skill"), "-t", "cursor"]);
      await sandbox.ok(["install", "~/skills/homey", "-t", "claude"]);
      // `acme/solo` exists on disk here, so it is that folder, not the GitHub repository.
      const shadow = await sandbox.ok(["install", "acme/solo", "-t", "claude"], { env });
      expect(shadow.stdout).toContain("Installed shadow from");
      expect(readdirSync(path.join(sandbox.home, ".claude/skills")).sort()).toEqual([
        "homey",
        "mine",
        "shadow",
        "upper",
      ]);
      const record = installRecord(path.join(sandbox.home, ".claude/skills/mine")) as unknown as {
        source: { type: string; source: string };
        resolvedVersion: string;
      };
      expect(record.source).toMatchObject({ type: "folder", source: path.join(sandbox.project, "my-skill") });
      expect(record.resolvedVersion).toBe("local");

      const notThere = await sandbox.run(["install", "./nothing-here"]);
      expect(notThere.code).toBe(1);
      expect(notThere.stderr).toContain("nothing-here cannot be read (ENOENT)");
    } finally {
      sandbox.cleanup();
    }
  });

  it("refuses to replace a different skill of the same name without --force, and replaces it with --force", async () => {
    const sandbox = createSandbox();
    try {
      writeFiles(sandbox.project, { "other-hello/SKILL.md": skillMdText("hello", "Another hello.") });
      await sandbox.ok(["install", "acme/pack", "--skill", "hello"], { env });
      const dir = claudeDir("hello", sandbox.home);
      const before = body(dir);
      const refused = await sandbox.run(["install", "./other-hello"], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /already holds a different skill named "hello" from github:acme\/pack\/skills\/hello; pass --force to replace it/,
      );
      expect(body(dir)).toBe(before);
      await sandbox.ok(["install", "./other-hello", "--force"], { env });
      expect(body(dir)).toContain("Another hello.");
      // A folder skild did not install is not replaced either.
      mkdirSync(claudeDir("goodbye", sandbox.home), { recursive: true });
      writeFileSync(path.join(claudeDir("goodbye", sandbox.home), "mine.txt"), "hand-made\n");
      const handMade = await sandbox.run(["install", "acme/pack", "--skill", "goodbye"], { env });
      expect(handMade.stderr).toContain("exists but was not installed by skild");
      expect(readdirSync(claudeDir("goodbye", sandbox.home))).toEqual(["mine.txt"]);
    } finally {
      sandbox.cleanup();
    }
  });

  it("installs the same source again as unchanged, and uninstalls it by its bare name", async () => {
    const sandbox = createSandbox();
    try {
      await sandbox.ok(["install", "acme/solo", "--local"], { env });
      const again = await sandbox.ok(["install", "acme/solo", "--local"], { env });
      expect(again.stdout).toContain(
        "is already installed in .claude/skills/solo (claude, local); --force reinstalls it",
      );
      const removed = await sandbox.ok(["uninstall", "solo", "--local"]);
      expect(removed.stdout).toMatch(/^Removed solo@[0-9a-f]{12} from \.claude\/skills\/solo \(claude, local\)/);
      expect(readJsonFile<{ skills: object }>(path.join(sandbox.project, "skild.lock.json")).skills).toEqual({});
    } finally {
      sandbox.cleanup();
    }
  });

  it("says in one line when git is missing", async () => {
    const out = await cli.run(["install", "acme/solo", "-t", "roo"], {
      env: { ...env, PATH: path.join(cli.root, "no-bin") },
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      "skild: Installing from a git repository needs git, and no `git` command was found on PATH; install git and try again.\n",
    );
    expect(existsSync(path.join(cli.home, ".roo"))).toBe(false);
  });
});
