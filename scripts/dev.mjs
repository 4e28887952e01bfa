#!/usr/bin/env node
// `npm run dev`: apply the D1 migrations to the local state, then `wrangler dev` with live reload on
// every source change. Same port, state folder and signing key as `npm start` (PORT, SKILD_STATE_DIR),
// but behind wrangler's proxy worker: for developing, not for measuring (docs/performance.md).
import { spawn, spawnSync } from "node:child_process";
import { stateSigningKey } from "./serve.mjs";
import { ROOT, WRANGLER_BIN, WRANGLER_ENV } from "./wrangler-env.mjs";

const port = process.env.PORT ?? "18787";
const state = process.env.SKILD_STATE_DIR ?? ".wrangler/state";
const env = { ...process.env, ...WRANGLER_ENV };

const migrate = spawnSync(
  process.execPath,
  [WRANGLER_BIN, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
  {
    cwd: ROOT,
    env,
    stdio: "inherit",
  },
);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn(
  process.execPath,
  [
    WRANGLER_BIN,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    port,
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
    "--var",
    `REGISTRY_SIGNING_KEY:${process.env.REGISTRY_SIGNING_KEY || stateSigningKey(state)}`,
  ],
  { cwd: ROOT, env, stdio: "inherit" },
);
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
