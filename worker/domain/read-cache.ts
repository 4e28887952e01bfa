// Per-isolate memory caches for the hot read paths, so repeat reads need neither D1 nor R2:
//  - skills: the packument rows of a skill (PackumentSource) and the documents built from them
//    (packument per form and origin, the skild API detail), kept SKILL_TTL_MS;
//  - tarball refs: (skill, version) → (R2 key, integrity, size), kept TARBALL_REF_TTL_MS;
//  - tarball bytes: small objects by their content-addressed key, kept until evicted (immutable);
//  - listings: the bodies of search/list answers, kept LISTING_TTL_MS.
// Every write to a skill goes through `skillWriteBatch`, which drops that skill's entries and all
// listings once D1 has committed, so within an isolate the next read sees the write. Other isolates
// (and other colos) keep their copy for at most the TTL: see docs/performance.md.

import type { SkillAccess } from "./access";
import type { ArtifactStore } from "./artifact-store";
import { artifactKey } from "./artifact-store";
import type { SkillName } from "./names";
import { loadPackumentSource, type PackumentSource, type PackumentVersionRow } from "./packument";
import { searchSkills } from "./skills";

export const SKILL_TTL_MS = 5_000;
export const TARBALL_REF_TTL_MS = 60_000;
export const LISTING_TTL_MS = 5_000;
/**
 * The last part of a snapshot's SKILL_TTL_MS: past REFRESH_GRACE_MS before its end, the snapshot is
 * expired and the next request reloads it, while the others may still answer from it until the end
 * (readSkill). A change made elsewhere still shows within SKILL_TTL_MS.
 */
export const REFRESH_GRACE_MS = 1_000;
const MiB = 1024 * 1024;
const SKILL_BUDGET_BYTES = 16 * MiB;
const TARBALL_BUDGET_BYTES = 8 * MiB;
const LISTING_BUDGET_BYTES = 2 * MiB;
/** Larger tarballs are streamed from R2 every time, never buffered. */
const MAX_CACHED_TARBALL_BYTES = 1 * MiB;

/** A map that evicts its least recently used entries beyond a byte budget; one entry may use a quarter. */
class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number; expires: number }>();
  private total = 0;
  constructor(private readonly budget: number) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= Date.now()) {
      this.total -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The value without counting a use (bookkeeping, not reads). */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  fits(bytes: number): boolean {
    return bytes <= this.budget / 4;
  }

  set(key: string, value: V, bytes: number, ttlMs = Number.POSITIVE_INFINITY): void {
    this.delete(key);
    if (!this.fits(bytes)) return;
    this.entries.set(key, { value, bytes, expires: Date.now() + ttlMs });
    this.total += bytes;
    this.evict();
  }

  /** Re-counts an entry that grew in place. */
  resize(key: string, value: V, bytes: number): void {
    const entry = this.entries.get(key);
    if (entry?.value !== value) return;
    if (!this.fits(bytes)) {
      this.delete(key);
      return;
    }
    this.total += bytes - entry.bytes;
    entry.bytes = bytes;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.total <= this.budget) break;
      this.entries.delete(key);
      this.total -= entry.bytes;
    }
  }
}

const skillKey = (name: SkillName) => `${name.scope}/${name.name}`;
const encoder = new TextEncoder();

/** A skill as read at one moment, and the documents built from it (memoized until the next write). */
export class SkillSnapshot {
  /** When the next read reloads it; it may answer concurrent reads for REFRESH_GRACE_MS more. */
  readonly expires = Date.now() + SKILL_TTL_MS - REFRESH_GRACE_MS;
  private readonly documents = new Map<string, Uint8Array>();
  private byVersion?: Map<string, PackumentVersionRow>;
  bytes: number;

  constructor(
    readonly source: PackumentSource,
    private readonly key: string,
  ) {
    this.bytes = source.versions.reduce(
      (n, v) => n + 512 + v.manifest_json.length + (v.readme?.length ?? 0) + (v.risk_json?.length ?? 0),
      1024,
    );
  }

  /** A live version's row, or undefined. */
  version(version: string): PackumentVersionRow | undefined {
    this.byVersion ??= new Map(this.source.versions.map((row) => [row.version, row]));
    return this.byVersion.get(version);
  }

  liveVersions(): string[] {
    return this.source.versions.map((row) => row.version);
  }

  /**
   * The UTF-8 bytes of a document derived only from `source` and `key` (e.g. form and origin),
   * built once per snapshot.
   */
  document(key: string, build: () => unknown): Uint8Array {
    const cached = this.documents.get(key);
    if (cached) return cached;
    const bytes = encoder.encode(JSON.stringify(build()));
    // Kept only while this snapshot is the cached one and within its share of the budget (origins
    // come from the Host header, so how many there are is not ours to bound).
    const entry = skills.peek(this.key);
    const grown = this.bytes + bytes.byteLength + key.length;
    if (entry?.snapshot === this && skills.fits(grown)) {
      this.documents.set(key, bytes);
      this.bytes = grown;
      skills.resize(this.key, entry, entry.bytes());
    }
    return bytes;
  }
}

