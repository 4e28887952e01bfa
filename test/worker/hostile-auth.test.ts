import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createToken } from "../../worker/domain/accounts";
import { sha256Hex } from "../../worker/domain/crypto";
import { skillTarball } from "../helpers/tarball";
import { type Account, call, createAccount, postJson, publish, storeCounts, uniqueHandle } from "./helpers";

// Auth under attack: missing, malformed, revoked and foreign tokens; read-only tokens; login
// throttling per account and per client address, including concurrent guessing; no secret stored
// or logged in plain text.

async function expectAuthError(res: Response, status: 401 | 403, code: string) {
  const text = await res.text();
  expect({ status: res.status, code: JSON.parse(text).code }, text).toEqual({ status, code });
  if (status === 401) expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="skild"');
}

function publishWith(account: Account, headers: Record<string, string>, skill = "guarded-skill") {
  return skillTarball({ name: `@${account.handle}/${skill}` }).then((body) =>
    call(`/skills/${account.handle}/${skill}/publish`, {
      method: "POST",
      headers: { "Content-Type": "application/gzip", ...headers },
      body,
    }),
  );
}

describe("publishing with bad credentials", () => {
  it.each([
    ["no Authorization header", () => ({}), "UNAUTHORIZED"],
    ["an empty Bearer", () => ({ Authorization: "Bearer " }), "UNAUTHORIZED"],
    ["Bearer without a token", () => ({ Authorization: "Bearer" }), "UNAUTHORIZED"],
    ["two tokens", (a: Account) => ({ Authorization: `Bearer ${a.token} ${a.token}` }), "UNAUTHORIZED"],
    [
      "Basic credentials",
      (a: Account) => ({ Authorization: `Basic ${btoa(`${a.handle}:${a.password}`)}` }),
      "UNAUTHORIZED",
    ],
    ["a Token scheme", (a: Account) => ({ Authorization: `Token ${a.token}` }), "UNAUTHORIZED"],
    ["a token without its prefix", (a: Account) => ({ Authorization: `Bearer ${a.token.slice(6)}` }), "BAD_TOKEN"],
    [
      "a token with one character changed",
      (a: Account) => ({ Authorization: `Bearer ${flipLast(a.token)}` }),
      "BAD_TOKEN",
    ],
    ["a token with a character appended", (a: Account) => ({ Authorization: `Bearer ${a.token}x` }), "BAD_TOKEN"],
    ["a token in upper case", (a: Account) => ({ Authorization: `Bearer ${a.token.toUpperCase()}` }), "BAD_TOKEN"],
    ["a 10,000-character token", () => ({ Authorization: `Bearer skild_${"a".repeat(10_000)}` }), "BAD_TOKEN"],
    [
      "the token's sha256 (what the database holds)",
      async (a: Account) => ({ Authorization: `Bearer ${await sha256Hex(a.token)}` }),
      "UNAUTHORIZED_OR_BAD_TOKEN",
    ],
  ] as const)("%s → 401, nothing stored", async (_what, headers, code) => {
    const account = await createAccount();
    const before = await storeCounts();
    const res = await publishWith(account, await headers(account));
    if (code === "UNAUTHORIZED_OR_BAD_TOKEN") expect(res.status).toBe(401);
    else await expectAuthError(res, 401, code);
    expect(await storeCounts()).toEqual(before);
  });

  it("a token in the query string is not a credential", async () => {
    const account = await createAccount();
    const body = await skillTarball({ name: `@${account.handle}/guarded-skill` });
    const res = await call(`/skills/${account.handle}/guarded-skill/publish?token=${account.token}`, {
      method: "POST",
      headers: { "Content-Type": "application/gzip" },
      body,
    });
    await expectAuthError(res, 401, "UNAUTHORIZED");
  });

  it("a revoked token is refused with 401", async () => {
    const account = await createAccount();
    expect((await call("/auth/logout", { method: "POST", headers: account.auth })).status).toBe(200);
    const before = await storeCounts();
    await expectAuthError(await publishWith(account, account.auth), 401, "BAD_TOKEN");
    expect(await storeCounts()).toEqual(before);
  });

  it("another publisher's valid token is refused with 403 and stores nothing", async () => {
    const [victim, attacker] = [await createAccount(), await createAccount()];
    const before = await storeCounts();
    // A tarball that names the victim's package, sent with the attacker's token.
    await expectAuthError(await publishWith(victim, attacker.auth), 403, "NOT_OWNER");
    expect(await storeCounts()).toEqual(before);
    // The victim's own publish still works afterwards.
    expect((await publishWith(victim, victim.auth)).status).toBe(201);
  });

  it("a read-only token can read its account but cannot publish (403)", async () => {
    const account = await createAccount();
    const row = await env.DB.prepare("SELECT id FROM publishers WHERE handle = ?")
      .bind(account.handle)
      .first<{ id: number }>();
    const readonly = await createToken(env.DB, row!.id, { name: "ci read", readonly: true });
    const auth = { Authorization: `Bearer ${readonly}` };
    expect((await call("/auth/me", { headers: auth })).status).toBe(200);
    const before = await storeCounts();
    await expectAuthError(await publishWith(account, auth), 403, "READONLY_TOKEN");
    expect(await storeCounts()).toEqual(before);
  });
});

