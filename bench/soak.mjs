#!/usr/bin/env node
// Bounded soak (issue 6): mixed traffic against a real `wrangler dev` registry on 127.0.0.1 for a
// fixed time, then every acknowledged publish is read back byte for byte. Not part of `npm test`.
//
//   node bench/soak.mjs [--seconds=60] [--concurrency=8] [--max-requests=200000] [--publish-ratio=0.05]
//
// Traffic: ~95% reads (skill tarballs, version lookups by exact version and by tag, skill pages,
// and npm packuments when `GET /@scope%2fname` answers 200), ~5% publishes via POST /skills/.../publish.
// Prints requests, errors and lost publishes; exits 1 when either is non-zero. The server is
// stopped on every exit path (success, failure, Ctrl-C, watchdog).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transform } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** @param {string} name @param {number} fallback */
function flag(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
const SECONDS = flag("seconds", 60);
const CONCURRENCY = Math.floor(flag("concurrency", 8));
const MAX_REQUESTS = Math.floor(flag("max-requests", 200_000));
const PUBLISH_RATIO = flag("publish-ratio", 0.05);
const SKILLS = 6;
/** The whole run (start-up, soak, read-back, shutdown) must end within this, or the watchdog stops it. */
const WATCHDOG_MS = (SECONDS + 180) * 1000;

/**
 * Loads one of the project's TypeScript test helpers in plain Node 20: esbuild strips the types,
 * relative imports are pointed at their absolute location, and the result is imported from a temp dir.
 * @param {string} relative path from the project root
 */
async function importTs(relative) {
  const file = path.join(ROOT, relative);
  const { code } = await transform(readFileSync(file, "utf8"), { loader: "ts", format: "esm", target: "node20" });
  const linked = code.replace(/(from\s+|import\()(["'])(\.\.?\/[^"']+)\2/g, (_m, lead, quote, spec) => {
    return `${lead}${quote}${pathToFileURL(path.resolve(path.dirname(file), spec)).href}${quote}`;
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "skild-soak-"));
  const out = path.join(dir, `${path.basename(file, ".ts")}.mjs`);
  writeFileSync(out, linked);
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {Uint8Array} bytes */
const sri = (bytes) => `sha512-${createHash("sha512").update(bytes).digest("base64")}`;

/** @param {number[]} sorted @param {number} p */
const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0;

/**
 * @typedef {{ skill: string, version: string, bytes: Uint8Array, integrity: string }} Published
 * @typedef {{ requests: number, byKind: Record<string, number>, errors: Record<string, number>, errorSamples: string[], latencies: number[] }} Stats
 */

async function main() {
  /** @type {typeof import("../test/helpers/registry-server")} */
  const { startRegistry } = await importTs("test/helpers/registry-server.ts");
  /** @type {typeof import("../test/helpers/tarball")} */
  const { skillTarball } = await importTs("test/helpers/tarball.ts");

  /** @type {import("../test/helpers/registry-server").RegistryServer | undefined} */
  let server;
  /** @type {Promise<import("../test/helpers/registry-server").RegistryServer> | undefined} */
  let starting;
  let stopping = false;
  const stop = async (/** @type {number} */ code) => {
    if (stopping) return;
    stopping = true;
    // Interrupted during start-up: wait for the server to exist so its process group can be stopped.
    server ??= await starting?.catch(() => undefined);
    await server?.stop().catch(() => {});
    process.exit(code);
  };
  const watchdog = setTimeout(() => {
    console.error(`soak: watchdog fired after ${WATCHDOG_MS / 1000} s; stopping the server`);
    void stop(2);
  }, WATCHDOG_MS);
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.once(signal, () => void stop(130));

  try {
    console.log(`soak: starting wrangler dev (${SECONDS} s, ${CONCURRENCY} clients, ≤${MAX_REQUESTS} requests)…`);
    starting = startRegistry();
    server = await starting;
    if (stopping) return;
    const base = server.url;
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) throw new Error(`refusing to soak a non-local server: ${base}`);

    // One publisher, a few skills, one version each to start from.
    const handle = `soak-${Date.now().toString(36)}`;
    const password = "soak password 1";
    const signup = await fetch(`${base}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: `${handle}@example.com`, handle, password }),
    });
    if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
    const login = await fetch(`${base}/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ handleOrEmail: handle, password }),
    });
    const { token } = /** @type {{ token: string }} */ (await login.json());
    const auth = { Authorization: `Bearer ${token}` };

    /** @type {Published[]} */
    const published = [];
    const nextPatch = new Map();
    const skills = Array.from({ length: SKILLS }, (_, i) => `soak-skill-${i}`);

    /** @param {string} skill */
    async function publishNext(skill) {
      const patch = nextPatch.get(skill) ?? 0;
      nextPatch.set(skill, patch + 1);
      const version = `1.0.${patch}`;
      const noise = Buffer.from(createHash("sha256").update(`${skill}@${version}`).digest("hex").repeat(32));
      const bytes = await skillTarball({
        name: `@${handle}/${skill}`,
        version,
        description: `Soak skill ${skill} at ${version}.`,
        extra: [{ path: "package/notes.txt", content: noise }],
      });
      const res = await fetch(`${base}/skills/${handle}/${skill}/publish`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/gzip" },
        body: Buffer.from(bytes),
      });
      const text = await res.text();
      if (res.status !== 201)
        return { ok: false, detail: `publish ${skill}@${version}: ${res.status} ${text.slice(0, 200)}` };
      const body = JSON.parse(text);
      if (body.integrity !== sri(bytes))
        return { ok: false, detail: `publish ${skill}@${version}: integrity mismatch` };
      published.push({ skill, version, bytes, integrity: body.integrity });
      return { ok: true };
    }
    for (const skill of skills) {
      const result = await publishNext(skill);
      if (!result.ok) throw new Error(`seeding failed: ${result.detail}`);
    }

    const probe = await fetch(`${base}/@${handle}%2f${skills[0]}`);
    await probe.arrayBuffer();
    const npmFacade = probe.status === 200;
    console.log(
      `soak: npm packuments ${npmFacade ? "included" : `skipped (GET /@scope%2fname answered ${probe.status})`}`,
    );

    /** @type {Stats} */
    const stats = { requests: 0, byKind: {}, errors: {}, errorSamples: [], latencies: [] };
    /** @param {string} kind @param {string} detail */
    const recordError = (kind, detail) => {
      stats.errors[kind] = (stats.errors[kind] ?? 0) + 1;
      if (stats.errorSamples.length < 20) stats.errorSamples.push(detail);
    };
    const pick = (/** @type {any[]} */ list) => list[Math.floor(Math.random() * list.length)];

    /**
     * One request of a random kind.
     * @returns {Promise<[string, string | null]>} the kind and an error detail, or null when all was well
     */
    async function oneRequest() {
      if (Math.random() < PUBLISH_RATIO) {
        const result = await publishNext(pick(skills));
        return ["publish", result.ok ? null : (result.detail ?? "publish failed")];
      }
      const target = pick(published);
      const prefix = `${base}/skills/${handle}/${target.skill}`;
      const roll = Math.random();
      if (roll < 0.4) {
        const res = await fetch(`${prefix}/versions/${target.version}/tarball`);
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (res.status !== 200) return ["tarball", `tarball ${target.version}: ${res.status}`];
        return [
          "tarball",
          Buffer.compare(bytes, target.bytes) === 0 ? null : `tarball ${target.version}: bytes differ`,
        ];
      }
      if (roll < 0.7) {
        const res = await fetch(`${prefix}/versions/${target.version}`);
        const text = await res.text();
        if (res.status !== 200) return ["version", `version ${target.version}: ${res.status} ${text.slice(0, 200)}`];
        return [
          "version",
          JSON.parse(text).integrity === target.integrity ? null : `version ${target.version}: integrity differs`,
        ];
      }
      if (roll < 0.8) {
        const res = await fetch(`${prefix}/versions/latest`);
        const text = await res.text();
        return ["latest", res.status === 200 ? null : `latest: ${res.status} ${text.slice(0, 200)}`];
      }
      if (roll < 0.9 || !npmFacade) {
        const res = await fetch(prefix);
        const text = await res.text();
        return ["skill", res.status === 200 ? null : `skill: ${res.status} ${text.slice(0, 200)}`];
      }
      const res = await fetch(`${base}/@${handle}%2f${target.skill}`, {
        headers: roll < 0.95 ? { Accept: "application/vnd.npm.install-v1+json" } : {},
      });
      const text = await res.text();
      if (res.status !== 200) return ["packument", `packument: ${res.status} ${text.slice(0, 200)}`];
      const versions = JSON.parse(text).versions ?? {};
      // Acknowledged before this read began: a packument without it is stale.
      return ["packument", versions[target.version] ? null : `packument lacks ${target.version}`];
    }

    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    async function client() {
      while (Date.now() < deadline && stats.requests < MAX_REQUESTS && !stopping) {
        stats.requests += 1;
        const t0 = performance.now();
        let kind = "unknown";
        try {
          const [k, error] = await oneRequest();
          kind = k;
          if (error) recordError(kind, error);
        } catch (err) {
          recordError(kind === "unknown" ? "network" : kind, String(err));
        }
        stats.latencies.push(performance.now() - t0);
        stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    const elapsed = (Date.now() - started) / 1000;

    // Read back every acknowledged publish, byte for byte, through both the tarball and its metadata.
    let lost = 0;
    /** @type {string[]} */
    const lostSamples = [];
    for (const p of published) {
      const prefix = `${base}/skills/${handle}/${p.skill}/versions/${p.version}`;
      const [tarball, meta] = await Promise.all([fetch(`${prefix}/tarball`), fetch(prefix)]);
      const bytes = new Uint8Array(await tarball.arrayBuffer());
      const metaText = await meta.text();
      const intact =
        tarball.status === 200 &&
        Buffer.compare(bytes, p.bytes) === 0 &&
        meta.status === 200 &&
        JSON.parse(metaText).integrity === p.integrity;
      if (!intact) {
        lost += 1;
        if (lostSamples.length < 20)
          lostSamples.push(`${p.skill}@${p.version}: tarball ${tarball.status}, version ${meta.status}`);
      }
    }

    const errors = Object.values(stats.errors).reduce((a, b) => a + b, 0);
    const sorted = stats.latencies.sort((a, b) => a - b);
    const result = {
      seconds: Number(elapsed.toFixed(1)),
      clients: CONCURRENCY,
      requests: stats.requests,
      requestsPerSecond: Math.round(stats.requests / elapsed),
      byKind: stats.byKind,
      latencyMs: { p50: Number(percentile(sorted, 0.5).toFixed(1)), p99: Number(percentile(sorted, 0.99).toFixed(1)) },
      errors,
      errorsByKind: stats.errors,
      acknowledgedPublishes: published.length,
      readBack: published.length,
      lostPublishes: lost,
      npmPackuments: npmFacade,
    };
    console.log(`soak: ${result.requests} requests in ${result.seconds} s (${result.requestsPerSecond} req/s)`);
    console.log(`soak: by kind ${JSON.stringify(result.byKind)}`);
    console.log(`soak: latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`);
    console.log(`soak: errors ${errors} ${errors ? JSON.stringify(stats.errors) : ""}`);
    for (const sample of stats.errorSamples) console.log(`  error: ${sample}`);
    console.log(`soak: acknowledged publishes ${published.length}, read back byte for byte, lost ${lost}`);
    for (const sample of lostSamples) console.log(`  lost: ${sample}`);
    console.log(`SOAK_RESULT ${JSON.stringify(result)}`);
    clearTimeout(watchdog);
    await stop(errors === 0 && lost === 0 ? 0 : 1);
  } catch (err) {
    if (stopping) return;
    console.error("soak: failed:", err);
    clearTimeout(watchdog);
    await stop(1);
  }
}

await main();
