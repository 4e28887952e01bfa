// Changes to published versions: deprecate/undeprecate and unpublish (one version or all).
// An unpublished version keeps its row (unpublished_at set) so its number is never reused; its
// tarball object stays in R2 too, since content-addressed objects may be shared and a concurrent
// publish of the same bytes must never find its object deleted.
import semver from "semver";
import { badRequest, clip, conflict, notFound } from "../errors";
import { assertCanWrite } from "./access";
import type { Publisher } from "./accounts";
import { canonicalName } from "./names";
import { parseRev } from "./packument";
import { describeIfLatest, storedDescription } from "./publish";
import { skillWriteBatch } from "./read-cache";
import { getVersion, type SkillRow } from "./skills";
import { compareVersions, parseExactVersion } from "./versions";

export const MAX_DEPRECATION_CHARS = 1024;

export interface VersionChanges {
  /** version → new deprecation message, or null to undeprecate. */
  deprecate: Map<string, string | null>;
  unpublish: Set<string>;
}

type VersionState = { version: string; deprecated: string | null; unpublished_at: string | null };

async function versionStates(db: D1Database, skillId: number): Promise<Map<string, VersionState>> {
  const { results } = await db
    .prepare("SELECT version, deprecated, unpublished_at FROM versions WHERE skill_id = ?")
    .bind(skillId)
    .all<VersionState>();
  return new Map(results.map((r) => [r.version, r]));
}

/** A `_rev` the client sent must name the current revision (CouchDB's optimistic concurrency). */
export function assertRev(skill: SkillRow, rev: string | undefined): void {
  if (rev === undefined) return;
  const revision = parseRev(rev);
  if (revision === null) {
    throw badRequest(
      `"${clip(rev)}" is not a revision; use the _rev of the packument you read (GET /<name>?write=true).`,
      "INVALID_REV",
    );
  }
  if (revision !== skill.revision) {
    throw conflict(
      `${canonicalName(skill)} changed since it was read (revision ${skill.revision}, not ${revision}); fetch it again and retry.`,
      "REV_MISMATCH",
    );
  }
}

/** `deprecated` as npm sends it: a message, or "" / absent to undeprecate. */
export function parseDeprecation(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === "" || raw === false) return null;
  if (typeof raw !== "string") throw badRequest("`deprecated` must be a message string.", "INVALID_DEPRECATION");
  if (raw.length > MAX_DEPRECATION_CHARS) {
    throw badRequest(`A deprecation message is at most ${MAX_DEPRECATION_CHARS} characters.`, "INVALID_DEPRECATION");
  }
  return raw;
}

/**
 * Applies an edited packument the way npm sends it (`npm deprecate`, and `npm unpublish <v>`'s
 * `PUT /<name>/-rev/<rev>`): deprecation messages per version, and — only when `allowRemoval`, i.e.
 * the client named the revision it edited — live versions missing from the document are unpublished.
 * New versions cannot appear here (they need a tarball). Dist-tags follow the versions: tags of
 * unpublished versions go, and `latest` moves to the highest remaining release.
 */
export async function applyPackumentEdit(
  db: D1Database,
  publisher: Publisher,
  skill: SkillRow,
  versions: Record<string, { deprecated?: unknown } | null | undefined>,
  opts: { allowRemoval: boolean },
): Promise<{ changed: boolean }> {
  await assertCanWrite(db, publisher, skill);
  const states = await versionStates(db, skill.id);
  const changes: VersionChanges = { deprecate: new Map(), unpublish: new Set() };
  for (const [version, doc] of Object.entries(versions)) {
    const state = states.get(version);
    if (!state) {
      throw badRequest(
        `${canonicalName(skill)}@${version} is not published; publish new versions with their tarball.`,
        "UNKNOWN_VERSION",
      );
    }
    if (state.unpublished_at) continue; // a stale copy of an unpublished version: nothing to change
    const deprecated = parseDeprecation(doc?.deprecated);
    if (deprecated !== state.deprecated) changes.deprecate.set(version, deprecated);
  }
  if (opts.allowRemoval) {
    for (const state of states.values()) {
      if (!state.unpublished_at && !Object.hasOwn(versions, state.version)) changes.unpublish.add(state.version);
    }
  }
  return applyVersionChanges(db, skill, states, changes);
}

