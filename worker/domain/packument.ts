// The npm packument (package document): what `npm view`/`npm install` read for a skill.
// Loading is one D1 batch (the skill row, every live version, the tags); building is a pure function
// of those rows and the request origin, so a 1,000-version skill costs one pass over its rows.
// read-cache.ts keeps the rows and the built JSON per (skill, form, origin) between writes.
import { levelSql, WRITE } from "./access";
import type { SkillName } from "./names";
import { attestationsRef } from "./provenance";
import type { VersionSignature } from "./signatures";
import type { SkillRow, VersionRow } from "./skills";
import { compareVersions } from "./versions";

export type PackumentForm = "full" | "abbreviated";

/** A live version with its stored manifest; `readme` is only loaded for the version `latest` names. */
export interface PackumentVersionRow extends VersionRow {
  manifest_json: string;
  readme: string | null;
  /** Stored registry signatures (JSON), see signatures.ts. */
  signatures?: string | null;
  /** Provenance summary (JSON), see provenance.ts. */
  provenance?: string | null;
  /** What `ensureSigned` decided to serve for the registry's current keys. */
  served_signatures?: VersionSignature[];
}

export interface PackumentSource {
  skill: SkillRow;
  versions: PackumentVersionRow[];
  tags: Record<string, string>;
  /** Handles of every account with write on the skill (npm's `maintainers`). */
  maintainers: string[];
}

type Json = Record<string, unknown>;

const SKILL_COLUMNS = "id, scope, name, description, created_at, updated_at, revision, access";

/**
 * The skill row, every live version (manifest included) and the dist-tags, in one D1 round trip (a
 * batch is one transaction, so the ETag's revision always matches the rows). Null when no such skill.
 */
export async function loadPackumentSource(db: D1Database, name: SkillName): Promise<PackumentSource | null> {
  const skillId = "(SELECT id FROM skills WHERE scope = ?1 AND name = ?2)";
  const [skills, versions, tags, maintainers] = await db.batch([
    db.prepare(`SELECT ${SKILL_COLUMNS} FROM skills WHERE scope = ?1 AND name = ?2`).bind(name.scope, name.name),
    db
      .prepare(
        `SELECT version, integrity, shasum, sha256, size, unpacked_size, file_count, deprecated, published_at,
                unpublished_at, manifest_json, signatures, provenance, risk_level, risk_json,
                CASE WHEN version = (SELECT version FROM dist_tags WHERE skill_id = ${skillId} AND tag = 'latest')
                     THEN readme END AS readme
         FROM versions WHERE skill_id = ${skillId} AND unpublished_at IS NULL`,
      )
      .bind(name.scope, name.name),
    db
      .prepare(`SELECT tag, version FROM dist_tags WHERE skill_id = ${skillId} ORDER BY tag`)
      .bind(name.scope, name.name),
    db
      .prepare(
        `SELECT p.handle FROM publishers p WHERE ${levelSql(skillId, "?1", "p.id")} >= ${WRITE}
         AND p.id IN (${WRITER_CANDIDATES(skillId)}) ORDER BY p.handle`,
      )
      .bind(name.scope, name.name),
  ]);
  const skill = skills.results[0] as SkillRow | undefined;
  if (!skill) return null;
  return {
    skill,
    versions: (versions.results as unknown as PackumentVersionRow[]).sort((a, b) =>
      compareVersions(a.version, b.version),
    ),
    tags: Object.fromEntries((tags.results as { tag: string; version: string }[]).map((r) => [r.tag, r.version])),
    maintainers: (maintainers.results as { handle: string }[]).map((r) => r.handle),
  };
}

/** Accounts that may have write on a skill (narrows the maintainers query before the exact level check). */
const WRITER_CANDIDATES = (skillId: string) => `
  SELECT publisher_id FROM scopes WHERE name = ?1 AND kind = 'user'
  UNION SELECT m.publisher_id FROM scopes o JOIN org_members m ON m.org_id = o.id WHERE o.name = ?1 AND m.role = 'owner'
  UNION SELECT publisher_id FROM user_grants WHERE skill_id = ${skillId}
  UNION SELECT tm.publisher_id FROM team_grants g JOIN team_members tm ON tm.team_id = g.team_id
        WHERE g.skill_id = ${skillId} AND g.permission = 'read-write'
  UNION SELECT om.publisher_id FROM team_grants g JOIN teams t ON t.id = g.team_id JOIN org_members om ON om.org_id = t.org_id
        WHERE g.skill_id = ${skillId} AND g.permission = 'read-write' AND t.name = 'developers'`;

/** CouchDB-style revision npm echoes back in `PUT /<name>/-rev/<rev>`: the skill's revision counter first. */
export const packumentRev = (skill: Pick<SkillRow, "id" | "revision">) =>
  `${skill.revision}-${skill.id.toString(16).padStart(8, "0")}`;

