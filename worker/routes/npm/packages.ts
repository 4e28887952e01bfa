// npm package routes: everything under `/@scope/name` (and its `%2f` / `%40` spellings).
import { Buffer } from "node:buffer";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { assertCanPublish } from "../../domain/access";
import { formatBytes } from "../../domain/limits";
import { applyPackumentEdit, assertRev, unpublishSkill, unpublishVersion } from "../../domain/maintenance";
import { canonicalName, type SkillName } from "../../domain/names";
import { accessSchema, setMaintainers } from "../../domain/orgs";
import { buildPackument, buildVersionDoc, type PackumentForm, packumentEtag } from "../../domain/packument";
import { publishVersion } from "../../domain/publish";
import { readSkill } from "../../domain/read-cache";
import { ensureSigned } from "../../domain/signatures";
import { findSkill, resolveSpec, type SkillRow } from "../../domain/skills";
import { setDistTag } from "../../domain/tags";
import { parseExactVersion } from "../../domain/versions";
import type { AppEnv } from "../../env";
import { badRequest, clip, tooLarge } from "../../errors";
import { requireAuth } from "../../http/auth";
import { readJson } from "../../http/body";
import { matchesIfNoneMatch } from "../../http/etag";
import { serveTarball } from "../../http/tarball";
import { requestOrigin } from "../../http/url";
import { cacheScope, visibleSkill, visibleTarballRef } from "../../http/visible";
import { packageNotFound, parsePackagePath, tarballVersion } from "./paths";
import { assertUsersUnchanged, isStarEdit, readStarBody, starFromPut } from "./stars";

const PACKAGE_PATHS = ["/@*", "/%40*"];
const ABBREVIATED_TYPE = "application/vnd.npm.install-v1+json";

/** The skill row, or npm's 404 when it does not exist. */
async function skillOr404(c: Context<AppEnv>, name: SkillName): Promise<SkillRow> {
  const skill = await findSkill(c.get("deps").db, name);
  if (!skill) throw packageNotFound();
  return skill;
}

function wantsAbbreviated(accept: string | undefined): boolean {
  return (accept ?? "")
    .split(",")
    .some((part) => part.trim().toLowerCase().startsWith(ABBREVIATED_TYPE) && !/;\s*q=0(\.0*)?\s*(;|$)/.test(part));
}

