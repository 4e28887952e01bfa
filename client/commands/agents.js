import { expectAtMost } from "../core/command.js";
import { columns } from "../core/format.js";
import { DEFAULT_PLATFORM, PLATFORMS } from "../core/platforms.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["agents [--json]"],
  description: [
    "The agents skild installs for (-t <agent>), and the folders each loads skills from: the project's",
    "(--local) and your home folder's. Roo Code and Cline get the bare skill name as folder (they refuse",
    "any other); every other agent gets <publisher>__<skill>. Skills from folders and git repositories",
    "always use their bare SKILL.md name.",
  ].join("\n"),
  options: {},
  common: ["json"],
  examples: ["agents", "agents --json"],
  async run(ctx) {
    expectAtMost(ctx, 0, "no arguments");
    const agents = Object.entries(PLATFORMS).map(([name, p]) => ({
      name,
      label: p.label,
      project: p.local,
      user: `~/${p.global}`,
      folderName: p.bareFolder ? "skill" : "publisher__skill",
      legacy: [...(p.legacy?.local ?? []), ...(p.legacy?.global ?? []).map((g) => `~/${g}`)],
      default: name === DEFAULT_PLATFORM,
    }));
    ctx.out.data({ agents });
    const rows = [
      ["AGENT", "PROJECT (--local)", "USER", "FOLDER NAME"],
      ...agents.map((a) => [a.name + (a.default ? " (default)" : ""), a.project, a.user, a.folderName]),
    ];
    for (const line of columns(rows)) ctx.out.line(line);
    ctx.out.line();
    ctx.out.line("Also searched by list, uninstall and update (update moves skills to the folder above):");
    for (const a of agents.filter((x) => x.legacy.length)) ctx.out.line(`  ${a.name}: ${a.legacy.join(", ")}`);
  },
};
