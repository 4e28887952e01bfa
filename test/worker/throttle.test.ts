import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientAddressKey } from "../../worker/domain/throttle";
import worker from "../../worker/index";
import { BASE, call, createAccount, json, postJson, uniqueHandle } from "./helpers";

// Signup throttling per client address (CF-Connecting-IP; IPv6 per /64) and the /64 grouping of the
// login throttle. The Worker pool reads wrangler.toml: SIGNUP_LIMIT_PER_HOUR = "20". Storage is
// shared by this file's tests, so each uses its own documentation-range addresses.

const LIMIT = Number(env.SIGNUP_LIMIT_PER_HOUR);

const signupBody = (handle = uniqueHandle("su")) => ({
  email: `${handle}@example.com`,
  handle,
  password: "correct horse battery",
});
const signupFrom = (ip: string | undefined, handle?: string) =>
  postJson("/auth/signup", signupBody(handle), ip ? { "CF-Connecting-IP": ip } : {});

async function accountCount(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM publishers").first<{ n: number }>())!.n;
}

async function expectThrottled(res: Response) {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
  const body = await json<{ code: string; error: string }>(res);
  expect(body.code).toBe("RATE_LIMITED");
  expect(body.error).toMatch(/too many new accounts/i);
}

describe("clientAddressKey", () => {
  it.each([
    ["198.51.100.7", "198.51.100.7"],
    [" 198.51.100.7 ", "198.51.100.7"],
    ["::ffff:198.51.100.7", "198.51.100.7"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8:0:0:1::", "2001:db8:0:0::/64"],
  ])("%s → %s", (raw, key) => {
    expect(clientAddressKey(raw)).toBe(key);
  });

  it("keeps different /64s apart, passes nothing for no address, and bounds junk", () => {
    expect(clientAddressKey("2001:db8:1:2::1")).not.toBe(clientAddressKey("2001:db8:1:3::1"));
    expect(clientAddressKey(undefined)).toBeUndefined();
    expect(clientAddressKey("")).toBeUndefined();
    expect(clientAddressKey("x".repeat(500))!.length).toBeLessThanOrEqual(70);
  });
});

describe("signup throttling", () => {
  it(`allows SIGNUP_LIMIT_PER_HOUR (${LIMIT}) signups per address, then 429 with Retry-After and no account`, async () => {
    expect(LIMIT).toBe(20);
    const ip = "198.51.100.10";
    for (let i = 0; i < LIMIT; i++) expect((await signupFrom(ip)).status).toBe(201);
    const before = await accountCount();
    await expectThrottled(await signupFrom(ip));
    expect(await accountCount()).toBe(before);
    // Another address, and no address at all (in-process callers), are not affected.
    expect((await signupFrom("198.51.100.11")).status).toBe(201);
    expect((await signupFrom(undefined)).status).toBe(201);
  });

  it("counts refused signups too (taken handle/email), so signup is no free 'is this registered?' oracle", async () => {
    const ip = "198.51.100.20";
    const taken = await createAccount();
    for (let i = 0; i < LIMIT; i++) expect((await signupFrom(ip, taken.handle)).status).toBe(409);
    await expectThrottled(await signupFrom(ip));
  });

  it("groups IPv6 by /64: hopping addresses inside one /64 shares a counter; the next /64 does not", async () => {
    for (let i = 0; i < LIMIT; i++)
      expect((await signupFrom(`2001:db8:20:1::${(i + 1).toString(16)}`)).status).toBe(201);
    await expectThrottled(await signupFrom("2001:db8:20:1:dead:beef:1234:5678"));
    expect((await signupFrom("2001:db8:20:2::1")).status).toBe(201);
  });

  it("concurrent signups from one address: exactly the limit succeed", async () => {
    const ip = "198.51.100.30";
    const answers = await Promise.all(Array.from({ length: LIMIT + 8 }, () => signupFrom(ip)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
  });

  it("npm adduser (PUT /-/user/org.couchdb.user:<name> with an email) is counted the same way", async () => {
    const ip = "198.51.100.40";
    for (let i = 0; i < LIMIT; i++) expect((await signupFrom(ip)).status).toBe(201);
    const handle = uniqueHandle("npm");
    const res = await call(`/-/user/org.couchdb.user:${handle}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ name: handle, password: "correct horse battery", email: `${handle}@example.com` }),
    });
    await expectThrottled(res);
    expect(await env.DB.prepare("SELECT 1 FROM publishers WHERE handle = ?").bind(handle).first()).toBeNull();
  });

  it("the limit is the SIGNUP_LIMIT_PER_HOUR var (a self-hoster or a test can change it)", async () => {
    const ip = "198.51.100.50";
    const fetchWith = async (vars: Record<string, string>) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(new URL("/auth/signup", BASE), {
          method: "POST",
          headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
          body: JSON.stringify(signupBody()),
        }),
        { ...env, ...vars },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    for (let i = 0; i < 3; i++) expect((await fetchWith({ SIGNUP_LIMIT_PER_HOUR: "3" })).status).toBe(201);
    await expectThrottled(await fetchWith({ SIGNUP_LIMIT_PER_HOUR: "3" }));
    // Four attempts so far (the refused one counts); a raised limit lets the next one through.
    expect((await fetchWith({ SIGNUP_LIMIT_PER_HOUR: "10" })).status).toBe(201);
  });
});

describe("login throttling by address groups IPv6 by /64", () => {
  it("five failed logins from different addresses in one /64 block a sixth address of it; another /64 logs in", async () => {
    const wrong = (ip: string) =>
      postJson(
        "/auth/login",
        { handleOrEmail: uniqueHandle("ghost"), password: "definitely wrong" },
        { "CF-Connecting-IP": ip },
      );
    for (let i = 1; i <= 5; i++) expect((await wrong(`2001:db8:30:1::${i}`)).status).toBe(401);
    const account = await createAccount();
    const login = (ip: string) =>
      postJson(
        "/auth/login",
        { handleOrEmail: account.handle, password: account.password },
        { "CF-Connecting-IP": ip },
      );
    expect((await login("2001:db8:30:1:ffff::99")).status).toBe(429);
    expect((await login("2001:db8:30:2::1")).status).toBe(200);
  });
});
