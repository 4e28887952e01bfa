// The Agent Skills spec (agentskills.io) at publish, in both dialects: one case per rule, each a 400
// that names the rule and stores nothing; unknown keys and the optional fields pass.
import { describe, expect, it } from "vitest";
import { createAccount, expectRefused, publish, storeCounts } from "./helpers";
import { npmPublish } from "./npm-helpers";

const fm = (lines: string[]) => `---\n${lines.join("\n")}\n---\n\n# Skill\n`;
const valid = ["name: hello-skill", "description: A test skill. Use it in tests."];

type Dialect = "skild API" | "npm";
const dialects: Dialect[] = ["skild API", "npm"];

async function publishWith(dialect: Dialect, skillMdText: string, skill = "hello-skill") {
  const account = await createAccount();
  return dialect === "npm"
    ? npmPublish(account, { skill, skillMd: skillMdText })
    : publish(account, { skill, skillMd: skillMdText });
}

const refusals: { rule: string; skillMd: string; code: string; says: RegExp }[] = [
  {
    rule: "name: lowercase letters, digits and hyphens",
    skillMd: fm(["name: Hello_Skill", valid[1]]),
    code: "SPEC_NAME",
    says: /Agent Skills name rule: 1-64 characters: lowercase/,
  },
  {
    rule: "name: no leading hyphen",
    skillMd: fm(["name: -hello-skill", valid[1]]),
    code: "SPEC_NAME",
    says: /not starting or ending with a hyphen/,
  },
  {
    rule: "name: no trailing hyphen",
    skillMd: fm(["name: hello-skill-", valid[1]]),
    code: "SPEC_NAME",
    says: /name rule/,
  },
  {
    rule: "name: no double hyphen",
    skillMd: fm(["name: hello--skill", valid[1]]),
    code: "SPEC_NAME",
    says: /single hyphens/,
  },
  {
    rule: "name: at most 64 characters",
    skillMd: fm([`name: ${"a".repeat(65)}`, valid[1]]),
    code: "SPEC_NAME",
    says: /1-64 characters/,
  },
  {
    rule: "name: equal to the package's bare name",
    skillMd: fm(["name: other-skill", valid[1]]),
    code: "NAME_MISMATCH",
    says: /does not match the package/,
  },
  {
    rule: "description: at most 1024 characters",
    skillMd: fm([valid[0], `description: ${"d".repeat(1025)}`]),
    code: "BAD_FRONTMATTER",
    says: /over 1024 characters/,
  },
  {
    rule: "description: required, non-empty",
    skillMd: fm([valid[0], 'description: ""']),
    code: "BAD_FRONTMATTER",
    says: /needs a `description`/,
  },
  {
    rule: "compatibility: at most 500 characters",
    skillMd: fm([...valid, `compatibility: ${"c".repeat(501)}`]),
    code: "SPEC_COMPATIBILITY",
    says: /compatibility breaks the Agent Skills rule: a string of 1-500 characters/,
  },
  {
    rule: "metadata: a map",
    skillMd: fm([...valid, "metadata: [a, b]"]),
    code: "SPEC_METADATA",
    says: /map from string keys to string values/,
  },
  {
    rule: "metadata: string values",
    skillMd: fm([...valid, "metadata:", "  version: 1.0"]),
    code: "SPEC_METADATA",
    says: /metadata\.version is not a string/,
  },
  {
    rule: "license: a string",
    skillMd: fm([...valid, "license: [MIT]"]),
    code: "SPEC_LICENSE",
    says: /license breaks the Agent Skills rule/,
  },
  {
    rule: "allowed-tools: a space-separated string",
    skillMd: fm([...valid, "allowed-tools: [Bash, Read]"]),
    code: "SPEC_ALLOWED_TOOLS",
    says: /space-separated string/,
  },
];

describe.each(dialects)("the Agent Skills spec at publish (%s)", (dialect) => {
  it.each(refusals)("refuses a SKILL.md that breaks $rule", async ({ skillMd, code, says }) => {
    const before = await storeCounts();
    const body = await expectRefused(await publishWith(dialect, skillMd), 400, code);
    expect(body.error).toMatch(says);
    expect(await storeCounts()).toEqual(before);
  });

  it("accepts every optional field, the @publisher/name form and unknown keys (they only warn in the CLI)", async () => {
    const full = fm([
      ...valid,
      "license: MIT",
      `compatibility: ${"c".repeat(500)}`,
      "metadata:",
      "  author: acme",
      '  version: "1.0"',
      "allowed-tools: Bash(git:*) Read",
      "disable-model-invocation: true",
    ]);
    expect((await publishWith(dialect, full)).status).toBe(201);
    const account = await createAccount();
    const scoped = fm([`name: "@${account.handle}/hello-skill"`, valid[1]]);
    const res =
      dialect === "npm" ? await npmPublish(account, { skillMd: scoped }) : await publish(account, { skillMd: scoped });
    expect(res.status).toBe(201);
  });
});
