// npm's org, team, access and owner endpoints (npm org/team/access/owner), as npm 11/12 call them.
// Thin: every rule lives in domain/orgs.ts and domain/access.ts.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { authenticate, findPublisherByHandle, type Publisher } from "../../domain/accounts";
import { parseCanonicalName } from "../../domain/names";
import {
  addTeamMember,
  collaborators,
  createTeam,
  destroyTeam,
  grantTeam,
  memberRoster,
  orgPackages,
  removeMember,
  removeTeamMember,
  revokeTeam,
  setMember,
  setSkillAccess,
  teamMembers,
  teamPackages,
  teamsOf,
  userPackages,
} from "../../domain/orgs";
import { findSkill } from "../../domain/skills";
import type { AppEnv } from "../../env";
import { badRequest, notFound } from "../../errors";
import { bearerToken, requireAuth } from "../../http/auth";
import { readJson } from "../../http/body";
import { cacheScope, visibleSkill } from "../../http/visible";
import { packageNotFound, parsePackagePath } from "./paths";

const COUCH_USER_PREFIX = "org.couchdb.user:";

/** The caller's account when it sent a valid token (lists anyone may read, shown more to members). */
export async function optionalPublisher(c: Context<AppEnv>): Promise<Publisher | null> {
  const token = bearerToken(c.req.header("Authorization"));
  if (!token) return null;
  return (await authenticate(c.get("deps").db, token))?.publisher ?? null;
}

const userBody = z.looseObject({ user: z.string({ message: "send {user}" }).max(64) });
const orgUserBody = z.looseObject({
  user: z.string({ message: "send {user, role}" }).max(64),
  role: z.unknown().optional(),
});
const teamBody = z.looseObject({
  name: z.string({ message: "send {name}" }).max(64),
  description: z.string().max(1024).nullish(),
});
const grantBody = z.looseObject({
  package: z.string({ message: "send {package, permissions}" }).max(200),
  permissions: z.unknown().optional(),
});
const revokeBody = z.looseObject({ package: z.string({ message: "send {package}" }).max(200) });
const accessBody = z.looseObject({ access: z.unknown().optional() });

const param = (c: Context<AppEnv>, key: string) => c.req.param(key) ?? "";

/** `/-/package/<name>/<what>` for the access endpoints; anything else goes on to the dist-tag routes. */
function packageSubpath(c: Context<AppEnv>, what: string[]) {
  const { skill, rest } = parsePackagePath(c.req.path.slice("/-/package".length));
  return rest.length === 1 && what.includes(rest[0]) ? { name: skill, what: rest[0] } : null;
}

