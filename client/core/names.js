// Skill names as the user types them: `@acme/hello-skill`, optionally with `@1.2.3`, `@beta` or
// `@^1.0.0`. The name rules themselves live in common/skill-format.js.
import {
  HANDLE_RE,
  HANDLE_RULE,
  SKILL_NAME_RE,
  SKILL_NAME_RULE,
  splitCanonicalName,
} from "../../common/skill-format.js";
import { UsageError } from "./errors.js";

/**
 * @typedef {object} SkillRef
 * @property {string} scope      publisher handle, `acme`
 * @property {string} name       skill name, `hello-skill`
 * @property {string} canonical  `@acme/hello-skill`
 * @property {string} installDir `acme__hello-skill`: the folder name on disk
 */

/** @param {{scope: string, name: string}} parts @returns {SkillRef} */
export function skillRef({ scope, name }) {
  return { scope, name, canonical: `@${scope}/${name}`, installDir: `${scope}__${name}` };
}

/**
 * `@acme/hello-skill` → SkillRef; anything else is a usage error that says the rule.
 * @param {string} raw
 * @returns {SkillRef}
 */
export function parseSkillName(raw) {
  const parts = splitCanonicalName(raw);
  if (parts) return skillRef(parts);
  const match = /^@([^/@]*)\/([^/@]*)$/.exec(raw);
  if (match && !HANDLE_RE.test(match[1])) {
    throw new UsageError(`Invalid publisher "${match[1]}" in ${raw}: a publisher handle is ${HANDLE_RULE}.`);
  }
  if (match && !SKILL_NAME_RE.test(match[2])) {
    throw new UsageError(`Invalid skill name "${match[2]}" in ${raw}: a skill name is ${SKILL_NAME_RULE}.`);
  }
  throw new UsageError(`"${raw}" is not a skill name: use @publisher/skill, e.g. @acme/hello-skill.`);
}

/**
 * `@acme/x`, `@acme/x@1.2.3`, `@acme/x@beta`, `@acme/x@^1.0.0` → the name and the spec (or undefined).
 * @param {string} raw
 * @returns {{skill: SkillRef, spec: string | undefined}}
 */
export function parseSkillSpec(raw) {
  const at = raw.indexOf("@", 1);
  if (at === -1) return { skill: parseSkillName(raw), spec: undefined };
  const spec = raw.slice(at + 1).trim();
  if (!spec) throw new UsageError(`"${raw}" ends with @: put a version, tag or range after it, or leave it off.`);
  return { skill: parseSkillName(raw.slice(0, at)), spec };
}
