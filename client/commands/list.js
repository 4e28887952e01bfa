import { bool, expectAtMost, list } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { columns } from "../core/format.js";
import { listInstalled } from "../core/install.js";
import { describeTarget, PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";

/**
 * --local → the project, --global → the home folder, neither → both.
 * @param {import("../core/command.js").Context} ctx
 * @returns {import("../core/platforms.js").InstallScope[]}
 */
export function scopesFrom(ctx) {
  if (bool(ctx, "local") && bool(ctx, "global")) throw new UsageError("Use --local or --global, not both.");
  if (bool(ctx, "local")) return ["local"];
  if (bool(ctx, "global")) return ["global"];
  return ["global", "local"];
}

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["list [-t <agent>] [--local | --global] [--json]"],
  description: "Lists the skills skild installed, by name (@scope/skill), version and agent.",
  options: {
    target: targetOption(`Only this agent: ${PLATFORM_NAMES.join("|")} (default: all)`),
    local: { type: "boolean", description: "Only this project's installs" },
    global: { type: "boolean", description: "Only installs in your home folder" },
  },
  common: ["json"],
  examples: ["list", "list -t codex --local", "list --json"],
  async run(ctx) {
    expectAtMost(ctx, 0, "no arguments");
    const platforms = selectPlatforms({ target: list(ctx, "target") }, PLATFORM_NAMES);
    const installed = await listInstalled({ platforms, scopes: scopesFrom(ctx), projectDir: ctx.cwd });
    installed.sort((a, b) => a.record.name.localeCompare(b.record.name));
    ctx.out.data({
      skills: installed.map(({ record, dir }) => ({
        name: record.name,
        version: record.resolvedVersion,
        platform: record.platform,
        scope: record.scope,
        dir,
        requested: record.requested,
        integrity: record.integrity,
        registryUrl: record.registryUrl,
        installedAt: record.installedAt,
        ...(record.source ? { source: record.source } : {}),
      })),
    });
    if (installed.length === 0) {
      ctx.out.line("No skills installed here. Install one with: skild install @scope/skill");
      return;
    }
    // People see @scope/skill; the folder name (scope__skill) is in --json for scripts.
    const rows = installed.map(({ record }) => [
      record.name,
      record.resolvedVersion,
      describeTarget(record.platform, record.scope),
    ]);
    for (const line of columns(rows)) ctx.out.line(line);
  },
};
