// Private skills as the CLI sees them. The registry answers a private skill exactly as a name that
// never existed (so outsiders learn nothing), which means only the client can say what a person
// should try next: log in, or ask for access.
import { UsageError } from "./errors.js";

/** The codes the registry gives a skill (skild API) or a tarball (npm paths) that is missing or hidden. */
const HIDDEN_CODES = new Set(["SKILL_NOT_FOUND", "NOT_FOUND"]);

/**
 * Adds to a 404's one-line message the hint a hidden skill needs, in place.
 * @template {import("./errors.js").CliError} E
 * @param {E} err
 * @param {{registry: string, loggedIn: boolean}} where
 * @returns {E}
 */
export function explainNotFound(err, { registry, loggedIn }) {
  if (err.status !== 404 || !HIDDEN_CODES.has(err.code)) return err;
  const base = err.message.replace(/\.$/, "");
  err.message = loggedIn
    ? `${base}, or it is private and your account has no access to it.`
    : `${base}, or it is private: if you have access, run \`skild login --registry ${registry}\` first.`;
  return err;
}

/**
 * `public` | `restricted` (or `private`, npm's word in `npm access set status=private`) → the
 * registry's word.
 * @param {string} raw
 * @param {string} what how the user gave it, for the message: "--access"
 * @returns {"public" | "restricted"}
 */
export function parseAccess(raw, what) {
  const value = raw.trim().toLowerCase();
  if (value === "public") return "public";
  if (value === "restricted" || value === "private") return "restricted";
  throw new UsageError(`${what} is public or restricted (private), not "${raw}".`);
}

/**
 * Makes a skill public or private (`PATCH /skills/:scope/:skill {access}`).
 * @param {import("./registry.js").RegistryClient} registry
 * @param {{scope: string, name: string}} skill
 * @param {"public" | "restricted"} access
 * @returns {Promise<Record<string, unknown>>}
 */
export const setSkillAccess = (registry, skill, access) =>
  registry.request("PATCH", `/skills/${skill.scope}/${skill.name}`, { auth: true, json: { access } });
