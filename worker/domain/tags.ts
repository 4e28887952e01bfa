// Dist-tags after publish: `npm dist-tag add/rm` (and anything else that moves a tag by name).
import { badRequest, notFound } from "../errors";
import { assertCanWrite } from "./access";
import type { Publisher } from "./accounts";
import { canonicalName } from "./names";
import { describeIfLatest, storedDescription } from "./publish";
import { skillWriteBatch } from "./read-cache";
import { getDistTags, getVersion, type SkillRow } from "./skills";
import { parseDistTag, parseExactVersion } from "./versions";

/** Points `tag` at an existing live version. Returns the tags afterwards. */
export async function setDistTag(
  db: D1Database,
  publisher: Publisher,
  skill: SkillRow,
  rawTag: string,
  rawVersion: unknown,
): Promise<Record<string, string>> {
  await assertCanWrite(db, publisher, skill);
  const tag = parseDistTag(rawTag);
  const version = parseExactVersion(rawVersion);
  // Moving `latest` moves the skill's description with it (as a publish does).
  const target = tag === "latest" ? await getVersion(db, skill.id, version) : null;
  const description = target && storedDescription(target);
  // Insert only when the version is live: the check and the write are one statement, so a
  // concurrent unpublish cannot leave a tag pointing at nothing.
  const [insert] = await skillWriteBatch(db, skill, [
    db
      .prepare(
        `INSERT INTO dist_tags (skill_id, tag, version)
         SELECT ?1, ?2, ?3 WHERE EXISTS
           (SELECT 1 FROM versions WHERE skill_id = ?1 AND version = ?3 AND unpublished_at IS NULL)
         ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version`,
      )
      .bind(skill.id, tag, version),
    db
      .prepare(
        `UPDATE skills SET revision = revision + 1, updated_at = ?2 WHERE id = ?1 AND EXISTS
           (SELECT 1 FROM dist_tags WHERE skill_id = ?1 AND tag = ?3 AND version = ?4)`,
      )
      .bind(skill.id, new Date().toISOString(), tag, version),
    ...(description ? [describeIfLatest(db, skill, version, description)] : []),
  ]);
  if (insert.meta.changes === 0) {
    throw notFound(`${canonicalName(skill)}@${version} does not exist; tag a published version.`, "VERSION_NOT_FOUND");
  }
  return getDistTags(db, skill.id);
}

/** Removes a tag. `latest` stays: installers need it; point it elsewhere instead. */
export async function removeDistTag(
  db: D1Database,
  publisher: Publisher,
  skill: SkillRow,
  rawTag: string,
): Promise<Record<string, string>> {
  await assertCanWrite(db, publisher, skill);
  const tag = parseDistTag(rawTag);
  if (tag === "latest") {
    throw badRequest(
      "The latest tag cannot be removed; move it with `npm dist-tag add <name>@<version> latest`.",
      "LATEST_REQUIRED",
    );
  }
  const [, removed] = await skillWriteBatch(db, skill, [
    db
      .prepare(
        `UPDATE skills SET revision = revision + 1, updated_at = ?2
         WHERE id = ?1 AND EXISTS (SELECT 1 FROM dist_tags WHERE skill_id = ?1 AND tag = ?3)`,
      )
      .bind(skill.id, new Date().toISOString(), tag),
    db.prepare("DELETE FROM dist_tags WHERE skill_id = ? AND tag = ?").bind(skill.id, tag),
  ]);
  if (removed.meta.changes === 0) throw notFound(`${canonicalName(skill)} has no dist-tag "${tag}".`, "TAG_NOT_FOUND");
  return getDistTags(db, skill.id);
}
