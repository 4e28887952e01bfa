// Finding the skills in a source: SKILL.md at the root, under skills/*/, or a few folders down
// (never inside .git or node_modules), as the Agent Skills ecosystem lays repositories out.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { SkillFormatError, SPEC_NAME_RE, SPEC_NAME_RULE } from "../../../common/skill-format.js";
import { parseSkillMd } from "../../../common/skill-md.js";
import { CliError } from "../errors.js";

const MAX_DEPTH = 4;
const NEVER = new Set([".git", "node_modules"]);

/**
 * @typedef {object} FoundSkill
 * @property {string} name        the SKILL.md `name` (bare; a `@publisher/` prefix is dropped)
 * @property {string} description
 * @property {string} path        folder relative to the source root, `/`-separated ('' = the root)
 * @property {string} dir         absolute folder
 */

/**
 * @param {string} root
 * @param {string | undefined} subpath only look here (a `/tree/<ref>/<path>` URL, or a pinned skill folder; '' = the root)
 * @param {string} label how messages name the source
 * @returns {Promise<FoundSkill[]>}
 */
export async function discoverSkills(root, subpath, label) {
  const start = subpath ? path.join(root, ...subpath.split("/")) : root;
  /** @type {FoundSkill[]} */
  const found = [];
  /** @param {string} dir @param {number} depth */
  async function visit(dir, depth) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === start) {
        const code = /** @type {NodeJS.ErrnoException} */ (err).code;
        throw new CliError(
          code === "ENOTDIR"
            ? `${label} is a file, not a folder or repository with skills.`
            : `${label}${subpath ? `: no folder ${subpath}` : " cannot be read"} (${code}).`,
          { code: "NO_SKILLS" },
        );
      }
      return;
    }
    if (entries.some((e) => e.name === "SKILL.md" && e.isFile())) {
      const rel = path.relative(root, dir).split(path.sep).join("/");
      let text;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(path.join(dir, "SKILL.md")));
      } catch {
        throw new CliError(`${label}: ${rel ? `${rel}/` : ""}SKILL.md is not UTF-8 text; refusing to install it.`, {
          code: "BAD_ENCODING",
        });
      }
      let frontmatter;
      try {
        frontmatter = parseSkillMd(text).frontmatter;
      } catch (err) {
        if (err instanceof SkillFormatError)
          throw new CliError(`${label}: ${rel ? `${rel}/` : ""}${err.message}`, { code: err.code });
        throw err;
      }
      const name = frontmatter.name.replace(/^@[^/]+\//, "");
      if (!SPEC_NAME_RE.test(name)) {
        throw new CliError(
          `${label}: ${rel ? `${rel}/` : ""}SKILL.md name "${name}" breaks the Agent Skills name rule: ${SPEC_NAME_RULE}.`,
          { code: "SPEC_NAME" },
        );
      }
      found.push({ name, description: frontmatter.description, path: rel, dir });
      // A skill's own subfolders are its files, not more skills.
      if (dir !== root || subpath !== undefined) return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) {
      if (entry.isDirectory() && !NEVER.has(entry.name)) await visit(path.join(dir, entry.name), depth + 1);
    }
  }
  await visit(start, 0);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The one skill to install: `--skill NAME`, or the only one there.
 * @param {FoundSkill[]} found
 * @param {string | undefined} wanted
 * @param {string} label
 */
export function pickSkill(found, wanted, label) {
  if (found.length === 0)
    throw new CliError(`${label} holds no SKILL.md (looked at the root, skills/*/ and ${MAX_DEPTH} folders down).`, {
      code: "NO_SKILLS",
    });
  if (wanted) {
    const match = found.filter((s) => s.name === wanted);
    if (match.length === 0) {
      throw new CliError(`${label} has no skill named "${wanted}"; it has: ${found.map((s) => s.name).join(", ")}.`, {
        code: "NO_SUCH_SKILL",
      });
    }
    if (match.length > 1) {
      throw new CliError(
        `${label} has ${match.length} skills named "${wanted}" (${match.map((s) => s.path || ".").join(", ")}); name the folder in the source instead.`,
        { code: "AMBIGUOUS_SKILL" },
      );
    }
    return match[0];
  }
  if (found.length > 1) {
    throw new CliError(
      `${label} holds ${found.length} skills (${found.map((s) => s.name).join(", ")}); pick one with --skill NAME, or see them with --list.`,
      { code: "MANY_SKILLS" },
    );
  }
  return found[0];
}
