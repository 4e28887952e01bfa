// Organisations, members, teams and grants: every rule about who manages what, for both dialects
// and the pages. Races are settled by the database: one UNIQUE index on scope names, primary keys on
// memberships and grants, and guards evaluated inside the statement that writes (the last owner).
import { z } from "zod";
import { HANDLE_RE, HANDLE_RULE } from "../../common/skill-format.js";
import { badRequest, clip, conflict, forbidden, notFound } from "../errors";
import { canRead, canWrite, levelSql, READ, type SkillAccess, WRITE } from "./access";
import type { Publisher } from "./accounts";
import { canonicalName, RESERVED_NAMES, type SkillName } from "./names";
import { scopeWriteBatch, skillWriteBatch } from "./read-cache";
import type { SkillRow } from "./skills";

export const ROLES = ["owner", "admin", "developer"] as const;
export type Role = (typeof ROLES)[number];
export const DEVELOPERS_TEAM = "developers";

export const orgNameSchema = z
  .string({ message: "send the organisation name as a string" })
  .regex(HANDLE_RE, { message: `an organisation name must be ${HANDLE_RULE}` })
  .refine((name) => !RESERVED_NAMES.has(name), { message: "that name is reserved" });
export const roleSchema = z.enum(ROLES, { message: "role must be owner, admin or developer" });
export const teamNameSchema = z
  .string({ message: "send the team name as a string" })
  .regex(HANDLE_RE, { message: `a team name must be ${HANDLE_RULE}` });
export const permissionSchema = z.enum(["read-only", "read-write"], {
  message: 'permissions must be "read-only" or "read-write"',
});
export const accessSchema = z.enum(["public", "restricted"], { message: 'access must be "public" or "restricted"' });

export interface Org {
  id: number;
  name: string;
  createdAt: string;
}
export const orgJson = (org: Org) => ({ name: org.name, createdAt: org.createdAt });

const now = () => new Date().toISOString();

/** Parses a name from a URL or body with the handle rule: 400 that says the rule. */
export function parseOrgName(raw: string): string {
  const name = raw.startsWith("@") ? raw.slice(1) : raw;
  if (!HANDLE_RE.test(name)) {
    throw badRequest(`Invalid organisation "${clip(raw)}": a name is ${HANDLE_RULE}.`, "INVALID_NAME");
  }
  return name;
}

export async function findOrg(db: D1Database, name: string): Promise<Org | null> {
  const row = await db
    .prepare("SELECT id, name, created_at FROM scopes WHERE name = ? AND kind = 'org'")
    .bind(name)
    .first<{ id: number; name: string; created_at: string }>();
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
}

export async function getOrg(db: D1Database, name: string): Promise<Org> {
  const org = await findOrg(db, parseOrgName(name));
  if (!org) throw notFound(`There is no organisation ${clip(name)}.`, "ORG_NOT_FOUND");
  return org;
}

export async function roleIn(db: D1Database, orgId: number, publisherId: number): Promise<Role | null> {
  const row = await db
    .prepare("SELECT role FROM org_members WHERE org_id = ? AND publisher_id = ?")
    .bind(orgId, publisherId)
    .first<{ role: Role }>();
  return row?.role ?? null;
}

async function publisherIdOf(db: D1Database, handle: string): Promise<number> {
  const row = await db.prepare("SELECT id FROM publishers WHERE handle = ?").bind(handle).first<{ id: number }>();
  if (!row) throw notFound(`There is no user ${clip(handle)}.`, "USER_NOT_FOUND");
  return row.id;
}

const parseHandle = (raw: unknown) => {
  const handle = typeof raw === "string" ? raw.replace(/^@/, "") : "";
  if (!HANDLE_RE.test(handle))
    throw badRequest(`Invalid user "${clip(raw)}": a handle is ${HANDLE_RULE}.`, "INVALID_NAME");
  return handle;
};

