import type { Context } from "hono";

/**
 * The request's origin (`https://registry.example`), for the absolute URLs in documents. Read by
 * every packument and search request, so without a URL parse (~2% of a packument's time in
 * bench/profile-routes.mjs): the runtime hands the Worker its URL already parsed and serialised,
 * so the origin is everything before the first `/` after the scheme.
 */
export function requestOrigin(c: Context): string {
  const url = c.req.url;
  const pathStart = url.indexOf("/", url.indexOf("://") + 3);
  return pathStart === -1 ? url : url.slice(0, pathStart);
}

/**
 * The request's query string as it came (`?q=a&limit=5`, or ""): what a listing answer is kept
 * under, so a repeated query skips even validating itself.
 */
export function rawQuery(c: Context): string {
  const url = c.req.url;
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at);
}
