import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import ssri from "ssri";
import { describe, expect, it } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import { skillTarball } from "../helpers/tarball";
import { type Account, BASE, call, createAccount, json, storeCounts } from "./helpers";
import { escaped, npmPublishBody, putJson } from "./npm-helpers";

// A publish whose reply is lost is retried; the retry meets a 409 (immutability: any republish is a
// 4xx, identical bytes included), and that 409 carries the existing version's integrity so the
// client can tell "mine landed" from "someone else's".

const sri = (bytes: Uint8Array) => ssri.fromData(bytes, { algorithms: ["sha512"] }).toString();

const publishInit = (account: Account, body: Uint8Array): RequestInit => ({
  method: "POST",
  headers: { ...account.auth, "Content-Type": "application/gzip" },
  body,
});

type Conflict = { error: string; code: string; integrity?: string };

async function expectConflict(res: Response, integrity: string) {
  expect(res.status).toBe(409);
  const body = await json<Conflict>(res);
  expect(body.code).toBe("VERSION_EXISTS");
  expect(body.error).toMatch(/already exists|never reused/);
  expect(body.integrity).toBe(integrity);
}

describe("409 VERSION_EXISTS carries the existing version's integrity", () => {
  it("skild API: identical bytes → 409 with the same integrity; different bytes → 409 with the stored one; nothing stored", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/retry-skill`;
    const bytes = await skillTarball({ name, version: "1.0.0" });
    const path = `/skills/${account.handle}/retry-skill/publish`;
    const first = await call(path, publishInit(account, bytes));
    expect(first.status).toBe(201);
    expect((await json<{ integrity: string }>(first)).integrity).toBe(sri(bytes));

    const before = await storeCounts();
    await expectConflict(await call(path, publishInit(account, bytes)), sri(bytes));
    const other = await skillTarball({ name, version: "1.0.0", description: "Other bytes, same number." });
    expect(sri(other)).not.toBe(sri(bytes));
    await expectConflict(await call(path, publishInit(account, other)), sri(bytes));
    expect(await storeCounts()).toEqual(before);
  });

  it("npm PUT: identical bytes → 409 with the same integrity; different bytes → 409 with the stored one", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/npm-retry`;
    const tarball = await skillTarball({ name, version: "1.0.0" });
    expect((await putJson(`/${escaped(name)}`, await npmPublishBody(name, { tarball }), account.auth)).status).toBe(
      201,
    );
    const before = await storeCounts();
    await expectConflict(
      await putJson(`/${escaped(name)}`, await npmPublishBody(name, { tarball }), account.auth),
      sri(tarball),
    );
    const other = await skillTarball({ name, version: "1.0.0", description: "Different." });
    await expectConflict(
      await putJson(`/${escaped(name)}`, await npmPublishBody(name, { tarball: other }), account.auth),
      sri(tarball),
    );
    expect(await storeCounts()).toEqual(before);
  });

  it("a dropped reply: the batch commits, the client sees 503; its retry gets 409 whose integrity equals its own", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/lost-reply`, version: "1.0.0" });
    // The real app, with a D1 whose batch commits and then loses the reply.
    const app = createApp((bindings) => {
      const deps = defaultDeps(bindings);
      const db = new Proxy(deps.db, {
        get(target, prop) {
          if (prop === "batch") {
            return async (statements: D1PreparedStatement[]) => {
              await target.batch(statements);
              throw new Error("injected fault: reply lost after commit");
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return { ...deps, db };
    });
    const ctx = createExecutionContext();
    const lost = await app.fetch(
      new Request(new URL(`/skills/${account.handle}/lost-reply/publish`, BASE), publishInit(account, bytes)),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(lost.status).toBe(503);
    await expectConflict(
      await call(`/skills/${account.handle}/lost-reply/publish`, publishInit(account, bytes)),
      sri(bytes),
    );
  });

  it("a race of 10 different uploads: every loser's 409 names the winner's integrity (decided by the unique key)", async () => {
    const account = await createAccount();
    const uploads = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        skillTarball({ name: `@${account.handle}/raced`, version: "1.0.0", description: `Upload ${i}.` }),
      ),
    );
    const answers = await Promise.all(
      uploads.map((bytes) => call(`/skills/${account.handle}/raced/publish`, publishInit(account, bytes))),
    );
    const winner = answers.findIndex((res) => res.status === 201);
    expect(winner).toBeGreaterThanOrEqual(0);
    for (const [i, res] of answers.entries()) {
      if (i !== winner) await expectConflict(res, sri(uploads[winner]));
    }
  });

  it("an unpublished version number: 409 says it is never reused and still names what was there", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/gone`;
    const bytes = await skillTarball({ name, version: "1.0.0" });
    expect((await call(`/skills/${account.handle}/gone/publish`, publishInit(account, bytes))).status).toBe(201);
    await env.DB.prepare(
      "UPDATE versions SET unpublished_at = ? WHERE skill_id = (SELECT id FROM skills WHERE scope = ? AND name = 'gone')",
    )
      .bind(new Date().toISOString(), account.handle)
      .run();
    const again = await call(`/skills/${account.handle}/gone/publish`, publishInit(account, bytes));
    expect(again.status).toBe(409);
    const body = await json<Conflict>(again);
    expect(body.error).toMatch(/never reused/);
    expect(body.integrity).toBe(sri(bytes));
  });
});
