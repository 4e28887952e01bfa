// The shape of a command and what every command gets: parsed flags, output that honours --json,
// and the registry it talks to. Parsing is node:util parseArgs; help text is generated from the
// same option table, so the two never disagree.
import { parseArgs } from "node:util";
import { resolveRegistry } from "./config.js";
import { UsageError } from "./errors.js";
import { createRegistryClient } from "./registry.js";

/**
 * @typedef {object} OptionSpec
 * @property {"string" | "boolean"} type
 * @property {string} [short]
 * @property {boolean} [multiple]
 * @property {string} [arg] how help names the value, e.g. "<url>"
 * @property {string} description
 */

/**
 * @typedef {object} CommandModule
 * @property {string[]} usage lines after "Usage:", without the leading "skild "
 * @property {string} [description] a paragraph under the summary
 * @property {Record<string, OptionSpec>} options the command's own flags
 * @property {("registry" | "json")[]} common which shared flags it takes
 * @property {string[]} examples
 * @property {(ctx: Context) => Promise<number | void>} run
 */

/**
 * @typedef {object} CommandInfo
 * @property {string} name
 * @property {string} summary
 * @property {string} group
 * @property {string[]} [aliases]
 * @property {() => Promise<{default: CommandModule}>} load
 */

/** @type {Record<"registry" | "json" | "help", OptionSpec>} */
export const COMMON_OPTIONS = {
  registry: {
    type: "string",
    arg: "<url>",
    description: "Registry URL (default: $SKILD_REGISTRY_URL, the saved login, or http://127.0.0.1:18787)",
  },
  json: { type: "boolean", description: "Print machine-readable JSON on stdout" },
  help: { type: "boolean", short: "h", description: "Show this help" },
};

/**
 * @param {CommandModule} mod
 * @returns {Record<string, OptionSpec>}
 */
export function allOptions(mod) {
  /** @type {Record<string, OptionSpec>} */
  const options = { ...mod.options };
  for (const name of mod.common) options[name] = COMMON_OPTIONS[name];
  options.help = COMMON_OPTIONS.help;
  return options;
}

/** @param {Record<string, OptionSpec>} options */
function formatOptions(options) {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.arg ? ` ${spec.arg}` : ""}`;
    return [flag, spec.description];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

/**
 * @param {CommandInfo} info
 * @param {CommandModule} mod
 */
export function commandHelp(info, mod) {
  const lines = [`${info.summary}`, ""];
  if (mod.description) lines.push(mod.description, "");
  lines.push("Usage:", ...mod.usage.map((u) => `  skild ${u}`), "");
  if (info.aliases?.length) lines.push(`Aliases: ${info.aliases.join(", ")}`, "");
  lines.push("Options:", ...formatOptions(allOptions(mod)), "");
  if (mod.examples.length) lines.push("Examples:", ...mod.examples.map((e) => `  $ skild ${e}`), "");
  return `${lines.join("\n")}`;
}

/**
 * @typedef {object} Output
 * @property {boolean} json
 * @property {(text?: string) => void} line  a line for people on stdout (silent with --json)
 * @property {(value: unknown) => void} data the JSON document on stdout (only with --json)
 * @property {(text: string) => void} note   a line on stderr: progress, warnings
 */

/** @param {boolean} json @returns {Output} */
export function createOutput(json) {
  return {
    json,
    line: (text = "") => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    data: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    note: (text) => {
      process.stderr.write(`${text}\n`);
    },
  };
}

/**
 * @typedef {object} Context
 * @property {string} command
 * @property {Record<string, string | boolean | string[] | undefined>} values
 * @property {string[]} positionals
 * @property {Output} out
 * @property {string} cwd
 * @property {() => Promise<import("./registry.js").RegistryClient & {handle: string | undefined}>} registry
 */

/**
 * @param {string} command
 * @param {CommandModule} mod
 * @param {string[]} args
 */
export function parseCommandArgs(command, mod, args) {
  const options = allOptions(mod);
  /** @type {Record<string, {type: "string" | "boolean", short?: string, multiple?: boolean}>} */
  const config = {};
  for (const [name, spec] of Object.entries(options)) {
    config[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), multiple: spec.multiple ?? false };
  }
  try {
    return parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (err) {
    const e = /** @type {{code?: string, message: string}} */ (err);
    const hint = `Run \`skild ${command} --help\` for its options.`;
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? "";
      if (flag === "--version" && "skill-version" in options) {
        throw new UsageError(
          `skild ${command} has no --version option: use --skill-version to set the skill's version (--version alone prints the CLI version).`,
        );
      }
      throw new UsageError(`Unknown option ${flag} for skild ${command}. ${hint}`);
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new UsageError(`${e.message.split(".")[0]}. ${hint}`);
    }
    throw new UsageError(`${e.message} ${hint}`);
  }
}

/**
 * @param {string} command
 * @param {ReturnType<typeof parseCommandArgs>} parsed
 * @returns {Context}
 */
export function createContext(command, parsed) {
  const values = /** @type {Context["values"]} */ (parsed.values);
  return {
    command,
    values,
    positionals: parsed.positionals,
    out: createOutput(values.json === true),
    cwd: process.cwd(),
    registry: async () => {
      const target = await resolveRegistry(typeof values.registry === "string" ? values.registry : undefined);
      return { ...createRegistryClient(target), handle: target.handle };
    },
  };
}

/**
 * Typed accessors: parseArgs values are loosely typed.
 * @param {Context} ctx
 * @param {string} name
 */
export const str = (ctx, name) => {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
};
/** @param {Context} ctx @param {string} name */
export const bool = (ctx, name) => ctx.values[name] === true;
/** @param {Context} ctx @param {string} name */
export const list = (ctx, name) => {
  const v = ctx.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
};

/**
 * @param {Context} ctx
 * @param {number} max
 * @param {string} what e.g. "one skill name"
 */
export function expectAtMost(ctx, max, what) {
  if (ctx.positionals.length > max) {
    throw new UsageError(
      `skild ${ctx.command} takes ${what}; got ${ctx.positionals.map((p) => JSON.stringify(p)).join(" ")}. Run \`skild ${ctx.command} --help\`.`,
    );
  }
}
