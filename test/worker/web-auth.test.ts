import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type Account, call, createAccount, uniqueHandle } from "./helpers";
import { Browser, setCookieLine } from "./web-helpers";

let account: Account;

beforeAll(async () => {
  account = await createAccount(uniqueHandle("webauth"));
});

const tokenCount = async (handle: string) =>
  (await env.DB.prepare(
    "SELECT COUNT(*) AS n FROM tokens t JOIN publishers p ON p.id = t.publisher_id WHERE p.handle = ? AND t.revoked_at IS NULL",
  )
    .bind(handle)
    .first<{ n: number }>())!.n;

const me = (token: string) => call("/auth/me", { headers: { Authorization: `Bearer ${token}` } });

describe("web login and sessions", () => {
  it("gives the login form a CSRF cookie: HttpOnly, SameSite=Lax, Path=/, not Secure over http", async () => {
    const res = await call("/login");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const cookie = setCookieLine(res, "skild_csrf")!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    const html = await res.text();
    expect(html).toMatch(/<label for="handleOrEmail">Handle or email<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/name="csrf" value="[A-Za-z0-9_-]{43}"/);
  });

  it("marks cookies Secure over https", async () => {
    const browser = new Browser("https://registry.test");
    const res = await browser.login(account.handle, account.password);
    expect(res.status).toBe(303);
    const session = setCookieLine(res, "skild_session")!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\//);
    expect(session).toMatch(/; Max-Age=604800/);
  });

  it("logs in with handle or email, stores only a hash of the session, and adds no API token", async () => {
    const before = await tokenCount(account.handle);
    for (const who of [account.handle, account.email.toUpperCase()]) {
      const browser = new Browser();
      const res = await browser.login(who, account.password);
      expect(res.status).toBe(303);
      expect(res.headers.get("Location")).toBe("/account");
      const secret = browser.cookies.get("skild_session")!;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const stored = await env.DB.prepare("SELECT session_hash FROM sessions").all<{ session_hash: string }>();
      expect(stored.results.map((r) => r.session_hash)).not.toContain(secret);
      const page = await browser.fetch("/account");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`Signed in as <a href="/~${account.handle}">~${account.handle}</a>`);
    }
    expect(await tokenCount(account.handle)).toBe(before);
  });

  it("honours a local next= and ignores an off-site one", async () => {
    const browser = new Browser();
    const csrf = await browser.csrf("/login");
    const local = await browser.post("/login", {
      csrf,
      handleOrEmail: account.handle,
      password: account.password,
      next: "/search",
    });
    expect(local.headers.get("Location")).toBe("/search");
    const other = new Browser();
    const offsite = await other.post("/login", {
      csrf: await other.csrf("/login"),
      handleOrEmail: account.handle,
      password: account.password,
      next: "//evil.example/",
    });
    expect(offsite.headers.get("Location")).toBe("/account");
  });

  it("answers a wrong password with 401 and the form again, then throttles with 429", async () => {
    const victim = await createAccount(uniqueHandle("throttle"));
    const browser = new Browser();
    for (let i = 0; i < 5; i += 1) {
      const res = await browser.login(victim.handle, "wrong password");
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).toContain("Wrong handle/email or password.");
      expect(html).toContain(`value="${victim.handle}"`);
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
      expect(setCookieLine(res, "skild_session")).toBeUndefined();
    }
    const throttled = await browser.login(victim.handle, victim.password);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await throttled.text()).toContain("Too many failed logins");
  });

  it("sends a visitor without a session from /account to /login", async () => {
    const res = await call("/account", { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=/account");
  });

  it("treats an expired or unknown session as logged out and clears the cookie", async () => {
    const browser = new Browser();
    await browser.login(account.handle, account.password);
    await env.DB.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'").run();
    const res = await browser.fetch("/account");
    expect(res.status).toBe(303);
    expect(setCookieLine(res, "skild_session")).toMatch(/Max-Age=0/);
    const forged = await call("/account", {
      headers: { Cookie: `skild_session=${"A".repeat(43)}` },
      redirect: "manual",
    });
    expect(forged.status).toBe(303);
  });

  it("logs out: the session is deleted server-side, not just forgotten", async () => {
    const browser = new Browser();
    await browser.login(account.handle, account.password);
    const secret = browser.cookies.get("skild_session")!;
    const csrf = await browser.csrf("/account");
    const res = await browser.post("/logout", { csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/");
    expect(browser.cookies.has("skild_session")).toBe(false);
    const replay = await call("/account", { headers: { Cookie: `skild_session=${secret}` }, redirect: "manual" });
    expect(replay.status).toBe(303);
  });
});

describe("tokens from the account page", () => {
  it("creates a token shown once, which works for /auth/me, and revokes it", async () => {
    const browser = new Browser();
    await browser.login(account.handle, account.password);
    const csrf = await browser.csrf("/account");
    const created = await browser.post("/account/tokens", { csrf, name: "ci <publish>", access: "publish" });
    expect(created.status).toBe(201);
    expect(created.headers.get("Cache-Control")).toBe("no-store");
    const html = await created.text();
    const token = /<code class="token-once" id="new-token">(skild_[A-Za-z0-9_-]+)<\/code>/.exec(html)![1];
    expect(html).toContain("ci &lt;publish&gt;");
    expect((await me(token)).status).toBe(200);

    // Listed with its last use, never again in full.
    const listed = await (await browser.fetch("/account")).text();
    expect(listed).not.toContain(token);
    expect(listed).toContain(`<code>${token.slice(0, 10)}…</code>`);
    const row = () =>
      env.DB.prepare("SELECT id, last_used_at FROM tokens WHERE token_prefix = ? AND name = ?")
        .bind(token.slice(0, 10), "ci <publish>")
        .first<{ id: number; last_used_at: string | null }>();
    // last_used_at is written after the response (waitUntil).
    await expect.poll(async () => (await row())?.last_used_at).not.toBeNull();
    const tokenId = (await row())!.id;

    const revoked = await browser.post(`/account/tokens/${tokenId}/revoke`, { csrf });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("Location")).toBe("/account?revoked=1");
    expect((await me(token)).status).toBe(401);
    expect(await (await browser.fetch("/account?revoked=1")).text()).toContain("Token revoked.");
  });

  it("creates read-only tokens", async () => {
    const browser = new Browser();
    await browser.login(account.handle, account.password);
    const res = await browser.post("/account/tokens", {
      csrf: await browser.csrf("/account"),
      name: "",
      access: "read-only",
    });
    const token = /id="new-token">([^<]+)</.exec(await res.text())![1];
    expect((await me(token)).status).toBe(200);
    const publishRes = await call(`/skills/${account.handle}/x1/publish`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/gzip" },
      body: new Uint8Array(10),
    });
    expect(publishRes.status).toBe(403);
  });

  it("cannot revoke another account's token", async () => {
    const other = await createAccount(uniqueHandle("other"));
    const otherId = (await env.DB.prepare("SELECT id FROM tokens WHERE token_prefix = ?")
      .bind(other.token.slice(0, 10))
      .first<{ id: number }>())!.id;
    const browser = new Browser();
    await browser.login(account.handle, account.password);
    const res = await browser.post(`/account/tokens/${otherId}/revoke`, { csrf: await browser.csrf("/account") });
    expect(res.status).toBe(404);
    expect((await me(other.token)).status).toBe(200);
  });
});

