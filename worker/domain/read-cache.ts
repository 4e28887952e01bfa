// Per-isolate memory caches for the hot read paths, so repeat reads need neither D1 nor R2:
//  - skills: the packument rows of a skill (PackumentSource) and the documents built from them
//    (packument per form and origin, the skild API detail), kept SKILL_TTL_MS;
//  - tarball refs: (skill, version) → (R2 key, integrity, size), kept TARBALL_REF_TTL_MS;
//  - tarball bytes: small objects by their content-addressed key, kept until evicted (immutable);
//  - listings: search/list results, kept LISTING_TTL_MS.
// Every write to a skill goes through `skillWriteBatch`, which drops that skill's entries and all
// listings once D1 has committed, so within an isolate the next read sees the write. Other isolates
// (and other colos) keep their copy for at most the TTL: see docs/performance.md.
import type { ArtifactStore } from "./artifact-store";
import { artifactKey } from "./artifact-store";
import type { SkillName } from "./names";
import { loadPackumentSource, type PackumentSource, type PackumentVersionRow } from "./packument";
import { type SkillSummary, searchSkills } from "./skills";

export const SKILL_TTL_MS = 5_000;
export const TARBALL_REF_TTL_MS = 60_000;
export const LISTING_TTL_MS = 5_000;
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
  readonly expires = Date.now() + SKILL_TTL_MS;
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
}

/** Everything cached about one skill; dropped as a whole by a write to it. */
class SkillEntry {
  snapshot: SkillSnapshot | null = null;
  readonly refs = new Map<string, { ref: TarballRef; expires: number }>();
  bytes(): number {
    return (this.snapshot?.bytes ?? 0) + this.refs.size * 256;
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
 * Concurrent misses each read D1: a load is never shared between requests, because in Workers a
 * promise driven by one request's I/O hangs every other request awaiting it once that request is
 * cancelled (a client that hangs up), and the runtime then fails them ("code had hung").
 */
export async function readSkill(
  db: D1Database,
  name: SkillName,
  opts: { fresh?: boolean } = {},
): Promise<SkillSnapshot | null> {
  const key = skillKey(name);
  if (!opts.fresh) {
    const snapshot = skills.get(key)?.snapshot;
    if (snapshot && snapshot.expires > Date.now()) return snapshot;
  }
  const started = epoch;
  const source = await loadPackumentSource(db, name);
  if (!source) return null;
  const snapshot = new SkillSnapshot(source, key);
  if (epoch === started) {
    const entry = entryFor(key);
    entry.snapshot = snapshot;
    skills.resize(key, entry, entry.bytes());
  }
  return snapshot;
}

/** Where a live version's tarball is, or null (no such skill or version, or unpublished). */
export async function readTarballRef(db: D1Database, name: SkillName, version: string): Promise<TarballRef | null> {
  const key = skillKey(name);
  const entry = skills.get(key);
  const snapshot = entry?.snapshot;
  if (snapshot && snapshot.expires > Date.now()) {
    const row = snapshot.version(version);
    return row ? { key: artifactKey(row.sha256), integrity: row.integrity, size: row.size } : null;
  }
  const cached = entry?.refs.get(version);
  if (cached && cached.expires > Date.now()) return cached.ref;
  const started = epoch;
  const row = await db
    .prepare(
      `SELECT v.sha256, v.integrity, v.size FROM versions v JOIN skills s ON s.id = v.skill_id
       WHERE s.scope = ? AND s.name = ? AND v.version = ? AND v.unpublished_at IS NULL`,
    )
    .bind(name.scope, name.name, version)
    .first<{ sha256: string; integrity: string; size: number }>();
  if (!row) return null;
  const ref = { key: artifactKey(row.sha256), integrity: row.integrity, size: row.size };
  if (epoch === started) {
    const target = entryFor(key);
    target.refs.set(version, { ref, expires: Date.now() + TARBALL_REF_TTL_MS });
    skills.resize(key, target, target.bytes());
  }
  return ref;
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

type SearchOptions = Parameters<typeof searchSkills>[1];
type SearchResult = Awaited<ReturnType<typeof searchSkills>>;

/** `searchSkills`, answered from memory for LISTING_TTL_MS or until the next write. */
export async function searchSkillsCached(db: D1Database, opts: SearchOptions): Promise<SearchResult> {
  const key = JSON.stringify(opts);
  const cached = listings.get(key) as SearchResult | undefined;
  if (cached) return cached;
  const started = epoch;
  const result = await searchSkills(db, opts);
  const bytes = result.skills.reduce(
    (n: number, s: SkillSummary) => n + 128 + s.name.length + s.description.length,
    256,
  );
  if (epoch === started) listings.set(key, result, bytes + key.length, LISTING_TTL_MS);
  return result;
}

/** Drops everything cached about a skill, and every listing (a write can change any of them). */
function invalidateSkill(name: SkillName): void {
  epoch += 1;
  const key = skillKey(name);
  skills.delete(key);
  listings.clear();
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
