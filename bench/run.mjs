#!/usr/bin/env node
// `npm run bench`: this registry as `npm start` serves it (one workerd) vs Verdaccio 6 vs a
// hello-world Worker on one workerd (the ceiling) and under `wrangler dev`, in one run on this machine
// (issues 8 and 11). Servers run on 127.0.0.1 with temp state. Each of our read routes is measured in
// turns with its anchors (Verdaccio's same route, the constant Worker), which stay up idle meanwhile, so
// each ratio compares runs seconds apart; cold installs take turns the same way. Every process started
// goes in its own process group and is stopped on success, failure or a signal. Prints one Markdown table and
// writes it to bench/results/latest.md (raw figures: bench/results/*.json, not committed).
//
// BENCH_DURATION (s, default 6) and BENCH_WARMUP (s, default 1.5) shorten runs while developing;
// BENCH_DEADLINE (s, default 570) bounds the whole run.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../scripts/wrangler-env.mjs";
import { sampleHeap } from "./inspector.mjs";
import { cancelInstallsWhen, interleavedInstalls, median, npmInstall, skildInstall } from "./install.mjs";
import { measure, measurePaired, settings } from "./load.mjs";
import { findWorkerd, readRss, sampleMemory } from "./memory.mjs";
import { installCleanupHandlers, killAllGroups, makeTempDir, removeAllTempDirs } from "./procs.mjs";
import { startHelloWorkerd, startRegistry, startWrangler, wrangler } from "./registry.mjs";
import { renderReport } from "./report.mjs";
import { npmPublishTimed, seedManySkills, skildAccount, skildPublish } from "./seed.mjs";
import { skillTarball } from "./skill-package.mjs";
import { startStaticRegistry } from "./static-registry.mjs";
import { addVerdaccioUser, startVerdaccio } from "./verdaccio.mjs";

const SCOPE = "bench";
const SKILL = `@${SCOPE}/hello-skill`;
const PUBLISH_API_SKILL = `@${SCOPE}/publish-api`;
const PUBLISH_NPM_SKILL = `@${SCOPE}/publish-npm`;
const BIG_SKILL = `@${SCOPE}/big-skill`;
const SEED_VERSIONS = 30;
const PUBLISHES = 20;
const INSTALLS = 7;
const BIG_VERSIONS = 1000;
const MANY_SKILLS = 10_000;
const SEARCH_TERMS = ["review", "deploy", "database", "security", "skill-77"];
const ABBREVIATED = { Accept: "application/vnd.npm.install-v1+json" };

const startedAt = performance.now();
installCleanupHandlers();

/** @param {string} message */
function log(message) {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  console.error(`[${seconds}s] ${message}`);
}

/** @param {string} pkg */
const versionOf = (pkg) =>
  JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
/** @param {string} name @param {string} version */
const npmTarballPath = (name, version) => `/${name}/-/${name.split("/")[1]}-${version}.tgz`;
/** @param {string} name */
const npmPath = (name) => `/${name.replace("/", "%2f")}`;
/** @param {string} name */
const apiPath = (name) => `/skills/${name.slice(1)}`;

/** @type {import("./report.mjs").Load} */
const notRun = { ok: false, reason: "n/a (not run)" };
/** @type {import("./report.mjs").Results} */
const results = {
  meta: {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    node: process.version,
    wrangler: versionOf("wrangler"),
    verdaccio: versionOf("verdaccio"),
    npm: versionOf("npm"),
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    loadAverage: os.loadavg(),
  },
  hello: { constant: notRun, memory: null },
  ceiling: { constant: notRun, memory: null },
  verdaccio: { abbreviated: notRun, full: notRun, tarball: notRun, publish: notRun, npmInstall: notRun },
  ours: {
    abbreviated: notRun,
    full: notRun,
    tarballNpm: notRun,
    tarballApi: notRun,
    list: notRun,
    detail: notRun,
    publishApi: notRun,
    publishNpm: notRun,
    npmInstall: notRun,
    skildInstall: notRun,
  },
  scale: {
    versions: BIG_VERSIONS,
    skills: MANY_SKILLS,
    seedSeconds: 0,
    abbreviated: notRun,
    full: notRun,
    detail: notRun,
    searchApi: notRun,
    searchNpm: notRun,
    memory: null,
    sizedCeiling: { abbreviated: notRun, full: notRun, abbreviatedBytes: 0, fullBytes: 0 },
  },
  pairs: {},
  floor: { npmInstall: notRun },
};
const failures = /** @type {string[]} */ ([]);

