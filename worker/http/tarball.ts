import type { Context } from "hono";
import { readTarball, type TarballRef } from "../domain/read-cache";
import type { AppEnv } from "../env";
import { notFound } from "../errors";
import { matchesIfNoneMatch } from "./etag";
import { cacheScope } from "./visible";

/** Tarballs are immutable: cache forever, validate by integrity; small ones from memory, large ones streamed from R2. */
export async function serveTarball(c: Context<AppEnv>, ref: TarballRef): Promise<Response> {
  const etag = `"${ref.integrity}"`;
  const headers: Record<string, string> = {
    ETag: etag,
    "Cache-Control": `${cacheScope(ref.skill)}, max-age=31536000, immutable`,
  };
  if (matchesIfNoneMatch(c.req.header("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  const object = await readTarball(c.get("deps").artifacts, ref);
  if (!object) throw notFound("The tarball is missing from storage.", "TARBALL_MISSING");
  return new Response(object.body, {
    headers: { ...headers, "Content-Type": "application/octet-stream", "Content-Length": String(object.size) },
  });
}
