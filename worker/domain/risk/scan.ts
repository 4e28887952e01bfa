// The risk scan: runs the rules in rules.ts over a version's files at publish and sums them up as
// `risk = {level, findings}` (DESIGN.md, "Trust"). Advisory: it never refuses a publish.
//
// CPU budget. Workers' clocks do not advance while code computes (only across I/O), so a wall-clock
// deadline cannot stop a slow scan there. The budget is counted in bytes instead: at most
// MAX_SCAN_BYTES_PER_FILE of each file and MAX_SCAN_BYTES in all are read, each pattern is linear in
// what it reads (rules.ts), and a file stops after MAX_MATCHES_PER_FILE matches. Where a clock does
// advance (Node, tests, benches), `deadlineMs` also applies. Whatever was not read is said in a
// `scan-incomplete` finding, so a cut-short scan never looks like a clean one.
import {
  HIDDEN_CHARACTERS,
  isMarkdown,
  isSkillMd,
  LONG_BASE64_RUN,
  LONG_ESCAPE_RUN,
  LONG_HEX_RUN,
  PATTERN_RULES,
  type Severity,
} from "./rules";

/** Bump when rules change, so versions scanned by an older scanner can be told apart and rescanned. */
export const SCANNER_VERSION = 1;

export const MAX_SCAN_BYTES_PER_FILE = 256 * 1024;
export const MAX_SCAN_BYTES = 512 * 1024;
/** The first bytes of every file, enough to recognise a native binary by its magic number. */
export const MAGIC_BYTES = 64;
const MAX_MATCHES_PER_FILE = 200;
const MAX_FINDINGS_PER_RULE_AND_FILE = 5;
const MAX_FINDINGS = 100;
const MAX_EXCERPT_CHARS = 160;

export type RiskLevel = "none" | Severity;

export interface RiskFinding {
  rule: string;
  severity: Severity;
  /** Relative to the package root: `SKILL.md`, `scripts/setup.sh`. */
  file: string;
  /** 1-based; 0 when the finding is about the whole file (a binary). */
  line: number;
  message: string;
  excerpt: string;
}

export interface Risk {
  level: RiskLevel;
  findings: RiskFinding[];
}

/** One file as the publish pipeline saw it: its size and its first bytes (all of it when small). */
export interface ScanFile {
  path: string;
  size: number;
  head: Uint8Array;
}

/**
 * What a pattern costs is how often it can start times how far its bounded gap reaches. A text made
 * of nothing but pattern starts ("curl x curl x …") would make every start scan its whole gap, so
 * the starts of the patterns with long gaps are counted, and the scan reads up to the
 * MAX_COSTLY_STARTS-th of them per publish (an ordinary skill has a few dozen). With the byte caps
 * this bounds the scan's work whatever the input.
 */
export const MAX_COSTLY_STARTS = 3_000;
const COSTLY_START =
  /\b(?:curl|wget|fetch|iwr|irm|nc|ncat|netcat|socat|telnet|env|printenv|base64|eval|exec|scp|rsync|requests|request|axios|iex|Invoke-Expression|Invoke-WebRequest|Invoke-RestMethod|DownloadString|FromBase64String|Buffer|dd|mkfs|Remove-Item|Chrome|Chromium|Firefox|firefox|BraveSoftware)\b/g;

/** Where the text must stop so it holds at most `allowed` costly starts, and how many it holds. */
function costlyCut(text: string, allowed: number): { at: number; used: number; cut: boolean } {
  COSTLY_START.lastIndex = 0;
  let used = 0;
  for (let m = COSTLY_START.exec(text); m; m = COSTLY_START.exec(text)) {
    if (used === allowed) return { at: m.index, used, cut: true };
    used += 1;
  }
  return { at: text.length, used, cut: false };
}

export interface ScanOptions {
  /** Stop (with a scan-incomplete finding) once this much wall-clock time has passed, where clocks move. */
  deadlineMs?: number;
  maxBytes?: number;
  maxBytesPerFile?: number;
  maxCostlyStarts?: number;
}

