// The one publish pipeline. Both dialects call `publishVersion`: the skild API with the raw .tgz,
// the npm facade with the decoded attachment and the manifest npm sent.
import semver from "semver";
import ssri from "ssri";
import { checkSkillMdName, checkSpecFrontmatter, SkillFormatError } from "../../common/skill-format.js";
import { parseSkillMd } from "../../common/skill-md.js";
import type { Deps } from "../env";
import { badRequest, conflict, serviceUnavailable, tooLarge } from "../errors";
import { assertCanPublish, type SkillAccess } from "./access";
import type { Publisher } from "./accounts";
import { artifactKey } from "./artifact-store";
import { sha256Hex, toHex } from "./crypto";
import { canonicalName, type SkillName } from "./names";
import { ensureTarballStored } from "./orphan-sweep";
import { checkProvenance } from "./provenance";
import { skillWriteBatch } from "./read-cache";
import { type Risk, scanVersion, storeRiskStatement } from "./risk";
import { getDistTags } from "./skills";
import { inspectTarball } from "./tarball";
import { signAtPublish, trustStatements } from "./trust";
import { parseDistTag, parseExactVersion, sortKey } from "./versions";

export interface PublishInput {
  publisher: Publisher;
  skill: SkillName;
  tarball: Uint8Array;
  /** A dist-tag named by the publisher (`?tag=`, npm `--tag`). Without one, `latest` moves only to the highest release. */
  tag?: string;
  /**
   * npm publish: the version manifest the client sent. Only checked (name, version, dist digests):
   * what is stored and served is the tarball's own package.json, so the metadata installers read
   * can never differ from what they install ("manifest confusion").
   */
  manifest?: Record<string, unknown>;
  /** npm publish --provenance: the `.sigstore` attachment's bundle JSON text (checked in provenance.ts). */
  provenanceBundle?: string;
  /** Who may read a NEW skill (npm `--access`, `?access=`); an existing skill keeps its access (change it with `npm access`). */
  access?: SkillAccess;
}

export interface PublishResult {
  name: string;
  version: string;
  integrity: string;
  shasum: string;
  sha256: string;
  size: number;
  fileCount: number;
  unpackedSize: number;
  distTags: Record<string, string>;
  /** Null when the scan is turned off (RISK_SCAN = "off"). */
  risk: Risk | null;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw badRequest(`${file} is not valid UTF-8.`, "INVALID_TARBALL");
  }
}

/** Fields the registry computes or that npm strips from stored manifests. */
function storedManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(manifest).filter(([k]) => !k.startsWith("_") && k !== "dist"));
}

/** Manifest and readme share one D1 row (at most 2,000,000 bytes); SKILL.md is capped at 512 KiB by inspectTarball. */
const MAX_MANIFEST_BYTES = 512 * 1024;

/** The manifest as stored: JSON that fits its row. Deeply nested JSON overflows the stack when serialized: a 400, not a 500. */
function serializeManifest(manifest: Record<string, unknown>): string {
  let json: string;
  try {
    json = JSON.stringify(manifest);
  } catch {
    throw badRequest("package.json is nested too deeply; keep it to plain package metadata.", "BAD_PACKAGE_JSON");
  }
  const bytes = new TextEncoder().encode(json).byteLength;
  if (bytes > MAX_MANIFEST_BYTES) {
    throw tooLarge(`The package manifest is ${bytes} bytes; the limit is ${MAX_MANIFEST_BYTES}.`, "MANIFEST_TOO_LARGE");
  }
  return json;
}

async function digests(bytes: Uint8Array) {
  const [sha1, sha256] = await Promise.all([crypto.subtle.digest("SHA-1", bytes).then(toHex), sha256Hex(bytes)]);
  return { integrity: ssri.fromData(bytes, { algorithms: ["sha512"] }).toString(), shasum: sha1, sha256 };
}

