import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";

// Signup throttling on the real served Worker, with the limit lowered through `startRegistry({vars})`
// (the same way tests that sign up many accounts raise it). Off Cloudflare the client address comes
// from the CF-Connecting-IP header, and a client that sends its own gets its own counter: pinned
// here because README and SECURITY.md tell self-hosters exactly that.
describe("signup throttle under the local launcher", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await startRegistry({ vars: { SIGNUP_LIMIT_PER_HOUR: "2" } });
  });
  afterAll(() => server?.stop());

  const signup = (handle: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ email: `${handle}@example.com`, handle, password: "long enough" }),
    });

  it("counts loopback signups against the var's limit, then answers 429; a forged CF-Connecting-IP escapes it", async () => {
    expect((await signup("throttle-a")).status).toBe(201);
    expect((await signup("throttle-b")).status).toBe(201);
    const refused = await signup("throttle-c");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    // The documented caveat: nothing in front of the Worker sets the header, so the client can.
    expect((await signup("throttle-d", { "CF-Connecting-IP": "192.0.2.99" })).status).toBe(201);
    expect((await signup("throttle-e")).status).toBe(429);
    // (Last: `sql` runs wrangler for seconds, longer than the server keeps an idle connection open.)
    expect(server.sql("SELECT handle FROM publishers ORDER BY handle")).toEqual([
      { handle: "throttle-a" },
      { handle: "throttle-b" },
      { handle: "throttle-d" },
    ]);
  });
});
