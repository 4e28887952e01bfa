import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import type { ArtifactStore } from "../../worker/domain/artifact-store";
import type { Deps } from "../../worker/env";
import { skillTarball } from "../helpers/tarball";
import { type Account, BASE, call, createAccount, json, storeCounts } from "./helpers";

// Storage faults injected through the deps seam (createApp(makeDeps)): the routers and the publish
// pipeline run unchanged against an R2 or D1 that fails at a chosen step.

type Faults = { artifacts?: Partial<ArtifactStore>; db?: Partial<Pick<D1Database, "batch" | "prepare">> };

/** The real app with some storage methods replaced. */
function faultyApp(faults: Faults) {
  return createApp((bindings) => {
    const deps: Deps = defaultDeps(bindings);
    const artifacts = { ...deps.artifacts, ...faults.artifacts };
    const db = new Proxy(deps.db, {
      get(target, prop) {
        const injected = faults.db?.[prop as "batch" | "prepare"];
        if (injected) return injected;
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { ...deps, artifacts, db };
  });
}

async function callApp(app: ReturnType<typeof createApp>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(new URL(path, BASE), init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const publishInit = (account: Account, body: Uint8Array): RequestInit => ({
  method: "POST",
  headers: { ...account.auth, "Content-Type": "application/gzip" },
  body,
});

async function expectUnavailable(res: Response) {
  const text = await res.text();
  expect(res.status, text).toBeGreaterThanOrEqual(500);
  const body = JSON.parse(text) as { error: string; code: string };
  expect(body.code).toBe("STORAGE_UNAVAILABLE");
  expect(res.status).toBe(503);
  expect(res.headers.get("Retry-After")).toBeTruthy();
  expect(body.error).toMatch(/try again/i);
}

/** The version is not visible anywhere a client looks. */
async function expectNotVisible(account: Account, skill: string, version: string) {
  for (const path of [
    `/skills/${account.handle}/${skill}/versions/${version}`,
    `/skills/${account.handle}/${skill}/versions/${version}/tarball`,
    `/skills/${account.handle}/${skill}/versions/latest`,
  ]) {
    expect((await call(path)).status, path).toBe(404);
  }
}

// The registry logs each injected fault; keep the test output readable.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

const injected = (what: string) => () => Promise.reject(new Error(`injected fault: ${what}`));

describe("R2 faults during publish", () => {
  it("an R2 put that fails → 503 JSON, no D1 row, no object; a retry succeeds", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/r2-fault`, version: "1.0.0" });
    const before = await storeCounts();
    const put = vi.fn(injected("R2 put"));
    await expectUnavailable(
      await callApp(
        faultyApp({ artifacts: { put } }),
        `/skills/${account.handle}/r2-fault/publish`,
        publishInit(account, bytes),
      ),
    );
    expect(put).toHaveBeenCalledTimes(1);
    expect(await storeCounts()).toEqual(before);
    await expectNotVisible(account, "r2-fault", "1.0.0");

    const retry = await call(`/skills/${account.handle}/r2-fault/publish`, publishInit(account, bytes));
    expect(retry.status).toBe(201);
    const res = await call(`/skills/${account.handle}/r2-fault/versions/1.0.0/tarball`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it("an R2 put that stores the object and then fails (a timeout) → 503, no D1 row; the retry reuses the object", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/r2-timeout`, version: "1.0.0" });
    const real = defaultDeps(env).artifacts;
    const before = await storeCounts();
    const put: ArtifactStore["put"] = async (key, data, meta) => {
      await real.put(key, data, meta);
      throw new Error("injected fault: R2 put timed out after writing");
    };
    await expectUnavailable(
      await callApp(
        faultyApp({ artifacts: { put } }),
        `/skills/${account.handle}/r2-timeout/publish`,
        publishInit(account, bytes),
      ),
    );
    const after = await storeCounts();
    expect(after).toEqual({ ...before, objects: before.objects + 1 });
    await expectNotVisible(account, "r2-timeout", "1.0.0");

    const retry = await call(`/skills/${account.handle}/r2-timeout/publish`, publishInit(account, bytes));
    expect(retry.status).toBe(201);
    expect((await storeCounts()).objects).toBe(after.objects);
  });

  it("an R2 existence check that fails → 503, nothing stored", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/r2-head`, version: "1.0.0" });
    const before = await storeCounts();
    const app = faultyApp({ artifacts: { has: injected("R2 head") } });
    await expectUnavailable(
      await callApp(app, `/skills/${account.handle}/r2-head/publish`, publishInit(account, bytes)),
    );
    expect(await storeCounts()).toEqual(before);
  });
});

describe("D1 faults during publish", () => {
  it("a D1 batch that fails after the R2 write → 503, the version is not visible, and a retry succeeds", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/d1-fault`, version: "1.0.0" });
    const before = await storeCounts();
    const batch = vi.fn(injected("D1 batch"));
    await expectUnavailable(
      await callApp(
        faultyApp({ db: { batch } }),
        `/skills/${account.handle}/d1-fault/publish`,
        publishInit(account, bytes),
      ),
    );
    expect(batch).toHaveBeenCalledTimes(1);
    // The bytes went to R2 first (content-addressed, harmless); no row refers to them.
    expect(await storeCounts()).toEqual({ ...before, objects: before.objects + 1 });
    await expectNotVisible(account, "d1-fault", "1.0.0");
    expect((await call(`/skills/${account.handle}/d1-fault`)).status).toBe(404);

    const retry = await call(`/skills/${account.handle}/d1-fault/publish`, publishInit(account, bytes));
    expect(retry.status).toBe(201);
    expect((await json<{ distTags: Record<string, string> }>(retry)).distTags).toEqual({ latest: "1.0.0" });
    expect(await storeCounts()).toEqual({
      skills: before.skills + 1,
      versions: before.versions + 1,
      tags: before.tags + 1,
      objects: before.objects + 1,
    });
    const res = await call(`/skills/${account.handle}/d1-fault/versions/1.0.0/tarball`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it("a D1 batch that fails on a skill with earlier versions leaves them and latest untouched", async () => {
    const account = await createAccount();
    const v1 = await skillTarball({ name: `@${account.handle}/d1-second`, version: "1.0.0", description: "One." });
    const v2 = await skillTarball({ name: `@${account.handle}/d1-second`, version: "2.0.0", description: "Two." });
    expect((await call(`/skills/${account.handle}/d1-second/publish`, publishInit(account, v1))).status).toBe(201);
    const snapshot = await (await call(`/skills/${account.handle}/d1-second`)).json();
    const app = faultyApp({ db: { batch: injected("D1 batch") } });
    await expectUnavailable(
      await callApp(app, `/skills/${account.handle}/d1-second/publish`, publishInit(account, v2)),
    );
    expect(await (await call(`/skills/${account.handle}/d1-second`)).json()).toEqual(snapshot);
    expect((await call(`/skills/${account.handle}/d1-second/versions/2.0.0`)).status).toBe(404);
  });

  it("a D1 batch that commits but reports failure (lost reply) → 503, then the retry answers 409 and the version is intact", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/d1-ambiguous`, version: "1.0.0" });
    const batch: D1Database["batch"] = async (statements) => {
      await env.DB.batch(statements);
      throw new Error("injected fault: D1 reply lost after commit");
    };
    const app = faultyApp({ db: { batch } });
    await expectUnavailable(
      await callApp(app, `/skills/${account.handle}/d1-ambiguous/publish`, publishInit(account, bytes)),
    );
    const retry = await call(`/skills/${account.handle}/d1-ambiguous/publish`, publishInit(account, bytes));
    expect(retry.status).toBe(409);
    expect((await json(retry)).code).toBe("VERSION_EXISTS");
    const res = await call(`/skills/${account.handle}/d1-ambiguous/versions/1.0.0/tarball`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it("D1 failing outright (auth lookup included) → 5xx JSON, never a 401 or a publish", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/d1-down`, version: "1.0.0" });
    const before = await storeCounts();
    const prepare = () => {
      throw new Error("injected fault: D1 unavailable");
    };
    const res = await callApp(
      faultyApp({ db: { prepare } }),
      `/skills/${account.handle}/d1-down/publish`,
      publishInit(account, bytes),
    );
    expect(res.status).toBeGreaterThanOrEqual(500);
    const body = await json<{ error: string; code: string }>(res);
    expect(typeof body.error).toBe("string");
    expect(typeof body.code).toBe("string");
    expect(await storeCounts()).toEqual(before);
  });
});

describe("R2 faults on download", () => {
  it("an R2 read that fails → 5xx JSON; an object missing from R2 → 404 TARBALL_MISSING", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/read-fault`, version: "1.0.0" });
    expect((await call(`/skills/${account.handle}/read-fault/publish`, publishInit(account, bytes))).status).toBe(201);
    const path = `/skills/${account.handle}/read-fault/versions/1.0.0/tarball`;

    const failing = await callApp(faultyApp({ artifacts: { get: injected("R2 get") } }), path);
    expect(failing.status).toBeGreaterThanOrEqual(500);
    expect(failing.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(failing.headers.get("Cache-Control") ?? "").not.toMatch(/immutable/);

    const missing = await callApp(faultyApp({ artifacts: { get: async () => null } }), path);
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe("TARBALL_MISSING");
    expect(missing.headers.get("Cache-Control") ?? "").not.toMatch(/immutable/);
  });
});
