// When a cached skill expires, one request reloads it from D1 and the others of the isolate answer
// from the expired snapshot meanwhile (worker/domain/read-cache.ts readSkill): a 1,000-version skill
// is then rebuilt once, not once per concurrent request. No request ever waits on another's load.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { REFRESH_GRACE_MS, readSkill, type SkillSnapshot } from "../../worker/domain/read-cache";
import { createAccount, publish } from "./helpers";

/** env.DB, with every batch counted and held until `release`, or failing when `fail` is set. */
function heldDb(opts: { fail?: boolean } = {}) {
  let batches = 0;
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          batches += 1;
          await gate;
          if (opts.fail) throw new Error("D1 is down");
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, batches: () => batches, release };
}

/** Makes a cached snapshot expire `agoMs` ago (just now by default). */
function expire(snapshot: SkillSnapshot, agoMs = 1) {
  (snapshot as { expires: number }).expires = Date.now() - agoMs;
}

async function cachedSkill() {
  const account = await createAccount();
  expect((await publish(account, { skill: "refresh-me" })).status).toBe(201);
  const name = { scope: account.handle, name: "refresh-me" };
  const snapshot = await readSkill(env.DB, name);
  if (!snapshot) throw new Error("the published skill did not read back");
  return { name, snapshot };
}

describe("reloading an expired skill", () => {
  it("one request reloads it; the others answer from the expired snapshot without waiting", async () => {
    const { name, snapshot: expired } = await cachedSkill();
    expire(expired);
    const held = heldDb();
    const reloading = readSkill(held.db, name);
    const others = await Promise.all(Array.from({ length: 5 }, () => readSkill(held.db, name)));
    // Answered while the reload is still held: the expired snapshot, and one D1 load in all.
    for (const other of others) expect(other).toBe(expired);
    expect(held.batches()).toBe(1);
    held.release();
    const fresh = await reloading;
    expect(fresh).not.toBe(expired);
    expect(fresh?.source.skill.name).toBe("refresh-me");
    // The reloaded snapshot is what the next read gets, without D1.
    expect(await readSkill(held.db, name)).toBe(fresh);
    expect(held.batches()).toBe(1);
  });

  it("a reload that fails fails only its own request, and the next read tries again", async () => {
    const { name, snapshot: expired } = await cachedSkill();
    expire(expired);
    const failing = heldDb({ fail: true });
    const reloading = readSkill(failing.db, name);
    expect(await readSkill(failing.db, name)).toBe(expired);
    failing.release();
    await expect(reloading).rejects.toThrow("D1 is down");
    const working = heldDb();
    working.release();
    const fresh = await readSkill(working.db, name);
    expect(fresh).not.toBe(expired);
    expect(working.batches()).toBe(1);
  });

  it("past its whole TTL a snapshot answers nobody: a change elsewhere shows within SKILL_TTL_MS", async () => {
    const { name, snapshot: expired } = await cachedSkill();
    expire(expired, REFRESH_GRACE_MS + 1);
    const held = heldDb();
    const reads = [readSkill(held.db, name), readSkill(held.db, name)];
    expect(held.batches()).toBe(2);
    held.release();
    for (const read of await Promise.all(reads)) expect(read).not.toBe(expired);
  });

  it("a read that must be fresh (?write=true) never answers from an expired snapshot", async () => {
    const { name, snapshot: expired } = await cachedSkill();
    expire(expired);
    const held = heldDb();
    const reloading = readSkill(held.db, name);
    const fresh = readSkill(held.db, name, { fresh: true });
    expect(held.batches()).toBe(2);
    held.release();
    expect(await fresh).not.toBe(expired);
    await reloading;
  });
});