export interface TarballRef {
  key: string;
  integrity: string;
  size: number;
  /** The skill the tarball belongs to and its access, for the access check (at most SKILL_TTL_MS old). */
  skill: { id: number; access: SkillAccess };
}

/** Everything cached about one skill; dropped as a whole by a write to it. */
class SkillEntry {
  snapshot: SkillSnapshot | null = null;
  /**
   * Until when "no such skill" is the cached answer. A missing name is cached exactly as long as a
   * snapshot, so a private skill (cached, then refused) and a name that never existed cost the same.
   */
  missingUntil = 0;
  /** While a request reloads an expired snapshot: until when the others may keep answering from it. */
  refreshingUntil = 0;
  /** A version's location (immutable, kept TARBALL_REF_TTL_MS), or null for "no such version" (SKILL_TTL_MS). */
  readonly refs = new Map<string, { ref: Omit<TarballRef, "skill"> | null; expires: number }>();
  /** The skill's id and access, re-read every SKILL_TTL_MS: a change of access reaches every isolate in that bound. */
  access: { skill: TarballRef["skill"]; expires: number } | null = null;
  bytes(): number {
    return 128 + (this.snapshot?.bytes ?? 0) + this.refs.size * 256;
  }
}

const skills = new ByteLru<SkillEntry>(SKILL_BUDGET_BYTES);
const tarballs = new ByteLru<Uint8Array>(TARBALL_BUDGET_BYTES);
const listings = new ByteLru<unknown>(LISTING_BUDGET_BYTES);
/**
 * Bumped by every write. A read that started before a write may not store what it read: it could
 * be from before the write and would then outlive the invalidation.
 */
let epoch = 0;

/** The entry for `key`, created (and counted) if missing. */
function entryFor(key: string): SkillEntry {
  const existing = skills.peek(key);
  if (existing) return existing;
  const entry = new SkillEntry();
  skills.set(key, entry, entry.bytes());
  return entry;
}

/**
 * A snapshot of the skill (row, live versions, tags), or null when it does not exist. `fresh`
 * reads D1 even on a hit (for `?write=true`: the document a client edits and sends back).
 *
 * A load is never shared between requests, because in Workers a promise driven by one request's
 * I/O hangs every other request awaiting it once that request is cancelled (a client that hangs up),
 * and the runtime then fails them ("code had hung"). So when a snapshot expires, the first request
 * reloads it and, for at most REFRESH_GRACE_MS, the others answer from the expired one without
 * waiting: each rebuilding it at once (ten, under the benchmark's load) was 10-25 MiB of the
 * isolate's peak on a 1,000-version skill. With nothing cached, concurrent misses each read D1.
 */
export async function readSkill(
  db: D1Database,
  name: SkillName,
  opts: { fresh?: boolean } = {},
): Promise<SkillSnapshot | null> {
  const key = skillKey(name);
  /** The entry whose expired snapshot this request reloads, while others answer from it. */
  let refreshing: SkillEntry | undefined;
  if (!opts.fresh) {
    const entry = skills.get(key);
    const snapshot = entry?.snapshot;
    const now = Date.now();
    if (snapshot && snapshot.expires > now) return snapshot;
    if (entry && entry.missingUntil > now) return null;
    if (entry && snapshot) {
      if (entry.refreshingUntil > now) return snapshot;
      entry.refreshingUntil = snapshot.expires + REFRESH_GRACE_MS;
      refreshing = entry;
    }
  }
  const started = epoch;
  let source: PackumentSource | null;
  try {
    source = await loadPackumentSource(db, name);
  } finally {
    if (refreshing) refreshing.refreshingUntil = 0;
  }
  if (!source) {
    if (epoch === started) entryFor(key).missingUntil = Date.now() + SKILL_TTL_MS;
    return null;
  }
  const snapshot = new SkillSnapshot(source, key);
  if (epoch === started) {
    const entry = entryFor(key);
    entry.snapshot = snapshot;
    skills.resize(key, entry, entry.bytes());
  }
  return snapshot;
}

/**
 * Where a live version's tarball is, with the skill's access for the caller's check, or null (no such
 * skill or version, or unpublished). The location is immutable and kept TARBALL_REF_TTL_MS; the access
 * never more than SKILL_TTL_MS, so a cached location never outlives a change of access by more.
 */