export const orgRoutes = new Hono<AppEnv>()
  // npm org set/rm/ls
  .put("/-/org/:org/user", requireAuth("write"), async (c) => {
    const body = await readJson(c, orgUserBody);
    return c.json(await setMember(c.get("deps").db, c.get("publisher"), param(c, "org"), body.user, body.role));
  })
  .delete("/-/org/:org/user", requireAuth("write"), async (c) => {
    const body = await readJson(c, userBody);
    await removeMember(c.get("deps").db, c.get("publisher"), param(c, "org"), body.user);
    return c.body(null, 204);
  })
  .get("/-/org/:org/user", requireAuth("read"), async (c) =>
    c.json(await memberRoster(c.get("deps").db, param(c, "org"), c.get("publisher"))),
  )
  // npm team create/ls
  .put("/-/org/:org/team", requireAuth("write"), async (c) => {
    const body = await readJson(c, teamBody);
    const team = await createTeam(c.get("deps").db, c.get("publisher"), param(c, "org"), body.name, body.description);
    return c.json(team, 201);
  })
  .get("/-/org/:org/team", requireAuth("read"), async (c) =>
    c.json(await teamsOf(c.get("deps").db, param(c, "org"), c.get("publisher"))),
  )
  // npm access list packages @org (npm falls back to /-/user/<name>/package on a 404)
  .get("/-/org/:org/package", async (c) =>
    c.json(await orgPackages(c.get("deps").db, param(c, "org"), await optionalPublisher(c))),
  )
  .get("/-/user/:user/package", async (c) =>
    c.json(await userPackages(c.get("deps").db, param(c, "user"), await optionalPublisher(c))),
  )
  // npm owner add/rm look the user up first: a handle is public, an email is not.
  .get("/-/user/:user", async (c) => {
    const id = param(c, "user");
    if (!id.startsWith(COUCH_USER_PREFIX)) throw notFound();
    const publisher = await findPublisherByHandle(c.get("deps").db, id.slice(COUCH_USER_PREFIX.length));
    if (!publisher) throw notFound(`There is no user ${id.slice(COUCH_USER_PREFIX.length, 100)}.`, "USER_NOT_FOUND");
    return c.json({ _id: `${COUCH_USER_PREFIX}${publisher.handle}`, name: publisher.handle, email: "" });
  })
  // npm team destroy/add/rm/ls
  .delete("/-/team/:org/:team", requireAuth("write"), async (c) => {
    await destroyTeam(c.get("deps").db, c.get("publisher"), param(c, "org"), param(c, "team"));
    return c.body(null, 204);
  })
  .put("/-/team/:org/:team/user", requireAuth("write"), async (c) => {
    const body = await readJson(c, userBody);
    await addTeamMember(c.get("deps").db, c.get("publisher"), param(c, "org"), param(c, "team"), body.user);
    return c.json({}, 201);
  })
  .delete("/-/team/:org/:team/user", requireAuth("write"), async (c) => {
    const body = await readJson(c, userBody);
    await removeTeamMember(c.get("deps").db, c.get("publisher"), param(c, "org"), param(c, "team"), body.user);
    return c.body(null, 204);
  })
  .get("/-/team/:org/:team/user", requireAuth("read"), async (c) =>
    c.json(await teamMembers(c.get("deps").db, param(c, "org"), param(c, "team"), c.get("publisher"))),
  )
  // npm access grant/revoke/list packages org:team
  .put("/-/team/:org/:team/package", requireAuth("write"), async (c) => {
    const body = await readJson(c, grantBody);
    const name = parseCanonicalName(body.package);
    await grantTeam(c.get("deps").db, c.get("publisher"), param(c, "org"), param(c, "team"), name, body.permissions);
    return c.json({}, 201);
  })
  .delete("/-/team/:org/:team/package", requireAuth("write"), async (c) => {
    const body = await readJson(c, revokeBody);
    const name = parseCanonicalName(body.package);
    await revokeTeam(c.get("deps").db, c.get("publisher"), param(c, "org"), param(c, "team"), name);
    return c.body(null, 204);
  })
  .get("/-/team/:org/:team/package", requireAuth("read"), async (c) =>
    c.json(await teamPackages(c.get("deps").db, param(c, "org"), param(c, "team"), c.get("publisher"))),
  )
  // npm access list collaborators / get status: a restricted skill the caller cannot read is a 404.
  .get("/-/package/*", async (c, next) => {
    const target = packageSubpath(c, ["collaborators", "visibility"]);
    if (!target) return next();
    const snapshot = await visibleSkill(c, target.name);
    if (!snapshot || snapshot.source.versions.length === 0) throw packageNotFound();
    const { skill, maintainers } = snapshot.source;
    c.header("Cache-Control", `${cacheScope(skill)}, no-cache`);
    if (target.what === "visibility") return c.json({ public: skill.access === "public" });
    return c.json(await collaborators(c.get("deps").db, skill, maintainers));
  })
  // npm access set status=public|private (npm sends "restricted" for private).
  .post("/-/package/*", requireAuth("write"), async (c, next) => {
    const target = packageSubpath(c, ["access"]);
    if (!target) return next();
    const body = await readJson(c, accessBody);
    if (body.access === undefined) {
      throw badRequest("Only {access: public|restricted} can be set here (no 2FA settings).", "UNSUPPORTED");
    }
    const visible = await visibleSkill(c, target.name);
    const skill = visible && (await findSkill(c.get("deps").db, target.name));
    if (!skill) throw packageNotFound();
    const result = await setSkillAccess(c.get("deps").db, c.get("publisher"), skill, body.access);
    return c.json({ ok: true, access: result.access });
  });
