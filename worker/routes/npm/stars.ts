// `npm star` / `npm unstar`: a PUT of `{_id, _rev, users}` to the package path (npm/cli
// lib/commands/star.js). The packument's `users` with the caller's own handle added or removed.
import type { Context } from "hono";
import { z } from "zod";
import { assertRev } from "../../domain/maintenance";
import { canonicalName, type SkillName } from "../../domain/names";
import { packumentRev } from "../../domain/packument";
import { findSkill } from "../../domain/skills";
import { setStar, starFromUsers, stargazers } from "../../domain/stars";
import type { AppEnv } from "../../env";
import { badRequest } from "../../errors";
import { readJson } from "../../http/body";
import { visibleSkill } from "../../http/visible";
import { packageNotFound } from "./paths";

/** Room for a `users` map of ~20,000 handles: a star body is never larger. */
const MAX_STAR_BODY_BYTES = 1024 * 1024;

const usersSchema = z.record(z.string(), z.unknown(), { message: "users must be an object of {handle: true}" });
const starBodySchema = z.looseObject({
  _id: z.string().optional(),
  _rev: z.string().optional(),
  users: z.unknown().optional(),
});
type StarBody = z.infer<typeof starBodySchema>;

/**
 * The PUT body of someone who is not the owner, read only when it can be a star: npm sends it with
 * a Content-Length of at most MAX_STAR_BODY_BYTES. Null (read nothing) otherwise.
 */
export async function readStarBody(c: Context<AppEnv>): Promise<StarBody | null> {
  const declared = Number(c.req.header("Content-Length") ?? Number.NaN);
  if (!(declared >= 0 && declared <= MAX_STAR_BODY_BYTES)) return null;
  return readJson(c, starBodySchema, MAX_STAR_BODY_BYTES);
}

/** A document that changes stars only: `users`, and no versions, attachments, tags or owners. */
export function isStarEdit(body: Record<string, unknown>): boolean {
  return (
    body.users !== undefined &&
    ["versions", "_attachments", "dist-tags", "maintainers"].every((key) => body[key] === undefined)
  );
}

export async function starFromPut(
  c: Context<AppEnv>,
  name: SkillName,
  rev: string | undefined,
  body: Record<string, unknown>,
): Promise<Response> {
  const db = c.get("deps").db;
  const publisher = c.get("publisher");
  if (body._id !== undefined && body._id !== canonicalName(name)) {
    throw badRequest(
      `The document is for ${String(body._id)} but the URL names ${canonicalName(name)}.`,
      "NAME_MISMATCH",
    );
  }
  const users = usersSchema.parse(body.users);
  // Only a skill the caller may read can be starred (a restricted one it cannot read does not exist);
  // the write itself starts from D1, never from a cached copy.
  const skill = (await visibleSkill(c, name)) && (await findSkill(db, name));
  if (!skill) throw packageNotFound();
  // CouchDB's optimistic concurrency: a stale `users` (someone starred since the read) is a 409.
  const sentRev = rev ?? (typeof body._rev === "string" ? body._rev : undefined);
  assertRev(skill, sentRev);
  const starred = starFromUsers(name, await stargazers(db, skill.id), users, publisher.handle);
  const result = await setStar(db, publisher, skill, starred);
  const revision = result.changed ? skill.revision + 1 : skill.revision;
  return c.json({ ok: true, id: canonicalName(name), rev: packumentRev({ id: skill.id, revision }), ...result }, 201);
}

/**
 * An owner's packument edit (deprecate, unpublish) echoes `users` back: it must be the list as
 * stored (star or unstar on its own, not inside another edit).
 */
export async function assertUsersUnchanged(c: Context<AppEnv>, name: SkillName, rawUsers: unknown): Promise<void> {
  const db = c.get("deps").db;
  const users = usersSchema.parse(rawUsers);
  const skill = await findSkill(db, name);
  if (!skill) return; // the edit itself answers 404
  const current = await stargazers(db, skill.id);
  const caller = c.get("publisher").handle;
  const starred = starFromUsers(name, current, users, caller);
  if (starred !== current.includes(caller)) {
    throw badRequest("Star or unstar on its own (`npm star`), not inside another change.", "STAR_IN_EDIT");
  }
}