const SEVERITY_RANK: Record<RiskLevel, number> = { none: 0, low: 1, medium: 2, high: 3 };

export const riskLevelOf = (findings: RiskFinding[]): RiskLevel =>
  findings.reduce<RiskLevel>(
    (level, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[level] ? f.severity : level),
    "none",
  );

/** Sorted: most severe first, then by file and line. */
function summarize(findings: RiskFinding[]): Risk {
  const sorted = [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line,
  );
  return { level: riskLevelOf(sorted), findings: sorted.slice(0, MAX_FINDINGS) };
}

// --- Native executables, by magic number (never by extension, never a script).

function nativeBinaryKind(head: Uint8Array): string | null {
  if (head.length < 4) return null;
  const u32be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (u32be === 0x7f454c46) return "an ELF executable or shared library (Linux)";
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(u32be)) return "a Mach-O executable or library (macOS)";
  if (u32be === 0xcafebabe && head.length >= 8) {
    // Java class files share this magic; a universal binary's next word is a small architecture count.
    const archCount = ((head[4] << 24) | (head[5] << 16) | (head[6] << 8) | head[7]) >>> 0;
    if (archCount > 0 && archCount < 30) return "a universal Mach-O executable or library (macOS)";
  }
  if (head[0] === 0x4d && head[1] === 0x5a) {
    // "MZ" starts some text too; a PE file points at "PE\0\0" from offset 0x3c.
    if (head.length < 0x40) return null;
    const peOffset = head[0x3c] | (head[0x3d] << 8) | (head[0x3e] << 16) | (head[0x3f] << 24);
    if (peOffset + 4 <= head.length) {
      const pe = head.subarray(peOffset, peOffset + 4);
      return pe[0] === 0x50 && pe[1] === 0x45 && pe[2] === 0 && pe[3] === 0 ? "a Windows executable or DLL (PE)" : null;
    }
    // The PE header lies beyond the bytes kept: an MZ stub with a binary body is still a PE file.
    return head.subarray(2, 0x40).includes(0) ? "a Windows executable or DLL (PE)" : null;
  }
  return null;
}

const hexOf = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

const looksBinary = (head: Uint8Array) => head.subarray(0, 8192).includes(0);

// --- Text helpers.

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });

/** Starts of lines, for mapping a match index to a 1-based line number by binary search. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Invisible and control characters shown as `<U+202E>`, so an excerpt can be read safely. */
export function visible(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const hidden = cp < 0x20 || cp === 0x7f || HIDDEN_CHARACTERS.some((c) => c.test(cp)) || cp === 0xfeff;
    out += hidden && ch !== "\t" ? `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>` : ch;
  }
  return out;
}

/** The matched part of its line, with a little context, at most MAX_EXCERPT_CHARS. */
function excerptAround(text: string, start: number, end: number): string {
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  let lineEnd = text.indexOf("\n", end);
  if (lineEnd === -1) lineEnd = text.length;
  const from = Math.max(lineStart, start - 40);
  const to = Math.min(lineEnd, Math.max(end + 40, from + 1), from + MAX_EXCERPT_CHARS);
  const clipped = text.slice(from, to).trim();
  return `${from > lineStart ? "…" : ""}${visible(clipped).slice(0, MAX_EXCERPT_CHARS * 2)}${to < lineEnd ? "…" : ""}`;
}

interface FileScan {
  path: string;
  text: string;
  starts: number[];
  findings: RiskFinding[];
  perRule: Map<string, number>;
}

function add(scan: FileScan, finding: Omit<RiskFinding, "file">): void {
  const count = scan.perRule.get(finding.rule) ?? 0;
  if (count >= MAX_FINDINGS_PER_RULE_AND_FILE) return;
  // One finding per rule and line is enough to point a reviewer at it.
  if (scan.findings.some((f) => f.rule === finding.rule && f.line === finding.line)) return;
  scan.perRule.set(finding.rule, count + 1);
  scan.findings.push({ ...finding, file: scan.path });
}

