// The one launcher: serves the production bundle (what `wrangler deploy` uploads) on ONE workerd
// through Miniflare's API, with D1 and R2 persisted in wrangler's own layout under the state folder.
// `npm start`, the Node-pool tests, the compat tests and the benchmark all start the registry here.
//
// Why not `wrangler dev`: it puts a proxy worker in front of the user worker, which on this machine
// caps any Worker at about a quarter of what one workerd serves (docs/performance.md).
//
// A start is: the bundle and its "serve plan" (Miniflare worker options from wrangler.toml, the split
// migrations, the cron schedule) from a cache keyed by the sources' hash, built by `wrangler deploy
// --dry-run` when missing → Miniflare → pending migrations applied through its D1 → ready.
import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { ROOT, WRANGLER_BIN, WRANGLER_ENV } from "./wrangler-env.mjs";

/** Built bundles live here, one folder per source hash (`npm ci` starts from nothing). */
export const BUNDLE_CACHE = process.env.SKILD_BUNDLE_CACHE
  ? path.resolve(process.env.SKILD_BUNDLE_CACHE)
  : path.join(ROOT, "node_modules", ".cache", "skild-bundle");

/** What the bundle is built from: a change to any of these builds a new one. */
const SOURCES = ["worker", "common", "migrations", "wrangler.toml", "package-lock.json", "tsconfig.json"];

/** The migrations table wrangler keeps, so `wrangler d1 migrations apply --local` agrees with us. */
const MIGRATIONS_TABLE = "d1_migrations";

/** A start-up failure that deserves one line and no stack. */
export class LaunchError extends Error {}

/**
 * @typedef {object} ServePlan
 * @property {string} hash the sources' hash
 * @property {string} bundleSha256 sha256 of index.js, to notice a damaged cache
 * @property {Record<string, unknown>} workerOptions Miniflare worker options derived from wrangler.toml
 * @property {string[]} crons Cron Triggers from wrangler.toml
 * @property {{ name: string, queries: string[] }[]} migrations
 */

