import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import type { ArtifactStore } from "../../worker/domain/artifact-store";
import { sha256Hex } from "../../worker/domain/crypto";
import { DEFAULT_SWEEP, type SweepOptions, sweepOrphans } from "../../worker/domain/orphan-sweep";
import worker from "../../worker/index";
import { skillTarball } from "../helpers/tarball";
import { type Account, BASE, createAccount } from "./helpers";

// The orphan sweep against real D1 and R2. "Now" is moved two hours ahead instead of waiting out the
// grace period; storage is shared by the tests of this file, so each checks only its own keys.

const HOUR_MS = 3600_000;
/** A run that sees every object as older than the grace period. */
const later = (over: Partial<SweepOptions> = {}): SweepOptions => ({
  ...DEFAULT_SWEEP,
  nowMs: Date.now() + 2 * HOUR_MS,
  ...over,
});
const sweep = (opts: SweepOptions) => sweepOrphans(env.DB, env.ARTIFACTS, opts);
/** A run that lists from the start of the bucket (an earlier test's bounded runs may have left a cursor). */
async function sweepFromStart(opts: SweepOptions) {
  await env.DB.prepare("DELETE FROM sweep_state").run();
  return sweep(opts);
}

const keyOf = async (bytes: Uint8Array) => `sha256/${await sha256Hex(bytes)}.tgz`;
const exists = async (key: string) => (await env.ARTIFACTS.head(key)) !== null;

/** An object no version references, as a publish that lost its D1 batch leaves behind. */
async function storeOrphan(label: string): Promise<string> {
  const bytes = new TextEncoder().encode(`orphan ${label} ${crypto.randomUUID()}`);
  const key = await keyOf(bytes);
  await env.ARTIFACTS.put(key, bytes);
  return key;
}

/** Every version row's object is in R2 (the invariant the sweep must never break). */
async function missingTarballs(): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT DISTINCT sha256 FROM versions").all<{ sha256: string }>();
  const missing: string[] = [];
  for (const { sha256 } of results) {
    if (!(await exists(`sha256/${sha256}.tgz`))) missing.push(sha256);
  }
  return missing;
}

const publishInit = (account: Account, body: Uint8Array): RequestInit => ({
  method: "POST",
  headers: { ...account.auth, "Content-Type": "application/gzip" },
  body,
});

/** The real app with the artifact store wrapped, so a test can act at a chosen step of a publish. */
function appWithArtifacts(wrap: (store: ArtifactStore) => ArtifactStore) {
  return createApp((bindings) => {
    const deps = defaultDeps(bindings);
    return { ...deps, artifacts: wrap(deps.artifacts) };
  });
}

