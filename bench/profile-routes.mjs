#!/usr/bin/env node
// `node bench/profile-routes.mjs`: where the isolate spends its time on each hot route. Starts the
// registry as `npm start` serves it (with workerd's inspector), publishes one skill with 30 versions,
// then for each route runs the same autocannon load as `npm run bench` while V8's sampling profiler
// records the isolate, and prints the functions with the most self time (by sample share, which the
// machine's noise moves far less than req/s). docs/performance.md quotes what it found.
//
// PROFILE_SECONDS (default 4) sets the load per route; PROFILE_TOP (default 12) the rows printed.
import { connectInspector } from "./inspector.mjs";
import { measure } from "./load.mjs";
import { installCleanupHandlers } from "./procs.mjs";
import { startRegistry } from "./registry.mjs";
import { skildAccount, skildPublish } from "./seed.mjs";
import { skillTarball } from "./skill-package.mjs";

const SKILL = "@bench/hello-skill";
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 4);
const TOP = Number(process.env.PROFILE_TOP ?? 12);
/** @type {[string, string, Record<string, string>][]} */
const ROUTES = [
  ["full packument", "/@bench%2fhello-skill", {}],
  ["abbreviated packument", "/@bench%2fhello-skill", { Accept: "application/vnd.npm.install-v1+json" }],
  ["tarball (npm path)", "/@bench/hello-skill/-/hello-skill-1.0.0.tgz", {}],
  ["tarball (skild API path)", "/skills/bench/hello-skill/versions/1.0.0/tarball", {}],
  ["GET /skills", "/skills", {}],
  ["GET /skills?q=hello", "/skills?q=hello", {}],
  ["npm search", "/-/v1/search?text=hello", {}],
  ["ping (router + middleware only)", "/-/ping", {}],
];

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[] }} Profile
 */

/** @param {Profile} profile @returns {{ name: string, share: number }[]} self-time share by function */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const where = frame.url ? `${frame.url.split("/").at(-1)}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  return [...counts].map(([name, count]) => ({ name, share: count / total })).sort((a, b) => b.share - a.share);
}

installCleanupHandlers();
const server = await startRegistry({ inspector: true });
try {
  const token = await skildAccount(server.url, "bench");
  for (let i = 0; i < 30; i++) {
    await skildPublish(server.url, token, SKILL, skillTarball({ name: SKILL, version: `1.0.${i}` }));
  }
  const inspector = await connectInspector(server.inspectorPort);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
  for (const [label, route, headers] of ROUTES) {
    await inspector.send("Profiler.start");
    const load = await measure(server.url, route, { headers, duration: SECONDS });
    const { profile } = await inspector.send("Profiler.stop");
    const rate = load.ok ? `${load.rps.toFixed(0)} req/s, p99 ${load.p99} ms` : load.reason;
    console.log(`\n## ${label} (${route}): ${rate}`);
    for (const { name, share } of selfTimes(profile).slice(0, TOP)) {
      console.log(`${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
    }
  }
  inspector.close();
} finally {
  await server.stop();
}
