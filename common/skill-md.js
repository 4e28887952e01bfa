// Parsing SKILL.md: its YAML frontmatter and body. Apart from skill-format.js because the YAML
// parser is the largest module the CLI loads (~20 ms at start-up) and a registry install never
// parses YAML; the rules themselves stay in skill-format.js.
import { parse as parseYaml } from "yaml";
import { MAX_DESCRIPTION_CHARS, MAX_FRONTMATTER_BYTES, SkillFormatError } from "./skill-format.js";

/**
 * Splits SKILL.md into its YAML frontmatter and body and checks the fields every agent needs.
 * @param {string} text
 * @returns {{frontmatter: {name: string, description: string, version?: string, [k: string]: unknown}, body: string}}
 */
export function parseSkillMd(text) {
  const src = text.replace(/^\uFEFF/, "");
  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(src);
  if (!match) {
    throw new SkillFormatError(
      "BAD_FRONTMATTER",
      "SKILL.md must start with YAML frontmatter between --- lines, with at least name and description.",
    );
  }
  if (match[1].length > MAX_FRONTMATTER_BYTES) {
    throw new SkillFormatError("BAD_FRONTMATTER", `SKILL.md frontmatter is over ${MAX_FRONTMATTER_BYTES / 1024} KiB.`);
  }
  let data;
  try {
    data = parseYaml(match[1], { maxAliasCount: 50, prettyErrors: false });
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new SkillFormatError("BAD_FRONTMATTER", `SKILL.md frontmatter is not valid YAML: ${reason}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new SkillFormatError("BAD_FRONTMATTER", "SKILL.md frontmatter must be a YAML mapping (key: value lines).");
  }
  if (typeof data.name !== "string" || data.name.trim() === "") {
    throw new SkillFormatError(
      "BAD_FRONTMATTER",
      "SKILL.md frontmatter needs a `name` (the skill name, e.g. hello-skill).",
    );
  }
  if (typeof data.description !== "string" || data.description.trim() === "") {
    throw new SkillFormatError(
      "BAD_FRONTMATTER",
      "SKILL.md frontmatter needs a `description` saying when to use the skill.",
    );
  }
  if (data.description.length > MAX_DESCRIPTION_CHARS) {
    throw new SkillFormatError("BAD_FRONTMATTER", `SKILL.md description is over ${MAX_DESCRIPTION_CHARS} characters.`);
  }
  if (data.version !== undefined && typeof data.version !== "string") {
    throw new SkillFormatError("BAD_FRONTMATTER", 'SKILL.md `version` must be a string such as "1.0.0" (quote it).');
  }
  return { frontmatter: data, body: src.slice(match[0].length) };
}
