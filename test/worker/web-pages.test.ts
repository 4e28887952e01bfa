import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { skillMd } from "../helpers/tarball";
import { type Account, call, createAccount, publish, uniqueHandle } from "./helpers";

const HOSTILE_BODY = [
  "# Hello skill",
  "",
  "Use it **well**. See [the guide](https://docs.example/guide) and [bad](javascript:alert(1)).",
  "",
  "<script>document.title = 'pwned'</script>",
  "<img src=x onerror=\"document.title='pwned'\">",
  "",
  "```sh",
  "skild install <thing>",
  "```",
  "",
].join("\n");

let acme: Account;

beforeAll(async () => {
  acme = await createAccount(uniqueHandle("webpages"));
  const body = skillMd("hello-skill", "Says hello <b>politely</b>.", HOSTILE_BODY);
  expect(
    (await publish(acme, { version: "1.0.0", skillMd: body, description: "Says hello <b>politely</b>." })).status,
  ).toBe(201);
  expect(
    (await publish(acme, { version: "1.1.0", skillMd: body, description: "Says hello <b>politely</b>." })).status,
  ).toBe(201);
  expect((await publish(acme, { version: "2.0.0-beta.1", tag: "beta", skillMd: body })).status).toBe(201);
});

async function page(path: string, init?: RequestInit) {
  const res = await call(path, init);
  return { res, html: await res.text() };
}