/** @param {string} source a file or folder under ROOT @returns {string[]} its files, relative to ROOT */
function filesOf(source) {
  const full = path.join(ROOT, source);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [source];
  return readdirSync(full, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/** @returns {string} a short hash of everything the bundle and plan are built from */
export function sourceHash() {
  const hash = createHash("sha256");
  for (const file of SOURCES.flatMap(filesOf).sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(ROOT, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** @param {string} file */
const sha256File = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * @param {string} dir
 * @returns {ServePlan | undefined} the cached plan when its bundle is whole
 */
function readPlan(dir) {
  try {
    const plan = /** @type {ServePlan} */ (JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")));
    if (sha256File(path.join(dir, "index.js")) === plan.bundleSha256) return plan;
  } catch {}
  return undefined;
}

/**
 * The production bundle and serve plan for the current sources, built once and cached. Safe to call
 * from several processes at once: each builds into its own temp folder and renames it into place.
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {Promise<{ dir: string, plan: ServePlan }>}
 */
export async function ensureBundle(opts = {}) {
  const hash = sourceHash();
  const dir = path.join(BUNDLE_CACHE, hash);
  const cached = readPlan(dir);
  if (cached) return { dir, plan: cached };
  if (existsSync(dir)) {
    opts.log?.("The cached bundle is damaged; building it again.");
    rmSync(dir, { recursive: true, force: true });
  } else {
    opts.log?.("Building the production bundle (wrangler deploy --dry-run)…");
  }

  mkdirSync(BUNDLE_CACHE, { recursive: true });
  const temp = path.join(BUNDLE_CACHE, `.build-${hash}-${process.pid}-${Date.now()}`);
  try {
    const build = spawnSync(process.execPath, [WRANGLER_BIN, "deploy", "--dry-run", "--outdir", temp], {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_ENV },
      encoding: "utf8",
    });
    if (build.status !== 0) {
      throw new LaunchError(`building the bundle failed:\n${build.stdout}\n${build.stderr}`.trim());
    }
    const wrangler = await import("wrangler");
    const configPath = path.join(ROOT, "wrangler.toml");
    const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(configPath);
    const config = wrangler.unstable_readConfig({ config: configPath });
    const migrationsDir = path.join(ROOT, config.d1_databases[0]?.migrations_dir ?? "migrations");
    const migrations = readdirSync(migrationsDir)
      .filter((name) => name.endsWith(".sql"))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b))
      .map((name) => ({
        name,
        queries: wrangler.unstable_splitSqlQuery(readFileSync(path.join(migrationsDir, name), "utf8")),
      }));
    /** @type {ServePlan} */
    const plan = {
      hash,
      bundleSha256: sha256File(path.join(temp, "index.js")),
      workerOptions: /** @type {Record<string, unknown>} */ (workerOptions),
      crons: config.triggers?.crons ?? [],
      migrations,
    };
    writeFileSync(path.join(temp, "plan.json"), JSON.stringify(plan));
    try {
      renameSync(temp, dir);
    } catch {
      // Another process renamed its identical build into place first.
      rmSync(temp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  const plan = readPlan(dir);
  if (!plan) throw new LaunchError(`the bundle in ${dir} could not be read back`);
  pruneBundles(dir);
  return { dir, plan };
}

/** Keeps the few newest builds (another checkout or a test run may still serve one). @param {string} keep */
function pruneBundles(keep) {
  const builds = readdirSync(BUNDLE_CACHE, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => path.join(BUNDLE_CACHE, entry.name))
    .filter((dir) => dir !== keep)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of builds.slice(2)) rmSync(old, { recursive: true, force: true });
}

/**
 * The registry's signing key (PKCS8 DER, base64 on one line), made on the first start and kept in
 * the state folder (mode 0600) so signatures stay valid across restarts.
 * @param {string} stateDir
 */
export function stateSigningKey(stateDir) {
  const file = path.join(stateDir, "signing-key.pkcs8.b64");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key = privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/**
 * Applies the migrations the database has not seen, recording each in wrangler's table.
 * @param {import("miniflare").Miniflare} mf
 * @param {ServePlan["migrations"]} migrations
 * @returns {Promise<string[]>} the names applied
 */
async function applyMigrations(mf, migrations) {
  const db = await mf.getD1Database("DB");
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE}(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`,
    )
    .run();
  const seen = new Set(
    (await db.prepare(`SELECT name FROM ${MIGRATIONS_TABLE}`).all()).results.map((row) => String(row.name)),
  );
  const applied = [];
  for (const migration of migrations) {
    if (seen.has(migration.name)) continue;
    try {
      // One batch: a migration applies whole or not at all.
      await db.batch([
        ...migration.queries.map((query) => db.prepare(query)),
        db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`).bind(migration.name),
      ]);
    } catch (err) {
      throw new LaunchError(`migration ${migration.name} failed: ${describe(err)}`);
    }
    applied.push(migration.name);
  }
  return applied;
}

/**
 * applyMigrations, again (at most twice more) when what failed was the way to D1 rather than the SQL:
 * Miniflare's Node-side D1 proxy has been seen to fail an internal assertion once in a while ("The
 * expression evaluated to a falsy value", on Node 24). Each try reads what is applied anew, and a
 * migration is one batch, so a try that did commit is never applied twice.
 * @param {import("miniflare").Miniflare} mf
 * @param {ServePlan["migrations"]} migrations
 */
async function applyMigrationsRetrying(mf, migrations) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyMigrations(mf, migrations);
    } catch (err) {
      const sqlError = /D1_|SQLITE/.test(String(/** @type {Error} */ (err)?.message ?? err));
      if (sqlError || attempt >= 3) throw err;
    }
  }
}

/** @param {unknown} err */
export function describe(err) {
  const e = /** @type {{ message?: string, cause?: { message?: string } }} */ (err);
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return message.replace(/^Error: /, "").split("\n")[0];
}

/**
 * @typedef {object} ServeOptions
 * @property {string} stateDir D1/R2 state in wrangler's layout (`<stateDir>/v3/d1`, `<stateDir>/v3/r2`)
 * @property {number} port
 * @property {string} [host]
 * @property {Record<string, string>} [vars] overrides of wrangler.toml vars
 * @property {Record<string, string>} [secrets] secret bindings (the signing key)
 * @property {number} [inspectorPort] workerd's DevTools inspector (the benchmark samples the heap)
 * @property {(line: string) => void} [log]
 */

/**
 * Serves the registry until `stop()`. Rejects with a LaunchError (nothing left running) when the
 * port is taken, the state folder cannot be written, the bundle is refused or a migration fails.
 * @param {ServeOptions} opts
 */
