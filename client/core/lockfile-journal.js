// Keeps skild.lock.json and the project's skills folders in agreement across a crash. A --local
// install or uninstall changes the folder first and the lockfile second; a crash between the two
// would leave them disagreeing. So, holding the folder's lock, skild first drops an intent file
// into the skills folder (`.skild-intent-<installDir>-<pid>-<random>.json`), changes the folder,
// writes the lockfile, and removes the intent. The next skild that takes that folder's lock and
// finds an intent knows its owner died mid-way (a live owner would still hold the lock), and makes
// the lockfile say what the folder holds: roll forward when the folder changed, nothing to undo
// when it did not.
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { withFolderLocks } from "./folder-lock.js";
import { openSkillsDir, readInstallRecord } from "./install.js";
import { lockInstall, unlockInstall } from "./lockfile.js";
import { skillsDir } from "./platforms.js";

const INTENT_RE = /^\.skild-intent-.+-\d+-[0-9a-f]+\.json$/;

/**
 * @typedef {object} Intent
 * @property {string} name        `@acme/hello-skill`
 * @property {string} installDir  `acme__hello-skill`
 * @property {string} platform
 */

/**
 * Records, before a skills folder changes, that the lockfile entry of `intent.name` for
 * `intent.platform` is about to follow. Returns the function that clears it once the lockfile is written.
 * @param {string} skillsFolder
 * @param {Intent} intent
 * @returns {Promise<() => Promise<void>>}
 */
export async function recordIntent(skillsFolder, intent) {
  const file = path.join(
    skillsFolder,
    `.skild-intent-${intent.installDir}-${process.pid}-${randomBytes(4).toString("hex")}.json`,
  );
  await writeFile(file, `${JSON.stringify(intent)}\n`);
  return () => rm(file, { force: true });
}

/**
 * Finishes what a crashed run left half done in `skillsFolder`: for each intent, the project's
 * lockfile entry for that skill and platform is set from the folder's install record (or removed
 * when the skill is not there), then the intent goes. Call it holding the folder's lock, after the
 * folder's own recovery (`openSkillsDir`), so the folder is in its final state.
 * @param {string} skillsFolder
 * @param {string} projectDir
 * @returns {Promise<string[]>} the skills whose lockfile entry was repaired
 */
export async function recoverIntents(skillsFolder, projectDir) {
  let names;
  try {
    names = await readdir(skillsFolder);
  } catch {
    return [];
  }
  /** @type {string[]} */
  const repaired = [];
  for (const file of names.filter((n) => INTENT_RE.test(n)).sort()) {
    const full = path.join(skillsFolder, file);
    /** @type {Partial<Intent>} */
    let intent;
    try {
      intent = JSON.parse(await readFile(full, "utf8"));
    } catch {
      await rm(full, { force: true }); // torn write: the crash came before the folder changed
      continue;
    }
    const { name, installDir, platform } = intent;
    if (typeof name === "string" && typeof installDir === "string" && typeof platform === "string") {
      const record = await readInstallRecord(path.join(skillsFolder, installDir));
      if (record && record.name === name && !record.source) {
        await lockInstall(
          projectDir,
          name,
          {
            version: record.resolvedVersion,
            integrity: record.integrity,
            resolved: record.tarballUrl,
            requested: record.requested,
            registry: record.registryUrl,
            ...(record.keyid ? { keyid: record.keyid } : {}),
          },
          platform,
        );
      } else {
        await unlockInstall(projectDir, name, platform);
      }
      repaired.push(name);
    }
    await rm(full, { force: true });
  }
  return repaired;
}

/**
 * @typedef {object} Journal
 * @property {(name: string, placing: {platform: string, scope: import("./platforms.js").InstallScope, dir: string}) => Promise<void>} intend
 *   before a project skill folder changes (install's `beforeSwap`, uninstall before removing)
 * @property {(dir: string) => Promise<void>} settle after the lockfile records the change
 */

/**
 * Runs `fn` holding the locks of the skills folders `targets` use, after finishing whatever a
 * crashed run left in them (folder leftovers first, then lockfile intents). `fn` gets the journal
 * for its --local changes. With `create: false` (uninstall) folders that do not exist are skipped.
 * @template T
 * @param {{targets: import("./install.js").InstallTarget[], projectDir: string, create: boolean}} where
 * @param {(journal: Journal) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export function withSkillsFolders({ targets, projectDir, create }, fn) {
  const folders = targets.map(({ platform, scope }) => skillsDir(platform, scope, projectDir));
  return withFolderLocks(folders, { create }, async () => {
    /** Local folders held now: only an intent inside one of them is found by a later recovery. */
    const journalled = new Set();
    for (const { platform, scope } of targets) {
      const folder = await openSkillsDir(platform, scope, projectDir);
      if (scope !== "local") continue;
      await recoverIntents(folder, projectDir);
      journalled.add(path.resolve(folder));
    }
    /** @type {Map<string, () => Promise<void>>} */
    const pending = new Map();
    return fn({
      async intend(name, { platform, scope, dir }) {
        // Only a project's installs have a lockfile to keep in step (and a skill in an older folder
        // of the agent, outside the locked ones, is not journalled).
        if (scope !== "local" || !journalled.has(path.resolve(path.dirname(dir)))) return;
        pending.set(dir, await recordIntent(path.dirname(dir), { name, installDir: path.basename(dir), platform }));
      },
      async settle(dir) {
        await pending.get(dir)?.();
        pending.delete(dir);
      },
    });
  });
}
