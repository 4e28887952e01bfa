import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { SKILL_NAME_RE, SKILL_NAME_RULE } from "../../common/skill-format.js";
import { expectAtMost, str } from "../core/command.js";
import { CliError, UsageError } from "../core/errors.js";
import { parseSkillName } from "../core/names.js";
import { displayPath } from "../core/paths.js";

/** @param {string} name @param {string} description */
const skillMdTemplate = (name, description) => `---
${stringify({ name, description, version: "0.1.0" }, { lineWidth: 0 }).trimEnd()}
---

# ${name}

Describe what the agent should do when this skill applies, step by step.

## Steps

1. First step.
2. Second step.
`;

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["init <skill-name | @scope/skill-name> [--dir <folder>] [--description <text>]"],
  description: [
    "Creates a folder with a SKILL.md whose frontmatter has the bare skill name (as Claude Code and Codex",
    "expect), a description and version 0.1.0. Given @scope/name it also writes a package.json, so",
    "`skild publish` needs no --name.",
  ].join("\n"),
  options: {
    dir: { type: "string", arg: "<folder>", description: "Where to create it (default: ./<skill-name>)" },
    description: { type: "string", arg: "<text>", description: "What the skill does and when to use it" },
  },
  common: [],
  examples: ["init hello-skill", "init @acme/pdf-tools --description 'Fill PDF forms. Use when asked to fill a PDF.'"],
  async run(ctx) {
    expectAtMost(ctx, 1, "one skill name");
    const raw = ctx.positionals[0];
    if (!raw) throw new UsageError("Name the skill: skild init <skill-name> (e.g. skild init hello-skill).");
    const full = raw.startsWith("@") ? parseSkillName(raw) : undefined;
    const name = full ? full.name : raw;
    if (!SKILL_NAME_RE.test(name))
      throw new UsageError(`Invalid skill name "${name}": a skill name is ${SKILL_NAME_RULE}.`);
    const dir = path.resolve(ctx.cwd, str(ctx, "dir") ?? name);
    const skillMd = path.join(dir, "SKILL.md");
    if (await stat(skillMd).catch(() => null)) {
      throw new CliError(`${displayPath(skillMd, ctx.cwd)} already exists; not overwriting it.`, { code: "EXISTS" });
    }
    const description = str(ctx, "description") ?? `TODO: say what ${name} does and when an agent should use it.`;
    await mkdir(dir, { recursive: true });
    await writeFile(skillMd, skillMdTemplate(name, description));
    if (full) {
      const pkg = { name: full.canonical, version: "0.1.0", description };
      await writeFile(path.join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`, { flag: "wx" }).catch(
        (err) => {
          if (/** @type {NodeJS.ErrnoException} */ (err).code !== "EEXIST") throw err;
        },
      );
    }
    const shown = displayPath(dir, ctx.cwd);
    ctx.out.line(`Created ${shown}/SKILL.md${full ? " and package.json" : ""}.`);
    ctx.out.line("Next:");
    ctx.out.line(`  edit ${shown}/SKILL.md (the description tells agents when to use the skill)`);
    ctx.out.line(`  skild validate ${shown}`);
    ctx.out.line(
      full ? `  skild publish --dir ${shown}` : `  skild publish --dir ${shown} --name @<your handle>/${name}`,
    );
  },
};
