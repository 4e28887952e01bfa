// Where each coding agent looks for skills: a folder in the home directory (global) and one in the
// project (--local). HOME comes from os.homedir(), so tests and sandboxes can move it.
import os from "node:os";
import path from "node:path";
import { UsageError } from "./errors.js";

/** @type {Record<string, {global: string, local: string}>} */
export const PLATFORMS = {
  claude: { global: ".claude/skills", local: ".claude/skills" },
  codex: { global: ".codex/skills", local: ".codex/skills" },
  copilot: { global: ".github/skills", local: ".github/skills" },
  agents: { global: ".agents/skills", local: ".agents/skills" },
  cursor: { global: ".cursor/skills", local: ".cursor/skills" },
  opencode: { global: ".config/opencode/skill", local: ".opencode/skill" },
};
export const PLATFORM_NAMES = Object.keys(PLATFORMS);
export const DEFAULT_PLATFORM = "claude";

/** @typedef {"global" | "local"} InstallScope */

/**
 * @param {string} platform
 * @param {InstallScope} scope
 * @param {string} projectDir the project root for --local
 */
export function skillsDir(platform, scope, projectDir) {
  const rel = PLATFORMS[platform]?.[scope];
  if (!rel) throw new UsageError(`Unknown platform "${platform}"; use one of ${PLATFORM_NAMES.join(", ")}.`);
  return path.join(scope === "local" ? projectDir : os.homedir(), rel);
}

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

/** @param {string} platform @param {InstallScope} scope */
export const describeTarget = (platform, scope) => `${platform}${scope === "local" ? " (local)" : ""}`;
