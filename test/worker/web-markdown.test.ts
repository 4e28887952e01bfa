import { describe, expect, it } from "vitest";
import { renderInline, renderMarkdown, safeHref } from "../../worker/web/markdown";

const ALLOWED_TAGS = new Set([
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "p",
  "ul",
  "ol",
  "li",
  "pre",
  "code",
  "em",
  "strong",
  "del",
  "a",
  "blockquote",
  "hr",
  "br",
  "div",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
]);
/**
 * markdown-it puts a newline after each block tag; between tags it means nothing to a browser, so
 * exact-markup assertions compare without it (newlines inside text and <pre> are kept).
 */
const compact = (html: string) => html.replace(/>\n+</g, "><").trim();

const ALLOWED_ATTRIBUTES = new Set(["href", "rel", "class", "start", "scope"]);

/** Every tag in `html` is on the allow-list, with allowed attributes only, and every href is http(s) or relative. */
function assertOnlySafeMarkup(html: string) {
  for (const [, name, attrs] of html.matchAll(/<\/?([^\s>/]+)([^>]*)>/g)) {
    expect(ALLOWED_TAGS, `tag <${name}> in ${html}`).toContain(name.toLowerCase());
    for (const [, attr, value] of attrs.matchAll(/\s([^\s=]+)="([^"]*)"/g)) {
      expect(ALLOWED_ATTRIBUTES, `attribute ${attr} in ${html}`).toContain(attr);
      if (attr === "href") {
        const decoded = value.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
        expect(decoded).not.toMatch(/^\s*[a-z][a-z0-9+.-]*:/i.test(decoded) ? /^(?!https?:)/i : /^$/);
      }
      if (attr === "rel") expect(value).toBe("nofollow noopener");
    }
    // Nothing outside quoted attribute values: no bare `onerror=x` smuggled in.
    expect(attrs.replace(/\s[^\s=]+="[^"]*"/g, "").trim()).toBe("");
  }
}

const HOSTILE = [
  "<script>window.pwned = 1</script>",
  "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
  "<img src=x onerror=\"document.title='pwned'\">",
  "<svg/onload=alert(1)>",
  '<a href="javascript:alert(1)">click</a>',
  "[click](javascript:alert(1))",
  "[click](JaVaScRiPt:alert(1))",
  "[click]( javascript:alert(1) )",
  "[click](java\tscript:alert(1))",
  "[click](java\nscript:alert(1))",
  "[click](&#106;avascript:alert(1))",
  "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "[click](vbscript:msgbox)",
  '[click](https://ok.example/" onmouseover="alert(1))',
  "[click](<javascript:alert(1)>)",
  "<javascript:alert(1)>",
  "![img](javascript:alert(1))",
  '![x" onerror="alert(1)](https://x.example/a.png)',
  "```html\n<script>alert(1)</script>\n```",
  "``` onload=alert(1)\ncode\n```",
  "# <img src=x onerror=alert(1)>",
  "| a | <b onclick=x> |\n|---|---|\n| <script> | c |",
  "> <iframe src=javascript:alert(1)>",
  "- <style>body{display:none}</style>",
  "*<b>bold</b>* __<i>x</i>__ `<code>`",
  "https://ok.example/<script>",
  '<div style="background:url(javascript:alert(1))">',
  // Forms markdown-it parses that the old renderer did not: references, email autolinks, linkify.
  "[click][1]\n\n[1]: javascript:alert(1)",
  "[click][1]\n\n[1]: <data:text/html,x> 'title'",
  "<someone@example.com> and [mail](mailto:a@b.example)",
  "ftp://files.example/x and www.example.com and a@b.example",
];

