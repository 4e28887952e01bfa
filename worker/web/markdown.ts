// A small Markdown renderer for SKILL.md pages. Safety by construction: every character of the
// source is HTML-escaped, and the only markup that comes out is the fixed set written below
// (headings, paragraphs, lists, blockquotes, code, tables, emphasis, links with http(s) or
// relative hrefs). Raw HTML in the source shows as text. Linear time on hostile input: closers
// are found with memoised scans and nesting is capped.

const MAX_SOURCE_CHARS = 200_000;
const MAX_DEPTH = 8;
export const LINK_REL = "nofollow noopener";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** An href that is http(s) or relative, or null. No whitespace or control characters at all. */
export function safeHref(raw: string): string | null {
  const href = raw.trim();
  if (!href || /[\u0000-\u0020\u007f-\u009f<>"`]/.test(href)) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href);
  if (scheme && !/^https?$/i.test(scheme[1])) return null;
  return href;
}

const link = (href: string, inner: string) => `<a href="${escapeHtml(href)}" rel="${LINK_REL}">${inner}</a>`;

export interface RenderedMarkdown {
  html: string;
  /** The source was longer than the renderer accepts; only its start was rendered. */
  truncated: boolean;
}

/** Markdown → HTML. `headingOffset` shifts levels so the page's own h1 stays the only one. */
export function renderMarkdown(source: string, headingOffset = 1): RenderedMarkdown {
  const truncated = source.length > MAX_SOURCE_CHARS;
  const text = (truncated ? source.slice(0, MAX_SOURCE_CHARS) : source)
    .replace(/\r\n?/g, "\n")
    .replace(/\0/g, "\uFFFD");
  const lines = text.split("\n").map(expandTabs);
  return { html: renderBlocks(lines, { depth: 0, tight: false, headingOffset }), truncated };
}

function expandTabs(line: string): string {
  if (!line.includes("\t")) return line;
  let out = "";
  for (const ch of line) out += ch === "\t" ? " ".repeat(4 - (out.length % 4)) : ch;
  return out;
}

interface BlockContext {
  depth: number;
  /** Inside a tight list item: paragraphs render without <p>. */
  tight: boolean;
  headingOffset: number;
}

const BLANK = /^\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t](.*))?$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])( {1,4}|$)/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const INDENTED_CODE = /^ {4}/;

/** A fence opener, or null. A backtick fence's info string may not contain backticks. */
function openFence(line: string): { marker: string; lang: string } | null {
  const match = FENCE.exec(line);
  if (!match || (match[1][0] === "`" && match[2].includes("`"))) return null;
  return { marker: match[1], lang: match[2].trim().split(/\s+/)[0] ?? "" };
}

/** An ATX heading's text without its optional closing run of `#`. (String ops: no backtracking.) */
function atxText(raw: string): string {
  const text = raw.trimEnd();
  let cut = text.length;
  while (cut > 0 && text[cut - 1] === "#") cut -= 1;
  if (cut === text.length || (cut > 0 && text[cut - 1] !== " " && text[cut - 1] !== "\t")) return text;
  return text.slice(0, cut).trimEnd();
}

