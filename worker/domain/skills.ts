// Read side of the registry: skills, versions and dist-tags as the routers of both dialects need them.
import semver from "semver";
import { badRequest, clip, notFound } from "../errors";
import { levelSql, READ, type SkillAccess } from "./access";
import { canonicalName, type SkillName } from "./names";
import { asRiskLevel, type RiskLevel } from "./risk";
import { compareVersions, pickFromRange } from "./versions";

export interface SkillRow {
  id: number;
  scope: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  revision: number;
  access: SkillAccess;
}

/** One version without its (large) manifest and readme. */
export interface VersionRow {
  version: string;
  integrity: string;
  shasum: string;
  sha256: string;
  size: number;
  unpacked_size: number;
  file_count: number;
  deprecated: string | null;
  published_at: string;
  unpublished_at: string | null;
  /** The risk scan (migration 0007); null for versions published before it. */
  risk_level?: string | null;
  risk_json?: string | null;
}

const VERSION_COLUMNS =
  "version, integrity, shasum, sha256, size, unpacked_size, file_count, deprecated, published_at, unpublished_at, risk_level, risk_json";

export async function findSkill(db: D1Database, skill: SkillName): Promise<SkillRow | null> {
  return db
    .prepare(
      "SELECT id, scope, name, description, created_at, updated_at, revision, access FROM skills WHERE scope = ? AND name = ?",
    )
    .bind(skill.scope, skill.name)
    .first<SkillRow>();
}

export async function getSkill(db: D1Database, skill: SkillName): Promise<SkillRow> {
  const row = await findSkill(db, skill);
  if (!row) throw notFound(`${canonicalName(skill)} does not exist.`, "SKILL_NOT_FOUND");
  return row;
}

/** Live (not unpublished) versions, lowest first. */
export async function listVersions(db: D1Database, skillId: number): Promise<VersionRow[]> {
  const { results } = await db
    .prepare(`SELECT ${VERSION_COLUMNS} FROM versions WHERE skill_id = ? AND unpublished_at IS NULL`)
    .bind(skillId)
    .all<VersionRow>();
  return results.sort((a, b) => compareVersions(a.version, b.version));
}

export async function getDistTags(db: D1Database, skillId: number): Promise<Record<string, string>> {
  const { results } = await db
    .prepare("SELECT tag, version FROM dist_tags WHERE skill_id = ? ORDER BY tag")
    .bind(skillId)
    .all<{ tag: string; version: string }>();
  return Object.fromEntries(results.map((r) => [r.tag, r.version]));
}

export async function getVersion(
  db: D1Database,
  skillId: number,
  version: string,
): Promise<(VersionRow & { manifest_json: string; readme: string; provenance: string | null }) | null> {
  return db
    .prepare(
      `SELECT ${VERSION_COLUMNS}, manifest_json, readme, provenance FROM versions WHERE skill_id = ? AND version = ? AND unpublished_at IS NULL`,
    )
    .bind(skillId, version)
    .first();
}

const MAX_SPEC_LENGTH = 256;

/**
 * `spec` is an exact version, a dist-tag, or a semver range (highest match, preferring `latest`
 * when it matches, as npm does), resolved against a skill's tags and live versions. Returns the
 * exact version string (an exact version is returned as is: the caller looks it up), or throws 404.
 */
export function resolveSpec(skill: SkillName, spec: string, tags: Record<string, string>, live: string[]): string {
  const name = canonicalName(skill);
  // A longer spec is no real version, tag or range, and a range of thousands of `||` alternatives costs CPU per version.
  if (spec.length > MAX_SPEC_LENGTH) {
    throw badRequest(`A version, dist-tag or range is at most ${MAX_SPEC_LENGTH} characters.`, "INVALID_SPEC");
  }
  if (semver.valid(spec)) return spec;
  if (Object.hasOwn(tags, spec)) return tags[spec];
  if (semver.validRange(spec) === null) {
    throw notFound(`${name} has no version or dist-tag "${clip(spec)}".`, "VERSION_NOT_FOUND");
  }
  const picked = pickFromRange(live, spec, tags.latest);
  if (!picked) throw notFound(`${name} has no version matching "${clip(spec)}".`, "VERSION_NOT_FOUND");
  return picked;
}

export interface SkillSummary {
  name: string;
  scope: string;
  description: string;
  latest: string | null;
  updatedAt: string;
  /** The risk level of the version `latest` names; null when it was not scanned. */
  risk: RiskLevel | null;
  access: SkillAccess;
}

type SummaryRow = {
  scope: string;
  name: string;
  description: string;
  updated_at: string;
  latest: string | null;
  risk: string | null;
  access?: SkillAccess;
};
const toSummary = (r: SummaryRow): SkillSummary => ({
  access: r.access ?? "public",
  name: canonicalName(r),
  scope: r.scope,
  description: r.description,
  latest: r.latest,
  updatedAt: r.updated_at,
  risk: asRiskLevel(r.risk),
});