// The run must end within 10 minutes: past the deadline every server is stopped, the phases left
// are skipped, and the report is written with what was measured.
const DEADLINE_SECONDS = Number(process.env.BENCH_DEADLINE ?? 570);
let expired = false;
setTimeout(() => {
  expired = true;
  log(`deadline of ${DEADLINE_SECONDS} s reached: stopping every server and skipping what is left`);
  killAllGroups();
}, DEADLINE_SECONDS * 1000).unref();
cancelInstallsWhen(() => expired);

/** Ends the current phase (its servers are stopped by its finally) once the deadline has passed. */
function checkDeadline() {
  if (expired) throw new Error("deadline reached");
}

/**
 * Runs one phase; a crash is recorded and the run goes on with the next phase.
 * @param {string} name
 * @param {() => Promise<void>} body
 */
async function phase(name, body) {
  if (expired) {
    failures.push(`${name}: skipped (deadline)`);
    return;
  }
  log(`── ${name}`);
  try {
    await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    failures.push(`${name}: ${message.split("\n")[0]}`);
    log(`${name} FAILED: ${message}`);
  }
}

/**
 * @param {string} label
 * @param {string} origin
 * @param {string | string[]} paths
 * @param {Record<string, string>} [headers]
 */
async function load(label, origin, paths, headers) {
  checkDeadline();
  const result = await measure(origin, paths, { headers });
  log(
    result.ok
      ? `${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${result.failures ? `, ${result.failures} failed` : ""}`
      : `${label}: ${result.reason}`,
  );
  return result;
}

/**
 * PUBLISHES new versions of PUBLISH_NPM_SKILL through libnpmpublish (npm's PUT); their median.
 * @param {string} label @param {string} url @param {string} token
 */
const npmPublishes = (label, url, token) =>
  publishes(label, PUBLISHES, (i) =>
    npmPublishTimed(
      url,
      token,
      PUBLISH_NPM_SKILL,
      `1.0.${i}`,
      skillTarball({ name: PUBLISH_NPM_SKILL, version: `1.0.${i}` }),
    ),
  );

/**
 * Measures one of our routes in turns with its anchors (Verdaccio's same route, the constant
 * Worker), so their ratios compare runs made seconds apart (load.mjs measurePaired).
 * @param {string} label
 * @param {Record<string, import("./load.mjs").Subject>} subjects
 * @returns {Promise<Record<string, import("./report.mjs").Load>>}
 */
async function loadPaired(label, subjects) {
  checkDeadline();
  const result = await measurePaired(subjects);
  for (const [key, r] of Object.entries(result)) {
    const x = /** @type {import("./report.mjs").Load} */ (r);
    log(
      x.ok
        ? `${label} [${key}]: ${x.rps.toFixed(0)} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms${x.failures ? `, ${x.failures} failed` : ""}`
        : `${label} [${key}]: ${x.reason}`,
    );
  }
  return result;
}

/**
 * Median of `count` publishes; n/a with the status on the first failure.
 * @param {string} label
 * @param {number} count
 * @param {(i: number) => Promise<number>} publishOne
 * @returns {Promise<import("./report.mjs").Timed>}
 */
async function publishes(label, count, publishOne) {
  const times = [];
  for (let i = 0; i < count; i++) {
    checkDeadline();
    try {
      times.push(await publishOne(i));
    } catch (err) {
      const e = /** @type {Error & { statusCode?: number, code?: string }} */ (err);
      const reason = `n/a (${e.statusCode ?? e.code ?? e.message.slice(0, 80)})`;
      log(`${label}: ${reason}`);
      return { ok: false, reason };
    }
  }
  const medianMs = median(times);
  log(`${label}: median ${medianMs.toFixed(1)} ms of ${count}`);
  return { ok: true, medianMs, runsMs: times };
}

/**
 * Runs `body` while sampling the Worker's memory two ways: the isolate's heap over the inspector, and
 * the workerd process RSS from /proc (an upper bound: it also holds the runtime and local D1/R2).
 * @param {{ pid: number, inspectorPort: number }} server
 * @param {() => Promise<void>} body
 * @returns {Promise<import("./report.mjs").Memory | null>}
 */
