import { SPEC_NAME_RE, SPEC_NAME_RULE } from "../../common/skill-format.js";
import { bool, list } from "../core/command.js";
import { CliError, UsageError } from "../core/errors.js";
import { listInstalled, removeInstalled } from "../core/install.js";
import { unlockInstall } from "../core/lockfile.js";
import { withSkillsFolders } from "../core/lockfile-journal.js";
import { parseSkillName } from "../core/names.js";
import { displayPath } from "../core/paths.js";
import { PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";
import { sourceLockKey } from "../core/sources/lock.js";

/** @param {string} raw */
function checkBareName(raw) {
  if (!SPEC_NAME_RE.test(raw)) {
    throw new UsageError(
      `"${raw}" is not a skill name: use @publisher/skill, or the bare name (${SPEC_NAME_RULE}) of a skill installed from a folder or repository.`,
    );
  }
  return raw;
}

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["uninstall <@scope/skill | name>... [-t <agent>] [--all] [--local]"],
  description:
    "Removes the skill from every agent it is installed for (or only the -t ones), in your home folder, or with --local in this project (and from skild.lock.json).",
  options: {
    target: targetOption(`Only this agent: ${PLATFORM_NAMES.join("|")} (default: every agent)`),
    all: { type: "boolean", description: "Every agent (the default)" },
    local: { type: "boolean", description: "Remove from this project instead of your home folder" },
  },
  common: ["json"],
  examples: ["uninstall @acme/hello-skill", "uninstall @acme/hello-skill -t codex --local"],
  async run(ctx) {
    if (ctx.positionals.length === 0) throw new UsageError("Name the skill to remove: skild uninstall @scope/skill.");
    // Registry skills by @scope/skill; skills from a folder or git repository by their bare name.
    const skills = ctx.positionals.map((raw) =>
      raw.startsWith("@") ? parseSkillName(raw) : { canonical: checkBareName(raw) },
    );
    const scope = bool(ctx, "local") ? /** @type {const} */ ("local") : /** @type {const} */ ("global");
    const platforms = selectPlatforms({ target: list(ctx, "target"), all: bool(ctx, "all") }, PLATFORM_NAMES);
    // Holding the locks of the folders it may change (existing ones only), after their crash recovery.
    const targets = platforms.map((platform) => ({ platform, scope }));
    await withSkillsFolders({ targets, projectDir: ctx.cwd, create: false }, (journal) =>
      uninstallLocked(ctx, skills, scope, platforms, journal),
    );
  },
};

/**
 * @param {import("../core/command.js").Context} ctx
 * @param {{canonical: string}[]} skills
 * @param {import("../core/platforms.js").InstallScope} scope
 * @param {string[]} platforms
 * @param {import("../core/lockfile-journal.js").Journal} journal
 */
async function uninstallLocked(ctx, skills, scope, platforms, journal) {
  {
    const installed = await listInstalled({ platforms, scopes: [scope], projectDir: ctx.cwd });
    /** @type {{name: string, version: string, platform: string, scope: string, dir: string}[]} */
    const removed = [];
    for (const skill of skills) {
      const matches = installed.filter((i) => i.record.name === skill.canonical);
      if (matches.length === 0) {
        throw new CliError(
          `${skill.canonical} is not installed ${scope === "local" ? "in this project" : "in your home folder"}${list(ctx, "target").length ? ` for ${platforms.join(", ")}` : ""}. See \`skild list\`.`,
          { code: "NOT_INSTALLED" },
        );
      }
      for (const { record, dir } of matches) {
        // Registry skills are journalled (a crash between the two steps is repaired); source skills are not.
        if (!record.source) await journal.intend(record.name, { platform: record.platform, scope, dir });
        await removeInstalled(dir);
        if (scope === "local") {
          const key = record.source ? sourceLockKey(record.source, ctx.cwd) : record.name;
          await unlockInstall(ctx.cwd, key, record.platform);
        }
        await journal.settle(dir);
        removed.push({ name: record.name, version: record.resolvedVersion, platform: record.platform, scope, dir });
        ctx.out.line(
          `Removed ${record.name}@${record.resolvedVersion} from ${displayPath(dir, ctx.cwd)} (${record.platform}, ${scope})`,
        );
      }
    }
    ctx.out.data({ removed });
  }
}
