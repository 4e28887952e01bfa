// The skill package format, shared by the registry Worker and the skild CLI so both apply the
// same rules: names, SKILL.md frontmatter, and how the two agree. Parsing SKILL.md (YAML) is in
// skill-md.js, so what only needs the name rules (every CLI command) loads no YAML parser.

// Lowercase letters, digits and single hyphens; no leading, trailing or double hyphen.
export const HANDLE_RE = /^(?!.*--)[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$/;
export const SKILL_NAME_RE = /^(?!.*--)[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/;
export const HANDLE_RULE =
  "2-32 characters: lowercase letters, digits and single hyphens, not starting or ending with a hyphen";
export const SKILL_NAME_RULE =
  "2-64 characters: lowercase letters, digits and single hyphens, not starting or ending with a hyphen";

/** Frontmatter beyond this is not metadata any agent will read; refuse it before parsing. */
export const MAX_FRONTMATTER_BYTES = 64 * 1024;
export const MAX_DESCRIPTION_CHARS = 1024;

export class SkillFormatError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "SkillFormatError";
    this.code = code;
  }
}

/**
 * `@acme/hello-skill` → {scope, name}, or null when it is not that shape or breaks a name rule.
 * @param {string} raw
 * @returns {{scope: string, name: string} | null}
 */
export function splitCanonicalName(raw) {
  const match = /^@([^/]+)\/([^/]+)$/.exec(raw);
  if (!match || !HANDLE_RE.test(match[1]) || !SKILL_NAME_RE.test(match[2])) return null;
  return { scope: match[1], name: match[2] };
}

/**
 * SKILL.md `name` may be the bare skill name or the full `@scope/name`; either must agree with the package.
 * @param {string} frontmatterName
 * @param {{scope: string, name: string}} pkg
 */
export function checkSkillMdName(frontmatterName, pkg) {
  const full = `@${pkg.scope}/${pkg.name}`;
  if (frontmatterName !== pkg.name && frontmatterName !== full) {
    throw new SkillFormatError(
      "NAME_MISMATCH",
      `SKILL.md name "${frontmatterName}" does not match the package ${full}; use "${pkg.name}" or "${full}".`,
    );
  }
}