/** Validates fully in memory, stores the bytes in R2, then records the version in one D1 batch. */
export async function publishVersion(deps: Deps, input: PublishInput): Promise<PublishResult> {
  const { db, artifacts, limits } = deps;
  const { skill, tarball } = input;
  const name = canonicalName(skill);
  await assertCanPublish(db, input.publisher, skill);
  const tag = input.tag === undefined ? undefined : parseDistTag(input.tag);

  // 1. Validate everything before touching storage.
  const contents = await inspectTarball(tarball, limits);
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(decodeUtf8(contents.packageJson, "package.json"));
  } catch (err) {
    if (err instanceof SyntaxError)
      throw badRequest(`package.json is not valid JSON: ${err.message}`, "BAD_PACKAGE_JSON");
    throw err;
  }
  if (pkg === null || typeof pkg !== "object" || Array.isArray(pkg)) {
    throw badRequest("package.json must be a JSON object.", "BAD_PACKAGE_JSON");
  }
  if (pkg.name !== name) {
    throw badRequest(
      `package.json name is ${JSON.stringify(pkg.name)} but you are publishing ${name}.`,
      "NAME_MISMATCH",
    );
  }
  const version = parseExactVersion(pkg.version);
  if (input.manifest && (input.manifest.name !== name || input.manifest.version !== version)) {
    throw badRequest(
      `The manifest says ${String(input.manifest.name)}@${String(input.manifest.version)} but the tarball holds ${name}@${version}.`,
      "MANIFEST_MISMATCH",
    );
  }
  const skillMd = decodeUtf8(contents.skillMd, "SKILL.md");
  let frontmatter: { name: string; description: string };
  try {
    frontmatter = parseSkillMd(skillMd).frontmatter;
    checkSpecFrontmatter(frontmatter); // Agent Skills spec: a 400 naming the rule; warnings are the client's to show
    checkSkillMdName(frontmatter.name, skill);
  } catch (err) {
    if (err instanceof SkillFormatError) throw badRequest(err.message, err.code);
    throw err;
  }
  const description = pickDescription(pkg, frontmatter.description);
  const manifestJson = serializeManifest({ ...storedManifest(pkg), name, version });
  const { integrity, shasum, sha256 } = await digests(tarball);
  assertClaimedDigests(input.manifest, { integrity, shasum });
  const provenance =
    input.provenanceBundle === undefined ? null : checkProvenance(input.provenanceBundle, { name, version, integrity });
  const signature = await signAtPublish(deps, name, version, integrity);
  // Advisory: findings are stored and shown, never a reason to refuse.
  const risk = deps.scanRisk === false ? null : scanVersion(contents.files);

  // A cheap early answer for the common case; the unique key below decides real races.
  const existing = await existingVersion(db, skill, version);
  if (existing) {
    // A retry whose first attempt landed: make sure its bytes are there (a sweep may have raced it).
    if (existing.integrity === integrity) {
      await ensureTarballStored(artifacts, artifactKey(sha256), tarball, { integrity }).catch((err) =>
        console.error("publish: could not re-check the tarball of an existing version", err),
      );
    }
    throw versionTaken(name, version, existing);
  }

  // 2. Bytes first: a version row must never point at a missing object. An object left behind by
  // a failed D1 write is harmless (content-addressed) and reused by the retry.
  const key = artifactKey(sha256);
  try {
    if (!(await artifacts.has(key))) await artifacts.put(key, tarball, { integrity });
  } catch (err) {
    throw storageFailed("could not store the tarball; nothing was published. Try again.", err);
  }

  // 3. One D1 batch (a transaction): skill row, version row, tags.
  const now = new Date().toISOString();
  const skillId = "(SELECT id FROM skills WHERE scope = ?1 AND name = ?2)";
  const prerelease = semver.prerelease(version) !== null;
  const statements = [
    db
      .prepare(
        `INSERT INTO skills (scope, name, description, created_at, updated_at, access) VALUES (?1, ?2, ?3, ?4, ?4, ?5)
         ON CONFLICT (scope, name) DO UPDATE SET updated_at = excluded.updated_at, revision = revision + 1`,
      )
      .bind(skill.scope, skill.name, description, now, input.access ?? "public"),
    // A new skill of an org gives its `developers` team read-write (revision 1 = created by this batch).
    db
      .prepare(
        `INSERT INTO team_grants (team_id, skill_id, permission)
         SELECT t.id, s.id, 'read-write' FROM skills s JOIN scopes o ON o.name = s.scope AND o.kind = 'org'
         JOIN teams t ON t.org_id = o.id AND t.name = 'developers'
         WHERE s.scope = ?1 AND s.name = ?2 AND s.revision = 1
         ON CONFLICT (team_id, skill_id) DO NOTHING`,
      )
      .bind(skill.scope, skill.name),
    db
      .prepare(
        `INSERT INTO versions (skill_id, version, sort_key, prerelease, integrity, shasum, sha256, size, unpacked_size,
           file_count, manifest_json, readme, published_at)
         VALUES (${skillId}, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)`,
      )
      .bind(
        skill.scope,
        skill.name,
        version,
        sortKey(version),
        prerelease ? 1 : 0,
        integrity,
        shasum,
        sha256,
        tarball.byteLength,
        contents.unpackedSize,
        contents.fileCount,
        manifestJson,
        skillMd,
        now,
      ),
  ];
  if (tag) {
    statements.push(
      db
        .prepare(
          `INSERT INTO dist_tags (skill_id, tag, version) VALUES (${skillId}, ?3, ?4)
           ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version`,
        )
        .bind(skill.scope, skill.name, tag, version),
    );
  }
  // `latest` always exists once a skill does. Without an explicit tag it moves to this version only
  // when it is a release higher than every live release. Decided inside the transaction, so
  // concurrent publishes of different versions end with latest = the highest.
  const movesLatest = tag
    ? "NOT EXISTS (SELECT 1 FROM dist_tags WHERE skill_id = sid AND tag = 'latest')"
    : `NOT EXISTS (SELECT 1 FROM dist_tags WHERE skill_id = sid AND tag = 'latest')
       OR (?4 = 0 AND NOT EXISTS (SELECT 1 FROM versions WHERE skill_id = sid AND prerelease = 0
             AND unpublished_at IS NULL AND sort_key > ?5))`;
  statements.push(
    db
      .prepare(
        `INSERT INTO dist_tags (skill_id, tag, version)
         SELECT sid, 'latest', ?3 FROM (SELECT ${skillId} AS sid) WHERE ${movesLatest}
         ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version`,
      )
      .bind(
        ...(tag
          ? [skill.scope, skill.name, version]
          : [skill.scope, skill.name, version, prerelease ? 1 : 0, sortKey(version)]),
      ),
    describeIfLatest(db, skill, version, description),
    ...trustStatements(db, skill, version, { signature, provenance }),
  );
  if (risk) statements.push(storeRiskStatement(db, skill, version, risk));
  try {
    await skillWriteBatch(db, skill, statements);
  } catch (err) {
    if (/UNIQUE constraint failed: versions/.test(String(err))) {
      throw versionTaken(name, version, await existingVersion(db, skill, version));
    }
    if (/SWEEP_IN_PROGRESS/.test(String(err))) {
      throw storageFailed("was cleaning up this tarball's old copy; nothing was published. Try again.", err);
    }
    throw storageFailed(
      "could not record the version. Try again: a retry is safe (409 VERSION_EXISTS means it was recorded after all).",
      err,
    );
  }

  try {
    await ensureTarballStored(artifacts, key, tarball, { integrity });
  } catch (err) {
    throw storageFailed("recorded the version but could not confirm its tarball. Publish again to repair it.", err);
  }

  const skillRow = await db
    .prepare("SELECT id FROM skills WHERE scope = ? AND name = ?")
    .bind(skill.scope, skill.name)
    .first<{ id: number }>();
  return {
    name,
    version,
    integrity,
    shasum,
    sha256,
    size: tarball.byteLength,
    fileCount: contents.fileCount,
    unpackedSize: contents.unpackedSize,
    risk,
    distTags: skillRow ? await getDistTags(db, skillRow.id) : {},
  };
}

