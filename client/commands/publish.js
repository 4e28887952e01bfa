import path from "node:path";
import { parseAccess } from "../core/access.js";
import { bool, expectAtMost, str } from "../core/command.js";
import { columns, formatBytes } from "../core/format.js";
import { publishSafely } from "../core/publish-retry.js";
import { describeRisk, parseRisk } from "../core/risk.js";
import { locateSource, packSource } from "../core/source.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: [
    "publish [--dir <folder>] [--name @scope/skill] [--skill-version <version>] [--tag <tag>] [--access <level>] [--dry-run]",
    "publish <file.tgz> [--tag <tag>] [--access <level>] [--dry-run]",
  ],
  description: [
    "Packs a skill folder into an npm-pack style tarball (package.json written from the SKILL.md frontmatter",
    "and these flags; .git, node_modules, .skild, .DS_Store and .skildignore patterns left out), shows what",
    "it will upload, and publishes it. A ready .tgz (e.g. from `npm pack`) is published as is.",
    "The skill's version comes from --skill-version, else package.json, else the SKILL.md `version` field.",
    "There is no --version option here: `skild --version` prints the CLI's own version.",
  ].join("\n"),
  options: {
    dir: { type: "string", arg: "<folder>", description: "Skill folder to publish (default: the current folder)" },
    name: {
      type: "string",
      arg: "<@scope/skill>",
      description: "Package name; needed unless SKILL.md or package.json has the full @scope/skill",
    },
    "skill-version": { type: "string", arg: "<version>", description: "Version to publish (overrides SKILL.md)" },
    tag: { type: "string", arg: "<tag>", description: "Dist-tag to point at this version (default: latest rules)" },
    access: {
      type: "string",
      arg: "<level>",
      description: "public or restricted (private: only who has access sees it); for a new skill, as npm's --access",
    },
    "dry-run": { type: "boolean", description: "Pack and check, show what would be uploaded, upload nothing" },
  },
  common: ["registry", "json"],
  examples: [
    "publish --dir ./hello-skill --name @acme/hello-skill --skill-version 1.0.0",
    "publish --dir ./hello-skill --tag beta --skill-version 1.1.0-beta.1",
    "publish ./acme-hello-skill-1.0.0.tgz",
    "publish --dir ./runbook --name @acme-corp/runbook --access restricted",
    "publish --dry-run",
  ],
  async run(ctx) {
    expectAtMost(ctx, 1, "at most one folder or .tgz");
    const rawAccess = str(ctx, "access");
    const access = rawAccess === undefined ? undefined : parseAccess(rawAccess, "--access");
    const source = await locateSource({ dir: str(ctx, "dir"), positional: ctx.positionals[0], cwd: ctx.cwd });
    const packed = await packSource(source, { name: str(ctx, "name"), version: str(ctx, "skill-version") });
    const dryRun = bool(ctx, "dry-run");
    const label = `${packed.skill.canonical}@${packed.version}`;
    for (const warning of packed.warnings) ctx.out.note(`warning: ${warning}`);

    const summary = [
      `${dryRun ? "Would publish" : "Publishing"} ${label} from ${path.relative(ctx.cwd, source.path) || "."}`,
      ...columns(packed.files.map((f) => [formatBytes(f.size), f.path])).map((l) => `  ${l}`),
      `${packed.files.length} files, ${formatBytes(packed.tarball.byteLength)} packed, ${formatBytes(packed.unpackedSize)} unpacked`,
    ];
    // The file list is for people; with --json it goes to stderr so stdout stays one document.
    for (const line of summary) (ctx.out.json ? ctx.out.note : ctx.out.line)(line);

    const tag = str(ctx, "tag");
    if (dryRun) {
      ctx.out.data({
        name: packed.skill.canonical,
        version: packed.version,
        integrity: packed.integrity,
        shasum: packed.shasum,
        size: packed.tarball.byteLength,
        unpackedSize: packed.unpackedSize,
        files: packed.files,
        tag: tag ?? null,
        access: access ?? null,
        dryRun: true,
      });
      ctx.out.line(`integrity: ${packed.integrity}`);
      ctx.out.line("Dry run: nothing was uploaded.");
      return;
    }
    const registry = await ctx.registry();
    const outcome = await publishSafely(
      registry,
      {
        skill: packed.skill,
        version: packed.version,
        tarball: packed.tarball,
        integrity: packed.integrity,
        tag,
        access,
      },
      { note: ctx.out.note },
    );
    if (!outcome.result) {
      // Re-running a publish that already landed (a CI retry, a lost reply) is not a failure.
      ctx.out.data({
        name: packed.skill.canonical,
        version: packed.version,
        integrity: packed.integrity,
        alreadyPublished: true,
        registry: registry.url,
      });
      ctx.out.line(`${label} already published (identical) on ${registry.url}`);
      ctx.out.line(`integrity: ${packed.integrity}`);
      return;
    }
    const result = outcome.result;
    ctx.out.data({ ...result, files: packed.files, registry: registry.url });
    // The registry has the last word (an existing skill keeps its access); fall back to what was asked.
    const answered = /** @type {{access?: string}} */ (result);
    const privately = (answered.access ?? access) === "restricted";
    ctx.out.line(`Published ${result.name}@${result.version} to ${registry.url}${privately ? " (private)" : ""}`);
    ctx.out.line(`integrity: ${result.integrity}`);
    const tags = Object.entries(result.distTags ?? {})
      .map(([t, v]) => `${t}: ${v}`)
      .join(", ");
    if (tags) ctx.out.line(`dist-tags: ${tags}`);
    // What installers will be shown before they install it (advisory; the registry published it).
    const risk = parseRisk(result.risk);
    if (risk) for (const line of describeRisk(`${result.name}@${result.version}`, risk)) ctx.out.line(line);
  },
};