function startsBlock(line: string): boolean {
  return openFence(line) !== null || ATX.test(line) || HR.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

function heading(level: number, text: string, ctx: BlockContext): string {
  const h = Math.min(6, level + ctx.headingOffset);
  return `<h${h}>${renderInline(text.trim(), ctx.depth)}</h${h}>`;
}

function renderBlocks(lines: string[], ctx: BlockContext): string {
  if (ctx.depth > MAX_DEPTH) return `<p>${escapeHtml(lines.join("\n").trim())}</p>`;
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) {
      i += 1;
      continue;
    }
    const fence = openFence(line);
    if (fence) {
      const marker = fence.marker;
      const indent = line.length - line.trimStart().length;
      const closer = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}[ \\t]*$`);
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !closer.test(lines[i])) {
        body.push(lines[i].replace(new RegExp(`^ {0,${indent}}`), ""));
        i += 1;
      }
      i += 1; // the closing fence (or the end)
      const lang = /^[A-Za-z0-9_+-]{1,32}$/.test(fence.lang) ? ` class="language-${fence.lang.toLowerCase()}"` : "";
      out.push(`<pre><code${lang}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      out.push(heading(atx[1].length, atxText(atx[2] ?? ""), ctx));
      i += 1;
      continue;
    }
    if (HR.test(line)) {
      out.push("<hr>");
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i])) {
        inner.push(lines[i].replace(QUOTE, ""));
        i += 1;
      }
      out.push(`<blockquote>${renderBlocks(inner, { ...ctx, depth: ctx.depth + 1, tight: false })}</blockquote>`);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      i = renderList(lines, i, ctx, out);
      continue;
    }
    if (INDENTED_CODE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && (INDENTED_CODE.test(lines[i]) || BLANK.test(lines[i]))) {
        body.push(lines[i].slice(4));
        i += 1;
      }
      while (body.length && BLANK.test(body[body.length - 1])) body.pop();
      out.push(`<pre><code>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    if (
      line.includes("|") &&
      i + 1 < lines.length &&
      TABLE_DELIMITER.test(lines[i + 1]) &&
      lines[i + 1].includes("-")
    ) {
      i = renderTable(lines, i, ctx, out);
      continue;
    }
    // A paragraph: lines up to a blank line or the start of another block.
    const para: string[] = [line];
    i += 1;
    let setext = 0;
    while (i < lines.length && !BLANK.test(lines[i])) {
      const underline = SETEXT.exec(lines[i]);
      if (underline) {
        setext = underline[1][0] === "=" ? 1 : 2;
        i += 1;
        break;
      }
      if (startsBlock(lines[i])) break;
      para.push(lines[i]);
      i += 1;
    }
    const text = para.map((l) => l.trimStart()).join("\n");
    if (setext) out.push(heading(setext, text, ctx));
    else {
      const inline = renderInline(text.trimEnd(), ctx.depth);
      out.push(ctx.tight ? inline : `<p>${inline}</p>`);
    }
  }
  return out.join(ctx.tight ? "\n" : "");
}

/** Renders the list starting at `start`; returns the index of the first line after it. */
function renderList(lines: string[], start: number, ctx: BlockContext, out: string[]): number {
  const first = LIST_ITEM.exec(lines[start])!;
  const ordered = /\d/.test(first[2]);
  const delimiter = first[2].slice(-1);
  const items: string[][] = [];
  let loose = false;
  let i = start;
  const sameList = (line: string | undefined) => {
    const marker = line === undefined ? null : LIST_ITEM.exec(line);
    return marker !== null && /\d/.test(marker[2]) === ordered && marker[2].slice(-1) === delimiter;
  };
  while (i < lines.length && sameList(lines[i])) {
    const marker = LIST_ITEM.exec(lines[i])!;
    // Content starts after the marker and its spaces (one space when the item starts with code).
    const spaces = marker[3].length >= 5 || marker[3].length === 0 ? 1 : marker[3].length;
    const contentIndent = marker[1].length + marker[2].length + spaces;
    const item = [lines[i].slice(contentIndent)];
    i += 1;
    let sawBlank = false;
    while (i < lines.length) {
      const line = lines[i];
      if (BLANK.test(line)) {
        sawBlank = true;
        item.push("");
        i += 1;
        continue;
      }
      const indent = line.length - line.trimStart().length;
      if (indent >= contentIndent) {
        if (sawBlank) loose = true;
        item.push(line.slice(contentIndent));
        sawBlank = false;
        i += 1;
        continue;
      }
      // A lazy continuation of the item's paragraph.
      if (!sawBlank && !startsBlock(line)) {
        item.push(line.trimStart());
        i += 1;
        continue;
      }
      break;
    }
    while (item.length > 1 && BLANK.test(item[item.length - 1])) item.pop();
    items.push(item);
    if (sawBlank && sameList(lines[i])) loose = true;
  }
  const inner = { ...ctx, depth: ctx.depth + 1, tight: !loose };
  const rendered = items.map((item) => {
    const task = /^\[([ xX])\][ \t]+/.exec(item[0]);
    if (task) item[0] = item[0].slice(task[0].length);
    const box = task ? (task[1] === " " ? "\u2610 " : "\u2611 ") : "";
    return `<li>${box}${renderBlocks(item, inner)}</li>`;
  });
  const startNumber = ordered ? Number.parseInt(first[2], 10) : 1;
  const tag = ordered ? "ol" : "ul";
  const startAttr = ordered && startNumber !== 1 ? ` start="${startNumber}"` : "";
  out.push(`<${tag}${startAttr}>${rendered.join("")}</${tag}>`);
  return i;
}

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells: string[] = [];
  let cell = "";
  for (let k = 0; k < row.length; k += 1) {
    if (row[k] === "\\" && row[k + 1] === "|") {
      cell += "|";
      k += 1;
    } else if (row[k] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += row[k];
  }
  cells.push(cell.trim());
  return cells;
}

function renderTable(lines: string[], start: number, ctx: BlockContext, out: string[]): number {
  const header = splitRow(lines[start]);
  let i = start + 2;
  const rows: string[][] = [];
  while (i < lines.length && !BLANK.test(lines[i]) && lines[i].includes("|") && !startsBlock(lines[i])) {
    rows.push(splitRow(lines[i]));
    i += 1;
  }
  const cell = (tag: string, text: string | undefined, attrs = "") =>
    `<${tag}${attrs}>${renderInline(text ?? "", ctx.depth)}</${tag}>`;
  const head = header.map((h) => cell("th", h, ' scope="col"')).join("");
  const body = rows.map((r) => `<tr>${header.map((_, k) => cell("td", r[k])).join("")}</tr>`).join("");
  out.push(`<div class="table-scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`);
  return i;
}