async function withMemory(server, body) {
  const pid = findWorkerd(server.pid);
  const heap = await sampleHeap(server.inspectorPort).catch((err) => {
    log(`isolate heap not available: ${err.message}`);
    return null;
  });
  const idleRssMiB = pid ? readRss(pid).rssMiB : Number.NaN;
  const rss = pid ? sampleMemory(pid) : null;
  let rssPeak = Number.NaN;
  let heapPeak = null;
  try {
    await body();
  } finally {
    rssPeak = rss?.stop().peakRssMiB ?? Number.NaN;
    heapPeak = (await heap?.stop()) ?? null;
  }
  const memory = {
    idleRssMiB,
    peakRssMiB: rssPeak,
    heapStartMiB: heapPeak?.startUsedMiB ?? null,
    heapPeakMiB: heapPeak?.peakUsedMiB ?? null,
    heapPeakTotalMiB: heapPeak?.peakTotalMiB ?? null,
  };
  log(
    `memory: isolate ${memory.heapStartMiB?.toFixed(1)} → peak ${memory.heapPeakMiB?.toFixed(1)} MiB; workerd ${pid} RSS idle ${idleRssMiB.toFixed(0)} → peak ${rssPeak.toFixed(0)} MiB`,
  );
  return memory;
}

const versions = Array.from({ length: SEED_VERSIONS }, (_, i) => `1.0.${i}`);
const tarballs = versions.map((version) => skillTarball({ name: SKILL, version }));
log(`skill tarball: ${tarballs[0].length} bytes gzipped; ${SEED_VERSIONS} versions of ${SKILL}`);

// The constant Worker and Verdaccio stay up (idle) once measured alone: each of our read routes is
// then measured in turns with them, so every ratio compares runs seconds apart.
/** @type {{ url: string, stop: () => Promise<void> } | undefined} */
let ceilingServer;
/** @type {{ url: string, stop: () => Promise<void> } | undefined} */
let verdaccioServer;

await phase("hello-world Worker on one workerd (the ceiling)", async () => {
  const server = await startHelloWorkerd();
  ceilingServer = server;
  results.ceiling.memory = await withMemory(server, async () => {
    results.ceiling.constant = await load("hello-world GET / (one workerd)", server.url, "/");
  });
});

await phase("hello-world Worker under wrangler dev", async () => {
  // Run from a temp copy: wrangler writes its build output (.wrangler/tmp) beside the config.
  const helloDir = makeTempDir("skild-bench-hello-");
  cpSync(path.join(ROOT, "bench", "hello-worker"), helloDir, { recursive: true });
  const server = await startWrangler({
    config: path.join(helloDir, "wrangler.toml"),
    migrate: false,
    readyPath: "/",
  });
  try {
    results.hello.memory = await withMemory(server, async () => {
      results.hello.constant = await load("hello-world GET / (wrangler dev)", server.url, "/");
    });
  } finally {
    await server.stop();
  }
});

await phase("Verdaccio", async () => {
  const server = await startVerdaccio();
  verdaccioServer = server;
  const token = await addVerdaccioUser(server.url, SCOPE, "benchmark password 123");
  for (const [i, version] of versions.entries()) {
    await npmPublishTimed(server.url, token, SKILL, version, tarballs[i]);
  }
  results.verdaccio.publish = await npmPublishes("Verdaccio publish (npm PUT)", server.url, token);
});

/** @param {string} path @param {Record<string, string>} [headers] @returns {Record<string, import("./load.mjs").Subject>} */
const anchors = (path, headers) => ({
  ...(verdaccioServer ? { verdaccio: { origin: verdaccioServer.url, paths: path, headers } } : {}),
  ...(ceilingServer ? { ceiling: { origin: ceilingServer.url, paths: "/" } } : {}),
});
/** @param {Record<string, import("./report.mjs").Load>} measured */
const pairOf = ({ verdaccio, ceiling }) => ({ verdaccio, ceiling });