/** A version's description: package.json's when it has one, else SKILL.md's (which always has one). */
function pickDescription(pkg: Record<string, unknown>, frontmatterDescription: string): string {
  return typeof pkg.description === "string" && pkg.description.trim() ? pkg.description : frontmatterDescription;
}

/** The description of a stored version, from the manifest and SKILL.md checked at its publish; null if unreadable. */
export function storedDescription(row: { manifest_json: string; readme: string | null }): string | null {
  try {
    return pickDescription(JSON.parse(row.manifest_json), parseSkillMd(row.readme ?? "").frontmatter.description);
  } catch {
    return null;
  }
}

/**
 * The skill's description follows the version `latest` names. The guard is evaluated when the
 * batch runs, so whichever write moves `latest` last also leaves its description (publish, dist-tag
 * move, unpublish all add this statement to their batch).
 */
export function describeIfLatest(
  db: D1Database,
  skill: SkillName,
  version: string,
  description: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE skills SET description = ?3 WHERE scope = ?1 AND name = ?2
       AND EXISTS (SELECT 1 FROM dist_tags WHERE skill_id = skills.id AND tag = 'latest' AND version = ?4)`,
    )
    .bind(skill.scope, skill.name, description, version);
}

/** npm publish sends `dist.integrity`/`dist.shasum` of what it packed; bytes that differ were damaged on the way. */
function assertClaimedDigests(
  manifest: Record<string, unknown> | undefined,
  actual: { integrity: string; shasum: string },
) {
  const dist = manifest?.dist as { integrity?: unknown; shasum?: unknown } | undefined;
  if (!dist || typeof dist !== "object") return;
  // Every npm client sends a sha512 SRI; one without it (garbage, or only a weaker hash) proves nothing.
  const claimed = typeof dist.integrity === "string" ? ssri.parse(dist.integrity) : null;
  const integrityBad = dist.integrity !== undefined && !(claimed?.sha512 && claimed.match(actual.integrity));
  const shasumBad = typeof dist.shasum === "string" && dist.shasum.toLowerCase() !== actual.shasum;
  if (integrityBad || shasumBad) {
    throw badRequest(
      `The tarball received does not match the manifest's dist.${integrityBad ? "integrity" : "shasum"}; it was damaged on the way. Publish again.`,
      "INTEGRITY_MISMATCH",
    );
  }
}

