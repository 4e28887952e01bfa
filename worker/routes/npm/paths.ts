import { parseScope, parseSkillName, type SkillName } from "../../domain/names";
import { badRequest, notFound } from "../../errors";

/** The one 404 npm clients see for a package that does not exist (DESIGN: `{"error":"Not found"}`). */
export const packageNotFound = () => notFound("Not found", "NOT_FOUND");

export interface PackagePath {
  skill: SkillName;
  /** Decoded path segments after the name: [] for the packument, ["-", file], ["-rev", rev], ... */
  rest: string[];
}

/**
 * Splits an npm package path in any of the forms clients send — `/@acme/hello-skill`,
 * `/@acme%2fhello-skill`, `/@acme%2Fhello-skill`, `/%40acme%2fhello-skill` — into the skill name and
 * the segments that follow. Names break the naming rules → 400 that says the rule.
 */
export function parsePackagePath(path: string): PackagePath {
  const match = /^\/(?:@|%40)([^/%]+)(?:\/|%2[fF])([^/]+)((?:\/[^/]*)*)$/.exec(path);
  if (!match) throw packageNotFound();
  const rest = match[3]
    .split("/")
    .slice(1)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest(`Invalid path segment "${segment}".`, "INVALID_PATH");
      }
    });
  return { skill: { scope: parseScope(match[1]), name: parseSkillName(match[2]) }, rest };
}

/**
 * The version a tarball file name names: `hello-skill-1.2.3.tgz` for the skill `hello-skill`.
 * Also accepts the scoped form libnpmpublish writes in manifests (`@acme/hello-skill-1.2.3.tgz`
 * arrives as the segments ["@acme", "hello-skill-1.2.3.tgz"]).
 */
export function tarballVersion(skill: SkillName, segments: string[]): string | null {
  const file = segments.length === 2 && segments[0] === `@${skill.scope}` ? segments[1] : segments.join("/");
  const prefix = `${skill.name}-`;
  if (!file.startsWith(prefix) || !file.endsWith(".tgz")) return null;
  return file.slice(prefix.length, -".tgz".length);
}