await phase("skild registry", async () => {
  const server = await startRegistry();
  try {
    const token = await skildAccount(server.url, SCOPE);
    for (const tarball of tarballs) await skildPublish(server.url, token, SKILL, tarball);
    const o = results.ours;
    const v = results.verdaccio;
    /** @type {[keyof typeof results.ours, string, string, Record<string, string> | undefined, string | null][]} */
    const reads = [
      ["abbreviated", "skild abbreviated packument", npmPath(SKILL), ABBREVIATED, npmPath(SKILL)],
      ["full", "skild full packument", npmPath(SKILL), undefined, npmPath(SKILL)],
      [
        "tarballNpm",
        "skild tarball (npm path)",
        npmTarballPath(SKILL, "1.0.0"),
        undefined,
        npmTarballPath(SKILL, "1.0.0"),
      ],
      [
        "tarballApi",
        "skild tarball (API path)",
        `${apiPath(SKILL)}/versions/1.0.0/tarball`,
        undefined,
        npmTarballPath(SKILL, "1.0.0"),
      ],
      ["list", "skild GET /skills", "/skills", undefined, null],
      ["detail", "skild GET /skills/:scope/:skill", apiPath(SKILL), undefined, null],
    ];
    // Steady state first: whichever route was measured first right after the publishes came out
    // ~10% lower against the ceiling than when measured again a minute later (the abbreviated
    // packument: 0.72x first, 0.79x second, in the same process), so every route gets 1 s of load
    // that is not measured before any pair is.
    for (const [, , route, headers] of reads) {
      checkDeadline();
      await measure(server.url, route, { headers, duration: 1, warmup: 0 });
    }
    for (const [key, label, route, headers, verdaccioRoute] of reads) {
      const all = anchors(verdaccioRoute ?? "", headers);
      if (!verdaccioRoute) delete all.verdaccio;
      const measured = await loadPaired(label, { ours: { origin: server.url, paths: route, headers }, ...all });
      /** @type {any} */ (o)[key] = measured.ours;
      results.pairs[key] = pairOf(measured);
    }
    // Verdaccio's figures in its column are those measured beside ours.
    v.abbreviated = results.pairs.abbreviated?.verdaccio ?? notRun;
    v.full = results.pairs.full?.verdaccio ?? notRun;
    v.tarball = results.pairs.tarballNpm?.verdaccio ?? notRun;
    o.publishApi = await publishes("skild publish (skild API)", PUBLISHES, (i) =>
      skildPublish(
        server.url,
        token,
        PUBLISH_API_SKILL,
        skillTarball({ name: PUBLISH_API_SKILL, version: `1.0.${i}` }),
      ),
    );
    o.publishNpm = await npmPublishes("skild publish (npm PUT)", server.url, token);
    // Cold installs, in turns: npm from Verdaccio, npm from here, npm from a registry that does no
    // work (the floor: what npm itself costs), and skild from here.
    checkDeadline();
    const floor = await startStaticRegistry({ from: server.url, name: SKILL });
    try {
      /** @type {Record<string, import("./install.mjs").InstallRun>} */
      const runs = {
        ...(verdaccioServer ? { npmVerdaccio: npmInstall(verdaccioServer.url, SKILL) } : {}),
        npmOurs: npmInstall(server.url, SKILL),
        npmFloor: npmInstall(floor.url, SKILL),
        skild: skildInstall(server.url, SKILL),
      };
      const installed = await interleavedInstalls(INSTALLS, runs);
      for (const [key, r] of Object.entries(installed)) {
        log(
          r.ok
            ? `cold install [${key}]: median ${(r.medianMs / 1000).toFixed(3)} s (${r.runsMs.map((ms) => (ms / 1000).toFixed(3)).join(", ")})`
            : `cold install [${key}]: ${r.reason}`,
        );
      }
      v.npmInstall = installed.npmVerdaccio ?? notRun;
      o.npmInstall = installed.npmOurs;
      o.skildInstall = installed.skild;
      results.floor.npmInstall = installed.npmFloor;
    } finally {
      await floor.stop();
    }
  } finally {
    await server.stop();
  }
});

