// SKILL.md pages, rendered by markdown-it (CommonMark + GFM tables and strikethrough) with raw HTML
// off, so `<script>` in a SKILL.md shows as text. On top of markdown-it's own link check, every
// href must pass `safeHref` (http(s) or relative, nothing else); links get `rel="nofollow noopener"`;
// images become links (a skill page loads nothing from third parties); headings shift below the
// page's h1; tables lose inline alignment styles; fenced code keeps only a plain language class.

import type { RendererRule } from "markdown-it";
import MarkdownIt from "markdown-it";

const MAX_SOURCE_CHARS = 200_000;
/** Deeper nesting (quotes in lists in quotes...) renders as text: bounded stack and time. */
const MAX_NESTING = 20;
export const LINK_REL = "nofollow noopener";

/** An href that is http(s) or relative, or null. No whitespace or control characters at all. */
export function safeHref(raw: string): string | null {
  const href = raw.trim();
  if (!href || /[\u0000-\u0020\u007f-\u009f<>"`]/.test(href)) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href);
  if (scheme && !/^https?$/i.test(scheme[1])) return null;
  return href;
}

export interface RenderedMarkdown {
  html: string;
  /** The source was longer than the renderer accepts; only its start was rendered. */
  truncated: boolean;
}

/** markdown-it's per-render `env` (a type, not an interface: it must fit markdown-it's index signature). */
type RenderEnv = { headingOffset: number };

const md = new MarkdownIt("default", { html: false, linkify: true, typographer: false, maxNesting: MAX_NESTING });
// Only explicit http(s):// URLs become links, never "example.com" or bare emails (mailto:).
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
// Every destination parses as a link, so an unsafe one can be dropped while its label stays (the
// "unsafe_links" rule below), as this page always did; `safeHref` decides, in the rule and again in
// the renderer. (markdown-it's own validateLink would leave the whole `[label](javascript:...)` as text.)
md.validateLink = () => true;

const renderer = md.renderer;
const defaultToken: RendererRule = (tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options);

renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const href = safeHref(String(token.attrGet("href") ?? ""));
  token.attrs = href === null ? null : [["href", href]];
  if (href !== null) token.attrSet("rel", LINK_REL);
  return defaultToken(tokens, idx, options, env, self);
};

// Images are not loaded (no third-party requests from a skill page): each becomes a link to itself.
renderer.rules.image = (tokens, idx, _options, _env, self) => {
  const token = tokens[idx];
  const src = safeHref(String(token.attrGet("src") ?? ""));
  const alt = self.renderInlineAsText(token.children ?? [], _options, _env);
  const label = md.utils.escapeHtml(alt || src || "");
  return src === null ? label : `<a href="${md.utils.escapeHtml(src)}" rel="${LINK_REL}">${label}</a>`;
};

/** The page's h1 is its own: a SKILL.md `#` renders as h2 (env.headingOffset, default 1), never past h6. */
const shiftHeading: RendererRule = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const offset = Number((env as Partial<RenderEnv> | undefined)?.headingOffset ?? 1);
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + offset)}`;
  return defaultToken(tokens, idx, options, env, self);
};
renderer.rules.heading_open = shiftHeading;
renderer.rules.heading_close = shiftHeading;

// Strikethrough as <del> (the page's stylesheet and the allow-list know <del>, not <s>).
renderer.rules.s_open = () => "<del>";
renderer.rules.s_close = () => "</del>";

// Tables: scrollable on narrow screens; header cells scoped; no inline styles (alignment dropped).
renderer.rules.table_open = () => '<div class="table-scroll"><table>\n';
renderer.rules.table_close = () => "</table></div>\n";
renderer.rules.th_open = () => '<th scope="col">';
renderer.rules.td_open = () => "<td>";

// Fenced code: the language class only when the info string is a plain word. Code blocks end at
// their last character (markdown-it keeps the final newline; the page never showed it).
renderer.rules.fence = (tokens, idx) => {
  const token = tokens[idx];
  const lang = token.info.trim().split(/\s+/)[0] ?? "";
  const cls = /^[A-Za-z0-9_+-]{1,32}$/.test(lang) ? ` class="language-${lang.toLowerCase()}"` : "";
  return `<pre><code${cls}>${md.utils.escapeHtml(token.content.replace(/\n$/, ""))}</code></pre>\n`;
};
renderer.rules.code_block = (tokens, idx) =>
  `<pre><code>${md.utils.escapeHtml(tokens[idx].content.replace(/\n$/, ""))}</code></pre>\n`;

// A link whose href is not http(s) or relative loses its anchor; its label stays as text. An image
// with such a src keeps its alt text only (see the image rule). Links never nest in markdown-it, so
// the next link_close after an unsafe link_open is its own. Last of the core rules, so it also sees
// the links linkify made (e.g. from the text of a dropped `<mailto:...>` autolink).
md.core.ruler.push("unsafe_links", (state) => {
  for (const block of state.tokens) {
    let dropping = false;
    for (const token of block.children ?? []) {
      if (token.type === "link_open") {
        dropping = safeHref(String(token.attrGet("href") ?? "")) === null;
        if (!dropping) continue;
      } else if (token.type === "link_close" && dropping) {
        dropping = false;
      } else continue;
      token.type = "text";
      token.tag = "";
      token.content = "";
      token.attrs = null;
      token.nesting = 0;
    }
  }
  return true;
});

// Task list items ("- [ ] todo", "- [x] done") show a ballot box; no form controls on the page.
md.core.ruler.after("inline", "task_items", (state) => {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    if (tokens[i].type !== "inline" || tokens[i - 2].type !== "list_item_open") continue;
    const first = tokens[i].children?.[0];
    const task = first?.type === "text" ? /^\[([ xX])\][ \t]+/.exec(first.content) : null;
    if (!first || !task) continue;
    first.content = `${task[1] === " " ? "\u2610" : "\u2611"} ${first.content.slice(task[0].length)}`;
  }
  return true;
});

/** Markdown → HTML. `headingOffset` shifts levels so the page's own h1 stays the only one. */
export function renderMarkdown(source: string, headingOffset = 1): RenderedMarkdown {
  const truncated = source.length > MAX_SOURCE_CHARS;
  const text = truncated ? source.slice(0, MAX_SOURCE_CHARS) : source;
  const env: RenderEnv = { headingOffset };
  return { html: md.render(text, env), truncated };
}

/** Inline Markdown → HTML (no paragraphs): short texts such as descriptions. */
export function renderInline(text: string): string {
  return md.renderInline(text, { headingOffset: 1 } satisfies RenderEnv);
}
