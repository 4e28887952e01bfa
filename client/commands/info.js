import { expectAtMost } from "../core/command.js";
import { CliError, UsageError } from "../core/errors.js";
import { formatBytes } from "../core/format.js";
import { listInstalled } from "../core/install.js";
import { parseSkillName } from "../core/names.js";
import { displayPath } from "../core/paths.js";
import { describeTarget, PLATFORM_NAMES } from "../core/platforms.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["info <@scope/skill> [--json]"],
  description: "Shows the registry's view (description, dist-tags, versions) and where the skill is installed.",
  options: {},
  common: ["registry", "json"],
  examples: ["info @acme/hello-skill", "info @acme/hello-skill --json"],
  async run(ctx) {
    expectAtMost(ctx, 1, "one skill name");
    if (!ctx.positionals[0]) throw new UsageError("Name the skill: skild info @scope/skill.");
    const skill = parseSkillName(ctx.positionals[0]);
    const registry = await ctx.registry();
    const installed = (
      await listInstalled({ platforms: PLATFORM_NAMES, scopes: ["global", "local"], projectDir: ctx.cwd })
    ).filter((i) => i.record.name === skill.canonical);

    /** @type {import("../core/registry.js").SkillDetails | null} */
    let details = null;
    /** @type {CliError | null} */
    let registryError = null;
    /** @type {number | null} */
    let weeklyDownloads = null;
    try {
      details = await registry.getSkill(skill);
      // A registry without the downloads API still shows everything else.
      weeklyDownloads = await registry.downloads(skill, "last-week").then(
        (d) => d.downloads,
        () => null,
      );
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      // Installed but gone from (or unreachable on) the registry: still show the installed side.
      if (installed.length === 0) throw err;
      registryError = err;
    }

    ctx.out.data({
      name: skill.canonical,
      registry: details
        ? {
            url: registry.url,
            description: details.description,
            distTags: details.distTags,
            versions: details.versions,
            updatedAt: details.updatedAt,
            downloadsLastWeek: weeklyDownloads,
            stars: details.stars ?? null,
          }
        : null,
      ...(registryError ? { registryError: registryError.message } : {}),
      installed: installed.map(({ record, dir }) => ({
        version: record.resolvedVersion,
        platform: record.platform,
        scope: record.scope,
        requested: record.requested,
        dir,
      })),
    });

    ctx.out.line(skill.canonical);
    if (details) {
      ctx.out.line(details.description);
      ctx.out.line();
      const tags = Object.entries(details.distTags).map(([t, v]) => `${t}: ${v}`);
      ctx.out.line(`dist-tags: ${tags.join("  ") || "(none)"}`);
      ctx.out.line(`versions:  ${details.versions.map((v) => v.version).join(", ") || "(none)"}`);
      const latest = details.versions.find((v) => v.version === details?.distTags.latest);
      if (latest)
        ctx.out.line(`latest:    ${latest.version}, ${formatBytes(latest.size)}, published ${latest.publishedAt}`);
      if (weeklyDownloads !== null) ctx.out.line(`downloads: ${weeklyDownloads} in the last 7 days`);
      if (details.stars !== undefined) ctx.out.line(`stars:     ${details.stars}`);
      ctx.out.line(`registry:  ${registry.url}`);
    } else if (registryError) {
      ctx.out.line(`registry:  ${registryError.message}`);
    }
    ctx.out.line();
    if (installed.length === 0) ctx.out.line(`installed: no (skild install ${skill.canonical})`);
    for (const { record, dir } of installed) {
      ctx.out.line(
        `installed: ${record.resolvedVersion}  ${describeTarget(record.platform, record.scope)}  ${displayPath(dir, ctx.cwd)}`,
      );
    }
  },
};
