import type { Context } from "hono";
import { countDownload } from "../domain/downloads";
import type { SkillName } from "../domain/names";
import { readTarball, type TarballRef } from "../domain/read-cache";
import type { AppEnv } from "../env";
import { notFound } from "../errors";
import { matchesIfNoneMatch } from "./etag";
import { cacheScope } from "./visible";

/**
 * Tarballs are immutable: cache forever, validate by integrity; small ones from memory, large ones
 * streamed from R2. A 200 to a GET counts as a download of `of` (after the response, in a batch);
 * 304s, HEADs and failures do not.
 */
export async function serveTarball(
  c: Context<AppEnv>,
  ref: TarballRef,
  of: { skill: SkillName; version: string },
  contentType = "application/octet-stream",
): Promise<Response> {
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
  if (c.req.method === "GET") {
    const ctx = c.executionCtx;
    countDownload((promise) => ctx.waitUntil(promise), c.get("deps").db, of.skill, of.version);
  }
  return new Response(object.body, {
    headers: { ...headers, "Content-Type": contentType, "Content-Length": String(object.size) },
  });
}