/** Owners and admins manage an org; anyone else gets 403 (members) or 403 too (outsiders: the org is public). */
async function requireManager(db: D1Database, org: Org, actor: Publisher): Promise<Role> {
  const role = await roleIn(db, org.id, actor.id);
  if (role !== "owner" && role !== "admin") {
    throw forbidden(`Only owners and admins of ${org.name} can do that.`, "NOT_ORG_ADMIN");
  }
  return role;
}

async function requireMember(db: D1Database, org: Org, actor: Publisher | null): Promise<Role> {
  const role = actor ? await roleIn(db, org.id, actor.id) : null;
  if (!role) throw forbidden(`Only members of ${org.name} can see that.`, "NOT_ORG_MEMBER");
  return role;
}

/** Every skill of the scope gets a new revision: its `maintainers` and ETag may have changed. */
const bumpScope = (db: D1Database, scope: string) =>
  db.prepare("UPDATE skills SET revision = revision + 1 WHERE scope = ?").bind(scope);

/** `POST /orgs {name}`: the creator becomes its owner; `developers` is created with it. */
export async function createOrg(db: D1Database, creator: Publisher, rawName: unknown): Promise<Org> {
  const name = orgNameSchema.parse(rawName);
  const createdAt = now();
  const orgId = "(SELECT id FROM scopes WHERE name = ?1 AND kind = 'org')";
  try {
    await db.batch([
      db.prepare("INSERT INTO scopes (name, kind, created_at) VALUES (?1, 'org', ?2)").bind(name, createdAt),
      db
        .prepare(`INSERT INTO org_members (org_id, publisher_id, role, created_at) VALUES (${orgId}, ?2, 'owner', ?3)`)
        .bind(name, creator.id, createdAt),
      db
        .prepare(`INSERT INTO teams (org_id, name, description, created_at) VALUES (${orgId}, ?2, ?3, ?4)`)
        .bind(name, DEVELOPERS_TEAM, "Every member of the organisation", createdAt),
    ]);
  } catch (err) {
    if (String(err).includes("UNIQUE")) {
      throw conflict(`The name ${name} is taken by a user or an organisation.`, "NAME_TAKEN");
    }
    throw err;
  }
  const org = await findOrg(db, name);
  if (!org) throw new Error("org insert left no row");
  return org;
}

export async function listMembers(db: D1Database, org: Org): Promise<{ handle: string; role: Role }[]> {
  const { results } = await db
    .prepare(
      `SELECT p.handle, m.role FROM org_members m JOIN publishers p ON p.id = m.publisher_id
       WHERE m.org_id = ? ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, p.handle`,
    )
    .bind(org.id)
    .all<{ handle: string; role: Role }>();
  return results;
}

export async function listTeamNames(db: D1Database, org: Org): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT name FROM teams WHERE org_id = ? ORDER BY name")
    .bind(org.id)
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

/** `GET /orgs/:org`: the org; its members and teams only for members. */
export async function orgView(db: D1Database, name: string, viewer: Publisher | null) {
  const org = await getOrg(db, name);
  const role = viewer ? await roleIn(db, org.id, viewer.id) : null;
  if (!role) return { org: orgJson(org) };
  const [members, teams] = await Promise.all([listMembers(db, org), listTeamNames(db, org)]);
  return { org: orgJson(org), role, members, teams };
}

/** The member list as npm's `org ls` wants it: `{handle: role}`. Members only. */
export async function memberRoster(db: D1Database, name: string, viewer: Publisher | null) {
  const org = await getOrg(db, name);
  await requireMember(db, org, viewer);
  return Object.fromEntries((await listMembers(db, org)).map((m) => [m.handle, m.role]));
}

/**
 * Adds a member or changes a role (`npm org set`, `PUT /orgs/:org/members/:handle`). Owners and admins
 * manage; only owners make or change owners (so no one promotes themselves past their role); the
 * last owner cannot be demoted (checked inside the write, so two concurrent demotions cannot both pass).
 */
