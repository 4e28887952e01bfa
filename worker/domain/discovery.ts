// Agent Skills discovery (https://schemas.agentskills.io/discovery/0.2.0/schema.json), what
// `npx skills add <registry>/~acme` reads: a per-publisher index of the latest version of each skill,
// each pointing at an archive with SKILL.md at its root and naming that archive's sha256.
//
// The npm tarball keeps every file under `package/`, which the `skills` CLI does not accept from an
// index, so each version gets a second, root-level tar.gz of the same files. It is built from the
// stored tarball the first time an index lists the version (so versions published before this
// existed are covered too), stored content-addressed (`archive/sha256/<hex>.tar.gz`), and its digest kept on the
// version row. The build is deterministic: files sorted by path, fixed owner, mode and mtime, gzip
// by the runtime's CompressionStream (mtime 0 in its header).
import { Buffer } from "node:buffer";
import ssri from "ssri";
import { Header } from "tar/header";
import { Parser } from "tar/parse";
import { Pax } from "tar/pax";
import type { Deps } from "../env";
import { serviceUnavailable } from "../errors";
import { archiveKey, artifactKey } from "./artifact-store";
import { sha256Hex } from "./crypto";
import type { SkillName } from "./names";

export const DISCOVERY_SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json";
/** The spec's limit on an index entry's description. */
const MAX_DESCRIPTION = 1024;
/** npm's fixed mtime for packed files (1985-10-26T08:15:00Z): no build time leaks into the bytes. */
const FIXED_MTIME = new Date(499162500000);

export interface ArchiveFile {
  path: string;
  mode: number;
  bytes: Uint8Array;
}

/** Regular files of a (validated, stored) npm tarball, `package/` stripped. Directories are implied. */
export async function tarballFiles(tgz: Uint8Array): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      const path = entry.path.replace(/^package\//, "");
      if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile") {
        entry.resume();
        return;
      }
      const chunks: Uint8Array[] = [];
      entry.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      entry.on("end", () => files.push({ path, mode: entry.mode ?? 0o644, bytes: Buffer.concat(chunks) }));
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on("end", () => resolve());
    parser.on("error", reject);
  });
  const tar = new Uint8Array(
    await new Response(new Blob([tgz]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
  parser.end(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  await done;
  return files;
}

/** A ustar tar.gz of `files` at the archive root, byte-for-byte the same for the same files. */
export async function buildRootArchive(files: ArchiveFile[]): Promise<Uint8Array> {
  const blocks: Uint8Array[] = [];
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    const data = {
      path: file.path,
      // Keep "executable or not"; nothing else of the publisher's machine.
      mode: file.mode & 0o111 ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      size: file.bytes.byteLength,
      mtime: FIXED_MTIME,
      type: "File" as const,
    };
    const header = new Header(data);
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    // Paths too long for ustar's name+prefix ride in a pax header first (the header above then
    // holds a truncated name, as tar does).
    if (header.needPax) blocks.push(new Pax({ path: file.path, mtime: FIXED_MTIME }).encode());
    blocks.push(block, file.bytes);
    const padding = (512 - (file.bytes.byteLength % 512)) % 512;
    if (padding) blocks.push(new Uint8Array(padding));
  }
  blocks.push(new Uint8Array(1024)); // end-of-archive: two zero blocks
  const tar = Buffer.concat(blocks);
  return new Uint8Array(
    await new Response(new Blob([tar]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

export interface ArchiveInfo {
  sha256: string;
  size: number;
}

interface ArchiveRow {
  skill_id: number;
  version: string;
  sha256: string;
  archive_sha256: string | null;
  archive_size: number | null;
}

/**
 * The root-level archive of a version: its stored digest, or built now from the stored tarball,
 * stored in R2 (content-addressed under `archive/`, outside the orphan sweep's `sha256/`) and
 * recorded on the version row.
 */
async function ensureArchive(deps: Deps, row: ArchiveRow): Promise<ArchiveInfo> {
  if (row.archive_sha256 && row.archive_size !== null) return { sha256: row.archive_sha256, size: row.archive_size };
  const object = await deps.artifacts.get(artifactKey(row.sha256));
  if (!object)
    throw serviceUnavailable("The skill's tarball is missing from storage; try again later.", "TARBALL_MISSING");
  const tgz = new Uint8Array(await new Response(object.body).arrayBuffer());
  const archive = await buildRootArchive(await tarballFiles(tgz));
  const sha256 = await sha256Hex(archive);
  const key = archiveKey(sha256);
  if (!(await deps.artifacts.has(key))) {
    await deps.artifacts.put(key, archive, {
      integrity: ssri.fromData(archive, { algorithms: ["sha512"] }).toString(),
    });
  }
  await deps.db
    .prepare(
      "UPDATE versions SET archive_sha256 = ?3, archive_size = ?4 WHERE skill_id = ?1 AND version = ?2 AND archive_sha256 IS NULL",
    )
    .bind(row.skill_id, row.version, sha256, archive.byteLength)
    .run();
  return { sha256, size: archive.byteLength };
}

/** The archive of one live version (built on first use), or null when there is no such version. */
export async function versionArchive(deps: Deps, skillId: number, version: string): Promise<ArchiveInfo | null> {
  const row = await deps.db
    .prepare(
      `SELECT skill_id, version, sha256, archive_sha256, archive_size FROM versions
       WHERE skill_id = ? AND version = ? AND unpublished_at IS NULL`,
    )
    .bind(skillId, version)
    .first<ArchiveRow>();
  return row ? ensureArchive(deps, row) : null;
}

export const archivePath = (skill: SkillName, version: string) =>
  `/skills/@${skill.scope}/${skill.name}/versions/${version}/archive.tar.gz`;

export interface DiscoveryIndex {
  $schema: string;
  skills: { name: string; description: string; type: "archive"; url: string; digest: string }[];
}

/**
 * The discovery index of one publisher: the `latest` version of each of its live skills. Like every
 * listing it shows public skills only.
 */
export async function publisherIndex(deps: Deps, scope: string, origin: string): Promise<DiscoveryIndex> {
  const { results } = await deps.db
    .prepare(
      `SELECT s.id AS skill_id, s.name, s.description, v.version, v.sha256, v.archive_sha256, v.archive_size
       FROM skills s
       JOIN dist_tags t ON t.skill_id = s.id AND t.tag = 'latest'
       JOIN versions v ON v.skill_id = s.id AND v.version = t.version AND v.unpublished_at IS NULL
       WHERE s.scope = ? AND s.access = 'public'
       ORDER BY s.name`,
    )
    .bind(scope)
    .all<ArchiveRow & { name: string; description: string }>();
  const skills: DiscoveryIndex["skills"] = [];
  // One at a time: each build holds one skill's files in memory, and after the first index read
  // every version has its digest stored.
  for (const row of results) {
    const archive = await ensureArchive(deps, row);
    skills.push({
      name: row.name,
      // The spec wants 1-1024 characters; an empty description falls back to the name.
      description: (row.description || row.name).slice(0, MAX_DESCRIPTION),
      type: "archive",
      url: new URL(archivePath({ scope, name: row.name }, row.version), origin).href,
      digest: `sha256:${archive.sha256}`,
    });
  }
  return { $schema: DISCOVERY_SCHEMA, skills };
}