/** The risk level of the version a skill's `latest` tag names (`id` is the skill's id column). */
const latestRisk = (id: string) =>
  `(SELECT v.risk_level FROM dist_tags t JOIN versions v ON v.skill_id = t.skill_id AND v.version = t.version
    WHERE t.skill_id = ${id} AND t.tag = 'latest') AS risk`;

/** The most recently published-to skills, newest first (index skills_by_updated). */
export async function recentSkills(db: D1Database, limit: number): Promise<SkillSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT s.scope, s.name, s.description, s.updated_at,
              (SELECT version FROM dist_tags t WHERE t.skill_id = s.id AND t.tag = 'latest') AS latest,
              ${latestRisk("s.id")}
       FROM skills s
       WHERE EXISTS (SELECT 1 FROM versions v WHERE v.skill_id = s.id AND v.unpublished_at IS NULL)
         AND s.access = 'public'
       ORDER BY s.updated_at DESC LIMIT ?`,
    )
    .bind(limit)
    .all<SummaryRow>();
  return results.map(toSummary);
}

/**
 * Skills ordered by name, optionally filtered by a substring of name/scope/description and/or one scope.
 * Keyset pagination: the cursor is the last `@scope/name` of the previous page. npm's search
 * pages by `offset` instead and wants the `total` count of matches.
 */
export async function searchSkills(
  db: D1Database,
  opts: {
    q?: string;
    limit: number;
    after?: SkillName;
    scope?: string;
    offset?: number;
    withTotal?: boolean;
    /** Also the restricted skills this account can read (org and account pages); otherwise public only. */
    readerId?: number;
    /** Only restricted skills (with readerId: the private skills an account can read). */
    restrictedOnly?: boolean;
  },
): Promise<{ skills: SkillSummary[]; more: boolean; total?: number }> {
  const where: string[] = ["EXISTS (SELECT 1 FROM versions v WHERE v.skill_id = s.id AND v.unpublished_at IS NULL)"];
  if (opts.readerId !== undefined && Number.isSafeInteger(opts.readerId)) {
    const readable = `${levelSql("s.id", "s.scope", String(opts.readerId))} >= ${READ}`;
    where.push(
      opts.restrictedOnly ? `(s.access = 'restricted' AND ${readable})` : `(s.access = 'public' OR ${readable})`,
    );
  } else {
    where.push("s.access = 'public'");
  }
  const binds: unknown[] = [];
  if (opts.scope) {
    where.push("s.scope = ?");
    binds.push(opts.scope);
  }
  if (opts.q && [...opts.q].length >= 3) {
    // The trigram index (migration 0004): the query as one phrase is a substring match. The unary `+`
    // keeps SQLite walking skills in name order (no sort, stops at the page) and testing each against
    // the matched ids, instead of sorting every match.
    where.push("+s.id IN (SELECT rowid FROM skills_search WHERE skills_search MATCH ?)");
    binds.push(`"${opts.q.replaceAll('"', '""')}"`);
  } else if (opts.q) {
    // Too short for trigrams: scan.
    const pattern = `%${opts.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push("(s.name LIKE ? ESCAPE '\\' OR s.scope LIKE ? ESCAPE '\\' OR s.description LIKE ? ESCAPE '\\')");
    binds.push(pattern, pattern, pattern);
  }
  if (opts.after) {
    where.push("(s.scope, s.name) > (?, ?)");
    binds.push(opts.after.scope, opts.after.name);
  }
  const filter = where.join(" AND ");
  // npm's `total` rides on the page as a window count (one pass over the matches, not two); `latest`
  // is looked up for the page's rows only.
  const total = opts.withTotal ? ", COUNT(*) OVER () AS total" : "";
  const { results } = await db
    .prepare(
      `SELECT m.*, (SELECT version FROM dist_tags t WHERE t.skill_id = m.id AND t.tag = 'latest') AS latest,
              ${latestRisk("m.id")}
       FROM (SELECT s.id, s.scope, s.name, s.description, s.updated_at, s.access${total}
             FROM skills s WHERE ${filter} ORDER BY s.scope, s.name LIMIT ? OFFSET ?) m
       ORDER BY m.scope, m.name`,
    )
    .bind(...binds, opts.limit + 1, opts.offset ?? 0)
    .all<SummaryRow & { total?: number }>();
  const page = { skills: results.slice(0, opts.limit).map(toSummary), more: results.length > opts.limit };
  if (!opts.withTotal) return page;
  if (results.length > 0) return { ...page, total: results[0].total };
  // A page past the end has no row to carry the count.
  const counted = await db
    .prepare(`SELECT COUNT(*) AS total FROM skills s WHERE ${filter}`)
    .bind(...binds)
    .first<{ total: number }>();
  return { ...page, total: counted?.total ?? 0 };
}
