import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createAccount, json, postJson, uniqueHandle } from "./helpers";

describe("POST /auth/signup", () => {
  it("creates an account and returns the publisher", async () => {
    const handle = uniqueHandle();
    const res = await postJson("/auth/signup", { email: `${handle}@Example.com`, handle, password: "long enough" });
    expect(res.status).toBe(201);
    const body = await json<{ publisher: { handle: string; email: string; createdAt: string } }>(res);
    expect(body.publisher.handle).toBe(handle);
    expect(body.publisher.email).toBe(`${handle}@example.com`);
    expect(Date.parse(body.publisher.createdAt)).not.toBeNaN();
  });

  it.each([
    [{ email: "not-an-email", handle: "okay-handle", password: "long enough" }, /email/],
    [{ email: "a@example.com", handle: "Bad_Handle", password: "long enough" }, /handle/],
    [{ email: "a@example.com", handle: "x", password: "long enough" }, /handle/],
    [{ email: "a@example.com", handle: "ends-", password: "long enough" }, /handle/],
    [{ email: "a@example.com", handle: "okay-handle", password: "short" }, /password: must be at least 8/],
    [{ handle: "okay-handle", password: "long enough" }, /email/],
  ])("rejects invalid input %j with 400 and the rule", async (input, message) => {
    const res = await postJson("/auth/signup", input);
    expect(res.status).toBe(400);
    const body = await json<{ error: string; code: string }>(res);
    expect(body.code).toBe("INVALID_INPUT");
    expect(body.error).toMatch(message);
  });

  it("answers 409 for a taken handle or email without saying which", async () => {
    const account = await createAccount();
    const sameHandle = await postJson("/auth/signup", {
      email: "other@example.com",
      handle: account.handle,
      password: "long enough",
    });
    const sameEmail = await postJson("/auth/signup", {
      email: account.email,
      handle: uniqueHandle(),
      password: "long enough",
    });
    expect(sameHandle.status).toBe(409);
    expect(sameEmail.status).toBe(409);
    const [a, b] = [await json(sameHandle), await json(sameEmail)];
    expect(a).toEqual(b);
    expect(a.code).toBe("ACCOUNT_EXISTS");
  });

  it("refuses malformed JSON and non-JSON bodies", async () => {
    const malformed = await call("/auth/signup", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).code).toBe("INVALID_JSON");
    const wrongType = await call("/auth/signup", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "{}",
    });
    expect(wrongType.status).toBe(415);
  });

  it("stores a PBKDF2 hash, never the password", async () => {
    const account = await createAccount();
    const row = await env.DB.prepare("SELECT password_hash FROM publishers WHERE handle = ?")
      .bind(account.handle)
      .first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(row!.password_hash).not.toContain(account.password);
  });
});

describe("POST /auth/login", () => {
  it("logs in by handle or email and returns a token stored only as its sha256", async () => {
    const account = await createAccount();
    const byEmail = await postJson("/auth/login", {
      handleOrEmail: account.email.toUpperCase(),
      password: account.password,
    });
    expect(byEmail.status).toBe(200);
    const { token, publisher } = await json<{ token: string; publisher: { handle: string } }>(byEmail);
    expect(publisher.handle).toBe(account.handle);
    expect(token).toMatch(/^skild_[A-Za-z0-9_-]{43}$/);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    const rows = await env.DB.prepare("SELECT token_hash FROM tokens WHERE token_hash = ? OR token_hash = ?")
      .bind(hex, token)
      .all();
    expect(rows.results).toEqual([{ token_hash: hex }]);
  });

  it("answers 401 for a wrong password or unknown account, with the same message", async () => {
    const account = await createAccount();
    const wrong = await postJson("/auth/login", { handleOrEmail: account.handle, password: "not the password" });
    const unknown = await postJson("/auth/login", { handleOrEmail: uniqueHandle("ghost"), password: "whatever1" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get("WWW-Authenticate")).toBe('Bearer realm="skild"');
    expect((await json(wrong)).error).toBe((await json(unknown)).error);
  });

  it("throttles a handle after repeated failures with 429 and Retry-After", async () => {
    const account = await createAccount();
    for (let i = 0; i < 5; i++) {
      const res = await postJson("/auth/login", { handleOrEmail: account.handle, password: `wrong ${i}` });
      expect(res.status).toBe(401);
    }
    const blocked = await postJson("/auth/login", { handleOrEmail: account.handle, password: account.password });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await json(blocked)).code).toBe("RATE_LIMITED");
  });
});

describe("GET /auth/me and POST /auth/logout", () => {
  it("returns the publisher for a valid token", async () => {
    const account = await createAccount();
    const res = await call("/auth/me", { headers: account.auth });
    expect(res.status).toBe(200);
    expect((await json<{ publisher: { handle: string } }>(res)).publisher.handle).toBe(account.handle);
  });

  it.each([
    [{}, "UNAUTHORIZED"],
    [{ Authorization: "Bearer skild_doesnotexist" }, "BAD_TOKEN"],
    [{ Authorization: "Basic Zm9vOmJhcg==" }, "UNAUTHORIZED"],
  ])("answers 401 with WWW-Authenticate for %j", async (headers, code) => {
    const res = await call("/auth/me", { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="skild"');
    expect((await json(res)).code).toBe(code);
  });

  it("revokes the token on logout; it is refused afterwards", async () => {
    const account = await createAccount();
    const out = await call("/auth/logout", { method: "POST", headers: account.auth });
    expect(out.status).toBe(200);
    const me = await call("/auth/me", { headers: account.auth });
    expect(me.status).toBe(401);
    const again = await call("/auth/logout", { method: "POST", headers: account.auth });
    expect(again.status).toBe(401);
  });
});

describe("unknown routes", () => {
  it("answer 404 JSON", async () => {
    const res = await call("/nope/nope/nope");
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: "Not found", code: "NOT_FOUND" });
  });
});
