#!/usr/bin/env node
// skild: publish agent skills to a skild registry and install them into coding agents.
// Argument parsing and dispatch; each command lives in ../commands/<name>.js.
import { readFileSync } from "node:fs";
import { COMMANDS, findCommand } from "../commands/index.js";
import { commandHelp, createContext, parseCommandArgs } from "../core/command.js";
import { CliError, UsageError } from "../core/errors.js";

const VERSION = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

function topLevelHelp() {
  const groups = [...new Set(COMMANDS.map((c) => c.group))];
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    "skild: publish agent skills and install them into your coding agents",
    "",
    "Usage:",
    "  skild <command> [options]",
    "  skild <command> --help",
    "",
  ];
  for (const group of groups) {
    lines.push(`${group}:`);
    for (const c of COMMANDS.filter((x) => x.group === group)) lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
    lines.push("");
  }
  lines.push(
    "Options:",
    "  --registry <url>  Registry URL (default: $SKILD_REGISTRY_URL, the saved login, or http://127.0.0.1:18787)",
    "  --json            Machine-readable output (install, list, info, search, publish, whoami, org, access)",
    "  -h, --help        Show help for skild or a command",
    "  --version         Print the skild version",
    "",
    "Agents (-t): claude, codex, copilot, agents, cursor, opencode. --local installs into the project, else your home folder.",
    "",
    "Examples:",
    "  $ skild install @acme/hello-skill -t claude",
    "  $ skild install @acme/hello-skill@^1.0.0 -t codex --local",
    "  $ skild list --local",
    "  $ skild login --handle-or-email acme",
    "  $ skild publish --dir ./hello-skill --name @acme/hello-skill --skill-version 1.0.0",
    "  $ skild org create acme-corp && skild org add acme-corp alice",
    "  $ skild publish --dir ./runbook --name @acme-corp/runbook --access restricted",
    "",
    "Environment:",
    "  SKILD_REGISTRY_URL  registry to use when --registry is not given",
    "  SKILD_HOME          where logins are saved (default ~/.skild)",
    "  SKILD_TOKEN         a token to use instead of the saved login",
    "",
    "Learn more about a command: skild <command> --help",
  );
  return lines.join("\n");
}

/** Levenshtein distance, for "did you mean". @param {string} a @param {string} b */
function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/**
 * Finds the command word: the first argument that is not an option (or the value of --registry).
 * @param {string[]} argv
 */
function splitCommand(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg === "--registry") {
      i += 1;
      continue;
    }
    if (!arg.startsWith("-")) return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: argv };
}

/** @param {string[]} argv @returns {Promise<number>} */
async function main(argv) {
  const { name, rest } = splitCommand(argv);
  if (name === undefined || name === "help") {
    if (rest.includes("--version") || rest.includes("-v")) {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const topic = name === "help" ? rest.find((a) => !a.startsWith("-")) : undefined;
    if (topic) return main([topic, "--help"]);
    const unknown = rest.find((a) => a !== "--help" && a !== "-h");
    if (unknown) throw new UsageError(`Unknown option ${unknown}. Run \`skild --help\` for usage.`);
    process.stdout.write(`${topLevelHelp()}\n`);
    return 0;
  }
  const info = findCommand(name);
  if (!info) {
    const best = COMMANDS.map((c) => ({ c, d: distance(name, c.name) })).sort((x, y) => x.d - y.d)[0];
    const suggestion = best && best.d <= 2 ? ` Did you mean \`skild ${best.c.name}\`?` : "";
    throw new UsageError(`Unknown command "${name}".${suggestion} Run \`skild --help\` for the list.`);
  }
  const mod = (await info.load()).default;
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${commandHelp(info, mod)}\n`);
    return 0;
  }
  const parsed = parseCommandArgs(info.name, mod, rest);
  const code = await mod.run(createContext(info.name, parsed));
  return code ?? 0;
}

// `skild list | head` closes stdout early; that is not an error.
process.stdout.on("error", (err) => {
  if (/** @type {NodeJS.ErrnoException} */ (err).code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`skild: ${err.message}\n`);
    if (process.argv.includes("--json")) {
      process.stdout.write(`${JSON.stringify({ error: err.message, code: err.code }, null, 2)}\n`);
    }
    process.exitCode = err.exitCode;
  } else {
    const detail = err instanceof Error ? (process.env.SKILD_DEBUG ? err.stack : err.message) : String(err);
    process.stderr.write(`skild: unexpected error: ${detail}\n(set SKILD_DEBUG=1 for details)\n`);
    process.exitCode = 1;
  }
}
