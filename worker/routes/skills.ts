import { type Context, Hono } from "hono";
import ssri from "ssri";
import { z } from "zod";
import { assertCanPublish } from "../domain/access";
import { archiveKey } from "../domain/artifact-store";
import { versionArchive } from "../domain/discovery";
import { canonicalName, parseCanonicalName, parseScope, parseSkillName, type SkillName } from "../domain/names";
import { accessSchema, setSkillAccess } from "../domain/orgs";
import type { PackumentSource } from "../domain/packument";
import { publishVersion } from "../domain/publish";
import { listingBody, type SkillSnapshot, type TarballRef } from "../domain/read-cache";
import { parseStoredRisk } from "../domain/risk";
import { ensureSigned } from "../domain/signatures";
import { findSkill, LISTING_SORTS, resolveSpec } from "../domain/skills";
import { setStar } from "../domain/stars";
import { versionTrust } from "../domain/trust";
import { listVersionFiles, parseFilePath, readVersionFile } from "../domain/version-files";
import { parseExactVersion } from "../domain/versions";
import type { AppEnv } from "../env";
import { badRequest, notFound, unsupportedMediaType } from "../errors";
import { requireAuth } from "../http/auth";
import { readBodyLimited, readJson } from "../http/body";
import { serveTarball } from "../http/tarball";
import { rawQuery, requestOrigin } from "../http/url";
import { serveVersionFile } from "../http/version-file";
import { cacheScope, visibleSkill, visibleTarballRef } from "../http/visible";

const listQuery = z.object({
  q: z.string().trim().max(128, { message: "must be at most 128 characters" }).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  sort: z.enum(LISTING_SORTS).default("name"),
});

/** Cursors of sorted listings are an offset (counts move, names stay): "o:<offset>". */
const encodeOffsetCursor = (offset: number) => btoa(`o:${offset}`).replace(/=+$/, "");
function decodeOffsetCursor(raw: string): number {
  const match = /^o:(\d{1,6})$/.exec(
    (() => {
      try {
        return atob(raw);
      } catch {
        return "";
      }
    })(),
  );
  if (!match) throw badRequest("Invalid cursor: pass back the nextCursor of the previous page.", "INVALID_CURSOR");
  return Number(match[1]);
}

const encodeCursor = (s: SkillName) => btoa(canonicalName(s)).replace(/=+$/, "");
function decodeCursor(raw: string): SkillName {
  try {
    return parseCanonicalName(atob(raw));
  } catch {
    throw badRequest("Invalid cursor: pass back the nextCursor of the previous page.", "INVALID_CURSOR");
  }
}

/** Path params → {scope, name}; scope may be `acme`, `@acme` or `%40acme`. */
const skillParam = (p: { scope: string; skill: string }): SkillName => ({
  scope: parseScope(p.scope),
  name: parseSkillName(p.skill),
});

/** The skill as this caller may see it: a restricted skill it cannot read answers exactly as a missing one. */
async function readSkillOr404(c: Context<AppEnv>, name: SkillName): Promise<SkillSnapshot> {
  const snapshot = await visibleSkill(c, name);
  if (!snapshot) throw notFound(`${canonicalName(name)} does not exist.`, "SKILL_NOT_FOUND");
  if (snapshot.source.skill.access === "restricted") c.header("Cache-Control", cacheScope(snapshot.source.skill));
  return snapshot;
}

const patchSchema = z.object({ access: accessSchema });

/** `GET /skills/:scope/:skill`: the skill, its live versions (lowest first) and the readme of `latest`. */
function skillDetail({ skill, versions, tags, users = [] }: PackumentSource) {
  const latest = versions.find((v) => v.readme !== null);
  return {
    name: canonicalName(skill),
    description: skill.description,
    distTags: tags,
    versions: versions.map((v) => ({
      version: v.version,
      integrity: v.integrity,
      size: v.size,
      publishedAt: v.published_at,
      ...(v.deprecated ? { deprecated: v.deprecated } : {}),
    })),
    ...(latest ? { readme: latest.readme } : {}),
    stars: users.length,
    createdAt: skill.created_at,
    updatedAt: skill.updated_at,
  };
}

