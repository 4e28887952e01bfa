import { z } from "zod";
import { HANDLE_RE, HANDLE_RULE, SKILL_NAME_RE, SKILL_NAME_RULE } from "../../common/skill-format.js";
import { badRequest, clip } from "../errors";

/** Names no user or organisation may take (one namespace): paths of the site and words that would mislead. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "admin",
  "api",
  "about",
  "account",
  "docs",
  "help",
  "login",
  "logout",
  "npm",
  "org",
  "orgs",
  "package",
  "packages",
  "registry",
  "search",
  "security",
  "settings",
  "signup",
  "skild",
  "skills",
  "static",
  "team",
  "teams",
  "user",
  "users",
  "www",
]);

export const handleSchema = z
  .string()
  .regex(HANDLE_RE, { message: `a handle must be ${HANDLE_RULE}` })
  .refine((handle) => !RESERVED_NAMES.has(handle), { message: "that name is reserved" });

export interface SkillName {
  scope: string;
  name: string;
}

export const canonicalName = ({ scope, name }: SkillName) => `@${scope}/${name}`;

/** Accepts `acme` and `@acme` (`%40acme` arrives decoded by the router). */
export function parseScope(raw: string): string {
  const scope = raw.startsWith("@") ? raw.slice(1) : raw;
  if (!HANDLE_RE.test(scope))
    throw badRequest(`Invalid scope "${clip(raw)}": a publisher handle is ${HANDLE_RULE}.`, "INVALID_NAME");
  return scope;
}

export function parseSkillName(raw: string): string {
  if (!SKILL_NAME_RE.test(raw))
    throw badRequest(`Invalid skill name "${clip(raw)}": a skill name is ${SKILL_NAME_RULE}.`, "INVALID_NAME");
  return raw;
}

/** `@acme/hello-skill` → {scope, name}; anything else is a 400 that says the rule. */
export function parseCanonicalName(raw: string): SkillName {
  const match = /^@([^/]+)\/([^/]+)$/.exec(raw);
  if (!match) throw badRequest(`Invalid name "${clip(raw)}": expected @publisher/skill.`, "INVALID_NAME");
  return { scope: parseScope(match[1]), name: parseSkillName(match[2]) };
}