describe("CSRF", () => {
  async function loggedIn() {
    const browser = new Browser();
    await browser.login(account.handle, account.password);
    return { browser, csrf: await browser.csrf("/account") };
  }

  it("refuses a form post without the token, with a wrong one, or with another session's", async () => {
    const { browser } = await loggedIn();
    const { csrf: othersToken } = await loggedIn();
    const before = await tokenCount(account.handle);
    const attempts: Record<string, string>[] = [{}, { csrf: "" }, { csrf: "x".repeat(43) }, { csrf: othersToken }];
    for (const fields of attempts) {
      const res = await browser.post("/account/tokens", { name: "csrf", access: "publish", ...fields });
      expect(res.status).toBe(403);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(await res.text()).toContain("came from another site");
    }
    expect(await tokenCount(account.handle)).toBe(before);
  });

  it("refuses a cross-origin post even with a valid token", async () => {
    const { browser, csrf } = await loggedIn();
    const before = await tokenCount(account.handle);
    for (const headers of [{ Origin: "https://evil.example" }, { Origin: "null" }]) {
      const res = await browser.post("/account/tokens", { csrf, name: "x", access: "publish" }, headers);
      expect(res.status).toBe(403);
    }
    const noOrigin = await browser.fetch("/account/tokens", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site" },
      body: new URLSearchParams({ csrf, name: "x", access: "publish" }).toString(),
    });
    expect(noOrigin.status).toBe(403);
    expect(await tokenCount(account.handle)).toBe(before);
  });

  it("refuses login, logout and revoke without the token", async () => {
    const { browser } = await loggedIn();
    const login = await new Browser().post("/login", { handleOrEmail: account.handle, password: account.password });
    expect(login.status).toBe(403);
    expect(setCookieLine(login, "skild_session")).toBeUndefined();
    expect((await browser.post("/logout", {})).status).toBe(403);
    expect((await browser.fetch("/account")).status).toBe(200); // still logged in
    expect((await browser.post("/account/tokens/1/revoke", {})).status).toBe(403);
  });

  it("refuses a JSON body posing as a form", async () => {
    const { browser, csrf } = await loggedIn();
    const res = await browser.fetch("/account/tokens", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "http://registry.test" },
      body: JSON.stringify({ csrf, name: "x", access: "publish" }),
    });
    expect(res.status).toBe(415);
  });
});