/** `skild star` / `skild unstar`: the caller's own star, through the same lookup as every read. */
async function starRoute(c: Context<AppEnv>, starred: boolean) {
  const db = c.get("deps").db;
  const name = skillParam({ scope: c.req.param("scope") ?? "", skill: c.req.param("skill") ?? "" });
  await readSkillOr404(c, name);
  const skill = await findSkill(db, name);
  if (!skill) throw notFound(`${canonicalName(name)} does not exist.`, "SKILL_NOT_FOUND");
  const result = await setStar(db, c.get("publisher"), skill, starred);
  return c.json({ name: canonicalName(name), starred: result.starred, stars: result.stars });
}

/** A live version's tarball, or 404 naming what is missing: the tarball route and the files routes share it. */
async function tarballRefOr404(c: Context<AppEnv>, skill: SkillName, rawVersion: string): Promise<TarballRef> {
  const version = parseExactVersion(rawVersion);
  const ref = await visibleTarballRef(c, skill, version);
  if (!ref) {
    await readSkillOr404(c, skill); // which is missing: the skill or the version
    throw notFound(`${canonicalName(skill)}@${version} does not exist.`, "VERSION_NOT_FOUND");
  }
  return ref;
}

const tarballPath = (s: SkillName, version: string) => `/skills/@${s.scope}/${s.name}/versions/${version}/tarball`;
const TARBALL_TYPES = /^application\/(gzip|x-gzip|octet-stream|x-tar|x-compressed)\b/i;

