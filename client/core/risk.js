// The registry's risk scan as the CLI shows it: findings printed before anything is installed, and
// at `high` a question on a terminal (y/N) or, without one, a refusal unless --yes.
import { CliError } from "./errors.js";
import { ask, canPrompt } from "./prompt.js";

/**
 * @typedef {"none" | "low" | "medium" | "high"} RiskLevel
 * @typedef {{rule: string, severity: "low" | "medium" | "high", file: string, line: number, message: string, excerpt: string}} RiskFinding
 * @typedef {{level: RiskLevel, findings: RiskFinding[]}} Risk
 */

const LEVELS = new Set(["none", "low", "medium", "high"]);

/**
 * The `risk` of a version document, or null when the registry sent none (or something malformed).
 * @param {unknown} raw
 * @returns {Risk | null}
 */
export function parseRisk(raw) {
  const risk = /** @type {{level?: unknown, findings?: unknown}} */ (raw);
  if (!risk || typeof risk !== "object" || !LEVELS.has(String(risk.level)) || !Array.isArray(risk.findings))
    return null;
  const findings = risk.findings.filter(
    (f) => f && typeof f === "object" && typeof f.rule === "string" && typeof f.file === "string",
  );
  return { level: /** @type {RiskLevel} */ (risk.level), findings };
}

/** Control characters from a registry never reach the terminal (they could rewrite what is shown). */
const printable = (/** @type {unknown} */ text) => String(text ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");

/**
 * Lines describing a scan: a summary, then one line per finding with its place and an excerpt.
 * @param {string} label e.g. "@acme/x@1.0.0"
 * @param {Risk | null} risk
 * @returns {string[]}
 */
export function describeRisk(label, risk) {
  if (!risk) return [`${label}: not scanned (published before the registry's risk scan)`];
  if (risk.findings.length === 0) return [`${label}: risk scan found nothing`];
  const count = `${risk.findings.length} finding${risk.findings.length === 1 ? "" : "s"}`;
  const lines = [`${label}: risk ${risk.level} (${count})`];
  for (const f of risk.findings) {
    const place = f.line ? `${f.file}:${f.line}` : f.file;
    lines.push(
      `  ${printable(f.severity).padEnd(6)} ${printable(f.rule)}  ${printable(place)}  ${printable(f.message)}`,
    );
    if (f.excerpt) lines.push(`         ${printable(f.excerpt)}`);
  }
  return lines;
}

/**
 * Before installing: prints the findings (to stderr, so --json output stays clean); at `high` asks
 * on a terminal, or refuses without --yes. Throws CliError RISK_REFUSED when not installing.
 * @param {{label: string, canonical: string, risk: Risk | null, yes: boolean, note: (s: string) => void}} opts
 */
export async function reviewRisk({ label, canonical, risk, yes, note }) {
  if (!risk || risk.findings.length === 0) return;
  for (const line of describeRisk(label, risk)) note(line);
  if (risk.level !== "high" || yes) return;
  const how = `Review its files (skild info ${canonical} --files) and pass --yes to install anyway.`;
  if (canPrompt()) {
    const answer = await ask(`${label} is rated high risk. Install it anyway? [y/N] `);
    if (/^y(es)?$/i.test(answer)) return;
    throw new CliError(`Not installed: ${label} is rated high risk. ${how}`, { code: "RISK_REFUSED" });
  }
  throw new CliError(`Refusing to install ${label}: the registry's risk scan rates it high (findings above). ${how}`, {
    code: "RISK_REFUSED",
  });
}
