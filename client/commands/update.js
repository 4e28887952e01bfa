import { bool, list, str } from "../core/command.js";
import { CliError } from "../core/errors.js";
import { installRegistrySkill, listInstalled } from "../core/install.js";
import { lockInstall } from "../core/lockfile.js";
import { withSkillsFolders } from "../core/lockfile-journal.js";
import { parseSkillName } from "../core/names.js";
import { describeTarget, PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";
import { createRegistryClient } from "../core/registry.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["update [<@scope/skill>...] [-t <agent>] [--local]"],
  description: [
    "Moves installed skills to the newest version their recorded spec allows: the tag they were installed",
    "by (latest, beta, ...) or their range (^1.0.0). A skill installed at an exact version stays there;",
    "install it again with a new spec to move it (skild install @acme/x@latest).",
  ].join("\n"),
  options: {
    target: targetOption(`Only this agent: ${PLATFORM_NAMES.join("|")} (default: every agent)`),
    local: { type: "boolean", description: "Update this project's installs (and skild.lock.json)" },
  },
  common: ["registry", "json"],
  examples: ["update", "update @acme/hello-skill", "update --local"],
  async run(ctx) {
    const scope = bool(ctx, "local") ? /** @type {const} */ ("local") : /** @type {const} */ ("global");
    const platforms = selectPlatforms({ target: list(ctx, "target") }, PLATFORM_NAMES);
    const names = new Set(ctx.positionals.map((p) => parseSkillName(p).canonical));
    // Each skill updates from the registry it came from, unless --registry says otherwise.
    const chosen = str(ctx, "registry") ? await ctx.registry() : undefined;
    /** @param {string} url */
    const registryFor = (url) => chosen ?? createRegistryClient({ url });
    const installed = (await listInstalled({ platforms, scopes: [scope], projectDir: ctx.cwd })).filter(
      (i) => names.size === 0 || names.has(i.record.name),
    );
    for (const name of names) {
      if (!installed.some((i) => i.record.name === name)) {
        throw new CliError(
          `${name} is not installed ${scope === "local" ? "in this project" : "in your home folder"}.`,
          {
            code: "NOT_INSTALLED",
          },
        );
      }
    }
    /** @type {import("../core/install.js").InstallResult[]} */
    const results = [];
    for (const { record } of installed) {
      const skill = parseSkillName(record.name);
      const requested = record.requested || "latest";
      const registry = registryFor(record.registryUrl);
      const targets = [{ platform: record.platform, scope }];
      const result = await withSkillsFolders({ targets, projectDir: ctx.cwd, create: true }, async (journal) => {
        const [result] = await installRegistrySkill({
          registry,
          skill,
          requested,
          targets,
          projectDir: ctx.cwd,
          beforeSwap: (placing) => journal.intend(skill.canonical, placing),
        });
        if (scope === "local") {
          await lockInstall(
            ctx.cwd,
            result.name,
            {
              version: result.version,
              integrity: result.integrity,
              resolved: result.tarballUrl,
              requested,
              registry: registry.url,
            },
            result.platform,
          );
        }
        await journal.settle(result.dir);
        return result;
      });
      results.push(result);
      const where = describeTarget(result.platform, scope);
      ctx.out.line(
        result.status === "unchanged"
          ? `${result.name}@${result.version} is up to date (${requested}) for ${where}`
          : `Updated ${result.name} ${result.previousVersion} → ${result.version} (${requested}) for ${where}`,
      );
    }
    if (installed.length === 0) ctx.out.line("Nothing installed to update.");
    ctx.out.data({ updated: results });
  },
};
