// Stars: who marked a skill as a favourite. npm's wire format is CouchDB's: the full packument's
// `users` map ({handle: true}); `npm star` sends that map back with its own handle added (`npm
// unstar`: removed). A caller may change its own entry only. `skills.stars` holds the count (for
// listings and sorting) and is written in the same batch as the star; the skill's revision moves
// too, because the packument (its `users`, its ETag, its `_rev`) changed.
import { forbidden } from "../errors";
import type { Publisher } from "./accounts";
import { canonicalName, type SkillName } from "./names";
import { skillWriteBatch } from "./read-cache";
import type { SkillRow } from "./skills";

/** Handles of the users who starred a skill, sorted. */
export async function stargazers(db: D1Database, skillId: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT p.handle FROM stars st JOIN publishers p ON p.id = st.publisher_id
       WHERE st.skill_id = ? ORDER BY p.handle`,
    )
    .bind(skillId)
    .all<{ handle: string }>();
  return results.map((r) => r.handle);
}

/** Stars or unstars a skill as `publisher`. Idempotent: no write when nothing changes. */
export async function setStar(
  db: D1Database,
  publisher: Publisher,
  skill: SkillRow,
  starred: boolean,
): Promise<{ starred: boolean; stars: number; changed: boolean }> {
  const current = await db
    .prepare("SELECT 1 AS starred FROM stars WHERE skill_id = ? AND publisher_id = ?")
    .bind(skill.id, publisher.id)
    .first<{ starred: number }>();
  if (Boolean(current) === starred) {
    return { starred, stars: await starCount(db, skill.id), changed: false };
  }
  const change = starred
    ? db
        .prepare(
          "INSERT INTO stars (skill_id, publisher_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (skill_id, publisher_id) DO NOTHING",
        )
        .bind(skill.id, publisher.id, new Date().toISOString())
    : db.prepare("DELETE FROM stars WHERE skill_id = ?1 AND publisher_id = ?2").bind(skill.id, publisher.id);
  const name: SkillName = { scope: skill.scope, name: skill.name };
  await skillWriteBatch(db, name, [
    change,
    db
      .prepare(
        "UPDATE skills SET stars = (SELECT COUNT(*) FROM stars WHERE skill_id = ?1), revision = revision + 1 WHERE id = ?1",
      )
      .bind(skill.id),
  ]);
  return { starred, stars: await starCount(db, skill.id), changed: true };
}

async function starCount(db: D1Database, skillId: number): Promise<number> {
  const row = await db.prepare("SELECT stars FROM skills WHERE id = ?").bind(skillId).first<{ stars: number }>();
  return row?.stars ?? 0;
}

/**
 * What an npm `users` map asks for, given who starred now: the caller's own entry may differ
 * (that is the star or unstar); any other difference is someone else's star being added or removed,
 * refused with 403. Returns whether the caller wants the skill starred.
 */
export function starFromUsers(
  skill: SkillName,
  current: string[],
  users: Record<string, unknown>,
  caller: string,
): boolean {
  const sent = new Set(Object.keys(users).filter((handle) => Boolean(users[handle])));
  const had = new Set(current);
  for (const handle of new Set([...sent, ...had])) {
    if (handle === caller) continue;
    if (sent.has(handle) !== had.has(handle)) {
      throw forbidden(
        `You can star or unstar ${canonicalName(skill)} only as yourself (${caller}); the users list you sent ${sent.has(handle) ? "adds" : "removes"} another user's star. Nothing was changed.`,
        "NOT_YOUR_STAR",
      );
    }
  }
  return sent.has(caller);
}

/**
 * `npm stars <user>`: the skills a user starred, by name. Like every list: live public skills only
 * (a star on a skill that became restricted stays stored but is not listed).
 */
export async function starredByUser(db: D1Database, handle: string): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT s.scope, s.name FROM stars st
       JOIN publishers p ON p.id = st.publisher_id
       JOIN skills s ON s.id = st.skill_id
       WHERE p.handle = ? AND s.access = 'public'
         AND EXISTS (SELECT 1 FROM versions v WHERE v.skill_id = s.id AND v.unpublished_at IS NULL)
       ORDER BY s.scope, s.name`,
    )
    .bind(handle)
    .all<{ scope: string; name: string }>();
  return results.map(canonicalName);
}

/** Whether `publisherId` starred the skill (the skill page's button). */
export async function hasStarred(db: D1Database, skillId: number, publisherId: number): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS starred FROM stars WHERE skill_id = ? AND publisher_id = ?")
    .bind(skillId, publisherId)
    .first<{ starred: number }>();
  return Boolean(row);
}
