import { bool, list, str } from "../core/command.js";
import { resolveRecordedRegistry } from "../core/config.js";
import { CliError } from "../core/errors.js";
import { installRegistrySkill, listInstalled, removeInstalled } from "../core/install.js";
import { lockInstall } from "../core/lockfile.js";
import { withSkillsFolders } from "../core/lockfile-journal.js";
import { parseSkillName } from "../core/names.js";
import { displayPath } from "../core/paths.js";
import { describeTarget, PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";
import { createRegistryClient } from "../core/registry.js";
import { installSourceSkill } from "../core/sources/install-source.js";
import { lockSourceInstall, sourceFromLock } from "../core/sources/lock.js";

/**
 * A skill named on the command line: `@scope/skill` (registry) or a bare name (from a source).
 * @param {string} raw
 */
const wantedName = (raw) => (raw.startsWith("@") ? parseSkillName(raw).canonical : raw);

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["update [<@scope/skill | name>...] [-t <agent>] [--local]"],
  description: [
    "Moves installed skills to the newest version their recorded spec allows: the tag they were installed",
    "by (latest, beta, ...) or their range (^1.0.0). A skill installed at an exact version stays there;",
    "install it again with a new spec to move it (skild install @acme/x@latest). A skill from a git",
    "repository moves to the newest commit of its ref (or of the repository's default branch); one from a",
    "folder is copied again. Skills in a folder skild used earlier for an agent (.codex/skills,",
    "~/.github/skills, .opencode/skill) move to the agent's current folder.",
  ].join("\n"),
  options: {
    target: targetOption(`Only this agent: ${PLATFORM_NAMES.join("|")} (default: every agent)`),
    local: { type: "boolean", description: "Update this project's installs (and skild.lock.json)" },
  },
  common: ["registry", "json"],
  examples: ["update", "update @acme/hello-skill", "update hello --local"],
  async run(ctx) {
    /** @type {import("../core/platforms.js").InstallScope} */
    const scope = bool(ctx, "local") ? "local" : "global";
    const platforms = selectPlatforms({ target: list(ctx, "target") }, PLATFORM_NAMES);
    const names = new Set(ctx.positionals.map(wantedName));
    // Each skill updates from the registry it came from, unless --registry says otherwise.
    const chosen = str(ctx, "registry") ? await ctx.registry() : undefined;
    /** @param {string} url */
    const registryFor = async (url) => chosen ?? createRegistryClient(await resolveRecordedRegistry(url));
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
    /** @type {{name: string, version: string, platform: string, scope: string, dir: string, status: string, previousVersion?: string, movedFrom?: string}[]} */
    const results = [];
    for (const item of installed) {
      const target = [{ platform: item.record.platform, scope }];
      // Each skill under its folder's lock; a registry skill's --local change is journalled.
      await withSkillsFolders({ targets: target, projectDir: ctx.cwd, create: true }, (journal) =>
        updateOne(ctx, item, target, journal, registryFor, results),
      );
    }
    if (installed.length === 0) ctx.out.line("Nothing installed to update.");
    ctx.out.data({ updated: results });
  },
};

/**
 * @param {import("../core/command.js").Context} ctx
 * @param {import("../core/install.js").InstalledSkill} item
 * @param {import("../core/install.js").InstallTarget[]} target
 * @param {import("../core/lockfile-journal.js").Journal} journal
 * @param {(url: string) => Promise<import("../core/registry.js").RegistryClient>} registryFor
 * @param {{name: string, version: string, platform: string, scope: string, dir: string, status: string, previousVersion?: string, movedFrom?: string}[]} results
 */
async function updateOne(ctx, item, target, journal, registryFor, results) {
  const { record, dir, legacy } = item;
  const scope = target[0].scope;
  {
    const where = describeTarget(record.platform, scope);
    const sourceInfo = record.source;
    /** @type {{name: string, version: string, platform: string, scope: string, dir: string, status: string, previousVersion?: string}} */
    let result;
    let spec;
    if (sourceInfo) {
      spec = sourceInfo.ref ?? (sourceInfo.type === "git" ? "default branch" : "folder");
      const source = sourceFromLock(
        { ...sourceInfo, name: record.name, integrity: record.integrity, platforms: [] },
        ctx.cwd,
      );
      const [done] = await installSourceSkill({
        source,
        path: sourceInfo.path,
        targets: target,
        projectDir: ctx.cwd,
      });
      // Only the recorded folder of the source, even if the source now holds more skills.
      if (done.source.path !== sourceInfo.path) {
        throw new CliError(`${record.name}: ${sourceInfo.source} moved the skill; install it again.`, {
          code: "SOURCE_MOVED",
        });
      }
      if (scope === "local") await lockSourceInstall(ctx.cwd, done);
      result = done;
    } else {
      const skill = parseSkillName(record.name);
      spec = record.requested || "latest";
      const registry = await registryFor(record.registryUrl);
      const [done] = await installRegistrySkill({
        registry,
        skill,
        requested: spec,
        targets: target,
        projectDir: ctx.cwd,
        warn: ctx.out.note,
        beforeSwap: (placing) => journal.intend(skill.canonical, placing),
      });
      if (scope === "local") {
        await lockInstall(
          ctx.cwd,
          done.name,
          {
            version: done.version,
            integrity: done.integrity,
            resolved: done.tarballUrl,
            requested: spec,
            registry: registry.url,
            ...(done.keyid ? { keyid: done.keyid } : {}),
          },
          done.platform,
        );
      }
      await journal.settle(done.dir);
      result = done;
    }
    if (legacy && result.dir !== dir) {
      // Installed in the agent's current folder: the copy in the old folder goes.
      await removeInstalled(dir);
      results.push({ ...result, status: "moved", previousVersion: record.resolvedVersion, movedFrom: dir });
      ctx.out.line(
        `Moved ${result.name}${record.resolvedVersion === result.version ? `@${result.version}` : ` ${record.resolvedVersion} → ${result.version}`} from ${displayPath(dir, ctx.cwd)} to ${displayPath(result.dir, ctx.cwd)} (${spec}) for ${where}`,
      );
      return;
    }
    results.push(result);
    ctx.out.line(
      result.status === "unchanged"
        ? `${result.name}@${result.version} is up to date (${spec}) for ${where}`
        : `Updated ${result.name} ${result.previousVersion} → ${result.version} (${spec}) for ${where}`,
    );
  }
}
