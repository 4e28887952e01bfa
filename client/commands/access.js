import { setSkillAccess } from "../core/access.js";
import { expectAtMost } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { parseSkillName } from "../core/names.js";

/** The words people type → the registry's. */
const MODES = /** @type {Record<string, "public" | "restricted">} */ ({
  public: "public",
  private: "restricted",
  restricted: "restricted",
});

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["access public <@scope/skill>", "access private <@scope/skill>"],
  description: [
    "Makes a published skill public, or private (npm's `restricted`). A private skill exists only for who",
    "may read it: the owner, the org's members through its teams, and users granted access. To everyone",
    "else every read (skild info/install, npm view/install, the web pages, search) answers as for a name",
    "that never existed. The change takes effect within seconds on every registry instance.",
    "Needs write access to the skill, as publishing a version does.",
  ].join("\n"),
  options: {},
  common: ["registry", "json"],
  examples: ["access private @acme-corp/deploy-runbook", "access public @acme-corp/deploy-runbook --json"],
  async run(ctx) {
    expectAtMost(ctx, 2, "public|private and one skill name");
    const [mode, name] = ctx.positionals;
    const access = mode === undefined ? undefined : MODES[mode];
    if (!access) {
      throw new UsageError(
        `${mode === undefined ? "Say" : `"${mode}" is not an access level; say`} public or private: skild access public|private <@scope/skill>.`,
      );
    }
    if (!name) throw new UsageError(`Name the skill: skild access ${mode} <@scope/skill>.`);
    const skill = parseSkillName(name);
    const registry = await ctx.registry();
    const answer = await setSkillAccess(registry, skill, access);
    ctx.out.data({ ...answer, name: skill.canonical, access, registry: registry.url });
    ctx.out.line(
      access === "public"
        ? `${skill.canonical} is now public: anyone can find and install it.`
        : `${skill.canonical} is now private: only who has access can see or install it.`,
    );
  },
};
