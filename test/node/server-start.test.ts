import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";

// The real Worker under wrangler dev, as `npm start` runs it: migrations applied, D1 and R2 local.
describe("wrangler dev registry", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await startRegistry();
  });
  afterAll(() => server?.stop());

  it("answers ping and stores an account in its local D1", async () => {
    expect((await fetch(`${server.url}/-/ping`)).status).toBe(200);
    const res = await fetch(`${server.url}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "dev@example.com", handle: "dev-check", password: "long enough" }),
    });
    expect(res.status).toBe(201);
    expect(server.sql("SELECT handle FROM publishers")).toEqual([{ handle: "dev-check" }]);
  });
});