/** The skild API: /skills/* */
export const skillRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const body = await listingBody(c.get("deps").db, `skild ${rawQuery(c)}`, () => {
      const query = listQuery.parse(c.req.query());
      const byName = query.sort === "name";
      const after = query.cursor && byName ? decodeCursor(query.cursor) : undefined;
      const offset = query.cursor && !byName ? decodeOffsetCursor(query.cursor) : 0;
      return {
        opts: { q: query.q || undefined, limit: query.limit, after, ...(byName ? {} : { sort: query.sort, offset }) },
        render: ({ skills, more }) => {
          const last = skills.at(-1);
          let nextCursor: string | null = null;
          if (more && last) {
            nextCursor = byName
              ? encodeCursor(parseCanonicalName(last.name))
              : encodeOffsetCursor(offset + skills.length);
          }
          return {
            skills: skills.map(({ name, description, latest, updatedAt, risk, downloads, stars }) => ({
              name,
              description,
              latest,
              updatedAt,
              risk,
              downloads,
              stars,
            })),
            nextCursor,
          };
        },
      };
    });
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  })
  .get("/:scope/:skill", async (c) => {
    const snapshot = await readSkillOr404(c, skillParam(c.req.param()));
    const body = snapshot.document("skild:detail", () => skillDetail(snapshot.source));
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (snapshot.source.skill.access === "restricted") headers["Cache-Control"] = "private";
    return new Response(body, { headers });
  })
  .get("/:scope/:skill/versions/:spec", async (c) => {
    const snapshot = await readSkillOr404(c, skillParam(c.req.param()));
    const { skill, tags } = snapshot.source;
    const version = resolveSpec(skill, c.req.param("spec"), tags, snapshot.liveVersions());
    const row = snapshot.version(version);
    if (!row) throw notFound(`${canonicalName(skill)}@${version} does not exist.`, "VERSION_NOT_FOUND");
    await ensureSigned(c.get("deps"), skillParam(c.req.param()), snapshot);
    return c.json({
      name: canonicalName(skill),
      version: row.version,
      integrity: row.integrity,
      shasum: row.shasum,
      size: row.size,
      unpackedSize: row.unpacked_size,
      fileCount: row.file_count,
      tarballUrl: new URL(tarballPath(skill, row.version), c.req.url).href,
      publishedAt: row.published_at,
      ...(row.deprecated ? { deprecated: row.deprecated } : {}),
      manifest: JSON.parse(row.manifest_json),
      risk: parseStoredRisk(row.risk_json),
      ...versionTrust(requestOrigin(c), canonicalName(skill), row),
    });
  })
  .get("/:scope/:skill/versions/:version/tarball", async (c) => {
    const skill = skillParam(c.req.param());
    const version = parseExactVersion(c.req.param("version"));
    const ref = await tarballRefOr404(c, skill, version);
    return serveTarball(c, ref, { skill, version });
  })
  // Read before you run: the files of a version, through the same lookup as its tarball.
  .get("/:scope/:skill/versions/:version/files", async (c) => {
    const ref = await tarballRefOr404(c, skillParam(c.req.param()), c.req.param("version"));
    // Immutable like the tarball, and private when the skill is.
    c.header("Cache-Control", `${cacheScope(ref.skill)}, max-age=31536000, immutable`);
    return c.json({ files: await listVersionFiles(c.get("deps"), ref) });
  })
  .get("/:scope/:skill/versions/:version/files/*", async (c) => {
    const ref = await tarballRefOr404(c, skillParam(c.req.param()), c.req.param("version"));
    // The raw (still percent-encoded) path after /skills/:scope/:skill/versions/:version/files/.
    const path = parseFilePath(new URL(c.req.url).pathname.split("/").slice(7).join("/"));
    return serveVersionFile(await readVersionFile(c.get("deps"), ref, path), cacheScope(ref.skill));
  })
  // The root-level archive the discovery index points at (built on first use, then stored).
  .get("/:scope/:skill/versions/:version/archive.tar.gz", async (c) => {
    const skill = skillParam(c.req.param());
    const version = parseExactVersion(c.req.param("version"));
    const snapshot = await readSkillOr404(c, skill);
    if (!snapshot.version(version)) {
      throw notFound(`${canonicalName(skill)}@${version} does not exist.`, "VERSION_NOT_FOUND");
    }
    const archive = await versionArchive(c.get("deps"), snapshot.source.skill.id, version);
    if (!archive) throw notFound(`${canonicalName(skill)}@${version} does not exist.`, "VERSION_NOT_FOUND");
    const { id, access } = snapshot.source.skill;
    const ref = {
      key: archiveKey(archive.sha256),
      integrity: ssri.fromHex(archive.sha256, "sha256").toString(),
      size: archive.size,
      skill: { id, access },
    };
    return serveTarball(c, ref, { skill, version }, "application/gzip");
  })
  .put("/:scope/:skill/star", requireAuth("write"), (c) => starRoute(c, true))
  .delete("/:scope/:skill/star", requireAuth("write"), (c) => starRoute(c, false))
  .post("/:scope/:skill/publish", requireAuth("write"), async (c) => {
    const deps = c.get("deps");
    const skill = skillParam(c.req.param());
    // Refuse a stranger's upload before reading it.
    await assertCanPublish(deps.db, c.get("publisher"), skill);
    const access = c.req.query("access");
    const parsedAccess = access ? accessSchema.parse(access) : undefined;
    if (!TARBALL_TYPES.test(c.req.header("Content-Type") ?? "")) {
      throw unsupportedMediaType(
        "Send the .tgz bytes with `Content-Type: application/gzip` (or application/octet-stream).",
      );
    }
    const tarball = await readBodyLimited(c, deps.limits.maxTarballBytes);
    const tag = c.req.query("tag");
    const result = await publishVersion(deps, {
      publisher: c.get("publisher"),
      skill,
      tarball,
      tag: tag || undefined,
      access: parsedAccess,
    });
    return c.json(
      {
        name: result.name,
        version: result.version,
        integrity: result.integrity,
        shasum: result.shasum,
        size: result.size,
        tarballUrl: new URL(tarballPath(skill, result.version), c.req.url).href,
        distTags: result.distTags,
        // The publisher sees what installers will be shown (null when the scan is off).
        risk: result.risk,
      },
      201,
    );
  })
  // `{access: "public"|"restricted"}`: who may read the skill (writers only).
  .patch("/:scope/:skill", requireAuth("write"), async (c) => {
    const db = c.get("deps").db;
    const name = skillParam(c.req.param());
    const { access } = await readJson(c, patchSchema);
    // Exists for this caller? (A restricted skill it cannot read is a 404, as everywhere.)
    const visible = await visibleSkill(c, name);
    const skill = visible && (await findSkill(db, name));
    if (!skill) throw notFound(`${canonicalName(name)} does not exist.`, "SKILL_NOT_FOUND");
    const result = await setSkillAccess(db, c.get("publisher"), skill, access);
    return c.json({ name: canonicalName(name), access: result.access });
  });