function runPatterns(scan: FileScan): void {
  let matches = 0;
  for (const rule of PATTERN_RULES) {
    if (rule.only && !rule.only(scan.path)) continue;
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(scan.text); m; m = rule.pattern.exec(scan.text)) {
      if (m[0].length === 0) rule.pattern.lastIndex += 1;
      add(scan, {
        rule: rule.id,
        severity: rule.severity,
        line: lineAt(scan.starts, m.index),
        message: rule.message,
        excerpt: excerptAround(scan.text, m.index, m.index + m[0].length),
      });
      matches += 1;
      if (matches >= MAX_MATCHES_PER_FILE) return;
    }
  }
}

/** Hidden Unicode, one linear pass; in markdown (what the agent reads as instructions) and in code. */
function runHiddenCharacters(scan: FileScan): void {
  const { text } = scan;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Fast path: nothing below U+061C can be hidden (controls other than tab/newline are left to binaries).
    if (code < 0x061c) continue;
    const cp = text.codePointAt(i) ?? code;
    if (cp > 0xffff) i++;
    if (cp === 0xfeff && i === 0) continue; // a byte-order mark
    const kind = HIDDEN_CHARACTERS.find((c) => c.test(cp));
    if (!kind) continue;
    add(scan, {
      rule: "hidden-unicode",
      severity: kind.severity,
      line: lineAt(scan.starts, i),
      message: `Contains ${kind.name} (U+${cp.toString(16).toUpperCase().padStart(4, "0")}): text that reads differently to the agent than to a person.`,
      excerpt: excerptAround(text, i, i + 1),
    });
  }
}

/** HTML comments in SKILL.md: the page hides them, the agent reads them. */
function runHtmlComments(scan: FileScan): void {
  const { text } = scan;
  for (let start = text.indexOf("<!--"); start !== -1; start = text.indexOf("<!--", start + 4)) {
    const end = text.indexOf("-->", start + 4);
    const body = text.slice(start + 4, end === -1 ? Math.min(text.length, start + 4 + 400) : end).trim();
    add(scan, {
      rule: "html-comment",
      severity: "low",
      line: lineAt(scan.starts, start),
      message: "SKILL.md has an HTML comment: hidden on the rendered page, but the agent reads it.",
      excerpt: visible(body.length > MAX_EXCERPT_CHARS ? `${body.slice(0, MAX_EXCERPT_CHARS)}…` : body),
    });
    if (end === -1) return;
  }
}

const BASE64_CHAR = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
  BASE64_CHAR[ch.charCodeAt(0)] = 1;
const isHexDigit = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Long encoded runs (base64, hex, `\xNN` escapes), found in one pass without regexes. */
function runEncodedBlobs(scan: FileScan): void {
  const { text } = scan;
  let run = 0;
  let hex = 0;
  let escapes = 0;
  let reported = -1;
  const report = (index: number, what: string) => {
    const line = lineAt(scan.starts, index);
    if (line === reported) return;
    reported = line;
    // An image embedded in markdown is data, not hidden code.
    const lineStart = scan.starts[line - 1];
    if (/data:image\/[\w+.-]{1,20};base64,/.test(text.slice(lineStart, Math.min(index + 64, lineStart + 4096)))) return;
    add(scan, {
      rule: "obfuscation",
      severity: "medium",
      line,
      message: `Contains a long ${what}: content no reviewer can read; check what decodes it.`,
      excerpt: excerptAround(text, index, index + 40),
    });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && BASE64_CHAR[c]) {
      run++;
      hex = isHexDigit(c) ? hex + 1 : 0;
      if (run === LONG_BASE64_RUN && hex < run) report(i - run + 1, "base64-like blob");
      if (hex === LONG_HEX_RUN) report(i - hex + 1, "hex blob");
    } else {
      run = 0;
      hex = 0;
    }
    if (
      c === 92 /* \ */ &&
      (text.charCodeAt(i + 1) | 0x20) === 120 /* x */ &&
      isHexDigit(text.charCodeAt(i + 2)) &&
      isHexDigit(text.charCodeAt(i + 3))
    ) {
      escapes++;
      if (escapes === LONG_ESCAPE_RUN) report(i - 4 * (LONG_ESCAPE_RUN - 1), "run of \\x escapes");
      i += 3;
    } else if (c !== 92) {
      // Escapes separated by quotes or `+` still count as one run; anything else breaks it.
      if (c !== 34 && c !== 39 && c !== 43 && c !== 32) escapes = 0;
    }
  }
}

