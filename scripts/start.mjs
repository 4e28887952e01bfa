#!/usr/bin/env node
// `npm start`: serve the registry's production bundle on one workerd (scripts/serve.mjs), with its
// D1/R2 state in .wrangler/state. Environment:
//   PORT (default 18787), HOST (default 127.0.0.1), SKILD_STATE_DIR (default .wrangler/state),
//   REGISTRY_SIGNING_KEY (default: a key made on the first start and kept in the state folder),
//   SKILD_VARS / SKILD_SECRETS (JSON objects of per-start overrides; the tests and the benchmark use
//   them), SKILD_INSPECTOR_PORT (workerd's DevTools inspector).
// Prints "Ready on <url>" when it answers; Ctrl-C (or SIGTERM) stops workerd and exits.
import path from "node:path";
import { checkWritable, describe, LaunchError, serve, stateSigningKey } from "./serve.mjs";
import { ROOT } from "./wrangler-env.mjs";

/** @param {string} name */
function jsonEnv(name) {
  const raw = process.env[name];
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
  } catch {}
  throw new LaunchError(`${name} must be a JSON object of strings`);
}

/** @param {string} message */
function fail(message) {
  console.error(`skild: ${message}`);
  process.exit(1);
}

const port = Number(process.env.PORT ?? "18787");
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, not "${process.env.PORT}"`);
const stateDir = path.resolve(ROOT, process.env.SKILD_STATE_DIR ?? ".wrangler/state");

/** @type {Awaited<ReturnType<typeof serve>> | undefined} */
let server;
let stopping = false;
/** @param {number} code 128 + the signal's number, as a shell reports it */
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  // Once workerd runs, Miniflare's own exit hook also stops it on SIGINT/SIGTERM. During start-up
  // there may be no server yet: the start-up sees `stopping` and cleans up.
  if (server) await server.stop().catch(() => {});
  process.exit(code);
};
process.on("SIGINT", () => stop(130));
process.on("SIGTERM", () => stop(143));
process.on("SIGHUP", () => stop(129));

try {
  checkWritable(stateDir);
  const secrets = jsonEnv("SKILD_SECRETS");
  secrets.REGISTRY_SIGNING_KEY ??= process.env.REGISTRY_SIGNING_KEY || stateSigningKey(stateDir);
  const inspectorPort = process.env.SKILD_INSPECTOR_PORT ? Number(process.env.SKILD_INSPECTOR_PORT) : undefined;
  const started = Date.now();
  const running = await serve({
    stateDir,
    port,
    host: process.env.HOST ?? "127.0.0.1",
    vars: jsonEnv("SKILD_VARS"),
    secrets,
    inspectorPort,
    log: (line) => console.log(line),
  });
  if (stopping) {
    await running.stop().catch(() => {});
    process.exit(130);
  }
  server = running;
  const crons = running.crons.length ? `; cron ${running.crons.join(", ")}` : "";
  console.log(`State in ${path.relative(process.cwd(), stateDir) || "."}${crons}`);
  console.log(`Ready on ${running.url} (${Date.now() - started} ms)`);
} catch (err) {
  if (err instanceof LaunchError) fail(err.message);
  fail(describe(err));
}
