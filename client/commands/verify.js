import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { list, str } from "../core/command.js";
import { CliError } from "../core/errors.js";
import { listInstalled, RECORD_DIR } from "../core/install.js";
import { parseSkillName } from "../core/names.js";
import { describeTarget, PLATFORM_NAMES, selectPlatforms, targetOption } from "../core/platforms.js";
import { createRegistryClient } from "../core/registry.js";
import { checkRegistrySignature } from "../core/signatures.js";
import { filesIntegrity, readSkillEntries } from "../core/sources/folder.js";
import { scopesFrom } from "./list.js";

/**
 * sha256 of every file under `dir` (skild's own record folder excepted), by `/`-separated path;
 * links and other non-files are reported, never followed.
 * @param {string} dir
 * @returns {Promise<{files: Record<string, string>, odd: string[]}>}
 */
async function digestTree(dir) {
  /** @type {Record<string, string>} */
  const files = {};
  /** @type {string[]} */
  const odd = [];
  /** @param {string} sub */
  async function walk(sub) {
    for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (rel === RECORD_DIR) continue;
      if (entry.isDirectory()) await walk(rel);
      else if (entry.isFile())
        files[rel] = createHash("sha256")
          .update(await readFile(path.join(dir, rel)))
          .digest("hex");
      else odd.push(rel);
    }
  }
  await walk("");
  return { files, odd };
}

/**
 * What differs between the files recorded at install and the files on disk.
 * @param {Record<string, string> | undefined} recorded
 * @param {string} dir
 * @returns {Promise<string[]>}
 */
async function fileProblems(recorded, dir) {
  if (!recorded) return ["no file list was recorded at install (an older skild); reinstall it with --force"];
  const { files, odd } = await digestTree(dir);
  const problems = [];
  for (const [file, sha256] of Object.entries(recorded)) {
    if (!(file in files)) problems.push(`${file} is missing`);
    else if (files[file] !== sha256) problems.push(`${file} was modified`);
  }
  for (const file of Object.keys(files)) if (!(file in recorded)) problems.push(`${file} was added`);
  for (const file of odd) problems.push(`${file} is not a regular file`);
  return problems;
}

/**
 * A skill installed from a folder or git: its files against the sha512 recorded at install.
 * @param {string} integrity
 * @param {string} dir
 * @param {string} label
 * @returns {Promise<string[]>}
 */
async function sourceFileProblems(integrity, dir, label) {
  try {
    const entries = await readSkillEntries(dir, dir, label);
    return filesIntegrity(entries) === integrity ? [] : ["its files differ from what was installed"];
  } catch (err) {
    if (err instanceof CliError) return [err.message];
    throw err;
  }
}

/**
 * One skill's line in `--json` output.
 * @param {{name: string, resolvedVersion: string, platform: string, scope: string}} record
 * @param {string} dir
 * @param {string[]} problems
 * @param {string[]} warnings
 */
function verdict(record, dir, problems, warnings) {
  const { name, resolvedVersion: version, platform, scope } = record;
  return { name, version, platform, scope, dir, ok: problems.length === 0, problems, warnings };
}

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["verify [<@scope/skill>...] [-t <agent>] [--local | --global] [--json]"],
  description: [
    "Re-checks installed skills: every file on disk against the sha256 recorded at install (modified,",
    "missing or added files fail), and the registry's signature of the installed version against the",
    "keys the registry lists now. Exits 1 when anything fails.",
  ].join("\n"),
  options: {
    target: targetOption(`Only this agent: ${PLATFORM_NAMES.join("|")} (default: all)`),
    local: { type: "boolean", description: "Only this project's installs" },
    global: { type: "boolean", description: "Only installs in your home folder" },
  },
  common: ["registry", "json"],
  examples: ["verify", "verify @acme/hello-skill --local", "verify --json"],
  async run(ctx) {
    const platforms = selectPlatforms({ target: list(ctx, "target") }, PLATFORM_NAMES);
    const names = new Set(ctx.positionals.map((p) => parseSkillName(p).canonical));
    const installed = (await listInstalled({ platforms, scopes: scopesFrom(ctx), projectDir: ctx.cwd })).filter(
      (i) => names.size === 0 || names.has(i.record.name),
    );
    const chosen = str(ctx, "registry") ? await ctx.registry() : undefined;
    /** @type {Map<string, import("../core/registry.js").RegistryClient>} */
    const registries = new Map();
    /** @param {string} url */
    const registryFor = (url) => {
      if (chosen) return chosen;
      if (!registries.has(url)) registries.set(url, createRegistryClient({ url }));
      return /** @type {import("../core/registry.js").RegistryClient} */ (registries.get(url));
    };

    const results = [];
    for (const { record, dir } of installed) {
      const label = `${record.name}@${record.resolvedVersion}`;
      const where = describeTarget(record.platform, record.scope);
      if (record.source) {
        // From a folder or git: no registry signature; the files against the integrity recorded at install.
        const problems = await sourceFileProblems(record.integrity, dir, label);
        ctx.out.line(
          problems.length === 0
            ? `ok    ${label} (${where}): files match (from ${record.source.source}, not signed by a registry)`
            : `FAIL  ${label} (${where}): ${problems.join("; ")}`,
        );
        results.push(verdict(record, dir, problems, []));
        continue;
      }
      const problems = await fileProblems(record.files, dir);
      /** @type {string[]} */
      const warnings = [];
      /** @type {string | undefined} */
      let keyid;
      try {
        const registry = registryFor(record.registryUrl);
        const meta = await registry.getVersion(parseSkillName(record.name), record.resolvedVersion);
        if (meta.integrity !== record.integrity) {
          problems.push(
            `the registry now serves ${meta.integrity} for ${label}, not the ${record.integrity} installed`,
          );
        }
        keyid = await checkRegistrySignature(registry, {
          name: record.name,
          version: record.resolvedVersion,
          integrity: record.integrity,
          publishedAt: meta.publishedAt,
          signatures: meta.signatures,
        });
        if (!keyid && record.keyid)
          problems.push(`it was signed at install, but the registry lists no signing keys now`);
        if (keyid && record.keyid && keyid !== record.keyid) {
          warnings.push(
            `its signature verified with key ${keyid}, not ${record.keyid} as at install (a key rotation?)`,
          );
        }
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        problems.push(err.message.replace(/; nothing was installed\.$/, ""));
      }
      const signature = keyid ? `signature verified (${keyid})` : "the registry does not sign";
      if (problems.length === 0) {
        const count = Object.keys(record.files ?? {}).length;
        ctx.out.line(`ok    ${label} (${where}): ${count} file${count === 1 ? "" : "s"} match, ${signature}`);
      } else {
        ctx.out.line(`FAIL  ${label} (${where}): ${problems.join("; ")}`);
      }
      for (const warning of warnings) ctx.out.note(`warning: ${label} (${where}): ${warning}`);
      results.push({ ...verdict(record, dir, problems, warnings), ...(keyid ? { keyid } : {}) });
    }
    ctx.out.data({ verified: results });
    if (installed.length === 0) ctx.out.line("No skills installed here to verify.");
    const failed = results.filter((r) => !r.ok).length;
    if (failed > 0) {
      throw new CliError(
        `${failed} of ${results.length} installed skill${results.length === 1 ? "" : "s"} failed verification.`,
        {
          code: "VERIFY_FAILED",
        },
      );
    }
  },
};