/** indexOf with memory: repeated searches for the same needle never rescan the same text. */
class Finder {
  private cache = new Map<string, { from: number; at: number }>();
  constructor(private readonly text: string) {}
  next(needle: string, from: number): number {
    const hit = this.cache.get(needle);
    if (hit && hit.from <= from && (hit.at === -1 || hit.at >= from)) return hit.at;
    const at = this.text.indexOf(needle, from);
    this.cache.set(needle, { from, at });
    return at;
  }
}

const PUNCTUATION = /[!-/:-@[-`{-~]/;
const WORD = /[\p{L}\p{N}]/u;
const BARE_URL = /https?:\/\/[^\s<>"'`]+/y;
const AUTOLINK = /<(https?:\/\/[^\s<>]+)>/y;

/** Inline Markdown → HTML. `noLinks` inside a link's text (no nested anchors). */
export function renderInline(text: string, depth = 0, noLinks = false): string {
  if (depth > MAX_DEPTH) return escapeHtml(text);
  const find = new Finder(text);
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length) {
      if (text[i + 1] === "\n") {
        out += "<br>";
        i += 2;
        continue;
      }
      if (PUNCTUATION.test(text[i + 1])) {
        out += escapeHtml(text[i + 1]);
        i += 2;
        continue;
      }
    }
    if (ch === "\n") {
      out += out.endsWith("  ") ? "<br>" : "\n";
      i += 1;
      continue;
    }
    if (ch === "`") {
      let run = 1;
      while (text[i + run] === "`") run += 1;
      const ticks = "`".repeat(run);
      const close = find.next(ticks, i + run);
      if (close !== -1) {
        let code = text.slice(i + run, close).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ") && code.trim()) code = code.slice(1, -1);
        out += `<code>${escapeHtml(code)}</code>`;
        i = close + run;
      } else {
        out += ticks;
        i += run;
      }
      continue;
    }
    if (ch === "<" && !noLinks) {
      AUTOLINK.lastIndex = i;
      const auto = AUTOLINK.exec(text);
      if (auto) {
        out += link(auto[1], escapeHtml(auto[1]));
        i += auto[0].length;
        continue;
      }
    }
    if ((ch === "[" || (ch === "!" && text[i + 1] === "[")) && !noLinks) {
      const image = ch === "!";
      const parsed = parseLink(text, image ? i + 1 : i, find);
      if (parsed) {
        const href = safeHref(parsed.dest);
        // Images are not loaded (no third-party requests from a skill page): they become links.
        const label = image ? escapeHtml(parsed.label || parsed.dest) : renderInline(parsed.label, depth + 1, true);
        out += href ? link(href, label) : label;
        i = parsed.end;
        continue;
      }
    }
    if ((ch === "h" || ch === "H") && !noLinks && (i === 0 || !WORD.test(text[i - 1]))) {
      BARE_URL.lastIndex = i;
      const bare = BARE_URL.exec(text);
      if (bare) {
        const url = trimTrailingPunctuation(bare[0]);
        out += link(url, escapeHtml(url));
        i += url.length;
        continue;
      }
    }
    if (ch === "*" || ch === "_" || (ch === "~" && text[i + 1] === "~")) {
      const emphasis = parseEmphasis(text, i, find, depth, noLinks);
      if (emphasis) {
        out += emphasis.html;
        i = emphasis.end;
        continue;
      }
      // A run that opens nothing is literal text.
      let run = 1;
      while (text[i + run] === ch) run += 1;
      out += escapeHtml(ch.repeat(run));
      i += run;
      continue;
    }
    out += escapeHtml(ch);
    i += 1;
  }
  return out;
}

