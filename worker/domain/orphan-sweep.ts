// The orphan sweep: deletes tarball objects (`sha256/<hex>.tgz`) that no version row references and
// that are older than a grace period. Orphans come from publishes that stored their bytes and then
// lost the D1 race or failed their batch; they are harmless but would stay in R2 forever.
//
// Safety against a concurrent publish (bytes are put to R2 BEFORE the D1 batch that references
// them, and a publish of bytes already in R2 reuses the object):
//  1. Grace: objects uploaded within `graceSeconds` are never candidates, so an ordinary in-flight
//     publish is not even looked at.
//  2. Claims: a candidate is deleted only after a claim row was inserted by a statement that checks,
//     inside D1, that no version references it. While the claim exists, a trigger refuses any
//     version row with that sha256 (the publish batch rolls back, the client retries on 503).
//     The claim is dropped only after the R2 delete finished.
//  3. Repair: after its batch commits, a publish checks that its object still exists and puts it
//     again if a sweep deleted it in between (`ensureTarballStored`). Once the batch has committed
//     no new claim can be made on that sha256, and no claim was open at commit (trigger), so no
//     delete can follow the check.
// Only keys under `sha256/` shaped `<64 hex>.tgz` are ever touched: other prefixes belong to others.
import type { ArtifactStore } from "./artifact-store";

export const SWEEP_PREFIX = "sha256/";
const TARBALL_KEY = /^sha256\/([0-9a-f]{64})\.tgz$/;

export interface SweepOptions {
  /** Objects uploaded less than this long ago are left alone. */
  graceSeconds: number;
  /** At most this many objects deleted per run. */
  maxDeletes: number;
  /** At most this many R2 list pages read per run. */
  maxListPages: number;
  /** Keys per R2 list page (R2 caps it at 1000). */
  pageSize: number;
  /** "Now" in ms (tests move it forward instead of waiting out the grace period). */
  nowMs: number;
}

export interface SweepResult {
  listed: number;
  deleted: string[];
  /** Where the next run resumes; null when this run reached the end of the bucket. */
  cursor: string | null;
}

export const DEFAULT_SWEEP: Omit<SweepOptions, "nowMs"> = {
  graceSeconds: 3600,
  maxDeletes: 1000,
  maxListPages: 10,
  pageSize: 1000,
};

/** A claim older than this was left by a run that died between its claim and its delete. */
const STALE_CLAIM_SECONDS = 15 * 60;
/** Candidates per claim statement (one JSON parameter, so D1's bound-parameter limit does not apply). */
const CLAIM_CHUNK = 100;

type Bucket = Pick<R2Bucket, "list" | "delete">;

function nonNegativeInt(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

export function sweepOptionsFromEnv(
  env: { ORPHAN_GRACE_SECONDS?: string; ORPHAN_SWEEP_MAX_DELETES?: string },
  nowMs = Date.now(),
): SweepOptions {
  return {
    ...DEFAULT_SWEEP,
    graceSeconds: nonNegativeInt(env.ORPHAN_GRACE_SECONDS, DEFAULT_SWEEP.graceSeconds),
    maxDeletes: nonNegativeInt(env.ORPHAN_SWEEP_MAX_DELETES, DEFAULT_SWEEP.maxDeletes),
    nowMs,
  };
}

const shaOfKey = (key: string) => TARBALL_KEY.exec(key)?.[1];
const keyOfSha = (sha256: string) => `${SWEEP_PREFIX}${sha256}.tgz`;

/** Deletes the objects of claims whose run died mid-way, then the claims. Nothing references them (trigger). */
async function finishStaleClaims(db: D1Database, bucket: Bucket, nowSeconds: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT sha256 FROM sweep_claims WHERE claimed_at <= ? LIMIT 1000")
    .bind(nowSeconds - STALE_CLAIM_SECONDS)
    .all<{ sha256: string }>();
  const shas = results.map((r) => r.sha256);
  if (shas.length === 0) return [];
  await bucket.delete(shas.map(keyOfSha));
  await db
    .prepare("DELETE FROM sweep_claims WHERE sha256 IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(shas))
    .run();
  return shas.map(keyOfSha);
}

/** Claims the unreferenced ones among `shas` (decided inside D1) and returns them. */
async function claimUnreferenced(db: D1Database, shas: string[], nowSeconds: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `INSERT INTO sweep_claims (sha256, claimed_at)
       SELECT value, ?2 FROM json_each(?1)
       WHERE NOT EXISTS (SELECT 1 FROM versions WHERE sha256 = json_each.value)
       ON CONFLICT (sha256) DO NOTHING
       RETURNING sha256`,
    )
    .bind(JSON.stringify(shas), nowSeconds)
    .all<{ sha256: string }>();
  return results.map((r) => r.sha256);
}

/** One bounded run of the sweep. */
export async function sweepOrphans(db: D1Database, bucket: Bucket, opts: SweepOptions): Promise<SweepResult> {
  const nowSeconds = Math.floor(opts.nowMs / 1000);
  const cutoffMs = opts.nowMs - opts.graceSeconds * 1000;
  const deleted = await finishStaleClaims(db, bucket, nowSeconds);
  const state = await db
    .prepare("SELECT cursor FROM sweep_state WHERE name = 'orphans'")
    .first<{ cursor: string | null }>();
  let cursor: string | null = state?.cursor ?? null;
  let listed = 0;

  for (let page = 0; page < opts.maxListPages && deleted.length < opts.maxDeletes; page++) {
    const listing = await bucket.list({ prefix: SWEEP_PREFIX, limit: opts.pageSize, cursor: cursor ?? undefined });
    listed += listing.objects.length;
    const candidates = listing.objects.flatMap((object) => {
      const sha = shaOfKey(object.key);
      return sha && object.uploaded.getTime() <= cutoffMs ? [sha] : [];
    });
    let next = 0;
    while (next < candidates.length && deleted.length < opts.maxDeletes) {
      const chunk = candidates.slice(next, next + Math.min(CLAIM_CHUNK, opts.maxDeletes - deleted.length));
      next += chunk.length;
      const claimed = await claimUnreferenced(db, chunk, nowSeconds);
      if (claimed.length === 0) continue;
      const keys = claimed.map(keyOfSha);
      await bucket.delete(keys);
      // Only now may a version reference these again (a publish re-puts its bytes: see ensureTarballStored).
      await db
        .prepare("DELETE FROM sweep_claims WHERE sha256 IN (SELECT value FROM json_each(?))")
        .bind(JSON.stringify(claimed))
        .run();
      deleted.push(...keys);
    }
    // A page cut short by the delete budget is listed again next run (what was deleted is gone from it).
    if (next < candidates.length) break;
    cursor = listing.truncated ? listing.cursor : null;
    if (cursor === null) break;
  }

  await db
    .prepare(
      "INSERT INTO sweep_state (name, cursor) VALUES ('orphans', ?) ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor",
    )
    .bind(cursor)
    .run();
  return { listed, deleted, cursor };
}

/**
 * After a publish's batch committed: the object its version references must exist. A sweep may have
 * deleted it between the publish's put (or its "already stored" check) and the commit; the publish
 * still holds the bytes, so it puts them again. After the commit no sweep can claim this sha256.
 */
export async function ensureTarballStored(
  artifacts: ArtifactStore,
  key: string,
  bytes: Uint8Array,
  meta: { integrity: string },
): Promise<void> {
  if (!(await artifacts.has(key))) await artifacts.put(key, bytes, meta);
}
