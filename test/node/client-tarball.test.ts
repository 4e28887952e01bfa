import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { swapIntoPlace } from "../../client/core/install.js";
import { parseSkillSpec } from "../../client/core/names.js";
import { selectPlatforms, skillsDir } from "../../client/core/platforms.js";
import { checkEntryPath, readPackageTarball, writeEntries } from "../../client/core/tarball.js";
import { gzip, skillEntries, type TarEntry, tar } from "../helpers/tarball";

const root = mkdtempSync(path.join(os.tmpdir(), "skild-tar-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const packageWith = async (...extra: TarEntry[]) => gzip(tar([...skillEntries(), ...extra]));

describe("checkEntryPath", () => {
  it.each([
    ["package/SKILL.md", "SKILL.md"],
    ["package/./docs//a.md", "docs/a.md"],
    ["package/", ""],
    ["package/console.md", "console.md"],
    ["package/CONTRIBUTING.md", "CONTRIBUTING.md"],
    ["package/.hidden/x", ".hidden/x"],
    ["package/résumé.md", "résumé.md"],
  ])("accepts %s as %s", (raw, rel) => {
    expect(checkEntryPath(raw)).toBe(rel);
  });
  it.each([
    ["package/../x", '".."'],
    ["package/a/../../x", '".."'],
    ["/etc/passwd", "absolute"],
    ["C:/x", "absolute"],
    ["package\\..\\x", "backslash"],
    ["package/a\u0000b", "control character"],
    ["other/SKILL.md", "outside package/"],
    ["SKILL.md", "outside package/"],
    ["package/NUL", "reserved device name"],
    ["package/lpt1.txt", "reserved device name"],
    ["package/com\u00b9/x.md", "reserved device name"],
    ["package/notes.", "ends with a dot"],
    ["package/notes ", "ends with a dot or a space"],
    ["package/a|b", "Windows forbids"],
    ["package/run\u202egnp.sh", "\\u202e"],
    ["package/\u2067x/SKILL.md", "bidirectional"],
    ["package/x\ufeff.md", "zero-width"],
  ])("refuses %s (%s)", (raw, why) => {
    expect(() => checkEntryPath(raw)).toThrow(why);
  });
});

describe("readPackageTarball", () => {
  it("reads a valid package into memory", async () => {
    const contents = await readPackageTarball(await packageWith({ path: "package/docs/a.md", content: "A" }));
    expect(contents.packageJson).toMatchObject({ name: "@acme/hello-skill", version: "1.0.0" });
    expect(contents.skillMd).toContain("name: hello-skill");
    expect(contents.fileCount).toBe(3);
  });
  it.each<[string, TarEntry, string]>([
    ["symlink", { path: "package/l", type: "symlink", linkpath: "/etc" }, "symbolic link"],
    ["hard link", { path: "package/h", type: "hardlink", linkpath: "package/SKILL.md" }, "hard link"],
    ["fifo", { path: "package/f", type: "fifo" }, "only files and folders"],
    ["duplicate", { path: "package/SKILL.md", content: "again" }, "appears twice"],
    [
      "duplicate by case (one file on macOS and Windows)",
      { path: "package/skill.md", content: "again" },
      "appears twice",
    ],
    ["dotdot", { path: "package/../../x", content: "x" }, '".."'],
    ["file used as folder", { path: "package/SKILL.md/x", content: "x" }, "both a file and a folder"],
  ])("refuses a %s", async (_label, entry, message) => {
    await expect(readPackageTarball(await packageWith(entry))).rejects.toThrow(message);
  });
  it("refuses the same name in NFC and NFD forms (one file on macOS)", async () => {
    const twins = await packageWith(
      { path: "package/caf\u00e9.md", content: "a" },
      { path: "package/cafe\u0301.md", content: "b" },
    );
    await expect(readPackageTarball(twins)).rejects.toThrow("appears twice");
  });
  it("refuses what is not gzip, and a gzip bomb", async () => {
    await expect(readPackageTarball(new TextEncoder().encode("plain text"))).rejects.toThrow("not a gzip tarball");
    const bomb = await packageWith({ path: "package/big", content: new Uint8Array(60 * 1024 * 1024) });
    await expect(readPackageTarball(bomb)).rejects.toThrow("unpacks to more than");
  });
});

describe("writeEntries", () => {
  it("writes files and folders, executable bits kept, and never follows what is there", async () => {
    const dir = path.join(root, "fresh");
    mkdirSync(dir);
    await writeEntries(dir, [
      { path: "docs", type: "dir", mode: 0o755, data: new Uint8Array() },
      { path: "docs/a.md", type: "file", mode: 0o644, data: new TextEncoder().encode("A") },
      { path: "run.sh", type: "file", mode: 0o755, data: new TextEncoder().encode("#!/bin/sh") },
    ]);
    expect(readFileSync(path.join(dir, "docs/a.md"), "utf8")).toBe("A");
    expect(readdirSync(dir).sort()).toEqual(["docs", "run.sh"]);
    await expect(
      writeEntries(dir, [{ path: "run.sh", type: "file", mode: 0o644, data: new Uint8Array() }]),
    ).rejects.toThrow(/EEXIST/);
    await expect(
      writeEntries(dir, [{ path: "../escape", type: "file", mode: 0o644, data: new Uint8Array() }]),
    ).rejects.toThrow("outside the install folder");
    expect(existsSync(path.join(root, "escape"))).toBe(false);
  });
});

describe("swapIntoPlace", () => {
  it("replaces the target, and puts the old one back when the move fails", async () => {
    const parent = path.join(root, "swap");
    mkdirSync(path.join(parent, "target"), { recursive: true });
    writeFileSync(path.join(parent, "target/v"), "1");
    mkdirSync(path.join(parent, "fresh"));
    writeFileSync(path.join(parent, "fresh/v"), "2");
    await swapIntoPlace(path.join(parent, "fresh"), path.join(parent, "target"));
    expect(readFileSync(path.join(parent, "target/v"), "utf8")).toBe("2");
    expect(readdirSync(parent)).toEqual(["target"]);

    await expect(swapIntoPlace(path.join(parent, "missing"), path.join(parent, "target"))).rejects.toThrow(/ENOENT/);
    expect(readFileSync(path.join(parent, "target/v"), "utf8")).toBe("2");
    expect(readdirSync(parent)).toEqual(["target"]);
  });
});

describe("names and platforms", () => {
  it.each([
    ["@acme/x-y", undefined],
    ["@acme/x-y@1.2.3", "1.2.3"],
    ["@acme/x-y@beta", "beta"],
    ["@acme/x-y@^1.0.0", "^1.0.0"],
    ["@acme/x-y@>=1 <2", ">=1 <2"],
  ])("parses %s", (raw, spec) => {
    const parsed = parseSkillSpec(raw);
    expect(parsed.skill).toEqual({ scope: "acme", name: "x-y", canonical: "@acme/x-y", installDir: "acme__x-y" });
    expect(parsed.spec).toBe(spec);
  });
  it("resolves platform folders from HOME and the project", () => {
    const home = process.env.HOME;
    process.env.HOME = "/home/someone";
    try {
      expect(skillsDir("opencode", "global", "/p")).toBe("/home/someone/.config/opencode/skills");
      expect(skillsDir("opencode", "local", "/p")).toBe("/p/.opencode/skills");
      expect(skillsDir("copilot", "global", "/p")).toBe("/home/someone/.copilot/skills");
    } finally {
      process.env.HOME = home;
    }
    expect(selectPlatforms({ target: ["codex,Claude", "codex"] }, [])).toEqual(["codex", "claude"]);
    expect(selectPlatforms({}, ["claude"])).toEqual(["claude"]);
    expect(() => selectPlatforms({ target: ["codex"], all: true }, [])).toThrow("not both");
  });
});
