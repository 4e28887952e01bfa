#!/usr/bin/env node
// `npm start`: apply the D1 migrations to the local state, then serve the registry with wrangler dev.
// PORT (default 18787) and SKILD_STATE_DIR (default .wrangler/state) can be overridden.
import { spawn, spawnSync } from "node:child_process";
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
  ],
  { cwd: ROOT, env, stdio: "inherit" },
);
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
