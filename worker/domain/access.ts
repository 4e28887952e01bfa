// Who may read and who may write a skill: the ONE decision every path (npm, skild API, pages, lists)
// asks. A public skill is readable by everyone and costs nothing to check (its access rides on the
// cached snapshot). A restricted skill exists only for who can read it; to everyone else every read
// path answers exactly as for a name that never existed, so the check for a missing name does the
// same work as the check for a private one (one D1 query when the request carries a credential).
import { forbidden } from "../errors";
import type { Publisher } from "./accounts";
import { sha256Hex } from "./crypto";
import type { SkillName } from "./names";

export type SkillAccess = "public" | "restricted";

/** No access, read, write: ordered, so "at least read" is `>= READ`. */
export const NONE = 0;
export const READ = 1;
export const WRITE = 2;
export type Level = typeof NONE | typeof READ | typeof WRITE;

/** Who is asking: a bearer token (npm, skild CLI), a known account (web session), or nobody. */
export type Reader = { token: string } | { publisherId: number } | null;

const sqlInt = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an id: ${n}`);
  return String(n);
};

/**
 * SQL for a publisher's level on a skill, from the scope rules and the grants:
 * - the user a user scope belongs to: write;
 * - org owners: write; org admins: read (they manage grants, and may grant themselves what they lack
 *   only through an owner);
 * - `npm owner add` (user_grants): write;
 * - a team grant to a team the user is in (`developers` holds every member): read or write.
 * `skillId`, `scope` and `publisherId` are SQL expressions (column names, parameters, integers).
 */
export function levelSql(skillId: string, scope: string, publisherId: string): string {
  return `MAX(
    COALESCE((SELECT 2 FROM scopes WHERE name = ${scope} AND kind = 'user' AND publisher_id = ${publisherId}), 0),
    COALESCE((SELECT MAX(CASE m.role WHEN 'owner' THEN 2 WHEN 'admin' THEN 1 ELSE 0 END)
              FROM scopes o JOIN org_members m ON m.org_id = o.id
              WHERE o.name = ${scope} AND o.kind = 'org' AND m.publisher_id = ${publisherId}), 0),
    COALESCE((SELECT 2 FROM user_grants WHERE skill_id = ${skillId} AND publisher_id = ${publisherId}), 0),
    COALESCE((SELECT MAX(CASE g.permission WHEN 'read-write' THEN 2 ELSE 1 END)
              FROM team_grants g JOIN teams t ON t.id = g.team_id
              WHERE g.skill_id = ${skillId} AND (
                EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = t.id AND tm.publisher_id = ${publisherId})
                OR (t.name = 'developers' AND EXISTS
                    (SELECT 1 FROM org_members om WHERE om.org_id = t.org_id AND om.publisher_id = ${publisherId})))), 0)
  )`;
}

/** A publisher's level on a skill (skillId 0 = no such skill yet: only the scope rules apply). */
export async function levelOf(db: D1Database, publisherId: number, scope: string, skillId: number): Promise<Level> {
  const row = await db
    .prepare(`SELECT ${levelSql("?1", "?2", sqlInt(publisherId))} AS level`)
    .bind(skillId, scope)
    .first<{ level: number }>();
  return (row?.level ?? NONE) as Level;
}

/**
 * The reader's level, resolving a bearer token and the grants in ONE query (the same query whether the
 * skill exists or not: skillId 0 never matches a grant). Unknown or revoked tokens read as nobody.
 */
async function readerLevel(db: D1Database, reader: Reader, scope: string, skillId: number): Promise<Level> {
  if (reader === null) return NONE;
  if ("publisherId" in reader) return levelOf(db, reader.publisherId, scope, skillId);
  if (!reader.token.startsWith("skild_") || reader.token.length > 200) return NONE;
  const row = await db
    .prepare(
      `SELECT ${levelSql("?1", "?2", "p.id")} AS level FROM tokens t JOIN publishers p ON p.id = t.publisher_id
       WHERE t.token_hash = ?3 AND t.revoked_at IS NULL`,
    )
    .bind(skillId, scope, await sha256Hex(reader.token))
    .first<{ level: number }>();
  return (row?.level ?? NONE) as Level;
}

/**
 * May `reader` read this skill? `skill` is what the caller found (possibly from a cache), or null
 * when there is no such skill: then the answer is false after the same work a private skill costs.
 */
export async function canRead(
  db: D1Database,
  reader: Reader,
  name: SkillName,
  skill: { id: number; access: SkillAccess } | null | undefined,
): Promise<boolean> {
  if (skill && skill.access === "public") return true;
  const level = await readerLevel(db, reader, name.scope, skill?.id ?? 0);
  return skill != null && level >= READ;
}

/** May this account change the skill (publish to it, tag, deprecate, unpublish, grant, set access)? */
export async function canWrite(db: D1Database, publisher: Publisher, skill: { id: number; scope: string }) {
  return (await levelOf(db, publisher.id, skill.scope, skill.id)) >= WRITE;
}

const notYours = (publisher: Publisher, scope: string, what: string) =>
  forbidden(`You are logged in as ${publisher.handle} and cannot ${what} @${scope}/*.`, "NOT_OWNER");

/** 403 unless the account has write on the (existing) skill. */
export async function assertCanWrite(
  db: D1Database,
  publisher: Publisher,
  skill: { id: number; scope: string; name: string },
): Promise<void> {
  if (!(await canWrite(db, publisher, skill)))
    throw notYours(publisher, skill.scope, `change @${skill.scope}/${skill.name} in`);
}

/**
 * May the account publish `name`? An existing skill needs write on it; a new one needs the scope to be
 * the account's own, or an org the account is a member of (any role). One query.
 */
export async function assertCanPublish(db: D1Database, publisher: Publisher, name: SkillName): Promise<void> {
  const pid = sqlInt(publisher.id);
  const row = await db
    .prepare(
      `SELECT s.id AS skill_id,
              ${levelSql("COALESCE(s.id, 0)", "?1", pid)} AS level,
              EXISTS (SELECT 1 FROM scopes o JOIN org_members m ON m.org_id = o.id
                      WHERE o.name = ?1 AND o.kind = 'org' AND m.publisher_id = ${pid}) AS member
       FROM (SELECT 1) LEFT JOIN skills s ON s.scope = ?1 AND s.name = ?2`,
    )
    .bind(name.scope, name.name)
    .first<{ skill_id: number | null; level: number; member: number }>();
  const allowed = row && (row.level >= WRITE || (row.skill_id === null && row.member === 1));
  if (!allowed) {
    throw forbidden(
      `You are logged in as ${publisher.handle}; publishing @${name.scope}/${name.name} needs write access to it` +
        " (your own scope, or an organisation you are a member of).",
      "NOT_OWNER",
    );
  }
}