describe("web pages", () => {
  it("serves the home page with recent skills, CSP, one h1 and a viewport", async () => {
    const { res, html } = await page("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
    expect(res.headers.get("Content-Security-Policy")).toContain("script-src 'none'");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(html.match(/<h1\b/g)).toHaveLength(1);
    expect(html).toMatch(/<main id="main">/);
    expect(html).toContain(`/package/@${acme.handle}/hello-skill`);
    expect(html).not.toMatch(/<script/i);
  });

  it("serves the stylesheet with a long cache when versioned", async () => {
    const home = await (await call("/")).text();
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(home)![1].replace(/&amp;/g, "&");
    const res = await call(href);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(await res.text()).toContain(".pkg-grid");
    expect((await call("/static/site.css")).headers.get("Cache-Control")).toBe("public, max-age=300");
  });

  it("search finds the skill by name, publisher and description, with its latest version", async () => {
    for (const q of ["hello-skill", acme.handle, "politely"]) {
      const { res, html } = await page(`/search?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(200);
      expect(html).toContain(`>@${acme.handle}/hello-skill</a>`);
      expect(html).toContain('<span class="badge">1.1.0</span>');
    }
    const { html } = await page("/search?q=no-such-skill-anywhere");
    expect(html).toContain("No skills match");
  });

  it("search paginates by name", async () => {
    const many = await createAccount(uniqueHandle("pager"));
    for (let i = 0; i < 21; i += 1) {
      expect((await publish(many, { skill: `paged-${String(i).padStart(2, "0")}` })).status).toBe(201);
    }
    const first = await (await call(`/search?q=${many.handle}`)).text();
    expect(first.match(/class="skill-item"/g)).toHaveLength(20);
    const next = /href="(\/search\?[^"]*after=[^"]+)">Next page/.exec(first)![1].replace(/&amp;/g, "&");
    const second = await (await call(next)).text();
    expect(second.match(/class="skill-item"/g)).toHaveLength(1);
    expect(second).toContain(`@${many.handle}/paged-20`);
    expect(second).toContain("First page");
    expect(second).not.toContain("Next page");
    expect((await call(`/search?q=x&after=${encodeURIComponent("not a name")}`)).status).toBe(400);
  });

  it("renders the skill page: SKILL.md as escaped Markdown, install commands, facts", async () => {
    const { res, html } = await page(`/package/@${acme.handle}/hello-skill`);
    expect(res.status).toBe(200);
    const name = `@${acme.handle}/hello-skill`;
    expect(html).toContain(`<title>${name} · skild</title>`);
    expect(html.match(/<h1\b/g)).toHaveLength(1);
    expect(html).toContain(`<h1>${name}</h1>`);
    // SKILL.md: rendered, frontmatter stripped, raw HTML shown as text, unsafe link dropped.
    expect(html).toContain("<h2>Hello skill</h2>");
    expect(html).toContain("<strong>well</strong>");
    expect(html).toContain('<a href="https://docs.example/guide" rel="nofollow noopener">the guide</a>');
    expect(html).toContain("&lt;script&gt;document.title = 'pwned'&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=");
    expect(html).toContain('<pre><code class="language-sh">skild install &lt;thing&gt;</code></pre>');
    expect(html).not.toMatch(/<script|<img|javascript:/i);
    expect(html).not.toContain("description: Says");
    // The description is escaped too.
    expect(html).toContain("Says hello &lt;b&gt;politely&lt;/b&gt;.");
    // Install commands, for the latest version.
    const text = html.replace(/<[^>]+>/g, "");
    expect(text).toContain(`skild install ${name} -t claude`);
    expect(text).toContain(`npm install ${name} --registry http://registry.test`);
    // Facts: versions (newest first) with dates, dist-tags, size, files, integrity.
    // (Links to a version's files, /v/<version>/files, are not version links.)
    const versions = [...html.matchAll(/\/v\/([^"/]+)"[^>]*>([^<]+)<\/a>/g)].map((m) => m[2]);
    expect(versions).toEqual(["1.1.0", "2.0.0-beta.1", "2.0.0-beta.1", "1.1.0", "1.0.0"]);
    expect(html).toMatch(/<span>beta<\/span><a href="[^"]+\/v\/2\.0\.0-beta\.1">/);
    expect(html).toMatch(/<dt>Files<\/dt><dd>2<\/dd>/);
    expect(html).toMatch(/<dt>Size<\/dt><dd>\d+ B<\/dd>/);
    expect(html).toMatch(/<dt>Integrity<\/dt><dd class="wide"><code>sha512-[A-Za-z0-9+/]+=*<\/code>/);
    expect(html).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[^"]+">\w{3} \d{1,2}, \d{4}<\/time>/);
  });

  it("renders a pinned version with its own install command and a pointer to latest", async () => {
    const { res, html } = await page(`/package/@${acme.handle}/hello-skill/v/1.0.0`);
    expect(res.status).toBe(200);
    expect(html.replace(/<[^>]+>/g, "")).toContain(`skild install @${acme.handle}/hello-skill@1.0.0 -t claude`);
    expect(html).toContain("You are viewing version 1.0.0.");
    expect(html).toContain('aria-current="page">1.0.0</a>');
  });

  it("shows deprecation notices", async () => {
    await env.DB.prepare(
      "UPDATE versions SET deprecated = ? WHERE version = '1.0.0' AND skill_id = (SELECT id FROM skills WHERE scope = ?)",
    )
      .bind("Use 1.1.0: <b>1.0.0</b> greets rudely.", acme.handle)
      .run();
    const { html } = await page(`/package/@${acme.handle}/hello-skill/v/1.0.0`);
    expect(html).toContain(`@${acme.handle}/hello-skill@1.0.0 is deprecated`);
    expect(html).toContain("Use 1.1.0: &lt;b&gt;1.0.0&lt;/b&gt; greets rudely.");
    const latest = await (await call(`/package/@${acme.handle}/hello-skill`)).text();
    expect(latest).toMatch(/1\.0\.0<\/a> <span class="badge warn" title="Use 1\.1\.0/);
  });

  it("accepts the other spellings of a name and answers 404/400 as HTML pages", async () => {
    for (const spelling of [
      `@${acme.handle}%2fhello-skill`,
      `%40${acme.handle}/hello-skill`,
      `${acme.handle}/hello-skill`,
    ]) {
      // Whether the router splits `%2f` itself or the one-segment route redirects, a browser lands on the page.
      let res = await call(`/package/${spelling}`, { redirect: "manual" });
      if (res.status === 301) {
        expect(res.headers.get("Location")).toBe(`/package/@${acme.handle}/hello-skill`);
        res = await call(res.headers.get("Location")!);
      }
      expect(res.status, spelling).toBe(200);
      const html = await res.text();
      expect(html).toContain(`<h1>@${acme.handle}/hello-skill</h1>`);
    }
    for (const [path, status] of [
      [`/package/@${acme.handle}/nope`, 404],
      [`/package/@${acme.handle}/hello-skill/v/9.9.9`, 404],
      [`/package/@${acme.handle}/hello-skill/v/not-a-version`, 400],
      [`/package/@Bad_Scope/x`, 400],
      ["/~nobody-here", 404],
    ] as const) {
      const { res: r, html } = await page(path);
      expect(r.status, path).toBe(status);
      expect(r.headers.get("Content-Type"), path).toMatch(/^text\/html/);
      expect(html.match(/<h1\b/g)).toHaveLength(1);
      expect(r.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
    }
  });

  it("lists a publisher's skills at /~handle without showing the email", async () => {
    const { res, html } = await page(`/~${acme.handle}`);
    expect(res.status).toBe(200);
    expect(html).toContain(`<h1>~${acme.handle}</h1>`);
    expect(html).toContain(`>@${acme.handle}/hello-skill</a>`);
    expect(html).not.toContain(acme.email);
  });

  it("leaves API and npm paths alone", async () => {
    const api = await call(`/skills/@${acme.handle}/hello-skill`);
    expect(api.headers.get("Content-Type")).toMatch(/^application\/json/);
    const unknown = await call("/no-such-page");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "Not found", code: "NOT_FOUND" });
    expect((await call("/-/ping")).headers.get("Content-Security-Policy")).toBeNull();
  });
});