export async function setMember(
  db: D1Database,
  actor: Publisher,
  orgName: string,
  rawHandle: unknown,
  rawRole: unknown,
) {
  const org = await getOrg(db, orgName);
  const handle = parseHandle(rawHandle);
  const role = roleSchema.parse(rawRole ?? "developer");
  const actorRole = await requireManager(db, org, actor);
  const userId = await publisherIdOf(db, handle);
  const current = await roleIn(db, org.id, userId);
  if ((role === "owner" || current === "owner") && actorRole !== "owner") {
    throw forbidden("Only owners can make someone an owner or change an owner's role.", "OWNER_REQUIRED");
  }
  const [upsert] = await scopeWriteBatch(db, org.name, [
    db
      .prepare(
        `INSERT INTO org_members (org_id, publisher_id, role, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id, publisher_id) DO UPDATE SET role = excluded.role
         WHERE NOT (org_members.role = 'owner' AND excluded.role <> 'owner'
                    AND (SELECT COUNT(*) FROM org_members WHERE org_id = ?1 AND role = 'owner') <= 1)`,
      )
      .bind(org.id, userId, role, now()),
    bumpScope(db, org.name),
  ]);
  if (upsert.meta.changes === 0 && current !== role) {
    throw conflict(`${handle} is the last owner of ${org.name}; make someone else an owner first.`, "LAST_OWNER");
  }
  return { org: { name: org.name, size: await memberCount(db, org.id) }, user: handle, role };
}