/** A storage fault mid-publish: 503, retryable; the single D1 batch means no half-published version. */
function storageFailed(what: string, err: unknown) {
  console.error(`publish: storage failed: ${what}`, err);
  return serviceUnavailable(`The registry ${what}`, "STORAGE_UNAVAILABLE");
}

type ExistingVersion = { integrity: string; unpublished_at: string | null };

/** The version row that won a race for this number (read after our batch lost on the unique key). */
function existingVersion(db: D1Database, skill: SkillName, version: string): Promise<ExistingVersion | null> {
  return db
    .prepare(
      "SELECT v.integrity, v.unpublished_at FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND s.name = ? AND v.version = ?",
    )
    .bind(skill.scope, skill.name, version)
    .first<ExistingVersion>();
}

/**
 * Any republish is a 409, identical bytes included (as on the npm registry). The body carries the
 * existing version's `integrity`, so a client whose reply was lost can tell "mine landed" (equal to
 * what it sent) from "someone else's" without weakening immutability.
 */
function versionTaken(name: string, version: string, existing: ExistingVersion | null) {
  return conflict(
    existing?.unpublished_at
      ? `${name}@${version} was published and then unpublished; a version number is never reused. Bump the version.`
      : `${name}@${version} already exists; versions are immutable. Bump the version to publish a change.`,
    "VERSION_EXISTS",
    existing ? { integrity: existing.integrity } : {},
  );
}
