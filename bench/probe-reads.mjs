#!/usr/bin/env node
// A quick read-path probe (not the benchmark: that is bench/run.mjs). Starts this registry as
// `npm start` serves it (one workerd) on a free port and temp state, seeds it, and runs autocannon on the read routes,
// printing req/s, p50 and p99 and the ratios to the constant route `/-/ping` from the same run.
//
//   node bench/probe-reads.mjs [--duration 5] [--warmup 2] [--connections 10] [--rounds 1] [--only a,b] [--no-scale]
//
// With --rounds N each target and its ping alternate N times and the medians are reported.
// --seed-only DIR only seeds local D1 state in DIR (to run EXPLAIN QUERY PLAN or time queries there).
//
// Seeds: @acme/bench-skill with 30 versions of a ~2 KB tarball (published over HTTP), and, with
// SQL before the server starts, @acme/big-skill with 1000 versions and 10,000 other skills for search.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { packSkillFolder } from "../client/core/pack.js";
import { startRegistry, wrangler } from "./registry.mjs";

/** autocannon ships no types. @type {(opts: Record<string, unknown>) => Promise<any>} */
const autocannon = createRequire(import.meta.url)("autocannon");

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "10" },
    rounds: { type: "string", default: "1" },
    only: { type: "string" },
    "no-scale": { type: "boolean", default: false },
    "seed-only": { type: "string" },
  },
});
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
const ABBREVIATED = { accept: "application/vnd.npm.install-v1+json" };

const WORDS =
  "alpha beta gamma delta lint format deploy review test docs pdf image search cloud data git shell web api sql".split(
    " ",
  );

/** 10,000 skills (200 publishers × 50) with one version each, and a 1,000-version skill. */
function seedSql() {
  const integrity = `sha512-${randomBytes(64).toString("base64")}`;
  const sha = randomBytes(32).toString("hex");
  const key = (/** @type {string} */ v) =>
    v
      .split(".")
      .map((n) => n.padStart(16, "0"))
      .join(".");
  const wordCase = (/** @type {string} */ expr) =>
    `CASE ${expr} ${WORDS.map((w, i) => `WHEN ${i} THEN '${w}'`).join(" ")} END`;
  const readme = `---\nname: big-skill\ndescription: A big skill\n---\n\n${"Some text about the skill. ".repeat(40)}`;
  return `
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
INSERT INTO skills (scope, name, description, created_at, updated_at)
SELECT 'pub' || (i % 200), ${wordCase("(i / 200) % 20")} || '-skill-' || i,
       'Helps with ' || ${wordCase("i % 20")} || ' and ' || ${wordCase("(i / 7) % 20")} || ' tasks',
       '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
FROM n;
INSERT INTO versions (skill_id, version, sort_key, prerelease, integrity, shasum, sha256, size, unpacked_size,
  file_count, manifest_json, readme, published_at)
SELECT id, '1.0.0', '${key("1.0.0")}', 0, '${integrity}', '${sha.slice(0, 40)}', '${sha}', 2000, 4000, 2,
  json_object('name', '@' || scope || '/' || name, 'version', '1.0.0', 'description', description), '', created_at
FROM skills WHERE scope LIKE 'pub%';
INSERT INTO dist_tags (skill_id, tag, version) SELECT id, 'latest', '1.0.0' FROM skills WHERE scope LIKE 'pub%';
INSERT INTO skills (scope, name, description, created_at, updated_at)
VALUES ('acme', 'big-skill', 'A skill with 1000 versions', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO versions (skill_id, version, sort_key, prerelease, integrity, shasum, sha256, size, unpacked_size,
  file_count, manifest_json, readme, published_at)
SELECT (SELECT id FROM skills WHERE scope = 'acme' AND name = 'big-skill'), '1.' || (i / 100) || '.' || (i % 100),
  '0000000000000001.' || printf('%016d', i / 100) || '.' || printf('%016d', i % 100), 0,
  '${integrity}', '${sha.slice(0, 40)}', '${sha}', 2000, 4000, 2,
  json_object('name', '@acme/big-skill', 'version', '1.' || (i / 100) || '.' || (i % 100),
    'description', 'A skill with 1000 versions', 'license', 'MIT', 'keywords', json_array('agent', 'skill')),
  '${readme}', '2026-01-01T00:00:00.000Z'
FROM n;
INSERT INTO dist_tags (skill_id, tag, version)
SELECT id, 'latest', '1.9.99' FROM skills WHERE scope = 'acme' AND name = 'big-skill';
`;
}

