// Organisations and skill access over the skild API (DESIGN.md "Organisations, teams and private
// skills"). An org shares the namespace of user handles, so its name follows the handle rule.
import { HANDLE_RE, HANDLE_RULE } from "../../common/skill-format.js";
import { UsageError } from "./errors.js";

/** npm's roles, strongest first; `developer` is npm's default for `npm org set`. */
export const ROLES = /** @type {const} */ (["owner", "admin", "developer"]);
/** @typedef {typeof ROLES[number]} Role */

/**
 * @typedef {{name: string, createdAt: string}} Org
 * @typedef {{handle: string, role: Role}} Member
 * @typedef {{org: Org, members?: Member[], teams?: string[]}} OrgDetails members and teams: for members only
 * @typedef {import("./registry.js").RegistryClient} RegistryClient
 */

/**
 * `acme`, `@acme` or `~acme` (as npm accepts it) → `acme`; anything that cannot be a scope is a usage error.
 * @param {string | undefined} raw
 * @param {string} what "an org name", "a handle"
 */
export function parseScopeName(raw, what) {
  if (raw === undefined || raw === "") throw new UsageError(`Name ${what}.`);
  const name = raw.replace(/^[@~]/, "");
  if (!HANDLE_RE.test(name)) throw new UsageError(`"${raw}" is not ${what}: it must be ${HANDLE_RULE}.`);
  return name;
}

/** @param {string | undefined} raw @returns {Role} */
export function parseRole(raw) {
  if (raw === undefined) return "developer";
  const role = /** @type {Role} */ (raw.trim().toLowerCase());
  if (!ROLES.includes(role)) throw new UsageError(`--role is ${ROLES.join(", ")}, not "${raw}".`);
  return role;
}

const orgPath = (/** @type {string} */ org) => `/orgs/${encodeURIComponent(org)}`;

/** @param {RegistryClient} registry @param {string} name @returns {Promise<{org: Org, role: Role}>} */
export const createOrg = (registry, name) => registry.request("POST", "/orgs", { auth: true, json: { name } });

/** @param {RegistryClient} registry @param {string} org @returns {Promise<OrgDetails>} */
export const getOrg = (registry, org) => registry.request("GET", orgPath(org));

/**
 * Adds a member or changes their role.
 * @param {RegistryClient} registry @param {string} org @param {string} handle @param {Role} role
 * @returns {Promise<Record<string, unknown>>}
 */
export const setMember = (registry, org, handle, role) =>
  registry.request("PUT", `${orgPath(org)}/members/${encodeURIComponent(handle)}`, { auth: true, json: { role } });

/** @param {RegistryClient} registry @param {string} org @param {string} handle @returns {Promise<Record<string, unknown>>} */
export const removeMember = (registry, org, handle) =>
  registry.request("DELETE", `${orgPath(org)}/members/${encodeURIComponent(handle)}`, { auth: true });
