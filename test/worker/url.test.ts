import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import { rawQuery, requestOrigin } from "../../worker/http/url";

/** What the runtime hands the Worker: the URL as the Request serialises it. */
const contextFor = (url: string) => ({ req: { url: new Request(url).url } }) as unknown as Context;

describe("requestOrigin", () => {
  it("is the URL's origin, as URL parsing gives it", () => {
    for (const url of [
      "http://127.0.0.1:18787/@acme%2fhello-skill",
      "HTTPS://Registry.Example:443/-/v1/search?text=a/b",
      "http://localhost:80/",
      "https://registry.example:8443/skills/acme/x/versions/1.0.0/tarball",
      "http://[::1]:18787/~acme",
    ]) {
      expect(requestOrigin(contextFor(url))).toBe(new URL(url).origin);
    }
  });
});

describe("rawQuery", () => {
  it("is the query string as sent, or nothing", () => {
    expect(rawQuery(contextFor("http://127.0.0.1:18787/skills?q=a%20b&limit=5"))).toBe("?q=a%20b&limit=5");
    expect(rawQuery(contextFor("http://127.0.0.1:18787/skills"))).toBe("");
  });
});