/** @param {string} url @param {string} pathname @param {unknown} body @param {Record<string,string>} [headers] */
async function post(url, pathname, body, headers = {}) {
  const res = await fetch(`${url}${pathname}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${pathname}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Signs up acme and publishes 30 versions of a ~2 KB tarball.
 * @param {string} url
 */
async function seedBenchSkill(url) {
  await post(url, "/auth/signup", { email: "acme@example.com", handle: "acme", password: "correct horse battery" });
  const { token } = await post(url, "/auth/login", { handleOrEmail: "acme", password: "correct horse battery" });
  const dir = mkdtempSync(path.join(os.tmpdir(), "skild-probe-skill-"));
  try {
    for (let i = 0; i < 30; i++) {
      const version = `1.0.${i}`;
      // Random text so gzip leaves ~2 KB.
      const body = randomBytes(1500).toString("base64");
      writeFileSync(
        path.join(dir, "SKILL.md"),
        `---\nname: bench-skill\ndescription: A skill for benchmarks\nversion: ${version}\n---\n\n${body}\n`,
      );
      const packed = await packSkillFolder(dir, { name: "@acme/bench-skill" });
      const res = await fetch(`${url}/skills/acme/bench-skill/publish`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/gzip" },
        body: /** @type {BodyInit} */ (/** @type {unknown} */ (packed.tarball)),
      });
      if (res.status !== 201) throw new Error(`publish ${version}: ${res.status} ${await res.text()}`);
      if (i === 0) console.log(`tarball size: ${packed.tarball.byteLength} bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @typedef {{name: string, path?: string, headers?: Record<string,string>, paths?: string[], next?: number}} Target
 * @param {string} url @param {Target} target
 */
async function measure(url, target) {
  /** @type {Record<string, unknown>} */
  const opts = { url, connections: CONNECTIONS, headers: target.headers ?? {} };
  if (target.paths) {
    const paths = target.paths;
    // One counter per target across warm-up and runs, so unique queries stay unique.
    const next = () => {
      target.next = ((target.next ?? -1) + 1) % paths.length;
      return paths[target.next];
    };
    opts.requests = [{ setupRequest: (/** @type {{path: string}} */ req) => ({ ...req, path: next() }) }];
  } else {
    opts.url = `${url}${target.path}`;
  }
  await autocannon({ ...opts, duration: WARMUP });
  const result = await autocannon({ ...opts, duration: DURATION });
  return {
    name: target.name,
    bytes: Math.round(result.throughput.total / Math.max(result.requests.total, 1)),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
    detail: `non2xx ${result.non2xx} errors ${result.errors} timeouts ${result.timeouts} ${JSON.stringify(result.statusCodeStats)}`,
  };
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Per-figure medians over rounds (the machine is shared; one slow round should not decide).
 * @param {{name: string, bytes: number, rps: number, p50: number, p99: number, bad: number}[]} runs
 */
function medianRun(runs) {
  return {
    name: runs[0].name,
    bytes: runs[0].bytes,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    bad: runs.reduce((n, r) => n + r.bad, 0),
  };
}

/**
 * What a cache miss costs: one request right after the read cache's TTL (5 s) ran out, then one hit.
 * @param {string} url
 */
async function missLatency(url) {
  /** @param {string} path */
  const timed = async (path) => {
    const t = performance.now();
    const res = await fetch(`${url}${path}`);
    await res.arrayBuffer();
    return performance.now() - t;
  };
  const paths = {
    "packument full, 30 versions": "/@acme%2fbench-skill",
    "packument full, 1000 versions": "/@acme%2fbig-skill",
  };
  /** @type {Record<string, {miss: number[], hit: number[]}>} */
  const samples = {};
  for (let round = 0; round < 3; round++) {
    await new Promise((r) => setTimeout(r, 6000));
    for (const [name, path] of Object.entries(paths)) {
      samples[name] ??= { miss: [], hit: [] };
      await timed("/-/ping"); // a fresh keep-alive connection, so the miss is only the miss
      samples[name].miss.push(await timed(path));
      samples[name].hit.push(await timed(path));
    }
  }
  console.log("\n| single request (median of 3) | miss ms | hit ms |\n|---|--:|--:|");
  for (const [name, { miss, hit }] of Object.entries(samples)) {
    console.log(`| ${name} | ${median(miss).toFixed(1)} | ${median(hit).toFixed(1)} |`);
  }
}

/** @param {string} stateDir */
function seedD1(stateDir) {
  wrangler(["d1", "migrations", "apply", "DB"], stateDir);
  const file = path.join(stateDir, "seed.sql");
  writeFileSync(file, seedSql());
  const t = Date.now();
  wrangler(["d1", "execute", "DB", "--yes", "--file", file], stateDir);
  console.log(`seeded 10,000 skills + a 1,000-version skill in ${Date.now() - t} ms`);
}

async function main() {
  if (args["seed-only"]) {
    // For EXPLAIN QUERY PLAN and timing queries: `wrangler d1 execute DB --local --persist-to DIR --json`.
    mkdirSync(args["seed-only"], { recursive: true });
    seedD1(args["seed-only"]);
    return;
  }
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "skild-probe-"));
  /** @type {import("./registry.mjs").RegistryServer | undefined} */
  let server;
  try {
    if (args["no-scale"]) wrangler(["d1", "migrations", "apply", "DB"], stateDir);
    else seedD1(stateDir);
    server = await startRegistry({ stateDir });
    const url = server.url;
    await seedBenchSkill(url);

    const searchWords = WORDS.map((w) => `${w}-skill`);
    const broadQueries = Array.from({ length: 100 * WORDS.length }, (_, i) => [
      WORDS[i % WORDS.length],
      1 + Math.floor(i / WORDS.length),
    ]);
    const uniqueQueries = Array.from({ length: 40_000 }, (_, i) => `skill-${i % 10_000}${i < 10_000 ? "" : `x${i}`}`);
    /** @type {Target[]} */
    const targets = [
      { name: "ping", path: "/-/ping" },
      { name: "packument abbreviated", path: "/@acme%2fbench-skill", headers: ABBREVIATED },
      { name: "packument full", path: "/@acme%2fbench-skill" },
      { name: "tarball", path: "/@acme/bench-skill/-/bench-skill-1.0.0.tgz" },
      { name: "GET /skills", path: "/skills" },
      { name: "GET /skills/@acme/bench-skill", path: "/skills/@acme/bench-skill" },
      { name: "skill version (range)", path: "/skills/@acme/bench-skill/versions/%5E1.0.0" },
    ];
    if (!args["no-scale"]) {
      targets.push(
        { name: "packument full, 1000 versions", path: "/@acme%2fbig-skill" },
        { name: "packument abbr, 1000 versions", path: "/@acme%2fbig-skill", headers: ABBREVIATED },
        { name: "GET /skills?q=lint (10k)", path: "/skills?q=lint" },
        { name: "/-/v1/search?text=lint (10k)", path: "/-/v1/search?text=lint" },
        { name: "GET /skills?q=<20 words> (10k)", paths: searchWords.map((w) => `/skills?q=${w}`) },
        {
          name: "/-/v1/search?text=<20 words> (10k)",
          paths: searchWords.map((w) => `/-/v1/search?text=${w}`),
        },
        { name: "GET /skills?q=<no match> (10k)", path: "/skills?q=zzzz" },
        // Broad queries (500+ matches each), every request a new one.
        {
          name: "GET /skills?q=<broad unique> (10k)",
          paths: broadQueries.map((q) => `/skills?q=${q[0]}&limit=${q[1]}`),
        },
        {
          name: "/-/v1/search?text=<broad unique> (10k)",
          paths: broadQueries.map((q) => `/-/v1/search?text=${q[0]}&size=${q[1]}`),
        },
        // Every request a new query: what a cache miss costs.
        { name: "GET /skills?q=<unique> (10k)", paths: uniqueQueries.map((q) => `/skills?q=${q}`) },
        { name: "/-/v1/search?text=<unique> (10k)", paths: uniqueQueries.map((q) => `/-/v1/search?text=${q}`) },
      );
    }
    const only = args.only?.split(",");
    const chosen = targets.filter((t) => t.name !== "ping" && (!only || only.some((o) => t.name.includes(o))));
    // This machine is shared: each target is compared with a ping run right before it.
    const rows = [];
    for (const target of chosen) {
      const pings = [];
      const runs = [];
      for (let round = 0; round < ROUNDS; round++) {
        pings.push(await measure(url, targets[0]));
        runs.push(await measure(url, target));
      }
      const ping = medianRun(pings);
      const row = medianRun(runs);
      rows.push({ ...row, ping });
      if (row.bad) console.log(runs.map((r) => r.detail).join("\n"));
      console.log(
        `${row.name}: ${Math.round(row.rps)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.bytes} B (ping ${Math.round(ping.rps)} req/s, p99 ${ping.p99} ms)`,
      );
    }
    console.log(
      "\n| target | req/s | p50 ms | p99 ms | body B | ping req/s | ping p99 | req/s ÷ ping | p99 ÷ ping p99 | bad |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    );
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.bytes} | ${Math.round(r.ping.rps)} | ${r.ping.p99} | ${(r.rps / r.ping.rps).toFixed(2)} | ${(r.p99 / Math.max(r.ping.p99, 1)).toFixed(2)} | ${r.bad} |`,
      );
    }
    if (!args["no-scale"] && (!only || only.includes("miss"))) await missLatency(url);
  } finally {
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
