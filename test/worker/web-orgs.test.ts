// Organisations on the web pages: create one from /account, add members from its page, behind the
// same session and CSRF rules as every other form.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAccount, uniqueHandle } from "./helpers";
import { Browser } from "./web-helpers";

async function loggedIn() {
  const account = await createAccount();
  const browser = new Browser();
  expect((await browser.login(account.handle, account.password)).status).toBe(303);
  return { account, browser };
}

describe("organisations on the pages", () => {
  it("creates an org from /account and adds a member from the org page", async () => {
    const { account, browser } = await loggedIn();
    const member = await createAccount();
    const name = uniqueHandle("org");
    const created = await browser.post("/account/orgs", { csrf: await browser.csrf("/account"), name });
    expect(created.status).toBe(303);
    expect(created.headers.get("Location")).toBe(`/~${name}`);
    const page = await (await browser.fetch(`/~${name}`)).text();
    expect(page).toContain("you are an owner");
    expect(page).toContain(`action="/~${name}/members"`);
    const added = await browser.post(`/~${name}/members`, {
      csrf: await browser.csrf(`/~${name}`),
      handle: member.handle,
      role: "admin",
    });
    expect(added.status).toBe(303);
    const after = await (await browser.fetch(added.headers.get("Location") ?? "/")).text();
    expect(after).toContain(`~${member.handle}`);
    const account_ = await (await browser.fetch("/account")).text();
    expect(account_).toContain(`/~${name}`);
    expect(account.handle).toBeTruthy();
  });

  it("refuses a form without the CSRF token or from another origin, and bad names, changing nothing", async () => {
    const { browser } = await loggedIn();
    const name = uniqueHandle("org");
    expect((await browser.post("/account/orgs", { name })).status).toBe(403);
    const csrf = await browser.csrf("/account");
    expect((await browser.post("/account/orgs", { csrf, name }, { Origin: "https://evil.example" })).status).toBe(403);
    const reserved = await browser.post("/account/orgs", { csrf, name: "admin" });
    expect(reserved.status).toBe(400);
    expect(await reserved.text()).toContain("reserved");
    const bad = await browser.post("/account/orgs", { csrf, name: "Not Valid" });
    expect(bad.status).toBe(400);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM scopes WHERE name IN (?, 'admin')").bind(name).first();
    expect(row).toEqual({ n: 0 });
    // Anonymous visitors cannot post the member form.
    const anonymous = new Browser();
    const form = await anonymous.post(`/~${name}/members`, { csrf: "x", handle: "someone", role: "developer" });
    expect(form.status).toBe(403);
  });

  it("a developer sees members but no add-member form, and cannot post it", async () => {
    const { account: owner, browser: ownerBrowser } = await loggedIn();
    const { account: dev, browser: devBrowser } = await loggedIn();
    const name = uniqueHandle("org");
    await ownerBrowser.post("/account/orgs", { csrf: await ownerBrowser.csrf("/account"), name });
    await ownerBrowser.post(`/~${name}/members`, {
      csrf: await ownerBrowser.csrf(`/~${name}`),
      handle: dev.handle,
      role: "developer",
    });
    const page = await (await devBrowser.fetch(`/~${name}`)).text();
    expect(page).toContain(`~${owner.handle}`);
    expect(page).not.toContain(`action="/~${name}/members"`);
    const csrf = await devBrowser.csrf("/account");
    const promote = await devBrowser.post(`/~${name}/members`, { csrf, handle: dev.handle, role: "owner" });
    expect(promote.status).toBe(403);
    const role = await env.DB.prepare(
      "SELECT m.role FROM org_members m JOIN publishers p ON p.id = m.publisher_id JOIN scopes o ON o.id = m.org_id WHERE p.handle = ? AND o.name = ?",
    )
      .bind(dev.handle, name)
      .first();
    expect(role).toEqual({ role: "developer" });
  });
});