describe("markdown rendering is safe", () => {
  it.each(HOSTILE)("escapes %j", (source) => {
    const { html } = renderMarkdown(source);
    assertOnlySafeMarkup(html);
    expect(html).not.toMatch(/<(script|img|svg|iframe|style|b|i)\b/i);
    expect(html).not.toMatch(/href="[^"]*(javascript|vbscript|data):/i);
  });

  it("shows raw HTML as text", () => {
    const { html } = renderMarkdown("Hello <script>alert(1)</script> world");
    expect(compact(html)).toBe("<p>Hello &lt;script&gt;alert(1)&lt;/script&gt; world</p>");
  });

  it("refuses non-http(s) schemes but keeps relative and http(s) links", () => {
    expect(safeHref("https://example.com/a?b=c")).toBe("https://example.com/a?b=c");
    expect(safeHref("HTTP://example.com")).toBe("HTTP://example.com");
    expect(safeHref("references/guide.md")).toBe("references/guide.md");
    expect(safeHref("#usage")).toBe("#usage");
    expect(safeHref("/package/@acme/x")).toBe("/package/@acme/x");
    for (const bad of ["javascript:x", "mailto:a@b.c", "data:,x", "file:///etc/passwd", "java script:x", "a\u0000b"]) {
      expect(safeHref(bad), bad).toBeNull();
    }
  });

  it("finishes on pathological input (no quadratic scans)", () => {
    const inputs = [
      "*".repeat(100_000),
      "**a ".repeat(30_000),
      "[".repeat(100_000),
      "[a](".repeat(30_000),
      `${"`".repeat(50_000)}x`,
      `${"_a".repeat(50_000)}`,
      `# ${" ".repeat(100_000)}x`,
      `\`\`\`${"a".repeat(100_000)}\``,
      `see https://x.example/${".".repeat(100_000)}x`,
      `${">".repeat(10_000)} deep`,
      `${"- ".repeat(5_000)}deep`,
      `${"  ".repeat(5_000)}- deep`,
      `a | b\n${"|-".repeat(50_000)}x`,
    ];
    for (const source of inputs) {
      const { html } = renderMarkdown(source);
      assertOnlySafeMarkup(html);
    }
  });

  it("renders only the start of a huge SKILL.md", () => {
    const { truncated, html } = renderMarkdown("word ".repeat(100_000));
    expect(truncated).toBe(true);
    expect(html.length).toBeLessThan(250_000);
  });
});

describe("markdown rendering is useful", () => {
  it("shifts headings below the page's h1", () => {
    expect(compact(renderMarkdown("# Title\n\n## Usage ##\n\nSetext\n======").html)).toBe(
      "<h2>Title</h2><h3>Usage</h3><h2>Setext</h2>",
    );
  });

  it("renders paragraphs, emphasis, code and links", () => {
    const { html } = renderMarkdown(
      'Use **bold**, *em*, ~~old~~ and `npm i` with [docs](https://docs.example/x "Docs").\nsnake_case_name stays.',
    );
    expect(compact(html)).toBe(
      '<p>Use <strong>bold</strong>, <em>em</em>, <del>old</del> and <code>npm i</code> with <a href="https://docs.example/x" rel="nofollow noopener">docs</a>.\nsnake_case_name stays.</p>',
    );
  });

  it("renders nested and ordered lists, task items and fenced code", () => {
    const { html } = renderMarkdown(
      "1. one\n2. two\n   - a\n   - b\n\n- [ ] todo\n- [x] done\n\n```ts\nconst a = 1 < 2;\n```",
    );
    expect(compact(html)).toBe(
      "<ol><li>one</li><li>two\n<ul><li>a</li><li>b</li></ul></li></ol>" +
        "<ul><li>\u2610 todo</li><li>\u2611 done</li></ul>" +
        '<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>',
    );
  });

  it("renders tables, blockquotes and rules", () => {
    const { html } = renderMarkdown("| Flag | Meaning |\n|---|:--:|\n| `-t` | target |\n\n> note\n\n---");
    expect(compact(html)).toBe(
      '<div class="table-scroll"><table><thead><tr><th scope="col">Flag</th><th scope="col">Meaning</th></tr></thead>' +
        "<tbody><tr><td><code>-t</code></td><td>target</td></tr></tbody></table></div>" +
        "<blockquote><p>note</p></blockquote><hr>",
    );
  });

  it("drops an unsafe link's anchor but keeps its label; leaves non-http(s) autolinks as text", () => {
    expect(compact(renderMarkdown("[click](javascript:alert(1)) and [ref][r]\n\n[r]: vbscript:x").html)).toBe(
      "<p>click and ref</p>",
    );
    expect(compact(renderMarkdown("<mailto:a@b.example> www.example.com").html)).toBe(
      "<p>mailto:a@b.example www.example.com</p>",
    );
  });

  it("links bare URLs without trailing punctuation, and images become links", () => {
    expect(renderInline("see https://x.example/a.")).toBe(
      'see <a href="https://x.example/a" rel="nofollow noopener">https://x.example/a</a>.',
    );
    expect(renderInline("![diagram](img/d.png)")).toBe('<a href="img/d.png" rel="nofollow noopener">diagram</a>');
  });
});