async function callApp(app: ReturnType<typeof createApp>, path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(new URL(path, BASE), init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("orphan sweep", () => {
  it("deletes old unreferenced sha256/*.tgz; keeps referenced (live and unpublished), young, and other keys", async () => {
    const account = await createAccount();
    const live = await skillTarball({ name: `@${account.handle}/kept`, version: "1.0.0" });
    const gone = await skillTarball({ name: `@${account.handle}/kept`, version: "2.0.0" });
    for (const bytes of [live, gone]) {
      expect(
        (
          await exports.default.fetch(
            new Request(`${BASE}/skills/${account.handle}/kept/publish`, publishInit(account, bytes)),
          )
        ).status,
      ).toBe(201);
    }
    await env.DB.prepare("UPDATE versions SET unpublished_at = ? WHERE sha256 = ?")
      .bind(new Date().toISOString(), (await keyOf(gone)).slice(7, -4))
      .run();
    const orphan = await storeOrphan("old");
    const others = [
      "provenance/abc.json",
      "archives/x.tgz",
      `sha256/${"a".repeat(64)}.tgz.sig`,
      "sha256/notes.txt",
      `sha256/${"B".repeat(64)}.tgz`,
    ];
    for (const key of others) await env.ARTIFACTS.put(key, "not a tarball of ours");

    // Real now: everything is younger than the grace period, nothing goes.
    const young = await sweep({ ...DEFAULT_SWEEP, nowMs: Date.now() });
    expect(young.deleted).toEqual([]);
    expect(await exists(orphan)).toBe(true);

    const run = await sweepFromStart(later());
    expect(run.deleted).toContain(orphan);
    expect(await exists(orphan)).toBe(false);
    expect(await exists(await keyOf(live))).toBe(true);
    expect(await exists(await keyOf(gone))).toBe(true);
    for (const key of others) expect(await exists(key), key).toBe(true);
    expect(run.deleted.every((key) => /^sha256\/[0-9a-f]{64}\.tgz$/.test(key))).toBe(true);
    expect(await missingTarballs()).toEqual([]);
    const claims = await env.DB.prepare("SELECT COUNT(*) AS n FROM sweep_claims").first<{ n: number }>();
    expect(claims!.n).toBe(0);
  });

  it("works in bounded runs: at most maxDeletes per run and maxListPages pages, resuming where it stopped", async () => {
    const orphans = new Set<string>();
    for (let i = 0; i < 7; i++) orphans.add(await storeOrphan(`bounded ${i}`));
    const opts = later({ maxDeletes: 3, pageSize: 2, maxListPages: 2 });
    const runs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const result = await sweep(opts);
      expect(result.deleted.length).toBeLessThanOrEqual(3);
      expect(result.listed).toBeLessThanOrEqual(4);
      runs.push(result.deleted.length);
      let left = 0;
      for (const key of orphans) if (await exists(key)) left++;
      if (left === 0) break;
    }
    for (const key of orphans) expect(await exists(key), key).toBe(false);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(await missingTarballs()).toEqual([]);
  });

  it("a sweep between a publish's put and its D1 batch: the publish puts its bytes back after committing", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/raced-put`, version: "1.0.0" });
    const key = await keyOf(bytes);
    let swept: string[] = [];
    let puts = 0;
    const app = appWithArtifacts((store) => ({
      ...store,
      async put(k, b, meta) {
        await store.put(k, b, meta);
        // The first put (the publish's own) is followed by a whole sweep; the second is the repair.
        if (++puts === 1) swept = (await sweepFromStart(later())).deleted;
      },
    }));
    const res = await callApp(app, `/skills/${account.handle}/raced-put/publish`, publishInit(account, bytes));
    expect(res.status).toBe(201);
    expect(swept).toContain(key); // the sweep did delete it: the race really happened
    expect(puts).toBe(2);
    expect(await exists(key)).toBe(true);
    expect(await missingTarballs()).toEqual([]);
  });

  it("a publish reusing an old orphan's object, swept before its batch: the object is put back", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/reused`, version: "1.0.0" });
    const key = await keyOf(bytes);
    await env.ARTIFACTS.put(key, bytes); // an earlier attempt's orphan: the publish will skip its put
    let swept: string[] = [];
    let puts = 0;
    const app = appWithArtifacts((store) => ({
      ...store,
      async has(k) {
        const found = await store.has(k);
        if (puts === 0 && swept.length === 0) swept = (await sweepFromStart(later())).deleted;
        return found;
      },
      async put(k, b, meta) {
        puts++;
        await store.put(k, b, meta);
      },
    }));
    const res = await callApp(app, `/skills/${account.handle}/reused/publish`, publishInit(account, bytes));
    expect(res.status).toBe(201);
    expect(swept).toContain(key);
    expect(puts).toBe(1); // the repair after the commit
    expect(await exists(key)).toBe(true);
  });

  it("a publish committing while the sweep holds its claim is refused (503, nothing recorded); the retry lands", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/claimed`, version: "1.0.0" });
    const key = await keyOf(bytes);
    await env.ARTIFACTS.put(key, bytes);
    let during: Response | undefined;
    const bucket = {
      list: env.ARTIFACTS.list.bind(env.ARTIFACTS),
      async delete(keys: string | string[]) {
        if ([keys].flat().includes(key) && !during) {
          // The claim is in D1; the object is still in R2. A publish of those bytes runs now.
          during = await exports.default.fetch(
            new Request(`${BASE}/skills/${account.handle}/claimed/publish`, publishInit(account, bytes)),
          );
        }
        return env.ARTIFACTS.delete(keys);
      },
    };
    await env.DB.prepare("DELETE FROM sweep_state").run();
    const result = await sweepOrphans(env.DB, bucket, later());
    expect(result.deleted).toContain(key);
    expect(during?.status).toBe(503);
    expect(during?.headers.get("Retry-After")).toBeTruthy();
    const row = await env.DB.prepare("SELECT 1 FROM versions WHERE sha256 = ?").bind(key.slice(7, -4)).first();
    expect(row).toBeNull();
    const retry = await exports.default.fetch(
      new Request(`${BASE}/skills/${account.handle}/claimed/publish`, publishInit(account, bytes)),
    );
    expect(retry.status).toBe(201);
    expect(await exists(key)).toBe(true);
  });

  it("publishes racing sweeps (all objects past grace, bytes pre-stored as orphans): no version ever loses its tarball", async () => {
    const account = await createAccount();
    const uploads = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        skillTarball({ name: `@${account.handle}/race-${i}`, version: "1.0.0", description: `Race ${i}.` }),
      ),
    );
    for (const bytes of uploads.slice(0, 6)) await env.ARTIFACTS.put(await keyOf(bytes), bytes);
    const publishUntilDone = async (i: number) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const res = await exports.default.fetch(
          new Request(`${BASE}/skills/${account.handle}/race-${i}/publish`, publishInit(account, uploads[i])),
        );
        if (res.status !== 503) return res.status;
      }
      return 503;
    };
    const sweeps = Array.from({ length: 6 }, () => sweep(later({ pageSize: 3 })));
    const statuses = await Promise.all([...uploads.map((_, i) => publishUntilDone(i)), ...sweeps]);
    expect(statuses.slice(0, uploads.length)).toEqual(Array(uploads.length).fill(201));
    expect(await missingTarballs()).toEqual([]);
    for (const bytes of uploads) expect(await exists(await keyOf(bytes))).toBe(true);
  });

  it("the Worker's scheduled handler runs one sweep with the wrangler.toml grace (a fresh orphan survives)", async () => {
    const orphan = await storeOrphan("fresh");
    await env.DB.prepare("DELETE FROM sweep_state").run();
    // The Worker entry's own handler, called as the Cron Trigger (or `npm start`'s launcher) calls it.
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: new Date() }), env);
    expect(await exists(orphan)).toBe(true);
    const state = await env.DB.prepare("SELECT name FROM sweep_state").first<{ name: string }>();
    expect(state?.name).toBe("orphans");
  });
});
