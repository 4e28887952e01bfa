// Hostile repositories and folders: each is refused with a one-line reason, and the skill installed
// before (same name, --force even) and skild.lock.json stay exactly as they were.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliSandbox, createSandbox, snapshot } from "./cli-helpers";
import { createRepo, git, skillMdText, writeFiles } from "./git-fixtures";

describe("hostile sources are refused and change nothing", () => {
  let cli: CliSandbox;
  let gh: string;
  let env: Record<string, string>;
  let before: Record<string, string>;
  const victim = skillMdText("victim");

  beforeAll(async () => {
    cli = createSandbox();
    gh = path.join(cli.root, "gh");
    env = { SKILD_GITHUB_URL: `file://${gh}` };
    createRepo(gh, "good", "victim", { "SKILL.md": victim, "notes.md": "the good one\n" });
    await cli.ok(["install", "good/victim", "--local", "-t", "claude", "-t", "codex"], { env });
    before = snapshot(cli.project);
    expect(Object.keys(before)).toContain("skild.lock.json");
    expect(Object.keys(before)).toContain(path.join(".claude", "skills", "victim", "notes.md"));
  });
  afterAll(() => cli?.cleanup());

  /** Runs the install, expects one line on stderr matching `reason`, and nothing changed. */
  async function refused(source: string, reason: RegExp, extra: string[] = []) {
    const out = await cli.run(["install", source, "--local", "-t", "claude", "-t", "codex", "--force", ...extra], {
      env,
    });
    expect(out.code, out.stderr).not.toBe(0);
    expect(out.stdout).toBe("");
    const lines = out.stderr.trimEnd().split("\n");
    expect(lines, out.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
    expect(snapshot(cli.project)).toEqual(before);
    return lines[0];
  }

  it("a symbolic link that points out of the tree", async () => {
    const repo = createRepo(gh, "evil", "link", { "SKILL.md": victim });
    symlinkSync("/etc/passwd", path.join(repo.work, "passwd"));
    repo.commit("link");
    await refused(
      "evil/link",
      /^skild: github:evil\/link: passwd is a symbolic link that points outside the source; refusing to install it\.$/,
    );
  });

  it("a /tree/<ref>/<path> that goes through a symbolic link out of the repository", async () => {
    const outside = path.join(cli.root, "outside-skill");
    writeFiles(outside, { "SKILL.md": victim, "secret.txt": "not from the repository\n" });
    const repo = createRepo(gh, "evil", "hop", { "README.md": "hop\n" });
    symlinkSync(outside, path.join(repo.work, "skill"));
    repo.commit("hop");
    await refused(
      "https://github.com/evil/hop/tree/main/skill",
      /^skild: github:evil\/hop\/skill#main: the skill's folder is reached through a symbolic link that points outside the source; refusing to install it\.$/,
    );
  });

  it("a `..` path in the repository's tree, and in a /tree/ URL", async () => {
    const root = path.join(gh, "evil");
    const work = path.join(cli.root, "dotdot-work");
    mkdirSync(work, { recursive: true });
    mkdirSync(root, { recursive: true });
    git(work, "init", "-q", "-b", "main");
    const hash = (text: string) =>
      execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: work, input: text, encoding: "utf8" }).trim();
    const mktree = (lines: string) =>
      execFileSync("git", ["mktree"], { cwd: work, input: lines, encoding: "utf8" }).trim();
    const inner = mktree(`100644 blob ${hash("escaped\n")}\tescape.txt\n`);
    const tree = mktree(`100644 blob ${hash(victim)}\tSKILL.md\n040000 tree ${inner}\t..\n`);
    const commit = execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", "commit-tree", tree, "-m", "x"], {
      cwd: work,
      encoding: "utf8",
    }).trim();
    git(work, "update-ref", "refs/heads/main", commit);
    git(root, "init", "-q", "--bare", "-b", "main", path.join(root, "dotdot.git"));
    git(work, "push", "-q", path.join(root, "dotdot.git"), "main");
    await refused(
      "evil/dotdot",
      /^skild: Could not check out github:evil\/dotdot: invalid path '\.\.\/escape\.txt'\.$/,
    );
    await refused("https://github.com/good/victim/tree/main/../../etc", /a path with "\.\." is not allowed/);
  });

  it("a huge file", async () => {
    const repo = createRepo(gh, "evil", "huge", { "SKILL.md": victim });
    writeFileSync(path.join(repo.work, "blob.bin"), Buffer.alloc(51 * 1024 * 1024));
    repo.commit("huge");
    await refused(
      "evil/huge",
      /^skild: github:evil\/huge: the skill's files are over 52\.4 MB \(blob\.bin is 53\.5 MB\); refusing to install it\.$/,
    );
  });

  it("thousands of files", async () => {
    const files: Record<string, string> = { "SKILL.md": victim };
    for (let i = 0; i < 2001; i++) files[`many/f${i}.txt`] = `${i}\n`;
    createRepo(gh, "evil", "many", files);
    await refused(
      "evil/many",
      /^skild: github:evil\/many: the skill has more than 2000 files; refusing to install it\.$/,
    );
  });

  it("a SKILL.md that is not UTF-8", async () => {
    createRepo(gh, "evil", "latin1", {
      "SKILL.md": Buffer.concat([Buffer.from(victim), Buffer.from([0xff, 0xfe, 0xe9, 0x0a])]),
    });
    await refused("evil/latin1", /^skild: github:evil\/latin1: SKILL\.md is not UTF-8 text; refusing to install it\.$/);
  });

  it("a submodule", async () => {
    const inner = createRepo(gh, "evil", "inner", { "README.md": "inner\n" });
    const repo = createRepo(gh, "evil", "sub", { "SKILL.md": victim });
    const innerHead = git(inner.work, "rev-parse", "HEAD");
    git(repo.work, "update-index", "--add", "--cacheinfo", `160000,${innerHead},vendor/inner`);
    writeFiles(repo.work, { ".gitmodules": `[submodule "inner"]\n\tpath = vendor/inner\n\turl = ${inner.url}\n` });
    // Not `add -A`: the submodule's folder is not checked out here, and -A would stage its removal.
    git(repo.work, "add", ".gitmodules");
    git(repo.work, "commit", "-q", "-m", "submodule");
    git(repo.work, "push", "-q", "origin", "main");
    expect(git(repo.work, "ls-tree", "-r", "HEAD")).toContain("160000 commit");
    await refused(
      "evil/sub",
      /^skild: github:evil\/sub: vendor\/inner is a git submodule; skild does not fetch submodules/,
    );
  });

  it("a ref that does not exist", async () => {
    await refused(
      "good/victim#no-such-tag",
      /^skild: github:good\/victim#no-such-tag: no branch, tag or commit "no-such-tag" there/,
    );
  });

  it("a URL with credentials in it: refused, and the secret never printed or written", async () => {
    for (const url of [
      "https://someone:s3cret-token@github.com/good/victim",
      "git+https://s3cret-token@git.example/good/victim.git",
    ]) {
      const line = await refused(url, /has credentials in it; skild never stores or prints them/);
      expect(line).not.toContain("s3cret");
      expect(line).toContain("***@");
    }
    expect(readFileSync(path.join(cli.project, "skild.lock.json"), "utf8")).not.toContain("s3cret");
  });

  it("a repository that is a file, and a folder source that is a file", async () => {
    const file = path.join(cli.root, "not-a-repo.txt");
    writeFileSync(file, "just text\n");
    await refused(`file://${file}`, /^skild: Could not fetch file:\/\/.*not-a-repo\.txt with git: /);
    await refused(file, /^skild: .*not-a-repo\.txt is a file, not a folder or repository with skills\.$/);
  });
});
