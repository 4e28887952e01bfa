// One skild at a time changes an agent's skills folder. The lock is proper-lockfile's: a folder
// `.skild-lock` made with mkdir (atomic, also on network file systems), whose mtime its owner
// refreshes every few seconds. A lock nobody refreshes for LOCK_STALE_MS (its process died, its
// machine went away) is taken over by the next skild. No pid is involved, so this also works when
// two machines share the disk. A second install queues behind the first for up to SKILD_LOCK_WAIT
// (default 2 minutes), then fails with a message that says what to do.
import { mkdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { CliError } from "./errors.js";

export const FOLDER_LOCK_NAME = ".skild-lock";
/** proper-lockfile's default: a lock not refreshed for this long is someone's who is gone. */
export const LOCK_STALE_MS = 10_000;
const POLL_MS = 250;

/** How long to queue behind another skild (SKILD_LOCK_WAIT, milliseconds). */
function lockWaitMs() {
  const n = Number(process.env.SKILD_LOCK_WAIT);
  return process.env.SKILD_LOCK_WAIT && Number.isFinite(n) && n >= 0 ? n : 120_000;
}

/** @param {string} p */
async function isDirectory(p) {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Takes the lock on `target` (a file or folder, which need not exist) at `lockPath`, queueing
 * behind another holder. Returns the release function.
 * @param {string} target
 * @param {string} lockPath
 * @param {string} what how to name the locked thing in an error
 * @returns {Promise<() => Promise<void>>}
 */
export async function acquireLock(target, lockPath, what) {
  const waitMs = lockWaitMs();
  /** @type {Error | undefined} */
  let compromised;
  let release;
  // Loaded on first use: commands that change no folder start without it.
  const { default: lockfile } = await import("proper-lockfile");
  try {
    release = await lockfile.lock(target, {
      lockfilePath: lockPath,
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: Math.ceil(waitMs / POLL_MS), factor: 1, minTimeout: POLL_MS, maxTimeout: POLL_MS },
      // The default throws from a timer and kills the process mid-change; failing at release is kinder.
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === "ELOCKED") {
      throw new CliError(
        `Another skild is changing ${what} (lock ${lockPath}); gave up after waiting ${Number((waitMs / 1000).toFixed(1))} s. Try again when it has finished. A lock whose skild died is taken over by itself after ${LOCK_STALE_MS / 1000} s.`,
        { code: "LOCKED" },
      );
    }
    throw err;
  }
  const releaseLock = release;
  return async () => {
    await releaseLock().catch(() => {});
    if (compromised) {
      throw new CliError(
        `The lock on ${what} was lost while skild worked (${compromised.message}); another skild may have changed it too. Run the command again to check the result.`,
        { code: "LOCK_LOST" },
      );
    }
  };
}

/**
 * Runs `fn` holding the lock of each skills folder (sorted, so two runs never wait on each other
 * in a circle). With `create: false` a folder that does not exist is skipped instead of made.
 * @template T
 * @param {string[]} folders
 * @param {{create: boolean}} opts
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withFolderLocks(folders, opts, fn) {
  /** @type {(() => Promise<void>)[]} */
  const releases = [];
  /** Folders made only to hold a lock: removed again when nothing else went into them. */
  /** @type {string[]} */
  const made = [];
  /** Releases every lock taken; a lock reported lost is an error, but never stops the others' release. */
  const releaseAll = async () => {
    /** @type {unknown} */
    let lost;
    for (const release of releases.reverse()) await release().catch((err) => (lost ??= err));
    for (const dir of made.reverse()) await rmdir(dir).catch(() => {}); // fails, as meant, when not empty
    return lost;
  };
  let result;
  try {
    for (const folder of [...new Set(folders.map((f) => path.resolve(f)))].sort()) {
      if (opts.create) {
        const first = await mkdir(folder, { recursive: true });
        // Every level mkdir made, deepest last, so they are removed deepest first.
        for (let dir = folder; first && dir.length >= first.length; dir = path.dirname(dir)) made.unshift(dir);
      } else if (!(await isDirectory(folder))) continue;
      releases.push(await acquireLock(folder, path.join(folder, FOLDER_LOCK_NAME), folder));
    }
    result = await fn();
  } catch (err) {
    await releaseAll();
    throw err;
  }
  const lost = await releaseAll();
  if (lost) throw lost;
  return result;
}