/** The revision number a `_rev` names, or null when it is not one of ours. */
export function parseRev(rev: string): number | null {
  const match = /^(\d{1,15})-[0-9a-f]+$/.exec(rev);
  return match ? Number(match[1]) : null;
}

/** Bump when the document's shape changes, so clients holding an older build revalidate to a new body. */
const PACKUMENT_FORMAT = 2;

/**
 * Changes whenever anything in the document can change: a new revision, the other form, a new
 * format, the registry's signing keys (`keys`: the key ring's id).
 */
export const packumentEtag = (skill: Pick<SkillRow, "id" | "revision">, form: PackumentForm, keys = "") =>
  `"pk${PACKUMENT_FORMAT}-${skill.id}-${skill.revision}-${form === "full" ? "f" : "a"}${keys ? `-${keys}` : ""}"`;

export const tarballFileName = (skillName: string, version: string) => `${skillName}-${version}.tgz`;

/** `<origin>/@acme/hello-skill/-/hello-skill-1.0.0.tgz` */
export const tarballUrl = (origin: string, skill: Pick<SkillRow, "scope" | "name">, version: string) =>
  `${origin}/@${skill.scope}/${skill.name}/-/${tarballFileName(skill.name, version)}`;

// Fields of a version manifest that installers need (npm's "corgi" document).
const ABBREVIATED_FIELDS = [
  "name",
  "version",
  "deprecated",
  "dependencies",
  "optionalDependencies",
  "devDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "bundleDependencies",
  "bundledDependencies",
  "acceptDependencies",
  "bin",
  "directories",
  "engines",
  "os",
  "cpu",
  "libc",
  "funding",
  "license",
];
// Large or registry-level fields that never belong in a per-version manifest.
const OMITTED_VERSION_FIELDS = new Set(["readme", "readmeFilename", "dist", "deprecated"]);

function parseManifest(row: PackumentVersionRow): Json {
  try {
    const parsed: unknown = JSON.parse(row.manifest_json);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Json;
  } catch {}
  return {};
}

/** One version as the registry serves it: the stored manifest plus `_id`, `dist` and `deprecated`. */
export function buildVersionDoc(skill: SkillRow, row: PackumentVersionRow, origin: string): Json {
  const name = `@${skill.scope}/${skill.name}`;
  const manifest = parseManifest(row);
  const doc: Json = {};
  for (const [key, value] of Object.entries(manifest)) if (!OMITTED_VERSION_FIELDS.has(key)) doc[key] = value;
  doc.name = name;
  doc.version = row.version;
  doc._id = `${name}@${row.version}`;
  const scripts = manifest.scripts as Record<string, unknown> | undefined;
  if (scripts && ["preinstall", "install", "postinstall"].some((s) => typeof scripts[s] === "string")) {
    doc.hasInstallScript = true;
  }
  doc.dist = {
    tarball: tarballUrl(origin, skill, row.version),
    integrity: row.integrity,
    shasum: row.shasum,
    fileCount: row.file_count,
    unpackedSize: row.unpacked_size,
    ...(row.served_signatures?.length ? { signatures: row.served_signatures } : {}),
    ...attestationsRef(origin, name, row),
  };
  if (row.deprecated) doc.deprecated = row.deprecated;
  return doc;
}

function abbreviate(doc: Json): Json {
  const out: Json = {};
  for (const key of ABBREVIATED_FIELDS) if (doc[key] !== undefined) out[key] = doc[key];
  if (doc.hasInstallScript) out.hasInstallScript = true;
  out.dist = doc.dist;
  return out;
}

/** The packument for `GET /<name>`: full by default, abbreviated for `Accept: application/vnd.npm.install-v1+json`. */
export function buildPackument(source: PackumentSource, form: PackumentForm, origin: string): Json {
  const { skill, versions, tags } = source;
  const name = `@${skill.scope}/${skill.name}`;
  const docs: Json = {};
  for (const row of versions) {
    const doc = buildVersionDoc(skill, row, origin);
    docs[row.version] = form === "full" ? doc : abbreviate(doc);
  }
  if (form === "abbreviated") {
    return { name, modified: skill.updated_at, "dist-tags": tags, versions: docs };
  }
  const time: Record<string, string> = { created: skill.created_at, modified: skill.updated_at };
  for (const row of versions) time[row.version] = row.published_at;
  const readme = versions.find((row) => row.readme !== null)?.readme ?? "";
  // Every account with write (`npm owner ls`). Emails stay private; npm prints an empty one as
  // nothing but a missing one as "<undefined>".
  const maintainers = source.maintainers.map((handle) => ({ name: handle, email: "" }));
  return {
    _id: name,
    _rev: packumentRev(skill),
    name,
    description: skill.description,
    "dist-tags": tags,
    versions: docs,
    time,
    maintainers,
    readme,
    readmeFilename: "SKILL.md",
  };
}
