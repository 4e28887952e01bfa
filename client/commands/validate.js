import { readFile } from "node:fs/promises";
import path from "node:path";
import { expectAtMost, str } from "../core/command.js";
import { formatBytes } from "../core/format.js";
import { collectSkillFiles, inspectSkillFolder, inspectTarballFile } from "../core/pack.js";
import { locateSource } from "../core/source.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["validate [<folder | file.tgz>] [--name @scope/skill] [--skill-version <version>]"],
  description:
    "Checks what `skild publish` would check, without the registry: SKILL.md frontmatter against the Agent Skills spec (name, description, compatibility, metadata, license, allowed-tools; unknown keys warn), the version, that the names agree, and the files that would be packed.",
  options: {
    name: { type: "string", arg: "<@scope/skill>", description: "Package name to check against" },
    "skill-version": { type: "string", arg: "<version>", description: "Version to check instead of SKILL.md's" },
  },
  common: ["json"],
  examples: ["validate", "validate ./hello-skill", "validate acme-hello-skill-1.0.0.tgz"],
  async run(ctx) {
    expectAtMost(ctx, 1, "at most one folder or .tgz");
    const source = await locateSource({ positional: ctx.positionals[0], cwd: ctx.cwd });
    const flags = { name: str(ctx, "name"), version: str(ctx, "skill-version") };
    const shown = path.relative(ctx.cwd, source.path) || ".";
    /** @type {string[]} */
    const notes = [];
    let name;
    let version;
    let files;
    /** @type {string[]} */
    let warnings;
    if (source.kind === "tarball") {
      const packed = await inspectTarballFile(new Uint8Array(await readFile(source.path)), flags);
      warnings = packed.warnings;
      name = packed.skill.canonical;
      version = packed.version;
      files = packed.files;
    } else {
      const info = await inspectSkillFolder(source.path, flags);
      files = await collectSkillFiles(source.path);
      warnings = info.warnings;
      name = info.skill?.canonical ?? info.frontmatter.name;
      version = info.version;
      if (!info.skill) notes.push(`To publish, pass --name @<your handle>/${info.frontmatter.name}.`);
      if (!version) notes.push("To publish, add `version: 1.0.0` to SKILL.md or pass --skill-version.");
    }
    const size = files.reduce((n, f) => n + f.size, 0);
    ctx.out.data({ valid: true, name, version: version ?? null, files, unpackedSize: size, notes, warnings });
    ctx.out.line(
      `✓ ${shown}: ${name}${version ? `@${version}` : ""} is a valid skill (${files.length} files, ${formatBytes(size)})`,
    );
    for (const note of notes) ctx.out.line(`  ${note}`);
    // Spec warnings never fail validation: agents add keys of their own.
    for (const warning of warnings) ctx.out.note(`warning: ${warning}`);
  },
};
