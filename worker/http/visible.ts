// Reads of one skill as the caller may see them: every read path of both dialects goes through here,
// so a restricted skill is refused (as if it never existed) before anything about it is served.
import type { Context } from "hono";
import { canRead, type Reader } from "../domain/access";
import type { SkillName } from "../domain/names";
import { readSkill, readTarballRef, type SkillSnapshot, type TarballRef } from "../domain/read-cache";
import type { AppEnv } from "../env";
import { bearerToken } from "./auth";

/** The bearer token of the request as a reader (read paths never require one, and a bad one reads as nobody). */
export function requestReader(c: Context<AppEnv>): Reader {
  const token = bearerToken(c.req.header("Authorization"));
  return token ? { token } : null;
}

/** The skill's snapshot, or null when it does not exist or this caller may not read it (indistinguishable). */
export async function visibleSkill(
  c: Context<AppEnv>,
  name: SkillName,
  opts: { fresh?: boolean } = {},
): Promise<SkillSnapshot | null> {
  const db = c.get("deps").db;
  const snapshot = await readSkill(db, name, opts);
  return (await canRead(db, requestReader(c), name, snapshot?.source.skill)) ? snapshot : null;
}

/** A version's tarball location, or null when the skill or version does not exist or may not be read. */
export async function visibleTarballRef(
  c: Context<AppEnv>,
  name: SkillName,
  version: string,
): Promise<TarballRef | null> {
  const db = c.get("deps").db;
  const ref = await readTarballRef(db, name, version);
  return (await canRead(db, requestReader(c), name, ref?.skill)) ? ref : null;
}

/** 200s about a restricted skill must not be kept by shared caches. */
export const cacheScope = (skill: { access: string }) => (skill.access === "restricted" ? "private" : "public");
