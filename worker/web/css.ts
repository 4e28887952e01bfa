// The whole stylesheet of the web pages: one small file, served at /static/site.css with a
// content-derived `?v=` so it can be cached for a year. No inline styles (the CSP forbids them).

import { RISK_CSS } from "./risk";

export const SITE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f7f8fa; --surface: #fff; --text: #1c2430; --muted: #5d6b7e; --border: #dfe3ea;
  --accent: #4338ca; --accent-text: #fff; --accent-soft: #eef0fd; --code-bg: #f1f3f6;
  --warn-bg: #fff7e0; --warn-border: #f0c96a; --ok-bg: #e8f7ee; --ok-border: #8fd3a8;
  --err-bg: #fdecec; --err-border: #efa3a3; --radius: 8px;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f141b; --surface: #161c25; --text: #e4e8ee; --muted: #9aa6b5; --border: #2a3340;
    --accent: #8b93ff; --accent-text: #0f141b; --accent-soft: #1f2540; --code-bg: #1d2430;
    --warn-bg: #2e2610; --warn-border: #7a6423; --ok-bg: #112a1c; --ok-border: #2f7a4d;
    --err-bg: #2f1414; --err-border: #8a3a3a;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text); line-height: 1.55;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  display: flex; flex-direction: column; min-height: 100vh;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
code, pre, kbd { font-family: var(--mono); font-size: 0.9em; }
:not(pre) > code { background: var(--code-bg); padding: 1px 5px; border-radius: 4px; }
.wrap { width: 100%; max-width: 1080px; margin: 0 auto; padding: 0 20px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 12px; top: 12px; background: var(--surface); padding: 8px 12px; z-index: 10; }

/* Header */
.site-header { background: var(--surface); border-bottom: 1px solid var(--border); }
.site-header .wrap { display: flex; align-items: center; gap: 16px; min-height: 60px; flex-wrap: wrap; padding-top: 8px; padding-bottom: 8px; }
.brand { font-weight: 800; font-size: 1.3rem; letter-spacing: -0.02em; color: var(--text); display: flex; align-items: center; gap: 8px; }
.brand:hover { text-decoration: none; }
.brand-mark { display: inline-grid; place-items: center; width: 28px; height: 28px; border-radius: 7px; background: var(--accent); color: var(--accent-text); font-size: 0.95rem; }
.header-search { flex: 0 1 460px; display: flex; min-width: 180px; }
.header-search form { display: flex; flex: 1; }
.header-search input { width: 100%; }
.site-nav { display: flex; align-items: center; gap: 14px; margin-left: auto; font-size: 0.95rem; }
.site-nav form { margin: 0; }

/* Forms */
input[type=text], input[type=search], input[type=password], input:not([type]) {
  font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--border);
  border-radius: var(--radius); padding: 8px 12px; min-width: 0;
}
input:focus { border-color: var(--accent); outline: none; box-shadow: 0 0 0 3px var(--accent-soft); }
button, .button {
  font: inherit; font-weight: 600; cursor: pointer; border-radius: var(--radius); padding: 8px 16px;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); display: inline-block;
}
button:hover, .button:hover { filter: brightness(1.08); text-decoration: none; }
button.secondary { background: transparent; color: var(--accent); }
button.link { background: none; border: 0; padding: 0; color: var(--accent); font-weight: 400; }
button.danger { background: transparent; border-color: var(--err-border); color: inherit; font-weight: 500; padding: 4px 12px; }
.field { display: flex; flex-direction: column; gap: 6px; margin-bottom: 16px; }
.field label { font-weight: 600; font-size: 0.95rem; }
.field .hint { color: var(--muted); font-size: 0.85rem; }
.inline-fields { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-end; }
.inline-fields .field { margin-bottom: 0; flex: 1 1 200px; }
fieldset { border: 0; padding: 0; margin: 0; }
.choice { display: flex; gap: 16px; flex-wrap: wrap; }
.choice label { font-weight: 400; display: flex; gap: 6px; align-items: center; }

/* Layout */
main { flex: 1; padding: 32px 0 48px; }
.site-footer { border-top: 1px solid var(--border); color: var(--muted); font-size: 0.875rem; padding: 20px 0; background: var(--surface); }
.site-footer .wrap { display: flex; gap: 16px; flex-wrap: wrap; justify-content: space-between; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 8px; letter-spacing: -0.02em; word-break: break-word; }
h2 { font-size: 1.25rem; margin: 32px 0 12px; }
.lead { color: var(--muted); font-size: 1.1rem; margin: 0 0 24px; }
.muted { color: var(--muted); }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 20px; }
.narrow { max-width: 440px; margin: 0 auto; }

/* Home */
.hero { text-align: center; padding: 28px 0 12px; }
.hero h1 { font-size: 2.3rem; }
.hero-search { display: block; max-width: 620px; margin: 0 auto; }
.hero-search form { display: flex; gap: 8px; }
.hero-search input { flex: 1; font-size: 1.1rem; padding: 12px 16px; }
.hero-search button { padding: 12px 22px; }
.hero-hint { margin: 16px 0 0; color: var(--muted); font-size: 0.9rem; }
.hero-hint + .hero-hint { margin-top: 4px; }


