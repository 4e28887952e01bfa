import semver from "semver";
import { bool, list } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { installRegistrySkill } from "../core/install.js";
import { LOCKFILE_NAME, lockInstall, readLockfile } from "../core/lockfile.js";
import { withSkillsFolders } from "../core/lockfile-journal.js";
import { parseSkillSpec } from "../core/names.js";
import { displayPath } from "../core/paths.js";
import { DEFAULT_PLATFORM, PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";

/**
 * @param {import("../core/command.js").Context} ctx
 * @param {import("../core/install.js").InstallResult} r
 */
function describe(ctx, r) {
  const where = `${displayPath(r.dir, ctx.cwd)} (${r.platform}, ${r.scope})`;
  if (r.status === "unchanged") {
    return `${r.name}@${r.version} is already installed in ${where}; --force reinstalls it`;
  }
  if (r.status === "updated" && r.previousVersion && r.previousVersion !== r.version) {
    const verb = semver.valid(r.previousVersion) && semver.lt(r.version, r.previousVersion) ? "Replaced" : "Updated";
    return `${verb} ${r.name} ${r.previousVersion} → ${r.version} in ${where}`;
  }
  return `Installed ${r.name}@${r.version} into ${where}`;
}

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: [
    "install <@scope/skill>[@version|@tag|@range]... [-t <agent>] [--all] [--local] [--force]",
    "install [--force]    (no name: install exactly what ./skild.lock.json records)",
  ],
  description: [
    "Resolves the version, downloads it, verifies its integrity, unpacks it safely and moves it atomically",
    "into the agent's skills folder as <scope>__<skill> (e.g. acme__hello-skill). Reinstalling the same",
    "version does nothing unless --force; another version replaces the old one atomically.",
    `Agents: ${PLATFORM_NAMES.join(", ")} (default ${DEFAULT_PLATFORM}). --local uses the project's folders`,
    `(e.g. ./.codex/skills) and records the install in ./${LOCKFILE_NAME}; otherwise your home folder is used.`,
  ].join("\n"),
  options: {
    target: targetOption(`Agent to install for: ${PLATFORM_NAMES.join("|")} (repeatable)`),
    all: { type: "boolean", description: "Install for every agent" },
    local: { type: "boolean", description: `Install into this project and record it in ${LOCKFILE_NAME}` },
    force: { type: "boolean", description: "Reinstall even if this version is already there" },
  },
  common: ["registry", "json"],
  examples: [
    "install @acme/hello-skill",
    "install @acme/hello-skill@1.2.0 -t codex",
    "install @acme/hello-skill@beta -t claude -t cursor",
    "install @acme/hello-skill@^1.0.0 --all --local",
    "install            # reproduce skild.lock.json in a fresh checkout",
  ],
  async run(ctx) {
    const registry = await ctx.registry();
    const force = bool(ctx, "force");
    /** @type {import("../core/install.js").InstallResult[]} */
    const results = [];

    if (ctx.positionals.length === 0) {
      if (list(ctx, "target").length || bool(ctx, "all")) {
        throw new UsageError(
          `Without a skill name, skild install installs what ${LOCKFILE_NAME} records, for the agents it records; drop -t/--all or name a skill.`,
        );
      }
      // Any lockfile repair a crashed run left to do comes first, so the lockfile read below is true.
      const lockedTargets = PLATFORM_NAMES.map((platform) => ({ platform, scope: /** @type {const} */ ("local") }));
      await withSkillsFolders({ targets: lockedTargets, projectDir: ctx.cwd, create: false }, async () => {});
      const lock = await readLockfile(ctx.cwd);
      if (!lock) {
        throw new UsageError(
          `Nothing to install: name a skill (skild install @acme/hello-skill) or run this where a ${LOCKFILE_NAME} is.`,
        );
      }
      for (const [name, entry] of Object.entries(lock.skills)) {
        const { skill } = parseSkillSpec(name);
        const targets = entry.platforms.map((platform) => ({ platform, scope: /** @type {const} */ ("local") }));
        const done = await withSkillsFolders({ targets, projectDir: ctx.cwd, create: true }, () =>
          installRegistrySkill({
            registry,
            skill,
            requested: entry.requested ?? entry.version,
            targets,
            projectDir: ctx.cwd,
            force,
            locked: entry,
          }),
        );
        results.push(...done);
        for (const r of done) ctx.out.line(describe(ctx, r));
      }
      if (results.length === 0) ctx.out.line(`${LOCKFILE_NAME} lists no skills.`);
      ctx.out.data({ installed: results, lockfile: LOCKFILE_NAME });
      return;
    }

    const scope = bool(ctx, "local") ? /** @type {const} */ ("local") : /** @type {const} */ ("global");
    const platforms = selectPlatforms({ target: list(ctx, "target"), all: bool(ctx, "all") }, [DEFAULT_PLATFORM]);
    const wanted = ctx.positionals.map(parseSkillSpec);
    for (const { skill, spec } of wanted) {
      const targets = platforms.map((platform) => ({ platform, scope }));
      // Holding each folder's lock: a second install of this skill queues, then finds it installed.
      const done = await withSkillsFolders({ targets, projectDir: ctx.cwd, create: true }, (journal) =>
        installAndRecord(ctx, registry, journal, {
          registry,
          skill,
          requested: spec ?? "latest",
          targets,
          projectDir: ctx.cwd,
          force,
          beforeSwap: (placing) => journal.intend(skill.canonical, placing),
        }),
      );
      results.push(...done);
    }
    ctx.out.data({ installed: results });
  },
};

/**
 * Installs, then records each --local result in the lockfile and clears its journal intent.
 * @param {import("../core/command.js").Context} ctx
 * @param {import("../core/registry.js").RegistryClient} registry
 * @param {import("../core/lockfile-journal.js").Journal} journal
 * @param {Parameters<typeof installRegistrySkill>[0]} opts
 */
async function installAndRecord(ctx, registry, journal, opts) {
  const done = await installRegistrySkill(opts);
  for (const r of done) {
    if (r.scope === "local") {
      await lockInstall(
        ctx.cwd,
        r.name,
        {
          version: r.version,
          integrity: r.integrity,
          resolved: r.tarballUrl,
          requested: r.requested,
          registry: registry.url,
        },
        r.platform,
      );
      await journal.settle(r.dir);
    }
    ctx.out.line(describe(ctx, r));
  }
  return done;
}