async function memberCount(db: D1Database, orgId: number): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM org_members WHERE org_id = ?")
    .bind(orgId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Removes a member (`npm org rm`). Anyone may leave; managers remove others; only owners remove owners; never the last owner. */
export async function removeMember(db: D1Database, actor: Publisher, orgName: string, rawHandle: unknown) {
  const org = await getOrg(db, orgName);
  const handle = parseHandle(rawHandle);
  const userId = await publisherIdOf(db, handle);
  const current = await roleIn(db, org.id, userId);
  if (userId !== actor.id) {
    const actorRole = await requireManager(db, org, actor);
    if (current === "owner" && actorRole !== "owner") {
      throw forbidden("Only owners can remove an owner.", "OWNER_REQUIRED");
    }
  }
  if (!current) throw notFound(`${handle} is not a member of ${org.name}.`, "NOT_A_MEMBER");
  const [removed] = await scopeWriteBatch(db, org.name, [
    db
      .prepare(
        `DELETE FROM org_members WHERE org_id = ?1 AND publisher_id = ?2
         AND NOT (role = 'owner' AND (SELECT COUNT(*) FROM org_members WHERE org_id = ?1 AND role = 'owner') <= 1)`,
      )
      .bind(org.id, userId),
    // Their team seats go with them (only when the removal happened).
    db
      .prepare(
        `DELETE FROM team_members WHERE publisher_id = ?2 AND team_id IN (SELECT id FROM teams WHERE org_id = ?1)
         AND NOT EXISTS (SELECT 1 FROM org_members WHERE org_id = ?1 AND publisher_id = ?2)`,
      )
      .bind(org.id, userId),
    bumpScope(db, org.name),
  ]);
  if (removed.meta.changes === 0) {
    throw conflict(`${handle} is the last owner of ${org.name}; make someone else an owner first.`, "LAST_OWNER");
  }
}

async function getTeam(db: D1Database, org: Org, rawTeam: string): Promise<{ id: number; name: string }> {
  const name = teamNameSchema.parse(rawTeam);
  const row = await db
    .prepare("SELECT id, name FROM teams WHERE org_id = ? AND name = ?")
    .bind(org.id, name)
    .first<{ id: number; name: string }>();
  if (!row) throw notFound(`${org.name} has no team ${name}.`, "TEAM_NOT_FOUND");
  return row;
}

export async function createTeam(
  db: D1Database,
  actor: Publisher,
  orgName: string,
  rawTeam: unknown,
  description: unknown,
) {
  const org = await getOrg(db, orgName);
  const name = teamNameSchema.parse(rawTeam);
  const text = z.string().max(1024).nullish().parse(description) ?? "";
  await requireManager(db, org, actor);
  try {
    await db
      .prepare("INSERT INTO teams (org_id, name, description, created_at) VALUES (?, ?, ?, ?)")
      .bind(org.id, name, text, now())
      .run();
  } catch (err) {
    if (String(err).includes("UNIQUE")) throw conflict(`${org.name} already has a team ${name}.`, "TEAM_EXISTS");
    throw err;
  }
  return { name, description: text };
}

export async function destroyTeam(db: D1Database, actor: Publisher, orgName: string, rawTeam: string) {
  const org = await getOrg(db, orgName);
  await requireManager(db, org, actor);
  const team = await getTeam(db, org, rawTeam);
  if (team.name === DEVELOPERS_TEAM) {
    throw badRequest("The developers team holds every member and cannot be removed.", "DEVELOPERS_TEAM");
  }
  await scopeWriteBatch(db, org.name, [
    db.prepare("DELETE FROM team_grants WHERE team_id = ?").bind(team.id),
    db.prepare("DELETE FROM team_members WHERE team_id = ?").bind(team.id),
    db.prepare("DELETE FROM teams WHERE id = ?").bind(team.id),
    bumpScope(db, org.name),
  ]);
}

/** What `npm team add|rm` checks before changing a team: a manager, a real team other than developers, a user. */
async function teamMembershipChange(
  db: D1Database,
  actor: Publisher,
  orgName: string,
  rawTeam: string,
  rawUser: unknown,
  change: "add" | "remove",
) {
  const org = await getOrg(db, orgName);
  await requireManager(db, org, actor);
  const team = await getTeam(db, org, rawTeam);
  const handle = parseHandle(rawUser);
  if (team.name === DEVELOPERS_TEAM) {
    const instead = change === "add" ? "add them to" : "remove them from";
    throw badRequest(`Every member is in the developers team; ${instead} the organisation instead.`, "DEVELOPERS_TEAM");
  }
  return { org, team, handle, userId: await publisherIdOf(db, handle) };
}

/** `npm team add`: the user must already be a member of the org (checked inside the insert). */
export async function addTeamMember(
  db: D1Database,
  actor: Publisher,
  orgName: string,
  rawTeam: string,
  rawUser: unknown,
) {
  const { org, team, handle, userId } = await teamMembershipChange(db, actor, orgName, rawTeam, rawUser, "add");
  const [insert] = await scopeWriteBatch(db, org.name, [
    db
      .prepare(
        `INSERT INTO team_members (team_id, publisher_id) SELECT ?1, ?2
         WHERE EXISTS (SELECT 1 FROM org_members WHERE org_id = ?3 AND publisher_id = ?2)
         ON CONFLICT (team_id, publisher_id) DO NOTHING`,
      )
      .bind(team.id, userId, org.id),
    bumpScope(db, org.name),
  ]);
  if (insert.meta.changes === 0 && !(await roleIn(db, org.id, userId))) {
    throw badRequest(`${handle} is not a member of ${org.name}; add them with npm org set first.`, "NOT_A_MEMBER");
  }
}

export async function removeTeamMember(
  db: D1Database,
  actor: Publisher,
  orgName: string,
  rawTeam: string,
  rawUser: unknown,
) {
  const { org, team, handle, userId } = await teamMembershipChange(db, actor, orgName, rawTeam, rawUser, "remove");
  const [removed] = await scopeWriteBatch(db, org.name, [
    db.prepare("DELETE FROM team_members WHERE team_id = ? AND publisher_id = ?").bind(team.id, userId),
    bumpScope(db, org.name),
  ]);
  if (removed.meta.changes === 0) throw notFound(`${handle} is not in ${org.name}:${team.name}.`, "NOT_A_MEMBER");
}

export async function teamsOf(db: D1Database, orgName: string, viewer: Publisher | null): Promise<string[]> {
  const org = await getOrg(db, orgName);
  await requireMember(db, org, viewer);
  return (await listTeamNames(db, org)).map((team) => `${org.name}:${team}`);
}

export async function teamMembers(db: D1Database, orgName: string, rawTeam: string, viewer: Publisher | null) {
  const org = await getOrg(db, orgName);
  await requireMember(db, org, viewer);
  const team = await getTeam(db, org, rawTeam);
  const { results } =
    team.name === DEVELOPERS_TEAM
      ? await db
          .prepare(
            "SELECT p.handle FROM org_members m JOIN publishers p ON p.id = m.publisher_id WHERE m.org_id = ? ORDER BY p.handle",
          )
          .bind(org.id)
          .all<{ handle: string }>()
      : await db
          .prepare(
            "SELECT p.handle FROM team_members tm JOIN publishers p ON p.id = tm.publisher_id WHERE tm.team_id = ? ORDER BY p.handle",
          )
          .bind(team.id)
          .all<{ handle: string }>();
  return results.map((r) => r.handle);
}

/** The skill a grant names, which must belong to the org. */
async function orgSkill(db: D1Database, org: Org, name: SkillName, actor: Publisher): Promise<SkillRow> {
  if (name.scope !== org.name) {
    throw badRequest(
      `${canonicalName(name)} does not belong to ${org.name}; teams get access to its skills only.`,
      "WRONG_SCOPE",
    );
  }
  const skill = await db
    .prepare(
      "SELECT id, scope, name, description, created_at, updated_at, revision, access FROM skills WHERE scope = ? AND name = ?",
    )
    .bind(name.scope, name.name)
    .first<SkillRow>();
  // A restricted skill the actor cannot read does not exist for them.
  if (!skill || !(await canRead(db, { publisherId: actor.id }, name, skill))) {
    throw notFound(`${canonicalName(name)} does not exist.`, "SKILL_NOT_FOUND");
  }
  return skill;
}

/**
 * `npm access grant <read-only|read-write> org:team <pkg>`. Managers only, and no one grants more
 * than they have: read-write needs write on the skill.
 */
export async function grantTeam(
  db: D1Database,
  actor: Publisher,
  orgName: string,
  rawTeam: string,
  name: SkillName,
  rawPermission: unknown,
) {
  const org = await getOrg(db, orgName);
  const permission = permissionSchema.parse(rawPermission);
  await requireManager(db, org, actor);
  const team = await getTeam(db, org, rawTeam);
  const skill = await orgSkill(db, org, name, actor);
  if (permission === "read-write" && !(await canWrite(db, actor, skill))) {
    throw forbidden(
      `You cannot grant write on ${canonicalName(skill)}: you do not have it yourself.`,
      "GRANT_EXCEEDS_OWN",
    );
  }
  await skillWriteBatch(db, skill, [
    db
      .prepare(
        `INSERT INTO team_grants (team_id, skill_id, permission) VALUES (?1, ?2, ?3)
         ON CONFLICT (team_id, skill_id) DO UPDATE SET permission = excluded.permission`,
      )
      .bind(team.id, skill.id, permission),
    db.prepare("UPDATE skills SET revision = revision + 1 WHERE id = ?").bind(skill.id),
  ]);
}

export async function revokeTeam(db: D1Database, actor: Publisher, orgName: string, rawTeam: string, name: SkillName) {
  const org = await getOrg(db, orgName);
  await requireManager(db, org, actor);
  const team = await getTeam(db, org, rawTeam);
  const skill = await orgSkill(db, org, name, actor);
  await skillWriteBatch(db, skill, [
    db.prepare("DELETE FROM team_grants WHERE team_id = ? AND skill_id = ?").bind(team.id, skill.id),
    db.prepare("UPDATE skills SET revision = revision + 1 WHERE id = ?").bind(skill.id),
  ]);
}

type PackageLevels = Record<string, "read" | "write">;
const levelWord = (level: number) => (level >= WRITE ? "write" : "read");

/** Restricted skills appear in a list only for a viewer who can read them. */
const visibleTo = (viewer: Publisher | null) =>
  viewer
    ? `(s.access = 'public' OR ${levelSql("s.id", "s.scope", String(viewer.id))} >= ${READ})`
    : "s.access = 'public'";

/** `npm access list packages org:team`: the team's grants. Members only. */
export async function teamPackages(db: D1Database, orgName: string, rawTeam: string, viewer: Publisher | null) {
  const org = await getOrg(db, orgName);
  await requireMember(db, org, viewer);
  const team = await getTeam(db, org, rawTeam);
  const { results } = await db
    .prepare(
      `SELECT s.scope, s.name, g.permission FROM team_grants g JOIN skills s ON s.id = g.skill_id
       WHERE g.team_id = ? AND ${visibleTo(viewer)} ORDER BY s.name`,
    )
    .bind(team.id)
    .all<{ scope: string; name: string; permission: string }>();
  const out: PackageLevels = {};
  for (const r of results) out[canonicalName(r)] = r.permission === "read-write" ? "write" : "read";
  return out;
}

/** `npm access list packages @org`: the org's skills the viewer can see (the org has write on all). */
export async function orgPackages(db: D1Database, orgName: string, viewer: Publisher | null) {
  const org = await getOrg(db, orgName);
  const { results } = await db
    .prepare(`SELECT s.scope, s.name FROM skills s WHERE s.scope = ? AND ${visibleTo(viewer)} ORDER BY s.name`)
    .bind(org.name)
    .all<{ scope: string; name: string }>();
  const out: PackageLevels = {};
  for (const r of results) out[canonicalName(r)] = "write";
  return out;
}

/** `npm access list packages <user>`: skills the user can read or write, as far as the viewer may see them. */
export async function userPackages(db: D1Database, rawHandle: string, viewer: Publisher | null) {
  const handle = parseHandle(rawHandle);
  const userId = await publisherIdOf(db, handle);
  const { results } = await db
    .prepare(
      `SELECT scope, name, level FROM (
         SELECT s.scope, s.name, ${levelSql("s.id", "s.scope", "?1")} AS level FROM skills s
         WHERE (s.scope IN (SELECT name FROM scopes WHERE publisher_id = ?1
                            UNION SELECT o.name FROM org_members m JOIN scopes o ON o.id = m.org_id WHERE m.publisher_id = ?1)
                OR s.id IN (SELECT skill_id FROM user_grants WHERE publisher_id = ?1)
                OR s.id IN (SELECT g.skill_id FROM team_grants g JOIN team_members tm ON tm.team_id = g.team_id
                            WHERE tm.publisher_id = ?1))
           AND ${visibleTo(viewer)})
       WHERE level >= ${READ} ORDER BY scope, name`,
    )
    .bind(userId)
    .all<{ scope: string; name: string; level: number }>();
  const out: PackageLevels = {};
  for (const r of results) out[canonicalName(r)] = levelWord(r.level);
  return out;
}

/** `npm access list collaborators <pkg>`: accounts with write, and teams with their grant. */
export async function collaborators(db: D1Database, skill: SkillRow, maintainers: string[]) {
  const out: PackageLevels = {};
  for (const handle of maintainers) out[handle] = "write";
  const { results } = await db
    .prepare(
      `SELECT o.name AS org, t.name AS team, g.permission FROM team_grants g JOIN teams t ON t.id = g.team_id
       JOIN scopes o ON o.id = t.org_id WHERE g.skill_id = ? ORDER BY t.name`,
    )
    .bind(skill.id)
    .all<{ org: string; team: string; permission: string }>();
  for (const r of results) out[`${r.org}:${r.team}`] = r.permission === "read-write" ? "write" : "read";
  return out;
}

/** `npm access set status=…`, `PATCH /skills/:scope/:skill {access}`: writers only. */
export async function setSkillAccess(db: D1Database, actor: Publisher, skill: SkillRow, rawAccess: unknown) {
  const access: SkillAccess = accessSchema.parse(rawAccess);
  if (!(await canWrite(db, actor, skill))) {
    throw forbidden(`Only accounts with write on ${canonicalName(skill)} can change who may read it.`, "NOT_OWNER");
  }
  if (skill.access === access) return { access, changed: false };
  await skillWriteBatch(db, skill, [
    db.prepare("UPDATE skills SET access = ?2, revision = revision + 1 WHERE id = ?1").bind(skill.id, access),
  ]);
  return { access, changed: true };
}

/**
 * `npm owner add/rm`: npm sends the whole new `maintainers` list. Added accounts get a write grant;
 * removed ones lose theirs. Write that comes from the scope itself (the user, an org owner) or a team
 * is changed where it comes from, so removing such an account is a 400 that says where.
 */
export async function setMaintainers(
  db: D1Database,
  actor: Publisher,
  skill: SkillRow,
  current: string[],
  raw: unknown,
) {
  const list = z
    .array(z.looseObject({ name: z.string().max(64) }), { message: "maintainers must be a list of {name}" })
    .max(1000)
    .parse(raw);
  if (!(await canWrite(db, actor, skill))) {
    throw forbidden(`Only accounts with write on ${canonicalName(skill)} can change its owners.`, "NOT_OWNER");
  }
  const wanted = new Set(list.map((m) => parseHandle(m.name)));
  const added = [...wanted].filter((h) => !current.includes(h));
  const removed = current.filter((h) => !wanted.has(h));
  if (added.length === 0 && removed.length === 0) return { changed: false };
  if (wanted.size === 0) throw badRequest("A skill keeps at least one owner.", "LAST_OWNER");
  const statements: D1PreparedStatement[] = [];
  for (const handle of added) {
    const id = await publisherIdOf(db, handle);
    statements.push(
      db
        .prepare("INSERT INTO user_grants (skill_id, publisher_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(skill.id, id),
    );
  }
  for (const handle of removed) {
    const id = await publisherIdOf(db, handle);
    // Write from anywhere but a user grant (skill id 0 matches no grant: only the scope rules remain)?
    const scopeLevel = await db
      .prepare(`SELECT ${levelSql("0", "?1", "?2")} AS level`)
      .bind(skill.scope, id)
      .first<{ level: number }>();
    const viaTeam = await db
      .prepare(
        `SELECT t.name FROM team_grants g JOIN teams t ON t.id = g.team_id WHERE g.skill_id = ?1 AND g.permission = 'read-write'
         AND (EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = t.id AND tm.publisher_id = ?2)
              OR (t.name = 'developers' AND EXISTS (SELECT 1 FROM org_members m WHERE m.org_id = t.org_id AND m.publisher_id = ?2)))`,
      )
      .bind(skill.id, id)
      .first<{ name: string }>();
    if ((scopeLevel?.level ?? 0) >= WRITE) {
      throw badRequest(
        `${handle} owns the scope @${skill.scope} (as its user or an org owner); change that with npm org, not npm owner.`,
        "OWNER_BY_SCOPE",
      );
    }
    if (viaTeam) {
      throw badRequest(
        `${handle} has write through the team ${skill.scope}:${viaTeam.name}; use npm access revoke or npm team rm.`,
        "OWNER_BY_TEAM",
      );
    }
    statements.push(db.prepare("DELETE FROM user_grants WHERE skill_id = ? AND publisher_id = ?").bind(skill.id, id));
  }
  statements.push(db.prepare("UPDATE skills SET revision = revision + 1 WHERE id = ?").bind(skill.id));
  await skillWriteBatch(db, skill, statements);
  return { changed: true };
}

/** The orgs an account belongs to, with its role (`/auth/me`, `/account`). */
export async function orgsOf(db: D1Database, publisherId: number): Promise<{ name: string; role: Role }[]> {
  const { results } = await db
    .prepare(
      `SELECT o.name, m.role FROM org_members m JOIN scopes o ON o.id = m.org_id
       WHERE m.publisher_id = ? ORDER BY o.name`,
    )
    .bind(publisherId)
    .all<{ name: string; role: Role }>();
  return results;
}
