// A restricted skill does not exist for anyone without read access: every read path answers an
// outsider exactly as it answers for a name that never existed (status, body, headers), lists and
// pages never show it, and its 200s are `Cache-Control: private`.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import { type Account, BASE, call, createAccount, json, postJson, uniqueHandle } from "./helpers";
import { CORGI, escaped, npmPublishBody, putJson } from "./npm-helpers";
import { Browser } from "./web-helpers";

let owner: Account;
let outsider: Account;
let org: string;
const SECRET = "secret-skill";
const NEVER = "never-was-skill";

beforeAll(async () => {
  owner = await createAccount();
  outsider = await createAccount();
  org = uniqueHandle("org");
  expect((await postJson("/orgs", { name: org }, owner.auth)).status).toBe(201);
  const name = `@${org}/${SECRET}`;
  const body = { ...(await npmPublishBody(name, { description: "classified words" })), access: "restricted" };
  expect((await putJson(`/${escaped(name)}`, body, owner.auth)).status).toBe(201);
});

/** Every read path of a skill, for a bare skill name. */
const readPaths = (skill: string): [string, Record<string, string>][] => {
  const name = `@${org}/${skill}`;
  return [
    [`/${escaped(name)}`, {}],
    [`/${escaped(name)}`, { Accept: CORGI }],
    [`/${escaped(name)}?write=true`, {}],
    [`/${name}`, {}],
    [`/${escaped(name)}/1.0.0`, {}],
    [`/${escaped(name)}/latest`, {}],
    [`/${name}/-/${skill}-1.0.0.tgz`, {}],
    [`/${escaped(name)}/-/${skill}-1.0.0.tgz`, {}],
    [`/${escaped(name)}/-/${skill}-9.9.9.tgz`, {}],
    [`/-/package/${escaped(name)}/dist-tags`, {}],
    [`/-/package/${escaped(name)}/dist-tags/latest`, {}],
    [`/-/package/${escaped(name)}/visibility`, {}],
    [`/-/package/${escaped(name)}/collaborators`, {}],
    [`/skills/${org}/${skill}`, {}],
    [`/skills/@${org}/${skill}/versions/1.0.0`, {}],
    [`/skills/${org}/${skill}/versions/latest`, {}],
    [`/skills/${org}/${skill}/versions/^1`, {}],
    [`/skills/${org}/${skill}/versions/1.0.0/tarball`, {}],
    [`/skills/${org}/${skill}/versions/9.9.9/tarball`, {}],
    // Read before you run (issue 13): the files of a version go through the tarball's lookup.
    [`/skills/${org}/${skill}/versions/1.0.0/files`, {}],
    [`/skills/${org}/${skill}/versions/1.0.0/files/SKILL.md`, {}],
    [`/package/@${org}/${skill}`, {}],
    [`/package/@${org}/${skill}/v/1.0.0`, {}],
    [`/package/@${org}/${skill}/v/1.0.0/files`, {}],
    [`/package/@${org}/${skill}/v/1.0.0/files/SKILL.md`, {}],
  ];
};

async function answer(path: string, headers: Record<string, string>, skill: string) {
  const res = await call(path, { headers });
  const body = (await res.text()).replaceAll(skill, "<skill>");
  return { status: res.status, body, headers: [...res.headers.entries()] };
}

