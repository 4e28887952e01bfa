import { expectAtMost } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { parseSkillName } from "../core/names.js";

/**
 * `skild star` and `skild unstar`: one request as the logged-in user.
 * @param {boolean} starred
 * @returns {import("../core/command.js").CommandModule}
 */
export function starCommand(starred) {
  const verb = starred ? "star" : "unstar";
  return {
    usage: [`${verb} <@scope/skill> [--registry <url>] [--json]`],
    description: starred
      ? "Marks a skill as one of your favourites (as `npm star` does). Needs `skild login`."
      : "Removes your star from a skill (as `npm unstar` does). Needs `skild login`.",
    options: {},
    common: ["registry", "json"],
    examples: [`${verb} @acme/hello-skill`],
    async run(ctx) {
      expectAtMost(ctx, 1, "one skill name");
      if (!ctx.positionals[0]) throw new UsageError(`Name the skill: skild ${verb} @scope/skill.`);
      const skill = parseSkillName(ctx.positionals[0]);
      const registry = await ctx.registry();
      const result = await registry.star(skill, starred);
      ctx.out.data({ ...result, registry: registry.url });
      const stars = `${result.stars} star${result.stars === 1 ? "" : "s"}`;
      ctx.out.line(`${starred ? "★ Starred" : "☆ Unstarred"} ${result.name} (${stars})`);
    },
  };
}

export default starCommand(true);