/** `npm unpublish <name>@<version>`'s tarball DELETE, and any other single-version unpublish. */
export async function unpublishVersion(
  db: D1Database,
  publisher: Publisher,
  skill: SkillRow,
  rawVersion: string,
): Promise<{ changed: boolean }> {
  await assertCanWrite(db, publisher, skill);
  const version = parseExactVersion(rawVersion);
  const states = await versionStates(db, skill.id);
  const state = states.get(version);
  if (!state) throw notFound(`${canonicalName(skill)}@${version} does not exist.`, "VERSION_NOT_FOUND");
  if (state.unpublished_at) return { changed: false };
  return applyVersionChanges(db, skill, states, { deprecate: new Map(), unpublish: new Set([version]) });
}

/** `npm unpublish <name> --force`: every version goes; the skill row (and its used numbers) stays. */
export async function unpublishSkill(db: D1Database, publisher: Publisher, skill: SkillRow): Promise<void> {
  await assertCanWrite(db, publisher, skill);
  const now = new Date().toISOString();
  await skillWriteBatch(db, skill, [
    db
      .prepare("UPDATE versions SET unpublished_at = ?2 WHERE skill_id = ?1 AND unpublished_at IS NULL")
      .bind(skill.id, now),
    db.prepare("DELETE FROM dist_tags WHERE skill_id = ?").bind(skill.id),
    db.prepare("UPDATE skills SET revision = revision + 1, updated_at = ?2 WHERE id = ?1").bind(skill.id, now),
  ]);
}

/** Highest live release, else highest live prerelease: where `latest` goes when its version leaves. */
function latestCandidate(live: string[]): string | undefined {
  const sorted = [...live].sort(compareVersions);
  return sorted.filter((v) => semver.prerelease(v) === null).at(-1) ?? sorted.at(-1);
}

async function applyVersionChanges(
  db: D1Database,
  skill: SkillRow,
  states: Map<string, VersionState>,
  changes: VersionChanges,
): Promise<{ changed: boolean }> {
  if (changes.deprecate.size === 0 && changes.unpublish.size === 0) return { changed: false };
  const now = new Date().toISOString();
  const statements: D1PreparedStatement[] = [];
  // One statement per distinct message, the versions as a JSON array: `npm deprecate x@*` on a
  // 1,000-version skill stays a handful of statements.
  const byMessage = new Map<string | null, string[]>();
  for (const [version, message] of changes.deprecate)
    byMessage.set(message, [...(byMessage.get(message) ?? []), version]);
  for (const [message, versions] of byMessage) {
    statements.push(
      db
        .prepare(
          `UPDATE versions SET deprecated = ?2 WHERE skill_id = ?1 AND unpublished_at IS NULL
           AND version IN (SELECT value FROM json_each(?3))`,
        )
        .bind(skill.id, message, JSON.stringify(versions)),
    );
  }
  if (changes.unpublish.size > 0) {
    statements.push(
      db
        .prepare(
          `UPDATE versions SET unpublished_at = ?2 WHERE skill_id = ?1 AND unpublished_at IS NULL
           AND version IN (SELECT value FROM json_each(?3))`,
        )
        .bind(skill.id, now, JSON.stringify([...changes.unpublish])),
    );
    statements.push(
      db
        .prepare(
          `DELETE FROM dist_tags WHERE skill_id = ?1
           AND version IN (SELECT version FROM versions WHERE skill_id = ?1 AND unpublished_at IS NOT NULL)`,
        )
        .bind(skill.id),
    );
    const live = [...states.values()]
      .filter((s) => !s.unpublished_at && !changes.unpublish.has(s.version))
      .map((s) => s.version);
    const candidate = latestCandidate(live);
    if (candidate) {
      // If `latest` lands on the candidate, the skill's description follows it (as a publish does).
      const row = await getVersion(db, skill.id, candidate);
      const description = row && storedDescription(row);
      statements.push(
        db
          .prepare(
            `INSERT INTO dist_tags (skill_id, tag, version)
             SELECT ?1, 'latest', ?2 WHERE EXISTS
               (SELECT 1 FROM versions WHERE skill_id = ?1 AND version = ?2 AND unpublished_at IS NULL)
             ON CONFLICT (skill_id, tag) DO NOTHING`,
          )
          .bind(skill.id, candidate),
        ...(description ? [describeIfLatest(db, skill, candidate, description)] : []),
      );
    }
  }
  statements.push(
    db.prepare("UPDATE skills SET revision = revision + 1, updated_at = ?2 WHERE id = ?1").bind(skill.id, now),
  );
  await skillWriteBatch(db, skill, statements);
  return { changed: true };
}