async function getPackument(c: Context<AppEnv>, name: SkillName): Promise<Response> {
  const forWrite = c.req.query("write") === "true";
  // The document a client edits and sends back with its _rev is read from D1, never from a cache.
  const snapshot = await visibleSkill(c, name, { fresh: forWrite });
  if (!snapshot || snapshot.source.versions.length === 0) throw packageNotFound(); // or every version unpublished
  const scope = cacheScope(snapshot.source.skill);
  const form: PackumentForm = !forWrite && wantsAbbreviated(c.req.header("Accept")) ? "abbreviated" : "full";
  const keys = await ensureSigned(c.get("deps"), name, snapshot);
  const etag = packumentEtag(snapshot.source.skill, form, keys);
  const headers: Record<string, string> = {
    ETag: etag,
    Vary: "Accept",
    // Always revalidate (cheap: 304 by revision), so a publish is visible at once.
    "Cache-Control": forWrite ? "private, no-store" : `${scope}, max-age=0, must-revalidate`,
  };
  if (!forWrite && matchesIfNoneMatch(c.req.header("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  const at = requestOrigin(c);
  const body = snapshot.document(`packument:${form}:${at}:${keys}`, () => buildPackument(snapshot.source, form, at));
  headers["Content-Type"] = form === "full" ? "application/json" : ABBREVIATED_TYPE;
  return new Response(body, { headers });
}

/** `GET /@acme/x/1.0.0` or `/@acme/x/latest`: one version's manifest, as the registry serves it. */
async function getVersionManifest(c: Context<AppEnv>, name: SkillName, spec: string): Promise<Response> {
  const snapshot = await visibleSkill(c, name);
  if (!snapshot) throw packageNotFound();
  const { skill, tags } = snapshot.source;
  const row = snapshot.version(resolveSpec(name, spec, tags, snapshot.liveVersions()));
  if (!row) throw packageNotFound();
  await ensureSigned(c.get("deps"), name, snapshot);
  if (skill.access === "restricted") c.header("Cache-Control", "private");
  return c.json(buildVersionDoc(skill, { ...row, readme: null }, requestOrigin(c)));
}

async function getTarball(c: Context<AppEnv>, name: SkillName, file: string[]): Promise<Response> {
  const version = tarballVersion(name, file);
  if (version === null) throw packageNotFound();
  const exact = parseExactVersion(version);
  const ref = await visibleTarballRef(c, name, exact);
  if (!ref) throw packageNotFound();
  return serveTarball(c, ref, { skill: name, version: exact });
}

const attachmentSchema = z.object({
  data: z.string(),
  length: z.number().int().nonnegative(),
  content_type: z.string().optional(),
});
/** What npm PUTs to `/<name>`: a publish (with `_attachments`) or an edited packument (deprecate, unpublish). */
const putBodySchema = z.looseObject({
  name: z.string().optional(),
  versions: z.record(z.string(), z.looseObject({})).optional(),
  "dist-tags": z.record(z.string(), z.unknown()).optional(),
  _attachments: z.record(z.string(), attachmentSchema).optional(),
  // libnpmpublish sends `access` with every publish: null unless `--access` (or the config) names one.
  access: accessSchema.nullish(),
});
type PutBody = z.infer<typeof putBodySchema>;

/** base64 inflates by 4/3; the rest of the JSON (manifest, or a whole packument for deprecate) gets 4 MiB. */
const maxPutBytes = (maxTarballBytes: number) => Math.ceil(maxTarballBytes / 3) * 4 + 4 * 1024 * 1024;

function decodeAttachment(file: string, attachment: z.infer<typeof attachmentSchema>): Uint8Array {
  const { data } = attachment;
  if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
    throw badRequest(`_attachments["${file}"].data is not valid base64.`, "INVALID_ATTACHMENT");
  }
  const bytes = Buffer.from(data, "base64");
  if (bytes.byteLength !== attachment.length) {
    throw badRequest(
      `_attachments["${file}"] says length ${attachment.length} but holds ${bytes.byteLength} bytes; the upload was damaged. Publish again.`,
      "LENGTH_MISMATCH",
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The one tarball npm attaches, named `<name>-<version>.tgz` as every npm client names it; a
 * provenance bundle (`<name>-<version>.sigstore`) may ride along (see provenanceAttachment). Anything else
 * would be accepted and silently dropped, or is a tarball for another version: refused.
 */
function tarballAttachment(
  name: SkillName,
  version: string,
  attachments: Record<string, z.infer<typeof attachmentSchema>>,
): [string, z.infer<typeof attachmentSchema>] {
  const files = Object.keys(attachments);
  const tarballs = files.filter((file) => file.endsWith(".tgz"));
  if (tarballs.length !== 1) {
    throw badRequest(`Send exactly one .tgz in _attachments (found ${tarballs.length}).`, "ONE_TARBALL");
  }
  const [file] = tarballs;
  const stems = [`${canonicalName(name)}-${version}`, `${name.name}-${version}`];
  if (!stems.some((stem) => file === `${stem}.tgz`)) {
    throw badRequest(
      `The attachment "${clip(file)}" does not name ${canonicalName(name)}@${version}; npm names it ${stems[0]}.tgz.`,
      "ATTACHMENT_MISMATCH",
    );
  }
  const others = files.filter((f) => f !== file && !stems.some((stem) => f === `${stem}.sigstore`));
  if (others.length > 0) {
    throw badRequest(
      `Unexpected attachment "${clip(others[0])}": send the tarball (and at most its .sigstore bundle) only.`,
      "UNEXPECTED_ATTACHMENT",
    );
  }
  return [file, attachments[file]];
}

/** The `.sigstore` bundle of `npm publish --provenance` (its `data` is the bundle JSON, not base64), if sent. */
function provenanceAttachment(
  name: SkillName,
  version: string,
  attachments: Record<string, z.infer<typeof attachmentSchema>>,
): string | undefined {
  const stems = [`${canonicalName(name)}-${version}`, `${name.name}-${version}`];
  const files = stems.map((stem) => `${stem}.sigstore`).filter((file) => Object.hasOwn(attachments, file));
  if (files.length === 0) return undefined;
  if (files.length > 1) throw badRequest("Send one .sigstore provenance bundle, not two.", "BAD_PROVENANCE");
  const { data, length } = attachments[files[0]];
  if (data.length !== length) {
    throw badRequest(
      `_attachments["${files[0]}"] says length ${length} but holds ${data.length} characters; the upload was damaged.`,
      "LENGTH_MISMATCH",
    );
  }
  return data;
}

async function publishFromPut(c: Context<AppEnv>, name: SkillName, body: PutBody): Promise<Response> {
  const deps = c.get("deps");
  const publisher = c.get("publisher");
  const entries = Object.entries(body.versions ?? {});
  if (entries.length !== 1) {
    throw badRequest(`Publish one version at a time (the request names ${entries.length}).`, "ONE_VERSION");
  }
  const [version, manifest] = entries[0];
  if (manifest.version !== version) {
    throw badRequest(
      `versions["${version}"] has version ${JSON.stringify(manifest.version)}; they must be the same.`,
      "MANIFEST_MISMATCH",
    );
  }
  const [file, attachment] = tarballAttachment(name, version, body._attachments ?? {});
  const provenanceBundle = provenanceAttachment(name, version, body._attachments ?? {});
  if (attachment.length > deps.limits.maxTarballBytes) {
    throw tooLarge(
      `The tarball is ${formatBytes(attachment.length)}; the limit is ${formatBytes(deps.limits.maxTarballBytes)}.`,
    );
  }
  const tarball = decodeAttachment(file, attachment);
  // npm sends `{"<--tag or latest>": version}`. `latest` alone means "no tag named": latest then moves
  // only to the highest release, as for `skild publish`.
  const tags = Object.entries(body["dist-tags"] ?? {})
    .filter(([tag, v]) => v === version && tag !== "latest")
    .map(([tag]) => tag);
  const result = await publishVersion(deps, {
    publisher,
    skill: name,
    tarball,
    tag: tags[0],
    manifest,
    provenanceBundle,
    access: body.access ?? undefined,
  });
  let distTags = result.distTags;
  if (tags.length > 1) {
    const skill = await skillOr404(c, name);
    for (const tag of tags.slice(1)) distTags = await setDistTag(deps.db, publisher, skill, tag, version);
  }
  return c.json(
    {
      ok: true,
      success: true,
      id: result.name,
      name: result.name,
      version: result.version,
      integrity: result.integrity,
      shasum: result.shasum,
      "dist-tags": distTags,
    },
    201,
  );
}

/** `PUT /<name>` and `PUT /<name>/-rev/<rev>`. */
async function putPackage(c: Context<AppEnv>, name: SkillName, rev: string | undefined): Promise<Response> {
  const deps = c.get("deps");
  // Anyone who may read the skill may star it (`npm star` PUTs `{_id, _rev, users}`); everything else
  // needs write. A stranger's body is read only when it can be a star, and anything but a star is
  // refused with the same 403 as before reading it.
  let notWriter: unknown;
  try {
    await assertCanPublish(deps.db, c.get("publisher"), name);
  } catch (err) {
    notWriter = err;
  }
  if (notWriter) {
    const body = await readStarBody(c).catch(() => {
      throw notWriter;
    });
    if (!body || !isStarEdit(body)) throw notWriter;
    return starFromPut(c, name, rev, body);
  }
  const body = await readJson(c, putBodySchema, maxPutBytes(deps.limits.maxTarballBytes));
  if (isStarEdit(body)) return starFromPut(c, name, rev, body);
  if (body.users !== undefined) await assertUsersUnchanged(c, name, body.users);
  // `npm owner add/rm` sends only {_id, _rev, maintainers}; every other edit sends the whole document.
  const isPublish = rev === undefined && Object.keys(body._attachments ?? {}).length > 0;
  const documentName = isPublish ? body.name : (body.name ?? body._id);
  if (documentName !== canonicalName(name)) {
    throw badRequest(
      `The document is for ${clip(documentName)} but the URL names ${canonicalName(name)}.`,
      "NAME_MISMATCH",
    );
  }
  if (rev === undefined && Object.keys(body._attachments ?? {}).length > 0) return publishFromPut(c, name, body);
  const skill = await skillOr404(c, name);
  assertRev(skill, rev);
  if (body.maintainers !== undefined) {
    // The current owners from D1 (not a cache): npm sends the whole new list, and a removal is the difference.
    const current = (await readSkill(deps.db, name, { fresh: true }))?.source.maintainers ?? [];
    const { changed } = await setMaintainers(deps.db, c.get("publisher"), skill, current, body.maintainers);
    if (body.versions === undefined) return c.json({ ok: true, changed });
  }
  // Unpublishing by omission needs the revision the client edited, so a stale copy cannot drop versions.
  // A document without `versions` changes none (and must not read as "remove them all").
  if (body.versions === undefined) return c.json({ ok: true, changed: false });
  const { changed } = await applyPackumentEdit(deps.db, c.get("publisher"), skill, body.versions, {
    allowRemoval: rev !== undefined,
  });
  return c.json({ ok: true, changed });
}

/** `DELETE /<name>/-rev/<rev>` (whole package) and `DELETE /<name>/-/<file>.tgz/-rev/<rev>` (one version). */
async function deletePackage(c: Context<AppEnv>, name: SkillName, rest: string[]): Promise<Response> {
  const db = c.get("deps").db;
  const publisher = c.get("publisher");
  await assertCanPublish(db, publisher, name);
  // Deletes name the revision they were decided on (as CouchDB requires), so a stale client cannot delete.
  const revAt = rest.length - 2;
  if (rest[revAt] !== "-rev") {
    throw badRequest("Name the revision you read: DELETE <path>/-rev/<_rev of the packument>.", "REV_REQUIRED");
  }
  const rev = rest[revAt + 1];
  const target = rest.slice(0, revAt);
  const skill = await skillOr404(c, name);
  assertRev(skill, rev);
  if (target.length === 0) {
    await unpublishSkill(db, publisher, skill);
    return c.json({ ok: true });
  }
  if (target[0] === "-" && target.length > 1) {
    const version = tarballVersion(name, target.slice(1));
    if (version === null) throw packageNotFound();
    await unpublishVersion(db, publisher, skill, version);
    return c.json({ ok: true });
  }
  throw packageNotFound();
}

export const packageRoutes = new Hono<AppEnv>()
  .on("GET", PACKAGE_PATHS, async (c) => {
    const { skill, rest } = parsePackagePath(c.req.path);
    if (rest.length === 0) return getPackument(c, skill);
    if (rest[0] === "-" && rest.length > 1) return getTarball(c, skill, rest.slice(1));
    if (rest.length === 1 && rest[0] !== "" && rest[0] !== "-rev") return getVersionManifest(c, skill, rest[0]);
    throw packageNotFound();
  })
  .on("PUT", PACKAGE_PATHS, requireAuth("write"), async (c) => {
    const { skill, rest } = parsePackagePath(c.req.path);
    if (rest.length === 0) return putPackage(c, skill, undefined);
    if (rest.length === 2 && rest[0] === "-rev") return putPackage(c, skill, rest[1]);
    throw packageNotFound();
  })
  .on("DELETE", PACKAGE_PATHS, requireAuth("write"), async (c) => {
    const { skill, rest } = parsePackagePath(c.req.path);
    return deletePackage(c, skill, rest);
  });