/**
 * Scans a version's files. Pure and synchronous: its cost is bounded by the byte budget above,
 * not by how many or how large the files are.
 */
export function scanFiles(files: ScanFile[], opts: ScanOptions = {}): Risk {
  const maxBytes = opts.maxBytes ?? MAX_SCAN_BYTES;
  const maxPerFile = opts.maxBytesPerFile ?? MAX_SCAN_BYTES_PER_FILE;
  const findings: RiskFinding[] = [];
  let budget = maxBytes;
  const skipped: string[] = [];
  const partial: string[] = [];
  let timedOut = false;
  let crowded = false;
  let costlyLeft = opts.maxCostlyStarts ?? MAX_COSTLY_STARTS;
  // SKILL.md first: it is what the agent reads, so it is never the file a budget runs out on.
  const ordered = [...files].sort((a, b) => Number(isSkillMd(b.path)) - Number(isSkillMd(a.path)));

  for (const file of ordered) {
    const native = nativeBinaryKind(file.head);
    if (native) {
      findings.push({
        rule: "native-binary",
        severity: "high",
        file: file.path,
        line: 0,
        message: `Is ${native}: compiled code no one can review here; the agent could run it.`,
        excerpt: `${hexOf(file.head.subarray(0, 8))} (${file.size} bytes)`,
      });
      continue;
    }
    if (looksBinary(file.head)) continue; // images, archives, fonts: nothing the rules can read
    if (timedOut || budget <= 0 || (opts.deadlineMs !== undefined && Date.now() > opts.deadlineMs)) {
      timedOut = true;
      skipped.push(file.path);
      continue;
    }
    const take = Math.min(file.head.byteLength, maxPerFile, budget);
    budget -= take;
    let text = utf8.decode(file.head.subarray(0, take));
    // The costly starts this file may still use; the text stops before the first one beyond that.
    const cut = costlyCut(text, costlyLeft);
    costlyLeft -= cut.used;
    if (cut.at < text.length) text = text.slice(0, cut.at);
    if (take < file.size || cut.cut) partial.push(file.path);
    // Thousands of command-like words is no ordinary file: what was left unread matters more.
    if (cut.cut) crowded = true;
    const scan: FileScan = { path: file.path, text, starts: lineStarts(text), findings, perRule: new Map() };
    runPatterns(scan);
    runHiddenCharacters(scan);
    runEncodedBlobs(scan);
    if (isSkillMd(file.path) || isMarkdown(file.path)) {
      if (isSkillMd(file.path)) runHtmlComments(scan);
    }
  }
  if (skipped.length || partial.length) {
    const parts: string[] = [];
    if (partial.length)
      parts.push(
        `${partial.length} file(s) only in part (${partial.slice(0, 3).join(", ")}${partial.length > 3 ? ", …" : ""})`,
      );
    if (skipped.length)
      parts.push(
        `${skipped.length} file(s) not at all (${skipped.slice(0, 3).join(", ")}${skipped.length > 3 ? ", …" : ""})`,
      );
    findings.push({
      rule: "scan-incomplete",
      severity: skipped.length || crowded ? "medium" : "low",
      file: (skipped[0] ?? partial[0]) as string,
      line: 0,
      message: `The scan was cut short by its CPU budget (${Math.round(maxPerFile / 1024)} KiB per file, ${Math.round(maxBytes / 1024)} KiB and ${MAX_COSTLY_STARTS} command-like words in all): it read ${parts.join(" and ")}. Review those yourself.`,
      excerpt: "",
    });
  }
  return summarize(findings);
}