/** `[label](dest "title")` starting at `at` (the `[`), without nested brackets. */
function parseLink(text: string, at: number, find: Finder): { label: string; dest: string; end: number } | null {
  const close = find.next("]", at + 1);
  if (close === -1 || text[close + 1] !== "(") return null;
  const end = find.next(")", close + 2);
  if (end === -1) return null;
  const target = text.slice(close + 2, end).trim();
  const dest = /^<[^<>]*>/.test(target) ? target.slice(1, target.indexOf(">")) : target.split(/\s+/)[0];
  return { label: text.slice(at + 1, close), dest, end: end + 1 };
}

function parseEmphasis(
  text: string,
  at: number,
  find: Finder,
  depth: number,
  noLinks: boolean,
): { html: string; end: number } | null {
  const ch = text[at];
  let run = 1;
  while (text[at + run] === ch) run += 1;
  const strike = ch === "~";
  const delimiter = strike ? "~~" : run >= 2 ? ch + ch : ch;
  // `_` inside a word (snake_case) is never emphasis.
  if (ch === "_" && at > 0 && WORD.test(text[at - 1])) return null;
  const innerStart = at + delimiter.length;
  if (innerStart >= text.length || /\s/.test(text[innerStart])) return null;
  const close = find.next(delimiter, innerStart);
  if (close === -1 || close === innerStart || /\s/.test(text[close - 1])) return null;
  if (ch === "_" && close + delimiter.length < text.length && WORD.test(text[close + delimiter.length])) return null;
  const tag = strike ? "del" : delimiter.length === 2 ? "strong" : "em";
  const inner = renderInline(text.slice(innerStart, close), depth + 1, noLinks);
  return { html: `<${tag}>${inner}</${tag}>`, end: close + delimiter.length };
}

/** "see https://x.dev/a." links https://x.dev/a (a loop, not a regex: no backtracking). */
function trimTrailingPunctuation(url: string): string {
  let end = url.length;
  while (end > 0 && ".,;:!?)]".includes(url[end - 1])) end -= 1;
  return url.slice(0, end);
}
