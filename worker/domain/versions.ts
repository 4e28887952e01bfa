import semver from "semver";
import { z } from "zod";
import { badRequest, clip } from "../errors";

/** Zero-padded major.minor.patch: lets SQL order releases ("is there a higher one?"). */
export function sortKey(version: string): string {
  const v = semver.parse(version);
  if (!v) throw badRequest(`"${clip(version)}" is not a valid semver version.`, "INVALID_VERSION");
  return [v.major, v.minor, v.patch].map((n) => String(n).padStart(16, "0")).join(".");
}

/** A version as published must be exact and canonical semver (1.2.3, 1.2.3-beta.1), not "v1.2.3". */
export function parseExactVersion(raw: unknown): string {
  if (typeof raw !== "string" || semver.valid(raw) !== raw) {
    throw badRequest(`"${clip(raw)}" is not a valid semver version (like 1.0.0 or 1.1.0-beta.1).`, "INVALID_VERSION");
  }
  return raw;
}

// npm's rule: a dist-tag must not itself parse as a version or range, or `name@tag` would be ambiguous.
export const distTagSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, {
    message: "a dist-tag starts with a letter and has at most 64 letters, digits, '.', '_' or '-'",
  })
  .refine((tag) => semver.validRange(tag) === null, { message: "a dist-tag must not look like a version or range" });

export function parseDistTag(raw: string): string {
  const result = distTagSchema.safeParse(raw);
  if (!result.success)
    throw badRequest(`Invalid dist-tag "${clip(raw)}": ${result.error.issues[0]?.message}.`, "INVALID_TAG");
  return result.data;
}

/** Highest version in `versions` matching `range`, preferring `latest` when it matches (as npm does). */
export function pickFromRange(versions: string[], range: string, latest?: string): string | null {
  if (latest && semver.satisfies(latest, range)) return latest;
  return semver.maxSatisfying(versions, range);
}

export const compareVersions = (a: string, b: string) => semver.compare(a, b);
