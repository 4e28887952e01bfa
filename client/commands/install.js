import lt from "semver/functions/lt.js";
import valid from "semver/functions/valid.js";
import { bool, list, str } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { installRegistrySkill } from "../core/install.js";
import { isLockedSource, LOCKFILE_NAME, lockInstall, readLockfile } from "../core/lockfile.js";
import { withSkillsFolders } from "../core/lockfile-journal.js";
import { parseSkillSpec } from "../core/names.js";
import { displayPath } from "../core/paths.js";
import { DEFAULT_PLATFORM, distinctTargets, PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";
import { reviewRisk as reviewRiskBeforeInstall } from "../core/risk.js";
import { parseSource } from "../core/sources/parse.js";

/**
 * Folders and git repositories: loaded only when one is installed, because they bring the SKILL.md
 * (YAML) parser, which a registry install never needs (~20 ms of a cold install's start-up).
 */
async function sourceModules() {
  const [installing, locking] = await Promise.all([
    import("../core/sources/install-source.js"),
    import("../core/sources/lock.js"),
  ]);
  return { ...installing, ...locking };
}

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
    const verb = valid(r.previousVersion) && lt(r.version, r.previousVersion) ? "Replaced" : "Updated";
    return `${verb} ${r.name} ${r.previousVersion} → ${r.version} in ${where}`;
  }
  return `Installed ${r.name}@${r.version} into ${where}`;
}

/**
 * @param {import("../core/command.js").Context} ctx
 * @param {import("../core/sources/install-source.js").SourceInstallResult} r
 */
