// The orphan sweep as `npm start` runs it: the production bundle on one workerd (scripts/serve.mjs),
// whose launcher calls the Worker's `scheduled` handler on wrangler.toml's cron schedule. Here the
// launcher's `runScheduled` fires it at once, with the grace period lowered through vars.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "../../scripts/serve.mjs";
import { freePort } from "../helpers/registry-server";
import { skillTarball } from "../helpers/tarball";

const stateDir = mkdtempSync(path.join(os.tmpdir(), "skild-sweep-"));
let server: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  server = await serve({ stateDir, port: await freePort(), vars: { ORPHAN_GRACE_SECONDS: "0" } });
});
afterAll(async () => {
  await server?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const tarballKey = (bytes: Uint8Array) => `sha256/${createHash("sha256").update(bytes).digest("hex")}.tgz`;

describe("orphan sweep under npm start", () => {
  it("declares the cron and its scheduled run deletes an orphan, keeping published tarballs and other keys", async () => {
    expect(server.crons.length).toBeGreaterThan(0);
    const credentials = { handle: "sweeper", password: "correct horse battery" };
    expect((await post(`${server.url}/auth/signup`, { ...credentials, email: "s@example.com" })).status).toBe(201);
    const login = await post(`${server.url}/auth/login`, { handleOrEmail: "sweeper", password: credentials.password });
    const { token } = (await login.json()) as { token: string };
    const published = await skillTarball({ name: "@sweeper/kept", version: "1.0.0" });
    const res = await fetch(`${server.url}/skills/sweeper/kept/publish`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/gzip" },
      body: Buffer.from(published),
    });
    expect(res.status).toBe(201);

    const bucket = await server.mf.getR2Bucket("ARTIFACTS");
    const orphanBytes = new TextEncoder().encode("left behind by a publish that lost its race");
    const orphan = tarballKey(orphanBytes);
    await bucket.put(orphan, orphanBytes);
    await bucket.put("provenance/kept.json", "{}");

    await server.runScheduled();

    expect(await bucket.head(orphan)).toBeNull();
    expect(await bucket.head(tarballKey(published))).not.toBeNull();
    expect(await bucket.head("provenance/kept.json")).not.toBeNull();
    const download = await fetch(`${server.url}/skills/sweeper/kept/versions/1.0.0/tarball`);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(published);
  });
});
