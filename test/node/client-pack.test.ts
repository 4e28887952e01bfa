import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectSkillFiles, compileIgnore, inspectSkillFolder, packSkillFolder } from "../../client/core/pack.js";
import { readPackageTarball } from "../../client/core/tarball.js";

const root = mkdtempSync(path.join(os.tmpdir(), "skild-pack-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function folder(files: Record<string, string>): string {
  n += 1;
  const dir = path.join(root, `skill-${n}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
const skillMd = (fields: string) => `---\n${fields}\n---\n\n# Body\n`;

describe(".skildignore rules", () => {
  const ignored = compileIgnore(
    ["# comment", "", "*.log", "!keep.log", "/build", "secret/", "docs/**/draft.md", "tmp?.txt"].join("\n"),
  );
  it.each([
    ["debug.log", false, true],
    ["deep/nested/trace.log", false, true],
    ["keep.log", false, false],
    ["build", true, true],
    ["src/build", true, false],
    ["secret", true, true],
    ["secret", false, false],
    ["docs/a/b/draft.md", false, true],
    ["docs/draft.md", false, true],
    ["draft.md", false, false],
    ["tmp1.txt", false, true],
    ["tmp12.txt", false, false],
    ["SKILL.md", false, false],
  ])("%s (dir: %s) ignored: %s", (rel, isDir, expected) => {
    expect(ignored(rel, isDir)).toBe(expected);
  });
});

describe("collectSkillFiles", () => {
  it("skips .git, node_modules, .skild, .DS_Store and .skildignore at any depth, sorted", async () => {
    const dir = folder({
      "SKILL.md": "x",
      ".git/HEAD": "x",
      "node_modules/a/index.js": "x",
      "lib/node_modules/b.js": "x",
      ".skild/install.json": "x",
      "lib/.DS_Store": "x",
      ".skildignore": "*.bak\n",
      "lib/util.js": "abc",
      "lib/old.bak": "x",
      "README.md": "x",
    });
    expect(await collectSkillFiles(dir)).toEqual([
      { path: "README.md", size: 1 },
      { path: "SKILL.md", size: 1 },
      { path: "lib/util.js", size: 3 },
    ]);
  });
});

describe("collectSkillFiles refuses names the registry would refuse", () => {
  it.each([
    ["aux.md", '"aux.md" is a reserved device name on Windows'],
    ["docs/NUL/x.md", 'docs/NUL: "NUL" is a reserved device name on Windows'],
    ["notes.", "ends with a dot or a space"],
    ["a:b.md", "a character Windows forbids"],
    ["run\u202egnp.sh", '"run\\u202egnp.sh" has an invisible zero-width or bidirectional control character'],
  ])("%s, unless .skildignore lists it", async (rel, message) => {
    const dir = folder({ "SKILL.md": "x", [rel]: "x" });
    await expect(collectSkillFiles(dir)).rejects.toThrow(message);
    writeFileSync(path.join(dir, ".skildignore"), `${rel.split("/")[0]}\n`);
    expect(await collectSkillFiles(dir)).toEqual([{ path: "SKILL.md", size: 1 }]);
  });
});

describe("inspectSkillFolder: name and version", () => {
  it("takes --name, else package.json, else a full frontmatter name", async () => {
    const bare = folder({ "SKILL.md": skillMd("name: x-skill\ndescription: d\nversion: 1.0.0") });
    expect((await inspectSkillFolder(bare)).skill).toBeUndefined();
    expect((await inspectSkillFolder(bare, { name: "@acme/x-skill" })).skill?.canonical).toBe("@acme/x-skill");
    const full = folder({ "SKILL.md": skillMd("name: '@acme/x-skill'\ndescription: d\nversion: 1.0.0") });
    expect((await inspectSkillFolder(full)).skill?.installDir).toBe("acme__x-skill");
    const pkg = folder({
      "SKILL.md": skillMd("name: x-skill\ndescription: d"),
      "package.json": JSON.stringify({ name: "@acme/x-skill", version: "2.0.0" }),
    });
    expect(await inspectSkillFolder(pkg)).toMatchObject({ version: "2.0.0", skill: { canonical: "@acme/x-skill" } });
  });

  it("refuses disagreements with a message that says which", async () => {
    const dir = folder({
      "SKILL.md": skillMd("name: x-skill\ndescription: d\nversion: 1.0.0"),
      "package.json": JSON.stringify({ name: "@acme/x-skill", version: "1.1.0" }),
    });
    await expect(inspectSkillFolder(dir)).rejects.toThrow("SKILL.md says version 1.0.0 but package.json says 1.1.0");
    expect((await inspectSkillFolder(dir, { version: "3.0.0" })).version).toBe("3.0.0");
    await expect(inspectSkillFolder(dir, { name: "@acme/other" })).rejects.toThrow(
      "--name @acme/other disagrees with package.json name @acme/x-skill",
    );
    await expect(inspectSkillFolder(dir, { version: "3" })).rejects.toThrow(
      '--skill-version "3" is not a valid semver',
    );
  });
});

describe("packSkillFolder", () => {
  it("writes an npm-pack style tarball: package/ prefix, generated package.json, same bytes every time", async () => {
    const dir = folder({
      "SKILL.md": skillMd("name: hello\ndescription: Says hello.\nversion: 0.0.1\nlicense: MIT"),
      "scripts/run.sh": "echo hi\n",
    });
    const a = await packSkillFolder(dir, { name: "@acme/hello" });
    const b = await packSkillFolder(dir, { name: "@acme/hello" });
    expect(a.integrity).toBe(b.integrity);
    expect(a.files.map((f) => f.path)).toEqual(["SKILL.md", "package.json", "scripts/run.sh"]);
    const contents = await readPackageTarball(a.tarball);
    expect(contents.entries.map((e) => e.path).sort()).toEqual(["SKILL.md", "package.json", "scripts/run.sh"]);
    expect(contents.packageJson).toEqual({
      license: "MIT",
      name: "@acme/hello",
      version: "0.0.1",
      description: "Says hello.",
    });
  });

  it("needs a full name and a version, and says which flag to pass", async () => {
    const dir = folder({ "SKILL.md": skillMd("name: hello\ndescription: d") });
    await expect(packSkillFolder(dir)).rejects.toThrow("pass --name @<your handle>/hello");
    await expect(packSkillFolder(dir, { name: "@acme/hello" })).rejects.toThrow("pass --skill-version 1.0.0");
    await expect(packSkillFolder(dir, { name: "hello", version: "1.0.0" })).rejects.toThrow(
      '--name "hello" is not a full skill name: use @publisher/skill, e.g. @acme/hello',
    );
  });
});
