// The web pages in a real headless Chromium against the real Worker (wrangler dev): search, the
// skill page, that a hostile SKILL.md runs nothing, login → token → revoke, and CSRF refusal.
// Screenshots of the main pages go to test-output/screenshots/ (not committed).
import { existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/wrangler-env.mjs";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { skillMd, skillTarball } from "../helpers/tarball";

const BROWSER_CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
const browserPath = BROWSER_CANDIDATES.find((p): p is string => !!p && existsSync(p));
if (!browserPath) {
  console.warn(
    `web-browser tests skipped: no Chromium found at ${BROWSER_CANDIDATES.filter(Boolean).join(", ")}. ` +
      "Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH).",
  );
}

const SCREENSHOTS = path.join(ROOT, "test-output", "screenshots");
const HANDLE = "acme";
const PASSWORD = "correct horse battery";

const SKILL_BODY = `# Hello skill

Greets the user politely and **remembers their name** for the rest of the session.
Read the [Agent Skills format](https://agentskills.io/) for how skills are loaded.

## When to use it

- The user says hello, hi or good morning
- A conversation starts and nobody has introduced themselves
- You need a \`greeting\` for a commit message

## Steps

1. Ask for the user's name if you don't know it.
2. Greet them by name:

   \`\`\`sh
   echo "Hello, $NAME!"
   \`\`\`

3. Keep it short.

> Never greet twice in the same conversation.

| Option | Meaning |
| --- | --- |
| \`formal\` | "Good morning, Dr. Smith." |
| \`casual\` | "Hey Sam!" |

<script>window.__pwned = "script"; document.title = "pwned"; alert("pwned")</script>
<img src="x" onerror="window.__pwned = 'img'; document.title = 'pwned'">
[a harmless-looking link](javascript:window.__pwned='link')
`;

async function json(res: Response) {
  return (await res.json()) as Record<string, unknown>;
}

describe.skipIf(!browserPath)("web pages in headless Chromium", () => {
  let server: RegistryServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let evilSite: http.Server;
  let evilUrl: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  const me = (token: string) => fetch(`${server.url}/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  const shot = (name: string, target: Page = page) =>
    target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startRegistry();
    // Seed over HTTP, as a publisher would.
    const signup = await fetch(`${server.url}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "acme@example.com", handle: HANDLE, password: PASSWORD }),
    });
    expect(signup.status).toBe(201);
    const login = await fetch(`${server.url}/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ handleOrEmail: HANDLE, password: PASSWORD }),
    });
    const { token } = (await json(login)) as { token: string };
    const seed = [
      { skill: "hello-skill", version: "1.0.0", description: "Greets the user politely and remembers their name." },
      { skill: "hello-skill", version: "1.1.0", description: "Greets the user politely and remembers their name." },
      { skill: "code-review", version: "0.3.0", description: "Reviews a diff for bugs, naming and missing tests." },
      { skill: "release-notes", version: "2.1.0", description: "Writes release notes from merged pull requests." },
    ];
    for (const s of seed) {
      const name = `@${HANDLE}/${s.skill}`;
      const body = await skillTarball({
        name,
        version: s.version,
        description: s.description,
        skillMd: skillMd(
          s.skill,
          s.description,
          s.skill === "hello-skill" ? SKILL_BODY : `# ${s.skill}\n\n${s.description}\n`,
        ),
      });
      const res = await fetch(`${server.url}/skills/${HANDLE}/${s.skill}/publish`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/gzip" },
        body: Buffer.from(body),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }

    // Another origin (same site: only the port differs, so SameSite=Lax cookies still go along).
    evilSite = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(
        `<!doctype html><title>evil</title><form method="post" action="${server.url}/account/tokens">` +
          `<input name="name" value="stolen"><input name="access" value="publish"><button>Win a prize</button></form>`,
      );
    });
    await new Promise<void>((resolve) => evilSite.listen(0, "127.0.0.1", resolve));
    evilUrl = `http://127.0.0.1:${(evilSite.address() as AddressInfo).port}/`;

    browser = await chromium.launch({
      executablePath: browserPath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (evilSite ? evilSite.close(resolve) : resolve(undefined)));
    await server?.stop();
  });

  it("shows recently updated skills on the home page", async () => {
    await page.goto(`${server.url}/`);
    await expect(page.title()).resolves.toBe("skild — skills for AI agents");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Skills for AI coding agents");
    const recent = page.getByRole("region", { name: "Recently updated" });
    expect(await recent.getByRole("link", { name: `@${HANDLE}/hello-skill` }).count()).toBe(1);
    await shot("home");
  });

  it("finds the skill with the search box", async () => {
    await page.getByRole("searchbox", { name: "Search skills" }).first().fill("hello");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/search\?q=hello$/);
    const result = page.getByRole("link", { name: `@${HANDLE}/hello-skill` });
    expect(await result.count()).toBe(1);
    expect(await page.getByRole("link", { name: `@${HANDLE}/code-review` }).count()).toBe(0);
    await shot("search");
    await result.click();
    await page.waitForURL(`${server.url}/package/@${HANDLE}/hello-skill`);
  });

  it("shows the rendered SKILL.md and the install commands, and runs none of its scripts", async () => {
    expect(await page.title()).toBe(`@${HANDLE}/hello-skill · skild`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`@${HANDLE}/hello-skill`);
    const readme = page.getByRole("article", { name: "SKILL.md" });
    expect(await readme.getByRole("heading", { name: "When to use it" }).count()).toBe(1);
    expect(await readme.getByRole("listitem").first().textContent()).toBe("The user says hello, hi or good morning");
    expect(await readme.locator("pre code").textContent()).toBe('echo "Hello, $NAME!"');
    expect(await readme.getByRole("table").count()).toBe(1);
    const docLink = readme.getByRole("link", { name: "Agent Skills format" });
    expect(await docLink.getAttribute("href")).toBe("https://agentskills.io/");
    expect(await docLink.getAttribute("rel")).toBe("nofollow noopener");
    // The hostile parts are visible as text and do nothing.
    expect(await readme.textContent()).toContain('<script>window.__pwned = "script"');
    expect(await readme.textContent()).toContain('<img src="x" onerror=');
    expect(await readme.getByRole("link", { name: "a harmless-looking link" }).count()).toBe(0);
    expect(await page.locator("script, img, iframe, object, embed").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    // Install commands and facts.
    const install = page.getByRole("region", { name: "Install" });
    const commands = await install.locator("code").allTextContents();
    expect(commands).toEqual([
      // Not the CLI's default registry, so the command names this one (issue 14).
      `skild install @${HANDLE}/hello-skill -t claude --registry ${server.url}`,
      `npm install @${HANDLE}/hello-skill --registry ${server.url}`,
    ]);
    const details = await page.getByRole("region", { name: "Details" }).textContent();
    expect(details).toMatch(/Version1\.1\.0/);
    expect(details).toMatch(/Files2/);
    expect(details).toMatch(/Integritysha512-/);
    const versions = await page
      .getByRole("region", { name: /Versions/ })
      .getByRole("link")
      .allTextContents();
    expect(versions).toEqual(["1.1.0", "1.0.0"]);
    await shot("package");
    // The same page on a phone.
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(page.url());
    await shot("package-mobile", phone);
    for (const url of [page.url(), `${server.url}/`, `${server.url}/search?q=a`, `${server.url}/login`]) {
      await phone.goto(url);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `no sideways scrolling on a phone at ${url}`).toBeLessThanOrEqual(0);
    }
    await phone.close();
  });

  let token = "";

  it("logs in, creates a token that works for /auth/me, and revokes it", async () => {
    await page.getByRole("link", { name: "Log in" }).click();
    await page.waitForURL(/\/login$/);
    await shot("login");
    await page.getByLabel("Handle or email").fill(HANDLE);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/account$/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Account");
    const cookies = await context.cookies(server.url);
    const session = cookies.find((c) => c.name === "skild_session")!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe("Lax");
    expect(session.path).toBe("/");

    await page.getByLabel("Name").fill("laptop");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.waitForURL(/\/account\/tokens$/);
    token = (await page.locator("#new-token").textContent()) ?? "";
    expect(token).toMatch(/^skild_/);
    const before = await me(token);
    expect(before.status).toBe(200);
    expect(((await json(before)) as { publisher: { handle: string } }).publisher.handle).toBe(HANDLE);
    await page.goto(`${server.url}/account`);
    const row = page.getByRole("row").filter({ hasText: "laptop" });
    expect(await row.count()).toBe(1);
    // Its use was just recorded (written after the /auth/me response, so look until it shows).
    await expect
      .poll(async () => {
        await page.reload();
        return row.textContent();
      })
      .not.toContain("never");
    await shot("account");

    await row.getByRole("button", { name: /Revoke/ }).click();
    await page.waitForURL(/\/account\?revoked=1$/);
    expect(await page.getByRole("status").textContent()).toContain("Token revoked.");
    expect(await page.getByRole("row").filter({ hasText: "laptop" }).count()).toBe(0);
    expect((await me(token)).status).toBe(401);
  });

  it("refuses a form post without the CSRF token, and one from another origin", async () => {
    const rows = async () => page.getByRole("row").count();
    await page.goto(`${server.url}/account`);
    const before = await rows();

    // Same page, token removed from the form.
    await page.locator('form[action="/account/tokens"] input[name="csrf"]').evaluate((el) => el.remove());
    await page.getByLabel("Name").fill("no-csrf");
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/account/tokens")),
      page.getByRole("button", { name: "Create token" }).click(),
    ]);
    expect(refused.status()).toBe(403);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Not allowed");

    // A page on another origin posting to the registry with the user's cookies.
    await page.goto(evilUrl);
    const [crossSite] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/account/tokens")),
      page.getByRole("button", { name: "Win a prize" }).click(),
    ]);
    expect(crossSite.status()).toBe(403);

    await page.goto(`${server.url}/account`);
    expect(await rows()).toBe(before);
    expect(
      await page
        .getByRole("row")
        .filter({ hasText: /stolen|no-csrf/ })
        .count(),
    ).toBe(0);
  });

  it("logs out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.getByRole("link", { name: "Log in" }).count()).toBe(1);
    await page.goto(`${server.url}/account`);
    await page.waitForURL(/\/login\?next=/);
  });
});
