// Asking the user: only when stdin is a terminal. Scripts pass flags (and --password-stdin).
import { createInterface } from "node:readline/promises";
import { UsageError } from "./errors.js";

export const canPrompt = () => Boolean(process.stdin.isTTY);

/**
 * @param {string} question
 * @returns {Promise<string>}
 */
export async function ask(question) {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * Reads a line without echoing it.
 * @param {string} question
 * @returns {Promise<string>}
 */
export function askHidden(question) {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    /** @param {Buffer} data */
    const onData = (data) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          process.stderr.write("\n");
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          finish();
          process.stderr.write("\n");
          reject(new UsageError("Cancelled."));
          return;
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** The whole of stdin, minus one trailing newline (`echo "$PW" | skild login --password-stdin`). */
export async function readStdin() {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/**
 * A flag's value, else a prompt on a terminal, else a usage error naming the flag.
 * @param {string | undefined} value
 * @param {{flag: string, question: string, hidden?: boolean}} how
 */
export async function valueOrPrompt(value, how) {
  if (value !== undefined && value !== "") return value;
  if (!canPrompt()) {
    throw new UsageError(`Missing ${how.flag} (stdin is not a terminal, so skild cannot ask for it).`);
  }
  const answer = how.hidden ? await askHidden(how.question) : await ask(how.question);
  if (!answer) throw new UsageError(`${how.flag} cannot be empty.`);
  return answer;
}