export async function readTarballRef(db: D1Database, name: SkillName, version: string): Promise<TarballRef | null> {
  const key = skillKey(name);
  const entry = skills.get(key);
  const now = Date.now();
  const snapshot = entry?.snapshot;
  if (snapshot && snapshot.expires > now) {
    const row = snapshot.version(version);
    const { id, access } = snapshot.source.skill;
    return row
      ? { key: artifactKey(row.sha256), integrity: row.integrity, size: row.size, skill: { id, access } }
      : null;
  }
  if (entry && entry.missingUntil > now) return null;
  const cached = entry?.refs.get(version);
  if (cached && cached.expires > now && (cached.ref === null || (entry?.access && entry.access.expires > now))) {
    return cached.ref && entry?.access ? { ...cached.ref, skill: entry.access.skill } : null;
  }
  const started = epoch;
  // One query: the skill's id and access (even when the version is missing) and the version's location.
  const row = await db
    .prepare(
      `SELECT s.id, s.access, v.sha256, v.integrity, v.size FROM skills s
       LEFT JOIN versions v ON v.skill_id = s.id AND v.version = ?3 AND v.unpublished_at IS NULL
       WHERE s.scope = ?1 AND s.name = ?2`,
    )
    .bind(name.scope, name.name, version)
    .first<{ id: number; access: SkillAccess; sha256: string | null; integrity: string | null; size: number | null }>();
  if (!row) {
    if (epoch === started) entryFor(key).missingUntil = Date.now() + SKILL_TTL_MS;
    return null;
  }
  const skill = { id: row.id, access: row.access };
  const ref =
    row.sha256 === null ? null : { key: artifactKey(row.sha256), integrity: row.integrity ?? "", size: row.size ?? 0 };
  if (epoch === started) {
    const target = entryFor(key);
    target.access = { skill, expires: Date.now() + SKILL_TTL_MS };
    target.refs.set(version, { ref, expires: Date.now() + (ref ? TARBALL_REF_TTL_MS : SKILL_TTL_MS) });
    skills.resize(key, target, target.bytes());
  }
  return ref ? { ...ref, skill } : null;
}

/**
 * The tarball's bytes: small ones from memory (content-addressed, so never stale), large ones
 * streamed from R2 without buffering. Null when the object is missing.
 */
export async function readTarball(
  artifacts: ArtifactStore,
  ref: TarballRef,
): Promise<{ body: ReadableStream | Uint8Array; size: number } | null> {
  const cached = tarballs.get(ref.key);
  if (cached) return { body: cached, size: cached.byteLength };
  const object = await artifacts.get(ref.key);
  if (!object) return null;
  if (object.size > MAX_CACHED_TARBALL_BYTES) return object;
  const bytes = new Uint8Array(await new Response(object.body).arrayBuffer());
  tarballs.set(ref.key, bytes, bytes.byteLength);
  return { body: bytes, size: bytes.byteLength };
}

/** Searches of public skills only: these answers are one copy for every reader. */
type PublicSearch = Omit<Parameters<typeof searchSkills>[1], "readerId" | "restrictedOnly">;
type SearchResult = Awaited<ReturnType<typeof searchSkills>>;

/**
 * The UTF-8 body of a listing answer (`GET /skills`, `npm search`), kept LISTING_TTL_MS or until the
 * next write under `key`: the request's own query string and whatever else the body depends on (the
 * dialect, the origin). A repeated search then costs neither validating its query, D1, nor building
 * and serialising its JSON (most of a cached search's time, and of its garbage). On a miss, `prepare`
 * validates the query (and may throw a 400, which is not cached) and says how to search and render.
 * Listings are public only (`PublicSearch` has no reader): the same bytes for every caller.
 */
export async function listingBody(
  db: D1Database,
  key: string,
  prepare: () => { opts: PublicSearch; render: (result: SearchResult) => unknown },
): Promise<Uint8Array> {
  const cached = listings.get(key) as Uint8Array | undefined;
  if (cached) return cached;
  const { opts, render } = prepare();
  const started = epoch;
  const bytes = encoder.encode(JSON.stringify(render(await searchSkills(db, opts))));
  if (epoch === started) listings.set(key, bytes, bytes.byteLength + key.length, LISTING_TTL_MS);
  return bytes;
}

/** Drops everything cached about a skill, and every listing (a write can change any of them). */
function invalidateSkill(name: SkillName): void {
  epoch += 1;
  const key = skillKey(name);
  skills.delete(key);
  listings.clear();
}

/**
 * Drops everything cached about every skill of a scope, and every listing: a change of membership
 * or of a team can change who reads or writes any of them (and their `maintainers`).
 */
function invalidateScope(scope: string): void {
  epoch += 1;
  const prefix = `${scope}/`;
  for (const key of skills.keys()) if (key.startsWith(prefix)) skills.delete(key);
  listings.clear();
}

/** An org's rows (members, teams, grants) in one D1 batch, then its skills' cached reads are dropped. */
export async function scopeWriteBatch(
  db: D1Database,
  scope: string,
  statements: D1PreparedStatement[],
): Promise<D1Result[]> {
  try {
    return await db.batch(statements);
  } finally {
    invalidateScope(scope);
  }
}

/**
 * THE way to write a skill's rows: one D1 batch (a transaction), then the skill's cached reads are
 * dropped, whether the batch committed or failed (a failure may still have committed).
 */
export async function skillWriteBatch(
  db: D1Database,
  name: SkillName,
  statements: D1PreparedStatement[],
): Promise<D1Result[]> {
  try {
    return await db.batch(statements);
  } finally {
    invalidateSkill(name);
  }
}
