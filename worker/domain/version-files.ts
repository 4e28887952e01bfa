// "Read before you run": the files of a version, read on demand from its stored tarball.
//
// Why on demand rather than a list stored at publish: the raw bytes of a file must come from the
// tarball anyway, so one reader serves both the list and the files; versions published before this
// feature need no backfill; and a list of up to 2,000 paths of up to 1 KiB each could overflow a D1
// row. Tarballs are immutable and content-addressed, so a list, once computed, is cached by the
// tarball's key for as long as memory allows; reading a typical skill's tarball costs ~1 ms.

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { Parser } from "tar/parse";
import { notFound, RegistryError, serviceUnavailable } from "../errors";
import type { ArtifactStore } from "./artifact-store";
import type { Limits } from "./limits";
import { readTarball, type TarballRef } from "./read-cache";

export interface VersionFile {
  /** Relative to the package root: `SKILL.md`, `scripts/setup.sh`. */
  path: string;
  size: number;
  sha256: string;
}

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const MAX_CACHED_LISTS = 512;
const lists = new Map<string, VersionFile[]>();

async function tarballBytes(artifacts: ArtifactStore, ref: TarballRef): Promise<Uint8Array> {
  const object = await readTarball(artifacts, ref);
  if (!object) throw notFound("The tarball is missing from storage.", "TARBALL_MISSING");
  return object.body instanceof Uint8Array
    ? object.body
    : new Uint8Array(await new Response(object.body).arrayBuffer());
}

/**
 * Walks a stored tarball (already validated at publish) once, handing each regular file's bytes to
 * the sink `onFile` returns for it. Decompression stops at the unpacked limit plus tar overhead.
 */
async function walkFiles(
  bytes: Uint8Array,
  limits: Limits,
  onFile: (path: string, size: number) => ((chunk: Uint8Array) => void) | undefined,
): Promise<void> {
  let failure: unknown;
  const parser = new Parser({
    strict: false,
    onReadEntry: (entry) => {
      const path = entry.path.replace(/^package\//, "");
      const sink =
        FILE_TYPES.has(entry.type) && entry.path.startsWith("package/") ? onFile(path, entry.size ?? 0) : undefined;
      if (sink) entry.on("data", sink);
      else entry.resume();
    },
  });
  parser.on("error", (err: unknown) => {
    failure ??= err;
  });
  const ended = new Promise<void>((resolve) => parser.on("end", () => resolve()));
  const cap = limits.maxUnpackedBytes + (limits.maxEntries + 4) * 1024;
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  let total = 0;
  try {
    while (true) {
      const chunk = await reader.read();
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > cap) throw new Error("stored tarball unpacks past the limit");
      parser.write(Buffer.from(chunk.value));
    }
    parser.end();
    await ended;
  } catch (err) {
    failure ??= err;
  } finally {
    reader.cancel().catch(() => {});
  }
  if (failure) {
    console.error("version-files: cannot read a stored tarball", failure);
    throw serviceUnavailable("The registry could not read this version's files; try again.", "TARBALL_UNREADABLE");
  }
}

/** Every file of the version with its size and sha256, in archive order. */
export async function listVersionFiles(
  deps: { artifacts: ArtifactStore; limits: Limits },
  ref: TarballRef,
): Promise<VersionFile[]> {
  const cached = lists.get(ref.key);
  if (cached) return cached;
  const bytes = await tarballBytes(deps.artifacts, ref);
  const files: { path: string; size: number; hash: ReturnType<typeof createHash> }[] = [];
  await walkFiles(bytes, deps.limits, (path, size) => {
    const hash = createHash("sha256");
    files.push({ path, size, hash });
    return (chunk) => hash.update(chunk);
  });
  const list = files.map(({ path, size, hash }) => ({ path, size, sha256: hash.digest("hex") }));
  if (lists.size >= MAX_CACHED_LISTS) lists.delete(lists.keys().next().value as string);
  lists.set(ref.key, list);
  return list;
}

/** One file's bytes, or a 404 naming the path. */
export async function readVersionFile(
  deps: { artifacts: ArtifactStore; limits: Limits },
  ref: TarballRef,
  path: string,
): Promise<Uint8Array> {
  const bytes = await tarballBytes(deps.artifacts, ref);
  let found: Uint8Array[] | undefined;
  await walkFiles(bytes, deps.limits, (entryPath) => {
    if (entryPath !== path || found) return undefined;
    const chunks: Uint8Array[] = [];
    found = chunks;
    return (chunk) => chunks.push(new Uint8Array(chunk));
  });
  if (!found)
    throw notFound(
      `This version has no file "${path.length > 200 ? `${path.slice(0, 200)}…` : path}".`,
      "FILE_NOT_FOUND",
    );
  const out = new Uint8Array(found.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of found) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Text is valid UTF-8 without NUL bytes; anything else is served and shown as binary. */
export function decodeText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A file path from a URL (`scripts/setup.sh`, percent-encoded segments allowed); 400 when malformed. */
export function parseFilePath(raw: string): string {
  let path: string;
  try {
    path = raw
      .split("/")
      .map((segment) => decodeURIComponent(segment))
      .join("/");
  } catch {
    throw new RegistryError(400, "INVALID_PATH", "The file path is not valid percent-encoding.");
  }
  if (!path || path.length > 2048) throw new RegistryError(400, "INVALID_PATH", "Name a file of this version.");
  return path;
}
