// The app must keep Hono's fastest matcher: one route that RegExpRouter cannot hold (a parameter at
// the root beside static paths, say) silently moves every request onto the slower TrieRouter.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app";

describe("routing", () => {
  it("every route fits RegExpRouter", async () => {
    const app = createApp();
    const res = await app.request("/-/ping", {}, env);
    expect(res.status).toBe(200);
    const router = app.router as unknown as { activeRouter?: { name: string } };
    expect(router.activeRouter?.name).toBe("RegExpRouter");
  });

  it("publisher pages still answer at /~<handle>, and /~/<handle> is not an alias", async () => {
    const app = createApp();
    const missing = await app.request("/~nobody-here", {}, env);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("~nobody-here");
    const alias = await app.request("/~/nobody-here", {}, env);
    expect(alias.status).toBe(404);
    expect(await alias.text()).not.toContain("~nobody-here");
  });
});