await phase(`scale: ${BIG_VERSIONS} versions, ${MANY_SKILLS} skills`, async () => {
  const seedStarted = performance.now();
  const stateDir = makeTempDir("skild-bench-scale-");
  wrangler(["d1", "migrations", "apply", "DB"], stateDir);
  seedManySkills(stateDir, { scope: "many", count: MANY_SKILLS, tarball: tarballs[0] });
  log(`seeded ${MANY_SKILLS} skills via SQL`);

  const seeder = await startRegistry({ stateDir });
  try {
    // The big skill goes through the real publish route (4 at a time), so whatever the publish
    // pipeline precomputes is there, as it would be in production.
    const token = await skildAccount(seeder.url, SCOPE);
    const bigVersions = Array.from({ length: BIG_VERSIONS }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bigVersions.length) {
          const version = bigVersions[next++];
          await skildPublish(seeder.url, token, BIG_SKILL, skillTarball({ name: BIG_SKILL, version }));
        }
      }),
    );
  } finally {
    await seeder.stop();
  }
  results.scale.seedSeconds = (performance.now() - seedStarted) / 1000;
  log(
    `published ${BIG_VERSIONS} versions of ${BIG_SKILL}; scale seeding took ${results.scale.seedSeconds.toFixed(1)} s`,
  );

  // A fresh server on the seeded state, so its memory reflects the reads, not the 1,000 publishes.
  const server = await startRegistry({ stateDir, inspector: true });
  try {
    const s = results.scale;
    /** The size of a response, so the constant Worker can send as many bytes. @param {Record<string, string>} [headers] */
    const bytesOf = async (/** @type {Record<string, string> | undefined} */ headers) => {
      const res = await fetch(server.url + npmPath(BIG_SKILL), { headers });
      return (await res.arrayBuffer()).byteLength;
    };
    s.sizedCeiling.abbreviatedBytes = await bytesOf(ABBREVIATED);
    s.sizedCeiling.fullBytes = await bytesOf(undefined);
    s.memory = await withMemory(server, async () => {
      s.abbreviated = await load(
        `skild abbreviated packument, ${BIG_VERSIONS} versions`,
        server.url,
        npmPath(BIG_SKILL),
        ABBREVIATED,
      );
      s.full = await load(`skild full packument, ${BIG_VERSIONS} versions`, server.url, npmPath(BIG_SKILL));
      s.detail = await load(
        `skild GET /skills/:scope/:skill, ${BIG_VERSIONS} versions`,
        server.url,
        apiPath(BIG_SKILL),
      );
    });
    const searchApi = await loadPaired(`skild GET /skills?q= over ${MANY_SKILLS} skills`, {
      ours: { origin: server.url, paths: SEARCH_TERMS.map((term) => `/skills?q=${term}`) },
      ...anchors(npmPath(SKILL)),
    });
    s.searchApi = searchApi.ours;
    results.pairs.searchApi = pairOf(searchApi);
    const searchNpm = await loadPaired(`skild GET /-/v1/search?text= over ${MANY_SKILLS} skills`, {
      ours: { origin: server.url, paths: SEARCH_TERMS.map((term) => `/-/v1/search?text=${term}`) },
      ...anchors(npmPath(SKILL)),
    });
    s.searchNpm = searchNpm.ours;
    results.pairs.searchNpm = pairOf(searchNpm);
  } finally {
    await server.stop();
  }
  // What a body of that size costs by itself: the constant Worker sending as many bytes, on a fresh
  // workerd as the registry's was, once the registry has stopped. (A workerd that has served other
  // loads first serves such bodies at a quarter of the rate: measured 2,165 req/s for 535 KB on a
  // fresh one, 508 on the same one after 3 s of constant responses. Its RSS reaches ~1 GB either way,
  // all outside the isolate; the registry's reaches 2-3 GB in the same reads.)
  const s = results.scale;
  const fresh = await startHelloWorkerd();
  try {
    s.sizedCeiling.abbreviated = await load(
      `constant Worker, ${s.sizedCeiling.abbreviatedBytes} bytes`,
      fresh.url,
      `/?bytes=${s.sizedCeiling.abbreviatedBytes}`,
    );
    s.sizedCeiling.full = await load(
      `constant Worker, ${s.sizedCeiling.fullBytes} bytes`,
      fresh.url,
      `/?bytes=${s.sizedCeiling.fullBytes}`,
    );
  } finally {
    await fresh.stop();
  }
});

await ceilingServer?.stop();
await verdaccioServer?.stop();
removeAllTempDirs();
results.meta.loadAverageAtEnd = os.loadavg();
results.elapsedSeconds = (performance.now() - startedAt) / 1000;
const { markdown, targets } = renderReport(results);
const failureNote = failures.length ? `\nPhases that failed: ${failures.join("; ")}\n` : "";
const resultsDir = path.join(ROOT, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, "latest.md"), `${markdown}${failureNote}`);
const stamp = results.meta.date.replace(/[:.]/g, "-");
const json = `${JSON.stringify({ ...results, targets, failures }, null, 2)}\n`;
writeFileSync(path.join(resultsDir, `${stamp}.json`), json);
writeFileSync(path.join(resultsDir, "latest.json"), json);
console.log(`\n${markdown}${failureNote}`);
log(`wrote bench/results/latest.md and bench/results/${stamp}.json`);
process.exitCode = failures.length ? 1 : 0;
