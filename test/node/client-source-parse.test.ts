// parseSource: which source each argument form is, with SKILD_GITHUB_URL, #ref and the refusals
// (credentials, `..`, option-looking refs). Pure: no git, no network.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSource, redactCredentials } from "../../client/core/sources/parse.js";

const cwd = path.resolve(import.meta.dirname, "../..");
const env = {};
const parse = (raw: string, e: Record<string, string> = env) => parseSource(raw, { cwd, env: e });

describe("parseSource", () => {
  it.each([
    ["acme/skills", { source: "github:acme/skills", url: "https://github.com/acme/skills.git" }],
    ["github:acme/skills#v1", { source: "github:acme/skills", url: "https://github.com/acme/skills.git", ref: "v1" }],
    ["https://github.com/acme/skills", { source: "github:acme/skills", url: "https://github.com/acme/skills.git" }],
    ["https://github.com/acme/skills.git#main", { source: "github:acme/skills", ref: "main" }],
    [
      "https://github.com/acme/skills/tree/v2/skills/hello",
      { source: "github:acme/skills", ref: "v2", subpath: "skills/hello" },
    ],
    ["https://git.example/acme/skills.git", { source: "https://git.example/acme/skills.git" }],
    ["git+https://git.example/acme/skills#beta", { url: "https://git.example/acme/skills", ref: "beta" }],
    ["git+ssh://git@git.example/acme/skills.git", { url: "ssh://git@git.example/acme/skills.git" }],
    ["git@git.example:acme/skills.git#v1.0.0", { url: "git@git.example:acme/skills.git", ref: "v1.0.0" }],
    ["git+file:///srv/git/skills.git", { url: "file:///srv/git/skills.git" }],
    ["file:///srv/git/skills.git#0123abc", { url: "file:///srv/git/skills.git", ref: "0123abc" }],
  ])("%s is a git source", (raw, expected) => {
    expect(parse(raw)).toMatchObject({ kind: "git", ...expected });
  });

  it("SKILD_GITHUB_URL replaces https://github.com for the shorthand and GitHub URLs", () => {
    const mirror = { SKILD_GITHUB_URL: "https://ghe.example/" };
    expect(parse("acme/skills", mirror)).toMatchObject({ url: "https://ghe.example/acme/skills.git" });
    expect(parse("https://github.com/acme/skills/tree/main/x", mirror)).toMatchObject({
      url: "https://ghe.example/acme/skills.git",
      source: "github:acme/skills",
    });
  });

  it("reads a folder when it starts with ./ ../ / ~ or exists on disk; a registry spec starts with @", () => {
    expect(parse("./examples/hello-skill")).toMatchObject({
      kind: "folder",
      path: path.join(cwd, "examples/hello-skill"),
    });
    expect(parse("examples/hello-skill")).toMatchObject({ kind: "folder" });
    expect(parse("/tmp/x")).toMatchObject({ kind: "folder", path: "/tmp/x" });
    expect(parse("examples/not-there")).toMatchObject({ kind: "git", source: "github:examples/not-there" });
    expect(parse("@acme/hello@^1.0.0")).toEqual({ kind: "registry", spec: "@acme/hello@^1.0.0" });
  });

  it.each([
    ["https://user:pw@github.com/acme/skills", /credentials/],
    ["https://token@git.example/acme/skills.git", /credentials/],
    ["ssh://git:pw@git.example/acme/skills.git", /credentials/],
    ["https://github.com/acme/skills/tree/main/../../etc", /"\.\." is not allowed/],
    ["acme/skills#--upload-pack=evil", /not a branch, tag or commit name/],
    ["acme/skills#a..b", /not a branch, tag or commit name/],
    ["https://github.com/acme", /not a repository URL/],
    ["not a source", /not a skill source/],
  ])("refuses %s", (raw, reason) => {
    expect(() => parse(raw)).toThrow(reason);
    try {
      parse(raw);
    } catch (err) {
      expect(String(err)).not.toMatch(/pw|token@/);
    }
  });

  it("takes credentials out of anything it prints", () => {
    expect(redactCredentials("fatal: https://u:p@h/x and ssh://t@h/y")).toBe(
      "fatal: https://***@h/x and ssh://***@h/y",
    );
  });
});
