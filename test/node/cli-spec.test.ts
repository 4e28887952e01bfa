// The Agent Skills spec in the CLI: `skild validate` and `skild publish` refuse a rule break before
// anything is uploaded (the registry here is unreachable: the spec error comes first), and warn about
// keys the spec does not define and about the `@publisher/name` form.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSandbox } from "./cli-helpers";

const cli = createSandbox("http://127.0.0.1:9");
afterAll(() => cli.cleanup());

function folder(frontmatter: string[]) {
  const dir = path.join(cli.root, `skill-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "SKILL.md"), `---\n${frontmatter.join("\n")}\n---\n\n# Skill\n`);
  return dir;
}

const description = "description: A test skill. Use it in tests.";
const rules: [string, string[], RegExp][] = [
  [
    "name",
    ["name: Hello_Skill", description],
    /name rule: 1-64 characters: lowercase letters, digits and single hyphens/,
  ],
  ["name (double hyphen)", ["name: hello--skill", description], /breaks the Agent Skills name rule/],
  ["description", ["name: hello-skill", `description: ${"d".repeat(1025)}`], /description is over 1024 characters/],
  [
    "compatibility",
    ["name: hello-skill", description, `compatibility: ${"c".repeat(501)}`],
    /compatibility breaks the Agent Skills rule: a string of 1-500 characters/,
  ],
  ["metadata", ["name: hello-skill", description, "metadata:", "  stars: 5"], /metadata\.stars is not a string/],
  ["license", ["name: hello-skill", description, "license: {spdx: MIT}"], /license breaks the Agent Skills rule/],
  [
    "allowed-tools",
    ["name: hello-skill", description, "allowed-tools: [Bash]"],
    /allowed-tools breaks the Agent Skills rule/,
  ],
];

describe("the Agent Skills spec in skild validate and skild publish", () => {
  it.each(rules)(
    "refuses a SKILL.md that breaks the %s rule, in validate and before publish uploads",
    async (_rule, fm, reason) => {
      const dir = folder(fm);
      const validate = await cli.run(["validate", dir]);
      expect(validate.code).toBe(1);
      expect(validate.stderr).toMatch(reason);
      const publish = await cli.run([
        "publish",
        "--dir",
        dir,
        "--name",
        "@acme/hello-skill",
        "--skill-version",
        "1.0.0",
      ]);
      expect(publish.code).toBe(1);
      expect(publish.stderr).toMatch(reason);
      expect(publish.stderr).not.toContain("Cannot reach the registry");
    },
  );

  it("warns (and still passes) for unknown keys and the @publisher/name form", async () => {
    const dir = folder(['name: "@acme/hello-skill"', description, "version: 1.0.0", "model: opus", "license: MIT"]);
    const out = await cli.run(["validate", dir]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("@acme/hello-skill@1.0.0 is a valid skill");
    expect(out.stderr).toContain(
      'warning: SKILL.md name "@acme/hello-skill": agents expect the bare name "hello-skill"',
    );
    expect(out.stderr).toContain("warning: SKILL.md has `model`, which the Agent Skills spec does not define");
    expect(out.stderr).not.toContain("license");
    const json = await cli.json<{ valid: boolean; warnings: string[] }>(["validate", dir]);
    expect(json.valid).toBe(true);
    expect(json.warnings).toHaveLength(2);
    const dry = await cli.run(["publish", "--dir", dir, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain("`model`, which the Agent Skills spec does not define");
  });

  it("accepts every optional field of the spec without a warning", async () => {
    const dir = folder([
      "name: hello-skill",
      description,
      "license: Apache-2.0",
      "compatibility: Needs git and network access",
      "metadata:",
      "  author: acme",
      "allowed-tools: Bash(git:*) Read",
    ]);
    const out = await cli.run(["validate", dir, "--name", "@acme/hello-skill"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe("");
  });
});