export async function serve(opts) {
  const log = opts.log ?? (() => {});
  const host = opts.host ?? "127.0.0.1";
  const { dir, plan } = await ensureBundle({ log });
  checkWritable(opts.stateDir);
  const { Miniflare } = await import("miniflare");
  // workerd's own output: held back until it is up (a failed start is then one line of ours, not a
  // stack trace of its), passed through after.
  let started = false;
  /** @type {string[]} */
  const startupOutput = [];
  const workerOptions = /** @type {Record<string, unknown> & { bindings?: Record<string, unknown> }} */ (
    plan.workerOptions
  );
  const mf = new Miniflare({
    ...workerOptions,
    name: "skild-registry",
    modules: true,
    scriptPath: path.join(dir, "index.js"),
    // workerd refuses module paths outside modulesRoot.
    modulesRoot: dir,
    bindings: { ...workerOptions.bindings, ...opts.vars, ...opts.secrets },
    d1Persist: path.join(opts.stateDir, "v3", "d1"),
    r2Persist: path.join(opts.stateDir, "v3", "r2"),
    host,
    port: opts.port,
    inspectorPort: opts.inspectorPort,
    /** @param {import("node:stream").Readable} stdout @param {import("node:stream").Readable} stderr */
    handleRuntimeStdio(stdout, stderr) {
      for (const [stream, sink] of /** @type {const} */ ([
        [stdout, process.stdout],
        [stderr, process.stderr],
      ])) {
        stream.on("data", (/** @type {Buffer} */ chunk) => {
          if (started) sink.write(chunk);
          else startupOutput.push(chunk.toString());
        });
      }
    },
  });
  /** @type {URL} */
  let url;
  try {
    url = await mf.ready;
    const applied = await applyMigrationsRetrying(mf, plan.migrations);
    if (applied.length) log(`Applied migrations: ${applied.join(", ")}`);
    started = true;
    for (const chunk of startupOutput) process.stdout.write(chunk);
  } catch (err) {
    await mf.dispose().catch(() => {});
    if (err instanceof LaunchError) throw err;
    const reason = describe(err);
    if (/address already in use|EADDRINUSE/i.test(`${reason}\n${startupOutput.join("")}`)) {
      throw new LaunchError(`port ${opts.port} on ${host} is already in use; set PORT to another port`);
    }
    const runtimeSaid = startupOutput.join("").match(/(?:Uncaught|Error|error)[^\n]*/)?.[0];
    throw new LaunchError(`the Workers runtime did not start: ${runtimeSaid ?? reason}`);
  }
  const cron = await startCron(mf, plan.crons, log);
  return {
    url: url.origin.replace("localhost", host),
    mf,
    crons: plan.crons,
    /** Runs the Worker's `scheduled` handler now, as a Cron Trigger would. @param {string} [cronExpr] */
    runScheduled: (cronExpr) => runScheduled(mf, cronExpr ?? plan.crons[0] ?? "* * * * *"),
    stop: async () => {
      cron.stop();
      await mf.dispose();
    },
  };
}

/** @param {string} stateDir */
export function checkWritable(stateDir) {
  try {
    mkdirSync(stateDir, { recursive: true });
    const probe = path.join(stateDir, `.write-check-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (err) {
    throw new LaunchError(`the state folder ${stateDir} is not writable: ${describe(err)}`);
  }
}

/** @param {import("miniflare").Miniflare} mf @param {string} cronExpr */
async function runScheduled(mf, cronExpr) {
  const worker = await mf.getWorker();
  return worker.scheduled({ cron: cronExpr, scheduledTime: new Date() });
}

/**
 * Miniflare fires no Cron Triggers: call the Worker's `scheduled` handler on each wrangler.toml
 * schedule ourselves (never over HTTP). One run at a time per schedule; a failure is logged.
 * @param {import("miniflare").Miniflare} mf
 * @param {string[]} crons
 * @param {(line: string) => void} log
 */
async function startCron(mf, crons, log) {
  if (crons.length === 0) return { stop: () => {} };
  const { Cron } = await import("croner");
  const jobs = crons.map(
    (expr) =>
      new Cron(expr, { timezone: "UTC", protect: true }, async () => {
        try {
          await runScheduled(mf, expr);
        } catch (err) {
          log(`scheduled (${expr}) failed: ${describe(err)}`);
        }
      }),
  );
  return {
    stop: () => {
      for (const job of jobs) job.stop();
    },
  };
}