describe("an outsider cannot tell a private skill from a name that never existed", () => {
  const askers = () =>
    [
      ["anonymous", {}],
      ["another account", outsider.auth],
      ["a bad token", { Authorization: "Bearer skild_not-a-real-token" }],
    ] as [string, Record<string, string>][];

  it("on every read path, twice (uncached and cached)", async () => {
    const secret = readPaths(SECRET);
    const never = readPaths(NEVER);
    for (const [who, auth] of askers()) {
      for (let round = 0; round < 2; round += 1) {
        for (let i = 0; i < secret.length; i += 1) {
          const a = await answer(secret[i][0], { ...secret[i][1], ...auth }, SECRET);
          const b = await answer(never[i][0], { ...never[i][1], ...auth }, NEVER);
          expect(a, `${who}: ${secret[i][0]}`).toEqual(b);
          expect(a.status, `${who}: ${secret[i][0]}`).toBe(404);
        }
      }
    }
  }, 120_000);

  it("and the owner reads every path, with Cache-Control: private", async () => {
    for (const [path, headers] of readPaths(SECRET)) {
      // Pages read the browser session, not a token (checked with a logged-in browser below).
      if (path.includes("9.9.9") || path.startsWith("/package/")) continue;
      const res = await call(path, { headers: { ...headers, ...owner.auth } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Cache-Control") ?? "", path).toMatch(/^private|no-store/);
      await res.arrayBuffer();
    }
  });

  it("writes to a private skill by an outsider look like writes to a missing name", async () => {
    const tag = (skill: string) =>
      putJson(`/-/package/${escaped(`@${org}/${skill}`)}/dist-tags/beta`, "1.0.0", outsider.auth);
    const a = await tag(SECRET);
    const b = await tag(NEVER);
    expect(a.status).toBe(404);
    expect(await a.text()).toEqual(await b.text());
  });
});

describe("lists, search and pages show public skills only", () => {
  it("/skills, /-/v1/search, the home page, search page and the org page for outsiders", async () => {
    const seen: string[] = [];
    seen.push(await (await call("/skills?q=classified")).text());
    seen.push(await (await call(`/skills?q=${SECRET}`, { headers: owner.auth })).text());
    seen.push(await (await call("/skills?limit=100")).text());
    seen.push(await (await call(`/-/v1/search?text=${SECRET}`, { headers: owner.auth })).text());
    seen.push(await (await call(`/-/v1/search?text=${org}`)).text());
    seen.push(await (await call("/")).text());
    seen.push(await (await call(`/search?q=${SECRET}`)).text());
    seen.push(await (await call(`/~${org}`)).text());
    seen.push(await (await call(`/~${org}`, { headers: outsider.auth })).text());
    // The pages echo a search word back; the skill's name (`org/secret-skill`) must appear nowhere.
    for (const text of seen) expect(text).not.toContain(`${org}/${SECRET}`);
  });

  it("members see the org's private skills on /~org and /account, marked", async () => {
    const browser = new Browser();
    expect((await browser.login(owner.handle, owner.password)).status).toBe(303);
    const orgPage = await (await browser.fetch(`/~${org}`)).text();
    expect(orgPage).toContain(SECRET);
    expect(orgPage).toContain("private");
    expect(orgPage).toContain(owner.handle); // members listed
    expect(orgPage).toContain(`${org}:developers`); // teams listed
    const account = await (await browser.fetch("/account")).text();
    expect(account).toContain(`/~${org}`);
    expect(account).toContain(SECRET);
    // An outsider logged in sees neither the skill nor the member list.
    const other = new Browser();
    await other.login(outsider.handle, outsider.password);
    const outsiderPage = await (await other.fetch(`/~${org}`)).text();
    expect(outsiderPage).not.toContain(SECRET);
    expect(outsiderPage).not.toContain(owner.handle);
    expect(await (await other.fetch("/account")).text()).not.toContain(SECRET);
    // The skill page: the owner's session reads it, the outsider's gets the missing-skill page.
    const page = await browser.fetch(`/package/@${org}/${SECRET}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("classified words");
    const hidden = await other.fetch(`/package/@${org}/${SECRET}`);
    const missing = await other.fetch(`/package/@${org}/${NEVER}`);
    expect(hidden.status).toBe(404);
    expect((await hidden.text()).replaceAll(SECRET, "x")).toEqual((await missing.text()).replaceAll(NEVER, "x"));
  });
});

describe("a change of access takes effect at once", () => {
  it("public → restricted → public, through cached reads", async () => {
    const name = `@${owner.handle}/flip-skill`;
    expect((await putJson(`/${escaped(name)}`, await npmPublishBody(name), owner.auth)).status).toBe(201);
    const tarball = `/${name}/-/flip-skill-1.0.0.tgz`;
    // Warm every cache: packument, tarball location, listing.
    expect((await call(`/${escaped(name)}`)).status).toBe(200);
    expect((await call(tarball)).status).toBe(200);
    expect(await (await call("/skills?q=flip-skill")).text()).toContain("flip-skill");
    const patch = await call(`/skills/${owner.handle}/flip-skill`, {
      method: "PATCH",
      headers: { ...owner.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ access: "restricted" }),
    });
    expect(await json(patch)).toEqual({ name, access: "restricted" });
    expect((await call(`/${escaped(name)}`)).status).toBe(404);
    expect((await call(tarball)).status).toBe(404);
    expect((await call(`/skills/${owner.handle}/flip-skill/versions/1.0.0/tarball`)).status).toBe(404);
    expect(await (await call("/skills?q=flip-skill")).text()).not.toContain("flip-skill");
    expect((await call(tarball, { headers: owner.auth })).headers.get("Cache-Control")).toMatch(/^private/);
    const back = await call(`/-/package/${escaped(name)}/access`, {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ access: "public" }),
    });
    expect(back.status).toBe(200);
    expect((await call(tarball)).status).toBe(200);
    expect((await call(tarball)).headers.get("Cache-Control")).toMatch(/^public/);
  });

  it("removing a member takes their read away at once", async () => {
    const member = await createAccount();
    const org2 = uniqueHandle("org");
    await postJson("/orgs", { name: org2 }, owner.auth);
    await call(`/orgs/${org2}/members/${member.handle}`, {
      method: "PUT",
      headers: { ...owner.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ role: "developer" }),
    });
    const name = `@${org2}/members-only`;
    const body = { ...(await npmPublishBody(name)), access: "restricted" };
    expect((await putJson(`/${escaped(name)}`, body, owner.auth)).status).toBe(201);
    expect((await call(`/${escaped(name)}`, { headers: member.auth })).status).toBe(200);
    expect((await call(`/${name}/-/members-only-1.0.0.tgz`, { headers: member.auth })).status).toBe(200);
    const removed = await call(`/orgs/${org2}/members/${member.handle}`, { method: "DELETE", headers: owner.auth });
    expect(removed.status).toBe(200);
    expect((await call(`/${escaped(name)}`, { headers: member.auth })).status).toBe(404);
    expect((await call(`/${name}/-/members-only-1.0.0.tgz`, { headers: member.auth })).status).toBe(404);
  });
});

describe("the access check costs a public skill nothing", () => {
  it("warm packument, version and tarball reads make no D1 query, with or without a token", async () => {
    const name = `@${owner.handle}/public-fast`;
    expect((await putJson(`/${escaped(name)}`, await npmPublishBody(name), owner.auth)).status).toBe(201);
    let queries = 0;
    const counting = createApp((bindings) => {
      const deps = defaultDeps(bindings);
      const db = new Proxy(deps.db, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            if (prop === "prepare" || prop === "batch") queries += 1;
            return value.apply(target, args);
          };
        },
      });
      return { ...deps, db };
    });
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const ctx = createExecutionContext();
      const res = await counting.fetch(new Request(new URL(path, BASE), { headers }), env, ctx);
      await res.arrayBuffer();
      await waitOnExecutionContext(ctx);
      return res.status;
    };
    const paths = [`/${escaped(name)}`, `/${escaped(name)}/1.0.0`, `/${name}/-/public-fast-1.0.0.tgz`];
    for (const path of paths) expect(await get(path)).toBe(200); // warm
    queries = 0;
    for (const path of paths) {
      expect(await get(path)).toBe(200);
      expect(await get(path, outsider.auth)).toBe(200);
    }
    expect(queries).toBe(0);
  });
});

describe("a change made elsewhere (another isolate) takes effect within 5 s", () => {
  afterEach(() => vi.useRealTimers());

  it("even through the 60 s tarball-location cache", async () => {
    const name = `@${owner.handle}/elsewhere`;
    expect((await putJson(`/${escaped(name)}`, await npmPublishBody(name), owner.auth)).status).toBe(201);
    const tarball = `/${name}/-/elsewhere-1.0.0.tgz`;
    vi.useFakeTimers({ toFake: ["Date"] });
    expect((await call(`/${escaped(name)}`)).status).toBe(200);
    expect((await call(tarball)).status).toBe(200);
    // Let the snapshot expire so the tarball is served from the location cache alone, then re-warm it.
    vi.setSystemTime(Date.now() + 5_001);
    expect((await call(tarball)).status).toBe(200);
    // Another isolate restricts the skill: this one's caches are not told.
    await env.DB.prepare("UPDATE skills SET access = 'restricted' WHERE scope = ? AND name = 'elsewhere'")
      .bind(owner.handle)
      .run();
    vi.setSystemTime(Date.now() + 5_001);
    // The tarball first: a packument read would reload the skill and hide a stale location cache.
    expect((await call(tarball)).status).toBe(404);
    expect((await call(`/${escaped(name)}`)).status).toBe(404);
    expect((await call(tarball, { headers: owner.auth })).status).toBe(200);
  });
});