/* Skill lists */
.skill-list { list-style: none; padding: 0; margin: 0; display: grid; gap: 12px; }
.skill-item { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 16px 18px; }
.skill-item h2, .skill-item h3 { margin: 0; font-size: 1.08rem; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.skill-item h2 a, .skill-item h3 a { overflow-wrap: anywhere; }
.skill-item p { margin: 6px 0 8px; }
.meta { color: var(--muted); font-size: 0.875rem; display: flex; gap: 14px; flex-wrap: wrap; }
.badge { display: inline-block; font-family: var(--mono); font-size: 0.78rem; font-weight: 500; padding: 1px 8px; border-radius: 999px; background: var(--accent-soft); color: var(--accent); border: 1px solid transparent; }
.badge.warn { background: var(--warn-bg); color: inherit; border-color: var(--warn-border); }
.pager { display: flex; justify-content: space-between; margin-top: 20px; }
.empty { text-align: center; padding: 32px; color: var(--muted); }

/* Package page */
.pkg-head { margin-bottom: 24px; }
.pkg-head .meta { margin-top: 6px; }
.pkg-grid { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 28px; align-items: start; }
.pkg-side { display: grid; gap: 16px; min-width: 0; }
.pkg-side > * { min-width: 0; }
.pkg-side h2 { font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 0 0 10px; }
.cmd { display: block; font-family: var(--mono); font-size: 0.82rem; background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px; margin: 0 0 8px; overflow-x: auto; user-select: all; }
.cmd span, .cmd-inline span { white-space: nowrap; }
.pkg-side .hint { font-size: 0.8rem; color: var(--muted); margin: 4px 0 0; }
.cmd-label { font-size: 0.8rem; color: var(--muted); margin: 8px 0 4px; }
dl.facts { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 6px 12px; margin: 0; font-size: 0.92rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; text-align: right; overflow-wrap: anywhere; }
dl.facts dd code { font-size: 0.8rem; }
dl.facts dd.wide { grid-column: 1 / -1; text-align: left; margin-top: -2px; }
dl.facts dd.wide code { background: none; padding: 0; color: var(--muted); overflow-wrap: anywhere; }
.versions { list-style: none; margin: 0; padding: 0; font-size: 0.92rem; }
.versions li { display: flex; justify-content: space-between; gap: 8px; padding: 5px 0; border-bottom: 1px solid var(--border); flex-wrap: wrap; }
.versions li:last-child { border-bottom: 0; }
.versions .current { font-weight: 700; }
.tags { display: flex; gap: 6px; flex-wrap: wrap; }
.notice { border: 1px solid var(--border); border-radius: var(--radius); padding: 12px 16px; margin: 0 0 20px; }
.notice.warn { background: var(--warn-bg); border-color: var(--warn-border); }
.notice.ok { background: var(--ok-bg); border-color: var(--ok-border); }
.notice.error { background: var(--err-bg); border-color: var(--err-border); }
.notice p { margin: 4px 0 0; }

/* Rendered SKILL.md */
.markdown { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 8px 28px 24px; overflow-wrap: break-word; }
.markdown h2, .markdown h3, .markdown h4, .markdown h5, .markdown h6 { margin: 24px 0 10px; line-height: 1.3; }
.markdown h2 { font-size: 1.5rem; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
.markdown h3 { font-size: 1.2rem; }
.markdown h4 { font-size: 1.05rem; }
.markdown pre { background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px; padding: 12px 14px; overflow-x: auto; line-height: 1.45; }
.markdown blockquote { margin: 0 0 16px; padding: 0 16px; border-left: 4px solid var(--border); color: var(--muted); }
.markdown hr { border: 0; border-top: 1px solid var(--border); margin: 24px 0; }
.markdown ul, .markdown ol { padding-left: 1.6em; }
.markdown li + li { margin-top: 4px; }
.table-scroll { overflow-x: auto; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 0.93rem; }
th, td { border: 1px solid var(--border); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: var(--code-bg); }
.frontmatter { font-size: 0.85rem; color: var(--muted); margin: 16px 0 4px; }

/* Account */
.token-once { display: block; font-family: var(--mono); font-size: 0.95rem; padding: 10px 12px; background: var(--surface); border: 1px dashed var(--ok-border); border-radius: 6px; overflow-x: auto; user-select: all; margin-top: 8px; }
.tokens td form { margin: 0; }

@media (max-width: 820px) {
  /* One column: Install first, then SKILL.md, then the facts. Each card stays a labelled region. */
  .pkg-grid { grid-template-columns: minmax(0, 1fr); gap: 16px; }
  .pkg-side { display: contents; }
  .pkg-side > .install { order: -1; }
  .pkg-side > * { order: 1; }
}
@media (max-width: 560px) {
  .wrap { padding: 0 14px; }
  main { padding-top: 20px; }
  h1, .hero h1 { font-size: 1.6rem; }
  .hero-search form { flex-direction: column; }
  .markdown { padding: 4px 16px 16px; }
  .header-search { order: 3; flex-basis: 100%; }
  .tokens th:nth-child(3), .tokens td:nth-child(3) { display: none; }
}
${RISK_CSS}
`;

/** FNV-1a of the stylesheet: a new `?v=` whenever it changes, so the long cache never serves a stale one. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

export const SITE_CSS_PATH = `/static/site.css?v=${fnv1a(SITE_CSS)}`;
