// Where each coding agent looks for skills: a folder in the project (--local) and one in the home
// folder (global), as each agent's own docs say (read Dec 2026). HOME comes from os.homedir(), so
// tests and sandboxes can move it.
import os from "node:os";
import path from "node:path";
import { UsageError } from "./errors.js";

/**
 * @typedef {object} Platform
 * @property {string} label    the agent as people call it
 * @property {string} local    project folder, relative to the project root
 * @property {string} global   user folder, relative to the home folder
 * @property {boolean} [bareFolder] the agent refuses a skill whose folder is not its SKILL.md name
 * @property {{local?: string[], global?: string[]}} [legacy] folders skild used earlier that the
 *   agent may still read: list, uninstall and update find skills there; update moves them on
 */

/** @type {Record<string, Platform>} */
export const PLATFORMS = {
  claude: { label: "Claude Code", local: ".claude/skills", global: ".claude/skills" },
  // Codex documents .agents/skills and calls .codex/skills deprecated (it still reads it).
  codex: {
    label: "OpenAI Codex",
    local: ".agents/skills",
    global: ".agents/skills",
    legacy: { local: [".codex/skills"], global: [".codex/skills"] },
  },
  // Copilot's user folder is ~/.copilot/skills; there is no ~/.github/skills.
  copilot: {
    label: "GitHub Copilot",
    local: ".github/skills",
    global: ".copilot/skills",
    legacy: { global: [".github/skills"] },
  },
  cursor: { label: "Cursor", local: ".cursor/skills", global: ".cursor/skills" },
  // OpenCode reads the plural `skills` and still the older singular `skill`.
  opencode: {
    label: "OpenCode",
    local: ".opencode/skills",
    global: ".config/opencode/skills",
    legacy: { local: [".opencode/skill"], global: [".config/opencode/skill"] },
  },
  gemini: { label: "Gemini CLI", local: ".gemini/skills", global: ".gemini/skills" },
  windsurf: { label: "Windsurf", local: ".windsurf/skills", global: ".codeium/windsurf/skills" },
  goose: { label: "Goose", local: ".agents/skills", global: ".agents/skills" },
  kiro: { label: "Kiro", local: ".kiro/skills", global: ".kiro/skills" },
  // Roo Code and Cline's VS Code extension refuse a skill whose folder differs from its name.
  roo: { label: "Roo Code", local: ".roo/skills", global: ".roo/skills", bareFolder: true },
  cline: { label: "Cline", local: ".cline/skills", global: ".cline/skills", bareFolder: true },
  agents: {
    label: "Agent Skills shared folder (Codex, Copilot, Cursor, OpenCode, Gemini, Goose, Roo, Cline)",
    local: ".agents/skills",
    global: ".agents/skills",
  },
};
export const PLATFORM_NAMES = Object.keys(PLATFORMS);
export const DEFAULT_PLATFORM = "claude";

/**
 * The `-t/--target <agent>` option of every command that picks agents.
 * @param {string} description
 */
export const targetOption = (description) =>
  /** @type {const} */ ({ type: "string", short: "t", multiple: true, arg: "<agent>", description });

/** @typedef {"global" | "local"} InstallScope */

/** @param {string} platform */
function platformOf(platform) {
  const found = Object.hasOwn(PLATFORMS, platform) ? PLATFORMS[platform] : undefined;
  if (!found) throw new UsageError(`Unknown platform "${platform}"; use one of ${PLATFORM_NAMES.join(", ")}.`);
  return found;
}

/** @param {InstallScope} scope @param {string} projectDir */
const baseOf = (scope, projectDir) => (scope === "local" ? projectDir : os.homedir());

/**
 * The folder an agent loads skills from, where skild installs them.
 * @param {string} platform
 * @param {InstallScope} scope
 * @param {string} projectDir the project root for --local
 */
export function skillsDir(platform, scope, projectDir) {
  return path.join(baseOf(scope, projectDir), platformOf(platform)[scope]);
}

/**
 * Older folders of this agent that skild installed into before (still searched, never installed into).
 * @param {string} platform
 * @param {InstallScope} scope
 * @param {string} projectDir
 */
export function legacySkillsDirs(platform, scope, projectDir) {
  return (platformOf(platform).legacy?.[scope] ?? []).map((rel) => path.join(baseOf(scope, projectDir), rel));
}

/**
 * The folder name of a skill for this agent: `publisher__skill` (unique across publishers), or the
 * bare skill name where the agent insists the folder equals the SKILL.md name (Roo, Cline).
 * @param {string} platform
 * @param {{name: string, installDir: string}} skill
 */
export const installDirFor = (platform, skill) => (platformOf(platform).bareFolder ? skill.name : skill.installDir);

/**
 * `-t codex -t claude`, `-t codex,claude`, `--all` → platform names. `fallback` when none is named.
 * @param {{target?: string[], all?: boolean}} values
 * @param {string[]} fallback
 */
export function selectPlatforms(values, fallback) {
  if (values.all) {
    if (values.target?.length) throw new UsageError("Use either -t/--target or --all, not both.");
    return [...PLATFORM_NAMES];
  }
  const named = (values.target ?? []).flatMap((t) => t.split(",")).map((t) => t.trim().toLowerCase());
  if (named.length === 0) return fallback;
  for (const name of named) {
    if (!Object.hasOwn(PLATFORMS, name)) {
      throw new UsageError(`Unknown platform "${name}"; use one of ${PLATFORM_NAMES.join(", ")}.`);
    }
  }
  return [...new Set(named)];
}

/**
 * One target per distinct folder (codex, goose and agents share `.agents/skills`): the first
 * platform named for a folder installs there once.
 * @param {string[]} platforms
 * @param {InstallScope} scope
 * @param {string} projectDir
 * @returns {{platform: string, scope: InstallScope}[]}
 */
export function distinctTargets(platforms, scope, projectDir) {
  const seen = new Set();
  /** @type {{platform: string, scope: InstallScope}[]} */
  const targets = [];
  for (const platform of platforms) {
    const key = `${skillsDir(platform, scope, projectDir)}\0${PLATFORMS[platform].bareFolder ? "bare" : ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push({ platform, scope });
  }
  return targets;
}

/** @param {string} platform @param {InstallScope} scope */
export const describeTarget = (platform, scope) => `${platform}${scope === "local" ? " (local)" : ""}`;
