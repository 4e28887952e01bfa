import { bool, expectAtMost } from "../core/command.js";
import { CliError, UsageError } from "../core/errors.js";
import { formatBytes } from "../core/format.js";
import { listInstalled } from "../core/install.js";
import { parseSkillName } from "../core/names.js";
import { displayPath } from "../core/paths.js";
import { describeTarget, PLATFORM_NAMES } from "../core/platforms.js";
import { describeRisk, parseRisk } from "../core/risk.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["info <@scope/skill> [--files] [--json]"],
  description: [
    "Shows the registry's view (description, dist-tags, versions, the risk scan of the latest version) and",
    "where the skill is installed. --files lists every file of the latest version with its size and sha256.",
  ].join("\n"),
  options: {
    files: { type: "boolean", description: "List the files of the latest version (read before you run)" },
  },
  common: ["registry", "json"],
  examples: ["info @acme/hello-skill", "info @acme/hello-skill --files", "info @acme/hello-skill --json"],
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
    /** @type {{version: string, risk: import("../core/risk.js").Risk | null, files?: import("../core/registry.js").VersionFile[]} | null} */
    let latestScan = null;
    try {
      details = await registry.getSkill(skill);
      const latestVersion = details.distTags.latest;
      if (latestVersion) {
        const doc = await registry.getVersion(skill, latestVersion);
        latestScan = { version: doc.version, risk: parseRisk(doc.risk) };
        if (bool(ctx, "files")) latestScan.files = (await registry.listFiles(skill, doc.version)).files;
      }
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
            ...(latestScan ? { risk: latestScan.risk } : {}),
            ...(latestScan?.files ? { files: latestScan.files } : {}),
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
      ctx.out.line(`registry:  ${registry.url}`);
      if (latestScan) {
        ctx.out.line();
        for (const line of describeRisk(`${skill.canonical}@${latestScan.version}`, latestScan.risk))
          ctx.out.line(line);
      }
      if (latestScan?.files) {
        ctx.out.line();
        ctx.out.line(`files of ${latestScan.version} (${latestScan.files.length}):`);
        const width = Math.max(...latestScan.files.map((f) => formatBytes(f.size).length));
        for (const f of latestScan.files)
          ctx.out.line(`  ${formatBytes(f.size).padStart(width)}  ${f.sha256}  ${f.path}`);
      }
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