function describeSourceResult(ctx, r) {
  const where = `${displayPath(r.dir, ctx.cwd)} (${r.platform}, ${r.scope})`;
  const from = `${r.source.source}${r.source.path ? `/${r.source.path}` : ""}${r.source.commit ? ` at ${r.version}` : ""}`;
  if (r.status === "unchanged") return `${r.name} from ${from} is already installed in ${where}; --force reinstalls it`;
  if (r.status === "updated") return `Updated ${r.name} ${r.previousVersion} → ${r.version} from ${from} in ${where}`;
  return `Installed ${r.name} from ${from} into ${where}`;
}

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: [
    "install <@scope/skill>[@version|@tag|@range]... [-t <agent>] [--all] [--local] [--force] [--yes]",
    "install <folder | owner/repo | git URL>[#ref] [--skill <name>] [--list] [-t <agent>] [--all] [--local] [--force]",
    "install [--force]    (no name: install exactly what ./skild.lock.json records)",
  ],
  description: [
    "Resolves the version, downloads it, verifies its integrity, unpacks it safely and moves it atomically",
    "into the agent's skills folder as <scope>__<skill> (e.g. acme__hello-skill; roo and cline, which refuse any",
    "other folder, get the bare hello-skill). Reinstalling the same version does nothing unless --force; another",
    "version replaces the old one atomically.",
    `Agents: ${PLATFORM_NAMES.join(", ")} (default ${DEFAULT_PLATFORM}). --local uses the project's folders`,
    `(e.g. ./.claude/skills) and records the install in ./${LOCKFILE_NAME}; otherwise your home folder is used.`,
    "A folder or git repository (owner/repo, github:owner/repo, https://host/owner/repo, git@host:owner/repo.git,",
    "git+ssh|https|file://…, https://github.com/o/r/tree/<ref>/<path>; #ref = branch, tag or commit) installs",
    "under its bare SKILL.md name. git itself fetches, with your credentials; SKILD_GITHUB_URL replaces https://github.com.",
    "For a registry skill the registry's risk scan findings are printed first; one rated high asks for",
    "confirmation on a terminal and is refused otherwise unless --yes.",
  ].join("\n"),
  options: {
    target: targetOption(`Agent to install for: ${PLATFORM_NAMES.join("|")} (repeatable)`),
    all: { type: "boolean", description: "Install for every agent" },
    local: { type: "boolean", description: `Install into this project and record it in ${LOCKFILE_NAME}` },
    force: { type: "boolean", description: "Reinstall even if this version is already there" },
    yes: { type: "boolean", description: "Install even when the registry's risk scan rates the skill high" },
    skill: { type: "string", arg: "<name>", description: "The skill to install from a source that holds several" },
    list: { type: "boolean", description: "List the skills a folder or repository holds; install nothing" },
  },
  common: ["registry", "json"],
  examples: [
    "install @acme/hello-skill",
    "install @acme/hello-skill@1.2.0 -t codex",
    "install @acme/hello-skill@beta -t claude -t cursor",
    "install @acme/hello-skill@^1.0.0 --all --local",
    "install acme/skills --skill hello -t codex",
    "install https://github.com/acme/skills/tree/v1.0/skills/hello --local",
    "install ./my-skill -t roo",
    "install acme/skills --list",
    "install            # reproduce skild.lock.json in a fresh checkout",
  ],
  async run(ctx) {
    const force = bool(ctx, "force");
    /** @param {import("../core/risk.js").Risk | null} risk @param {string} label */
    const reviewRisk = (risk, label) =>
      reviewRiskBeforeInstall({
        label,
        canonical: label.slice(0, label.lastIndexOf("@")),
        risk,
        yes: bool(ctx, "yes"),
        note: ctx.out.note,
      });
    /** @type {(import("../core/install.js").InstallResult | import("../core/sources/install-source.js").SourceInstallResult)[]} */
    const results = [];

    if (bool(ctx, "list")) {
      if (ctx.positionals.length !== 1)
        throw new UsageError("--list takes one folder or repository: skild install owner/repo --list.");
      const source = parseSource(ctx.positionals[0], { cwd: ctx.cwd });
      if (source.kind === "registry")
        throw new UsageError("--list is for folders and git repositories; see a registry skill with skild info.");
      const { listSourceSkills, sourceLabel } = await sourceModules();
      const listed = await listSourceSkills(source);
      ctx.out.data({ source: sourceLabel(source), commit: listed.commit ?? null, skills: listed.skills });
      if (listed.skills.length === 0) ctx.out.line(`${sourceLabel(source)} holds no skills.`);
      for (const s of listed.skills) ctx.out.line(`${s.name}  ${s.path || "."}  ${s.description.split("\n")[0]}`);
      return;
    }

    if (ctx.positionals.length === 0) {
      if (list(ctx, "target").length || bool(ctx, "all")) {
        throw new UsageError(
          `Without a skill name, skild install installs what ${LOCKFILE_NAME} records, for the agents it records; drop -t/--all or name a skill.`,
        );
      }
      // Any lockfile repair a crashed run left to do comes first, so the lockfile read below is true.
      const everyLocal = PLATFORM_NAMES.map((platform) => ({ platform, scope: /** @type {const} */ ("local") }));
      await withSkillsFolders({ targets: everyLocal, projectDir: ctx.cwd, create: false }, async () => {});
      const lock = await readLockfile(ctx.cwd);
      if (!lock) {
        throw new UsageError(
          `Nothing to install: name a skill (skild install @acme/hello-skill) or run this where a ${LOCKFILE_NAME} is.`,
        );
      }
      const registry = await ctx.registry();
      for (const [name, entry] of Object.entries(lock.skills)) {
        const lockedTargets = entry.platforms.map((platform) => ({ platform, scope: /** @type {const} */ ("local") }));
        if (isLockedSource(entry)) {
          const { installSourceSkill, sourceFromLock } = await sourceModules();
          const done = await withSkillsFolders({ targets: lockedTargets, projectDir: ctx.cwd, create: true }, () =>
            installSourceSkill({
              source: sourceFromLock(entry, ctx.cwd),
              targets: lockedTargets,
              projectDir: ctx.cwd,
              force,
              locked: { commit: entry.commit, path: entry.path, integrity: entry.integrity },
            }),
          );
          results.push(...done);
          for (const r of done) ctx.out.line(describeSourceResult(ctx, r));
          continue;
        }
        const { skill } = parseSkillSpec(name);
        const done = await withSkillsFolders({ targets: lockedTargets, projectDir: ctx.cwd, create: true }, () =>
          installRegistrySkill({
            registry,
            skill,
            requested: entry.requested ?? entry.version,
            targets: lockedTargets,
            projectDir: ctx.cwd,
            force,
            locked: entry,
            warn: ctx.out.note,
            reviewRisk,
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
    // --all: one install per distinct folder (codex, goose and agents share .agents/skills).
    const targets = distinctTargets(platforms, scope, ctx.cwd);
    const sources = ctx.positionals.map((raw) => parseSource(raw, { cwd: ctx.cwd }));
    const skillFlag = str(ctx, "skill");
    if (skillFlag && sources.length !== 1)
      throw new UsageError("--skill picks a skill from one folder or repository; name exactly one.");
    /** @type {import("../core/registry.js").RegistryClient | undefined} */
    let registry;
    for (const source of sources) {
      if (source.kind !== "registry") {
        const { installSourceSkill, lockSourceInstall } = await sourceModules();
        // Holding the folders' locks too (not journalled: a crash here is not repaired in the lockfile).
        const done = await withSkillsFolders({ targets, projectDir: ctx.cwd, create: true }, async () => {
          const done = await installSourceSkill({ source, skill: skillFlag, targets, projectDir: ctx.cwd, force });
          for (const r of done) {
            if (scope === "local") await lockSourceInstall(ctx.cwd, r);
            ctx.out.line(describeSourceResult(ctx, r));
          }
          return done;
        });
        results.push(...done);
        continue;
      }
      if (skillFlag) throw new UsageError("--skill is for folders and git repositories that hold several skills.");
      const { skill, spec } = parseSkillSpec(source.spec);
      registry ??= await ctx.registry();
      const client = registry;
      // Holding each folder's lock: a second install of this skill queues, then finds it installed.
      const done = await withSkillsFolders({ targets, projectDir: ctx.cwd, create: true }, (journal) =>
        installAndRecord(ctx, client, journal, {
          registry: client,
          skill,
          requested: spec ?? "latest",
          targets,
          projectDir: ctx.cwd,
          force,
          warn: ctx.out.note,
          reviewRisk,
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
          ...(r.keyid ? { keyid: r.keyid } : {}),
        },
        r.platform,
      );
      await journal.settle(r.dir);
    }
    ctx.out.line(describe(ctx, r));
  }
  return done;
}