// File names inside a package. Both the registry (at publish) and the client (at install) refuse
// names that some operating system cannot hold faithfully, or that read differently than they are.
const WINDOWS_DEVICE_RE = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$/i;
const WINDOWS_FORBIDDEN_RE = /[<>:"|?*\u007f]/;
// Zero-width and bidirectional controls: a file that looks like `run.sh` but is not.
const INVISIBLE = "\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff";
const INVISIBLE_RE = new RegExp(`[${INVISIBLE}]`);

/**
 * Why one file or folder name (a path segment, not `.` or `..`) cannot be installed safely
 * everywhere, or null when it can. Control characters, `/` and `\` are the caller's to refuse.
 * @param {string} name
 * @returns {string | null}
 */
export function unsafeFileNameReason(name) {
  // `NUL.txt` and `nul .md` name the device too: Windows looks at the part before the first dot.
  if (WINDOWS_DEVICE_RE.test(name.split(".")[0].replace(/ +$/, ""))) {
    return "is a reserved device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)";
  }
  if (/[. ]$/.test(name)) return "ends with a dot or a space, which Windows drops";
  if (WINDOWS_FORBIDDEN_RE.test(name)) return 'has a character Windows forbids in file names (< > : " | ? *)';
  if (INVISIBLE_RE.test(name)) {
    return "has an invisible zero-width or bidirectional control character, so it would not read as what it is";
  }
  return null;
}

/**
 * A name as it can be shown in a message: invisible and control characters spelled as `\u202e`.
 * @param {string} name
 */
export function visibleName(name) {
  return name.replace(
    new RegExp(`[\\u0000-\\u001f\\u007f${INVISIBLE}]`, "g"),
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// The Agent Skills specification (agentskills.io/specification): the frontmatter fields every
// agent reads. Publish (both dialects), `skild validate` and `skild publish` apply these rules;
// keys the spec does not know are warnings, never failures (agents add their own).
/** A bare Agent Skills name: 1-64 of a-z 0-9 and single hyphens, no leading or trailing hyphen. */
export const SPEC_NAME_RE = /^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const SPEC_NAME_RULE =
  "1-64 characters: lowercase letters, digits and single hyphens, not starting or ending with a hyphen";
export const MAX_COMPATIBILITY_CHARS = 500;
/** The spec's fields, plus `version`, which skild reads for the package version. */
export const KNOWN_FRONTMATTER_KEYS = new Set([
  "name",
  "description",
  "license",
  "compatibility",
  "metadata",
  "allowed-tools",
  "version",
]);

/**
 * Checks the frontmatter against the Agent Skills spec; throws a SkillFormatError naming the rule
 * (code SPEC_<FIELD>) and returns warnings for what agents may not read as intended.
 * `name` may be the bare name or skild's `@publisher/name` (the bare part then follows the rule).
 * @param {Record<string, unknown>} frontmatter as parseSkillMd returns it
 * @returns {string[]} warnings
 */
export function checkSpecFrontmatter(frontmatter) {
  /** @type {string[]} */
  const warnings = [];
  const name = String(frontmatter.name);
  const full = /^@([^/]+)\/(.+)$/.exec(name);
  const bare = full ? full[2] : name;
  if (!SPEC_NAME_RE.test(bare)) {
    throw new SkillFormatError(
      "SPEC_NAME",
      `SKILL.md name "${visibleName(name)}" breaks the Agent Skills name rule: ${SPEC_NAME_RULE}.`,
    );
  }
  if (full) warnings.push(`SKILL.md name "${name}": agents expect the bare name "${bare}" (the Agent Skills spec).`);
  const description = String(frontmatter.description);
  if (description.length < 1 || description.length > MAX_DESCRIPTION_CHARS) {
    throw new SkillFormatError(
      "SPEC_DESCRIPTION",
      `SKILL.md description breaks the Agent Skills rule: 1-${MAX_DESCRIPTION_CHARS} characters (it has ${description.length}).`,
    );
  }
  const { compatibility, metadata, license } = frontmatter;
  if (
    compatibility !== undefined &&
    (typeof compatibility !== "string" || compatibility.length < 1 || compatibility.length > MAX_COMPATIBILITY_CHARS)
  ) {
    throw new SkillFormatError(
      "SPEC_COMPATIBILITY",
      `SKILL.md compatibility breaks the Agent Skills rule: a string of 1-${MAX_COMPATIBILITY_CHARS} characters.`,
    );
  }
  if (metadata !== undefined) {
    const isMap = metadata !== null && typeof metadata === "object" && !Array.isArray(metadata);
    const bad = isMap ? Object.entries(metadata).find(([, v]) => typeof v !== "string") : undefined;
    if (!isMap || bad) {
      throw new SkillFormatError(
        "SPEC_METADATA",
        `SKILL.md metadata breaks the Agent Skills rule: a map from string keys to string values${bad ? ` (metadata.${bad[0]} is not a string; quote it)` : ""}.`,
      );
    }
  }
  if (license !== undefined && typeof license !== "string") {
    throw new SkillFormatError("SPEC_LICENSE", "SKILL.md license breaks the Agent Skills rule: a string (e.g. MIT).");
  }
  if (frontmatter["allowed-tools"] !== undefined && typeof frontmatter["allowed-tools"] !== "string") {
    throw new SkillFormatError(
      "SPEC_ALLOWED_TOOLS",
      "SKILL.md allowed-tools breaks the Agent Skills rule: one space-separated string of tool names.",
    );
  }
  for (const key of Object.keys(frontmatter)) {
    if (!KNOWN_FRONTMATTER_KEYS.has(key)) {
      warnings.push(`SKILL.md has \`${key}\`, which the Agent Skills spec does not define; agents may ignore it.`);
    }
  }
  return warnings;
}