const wrong = (handleOrEmail: string, ip?: string) =>
  postJson("/auth/login", { handleOrEmail, password: "definitely wrong" }, ip ? { "CF-Connecting-IP": ip } : {});

describe("login throttling", () => {
  it("throttles one account however it is spelled (handle, email, upper case)", async () => {
    const account = await createAccount();
    for (const spelling of [
      account.handle,
      account.email,
      account.email.toUpperCase(),
      account.handle,
      account.email,
    ]) {
      expect((await wrong(spelling)).status).toBe(401);
    }
    for (const spelling of [account.handle, account.email]) {
      const res = await postJson("/auth/login", { handleOrEmail: spelling, password: account.password });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect((await res.json<{ code: string }>()).code).toBe("RATE_LIMITED");
    }
  });

  it("throttles one client address across many handles (CF-Connecting-IP)", async () => {
    const ip = "203.0.113.7";
    for (let i = 0; i < 5; i++) expect((await wrong(uniqueHandle("ghost"), ip)).status).toBe(401);
    // Even a real account with the right password is refused from that address...
    const account = await createAccount();
    const blocked = await postJson(
      "/auth/login",
      { handleOrEmail: account.handle, password: account.password },
      { "CF-Connecting-IP": ip },
    );
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
    // ...and accepted from another.
    const other = await postJson(
      "/auth/login",
      { handleOrEmail: account.handle, password: account.password },
      { "CF-Connecting-IP": "203.0.113.8" },
    );
    expect(other.status).toBe(200);
  });

  it("20 concurrent guesses for one account get at most 5 password checks; the rest 429", async () => {
    const account = await createAccount();
    const answers = await Promise.all(Array.from({ length: 20 }, () => wrong(account.handle)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });

  it("a throttled login issues no token", async () => {
    const account = await createAccount();
    for (let i = 0; i < 5; i++) await wrong(account.handle);
    const tokens = () =>
      env.DB.prepare("SELECT COUNT(*) AS n FROM tokens t JOIN publishers p ON p.id = t.publisher_id WHERE p.handle = ?")
        .bind(account.handle)
        .first<{ n: number }>();
    const before = await tokens();
    const res = await postJson("/auth/login", { handleOrEmail: account.handle, password: account.password });
    expect(res.status).toBe(429);
    expect(await tokens()).toEqual(before);
  });
});

describe("login_failures stays small", () => {
  it("a failed login prunes counters whose window has ended, and keeps live ones", async () => {
    const longAgo = Math.floor(Date.now() / 1000) - 3600;
    const expired = Array.from({ length: 10 }, (_, i) => `account:expired-${uniqueHandle("x")}-${i}`);
    const live = `account:${uniqueHandle("live")}`;
    await env.DB.batch([
      ...expired.map((key) =>
        env.DB.prepare("INSERT INTO login_failures (key, failures, window_start) VALUES (?, 3, ?)").bind(key, longAgo),
      ),
      env.DB.prepare("INSERT INTO login_failures (key, failures, window_start) VALUES (?, 3, ?)").bind(
        live,
        Math.floor(Date.now() / 1000),
      ),
    ]);
    expect((await wrong(uniqueHandle("ghost"))).status).toBe(401);
    const left = await env.DB.prepare(`SELECT key FROM login_failures WHERE key IN (SELECT value FROM json_each(?))`)
      .bind(JSON.stringify([...expired, live]))
      .all<{ key: string }>();
    expect(left.results.map((r) => r.key)).toEqual([live]);
  });
});

describe("secrets at rest and in logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("no D1 row holds a password or token in plain text", async () => {
    const logged: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(" "));
      });
    }
    const account = await createAccount();
    const readonly = await postJson("/auth/login", { handleOrEmail: account.email, password: account.password });
    const second = (await readonly.json<{ token: string }>()).token;
    await wrong(account.handle);
    await publish(account, { skill: "secret-skill" });
    await call("/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${second}` } });

    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'",
    ).all<{ name: string }>();
    const dump: string[] = [];
    for (const { name } of tables.results) {
      const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
      dump.push(JSON.stringify(rows.results));
    }
    const everything = dump.join("\n");
    expect(tables.results.map((t) => t.name)).toEqual(expect.arrayContaining(["publishers", "tokens"]));
    for (const secret of [account.password, account.token, second, account.token.slice(6), second.slice(6)]) {
      expect(everything).not.toContain(secret);
      expect(logged.join("\n")).not.toContain(secret);
    }
    // What is kept: a PBKDF2 hash and sha256 digests, plus a 10-character prefix to tell tokens apart.
    const tokenRows = await env.DB.prepare(
      "SELECT token_hash, token_prefix FROM tokens t JOIN publishers p ON p.id = t.publisher_id WHERE p.handle = ?",
    )
      .bind(account.handle)
      .all<{ token_hash: string; token_prefix: string }>();
    expect(tokenRows.results.map((r) => r.token_hash).sort()).toEqual(
      [await sha256Hex(account.token), await sha256Hex(second)].sort(),
    );
    for (const row of tokenRows.results) expect(row.token_prefix.length).toBeLessThanOrEqual(10);
  });
});

function flipLast(token: string): string {
  const last = token.at(-1) === "A" ? "B" : "A";
  return token.slice(0, -1) + last;
}
