import { Buffer } from "node:buffer";
import { Parser } from "tar/parse";
import { unsafeFileNameReason, visibleName } from "../../common/skill-format.js";
import { badRequest, clip, RegistryError, tooLarge } from "../errors";
import { formatBytes, type Limits } from "./limits";
import { FileHeads } from "./risk/file-heads";
import type { ScanFile } from "./risk/scan";

/** What the publish pipeline needs from a tarball, read in one streaming pass. */
export interface TarballContents {
  /** Regular files in the archive. */
  fileCount: number;
  /** Sum of the regular files' sizes. */
  unpackedSize: number;
  packageJson: Uint8Array;
  skillMd: Uint8Array;
  /** Every regular file with its first bytes, for the risk scan (capped: see FileHeads). */
  files: ScanFile[];
}

const PACKAGE_JSON = "package/package.json";
const SKILL_MD = "package/SKILL.md";
/**
 * package.json and SKILL.md are held in memory and stored in one D1 row (manifest_json, readme);
 * D1 caps a row at 2,000,000 bytes, so both together must stay well under that.
 */
const MAX_METADATA_FILE_BYTES = 512 * 1024;

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const LINK_TYPES = new Set(["Link", "SymbolicLink"]);

const invalid = (message: string, code = "INVALID_TARBALL") => badRequest(message, code);

const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

/**
 * Rejects absolute paths, `..` segments, backslashes, control characters, anything outside `package/`,
 * and names some OS cannot hold faithfully (`unsafeFileNameReason`, shared with the client).
 */
export function checkEntryPath(path: string): string {
  if (/[\u0000-\u001f\\]/.test(path))
    throw invalid(`Tarball entry "${clip(path)}" has a control character or backslash.`, "UNSAFE_PATH");
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) {
    throw invalid(
      `Tarball entry "${clip(path)}" is an absolute path; entries must be relative, under package/.`,
      "UNSAFE_PATH",
    );
  }
  const segments = path.split("/");
  if (segments.includes("..")) throw invalid(`Tarball entry "${clip(path)}" contains "..".`, "UNSAFE_PATH");
  const normalized = segments.filter((s) => s !== "" && s !== ".").join("/");
  // What file systems accept (NAME_MAX 255 bytes; Windows paths ~260): longer ones fail to install.
  if (utf8Length(normalized) > MAX_PATH_BYTES || segments.some((segment) => utf8Length(segment) > MAX_SEGMENT_BYTES)) {
    throw invalid(
      `Tarball entry "${clip(path)}" is too long: at most ${MAX_PATH_BYTES} bytes, ${MAX_SEGMENT_BYTES} per name.`,
      "PATH_TOO_LONG",
    );
  }
  if (normalized !== "package" && !normalized.startsWith("package/")) {
    throw invalid(
      `Tarball entry "${clip(path)}" is outside package/ (build the tarball with \`npm pack\` or \`skild publish\`).`,
      "UNSAFE_PATH",
    );
  }
  // The same rule the client applies when it installs: names every OS holds faithfully.
  for (const segment of normalized.split("/")) {
    const reason = unsafeFileNameReason(segment);
    if (reason)
      throw invalid(
        `Tarball entry "${clip(visibleName(path))}": "${clip(visibleName(segment))}" ${reason}.`,
        "UNSAFE_PATH",
      );
  }
  return normalized;
}

async function* gunzip(bytes: Uint8Array, maxBytes: number): AsyncGenerator<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw invalid(
      "The upload is not a gzip tarball (.tgz); make one with `npm pack` or `skild publish --dir`.",
      "NOT_GZIP",
    );
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const reader = stream.getReader();
  let total = 0;
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        throw invalid("The gzip data is corrupt or truncated.", "BAD_GZIP");
      }
      if (chunk.done) return;
      total += chunk.value.byteLength;
      if (total > maxBytes) {
        throw tooLarge(`The tarball unpacks to more than ${formatBytes(maxBytes)}, the limit.`, "TOO_LARGE_UNPACKED");
      }
      yield chunk.value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Duplicate detection key: case-insensitive and NFC-normalized, because that is how macOS and Windows file systems compare names. */
const collisionKey = (path: string) => path.normalize("NFC").toLowerCase();

/** How an entry looks to a person: type and path. */
const describe = (entry: { type?: string; path: string }) => `"${clip(entry.path)}" (${entry.type ?? "unknown type"})`;

/**
 * Feeds the tar parser one 512-byte block at a time, so the end-of-archive marker is seen at the
 * exact block it is in. What follows it is not parsed (tar would buffer it all) but must be zeros:
 * other tar readers (`tar -i`) would read entries hidden there that this check never saw.
 */
class BlockFeeder {
  private carry = new Uint8Array(0);
  private atEnd = false;
  constructor(private readonly parser: Parser) {
    parser.on("eof", () => {
      this.atEnd = true;
    });
  }

  write(chunk: Uint8Array): void {
    let data = chunk;
    if (this.carry.byteLength) {
      data = new Uint8Array(this.carry.byteLength + chunk.byteLength);
      data.set(this.carry);
      data.set(chunk, this.carry.byteLength);
    }
    let offset = 0;
    for (; offset + 512 <= data.byteLength; offset += 512) {
      const block = data.subarray(offset, offset + 512);
      if (this.atEnd) assertZeros(block);
      // tar's parser reads headers with Buffer methods; a plain Uint8Array fails its checksums.
      else this.parser.write(Buffer.from(block.buffer, block.byteOffset, 512));
    }
    this.carry = data.slice(offset);
  }

  end(): void {
    if (this.atEnd) assertZeros(this.carry);
    else if (this.carry.byteLength) this.parser.write(Buffer.from(this.carry));
    this.parser.end();
  }
}

function assertZeros(block: Uint8Array): void {
  for (const byte of block) {
    if (byte !== 0) {
      throw invalid(
        "The tarball has data after its end-of-archive marker; pack it again with `npm pack` or `skild publish`.",
        "TRAILING_DATA",
      );
    }
  }
}

/**
 * Gunzips and reads a package tarball with every limit enforced while streaming, so a gzip bomb
 * stops at the limit rather than filling memory. Throws a 400/413 RegistryError naming the problem.
 */
export async function inspectTarball(bytes: Uint8Array, limits: Limits): Promise<TarballContents> {
  if (bytes.byteLength > limits.maxTarballBytes) {
    throw tooLarge(
      `The tarball is ${formatBytes(bytes.byteLength)}; the limit is ${formatBytes(limits.maxTarballBytes)}.`,
    );
  }
  let failure: RegistryError | undefined;
  const fail = (err: unknown) => {
    failure ??= err instanceof RegistryError ? err : invalid(`The tarball is not a valid tar archive: ${String(err)}`);
  };
  const seen = new Set<string>();
  const wanted = new Map<string, Uint8Array[]>();
  let entries = 0;
  let fileCount = 0;
  let unpackedSize = 0;
  const heads = new FileHeads();

  const parser = new Parser({
    strict: false,
    onwarn: (code, message) => fail(invalid(`The tarball is not a valid tar archive (${code}: ${message}).`)),
    onReadEntry: (entry) => {
      let reading = false;
      try {
        if (failure) return;
        entries += 1;
        if (entries > limits.maxEntries) {
          throw tooLarge(`The tarball has more than ${limits.maxEntries} entries, the limit.`, "TOO_MANY_FILES");
        }
        const path = checkEntryPath(entry.path);
        if (LINK_TYPES.has(entry.type)) {
          throw invalid(
            `Tarball entry "${clip(entry.path)}" is a ${entry.type === "Link" ? "hard link" : "symbolic link"}; links are not allowed.`,
            "LINK_NOT_ALLOWED",
          );
        }
        if (entry.type !== "Directory" && !FILE_TYPES.has(entry.type)) {
          throw invalid(
            `Tarball entry ${describe(entry)} is not a file or folder; only those are allowed.`,
            "UNSUPPORTED_ENTRY",
          );
        }
        const key = collisionKey(path);
        if (seen.has(key)) {
          throw invalid(
            `Tarball entry "${clip(path)}" appears twice (names that differ only in case or Unicode form collide on macOS and Windows).`,
            "DUPLICATE_ENTRY",
          );
        }
        seen.add(key);
        if (entry.type === "Directory") return;
        fileCount += 1;
        unpackedSize += entry.size ?? 0;
        if (unpackedSize > limits.maxUnpackedBytes) {
          throw tooLarge(
            `The files unpack to more than ${formatBytes(limits.maxUnpackedBytes)}, the limit.`,
            "TOO_LARGE_UNPACKED",
          );
        }
        // Every file's first bytes go to the risk scan; attaching the listener also drains the entry.
        entry.on("data", heads.start(path.slice("package/".length), entry.size ?? 0));
        reading = true;
        if (path === PACKAGE_JSON || path === SKILL_MD) {
          if ((entry.size ?? 0) > MAX_METADATA_FILE_BYTES) {
            throw tooLarge(
              `${path.slice("package/".length)} is larger than ${formatBytes(MAX_METADATA_FILE_BYTES)}.`,
              "FILE_TOO_LARGE",
            );
          }
          const chunks: Uint8Array[] = [];
          wanted.set(path, chunks);
          entry.on("data", (chunk: Uint8Array) => chunks.push(chunk));
          reading = true;
        }
      } catch (err) {
        fail(err);
      } finally {
        // Every other entry must still be drained: an unread entry stalls the parser for good.
        if (!reading) entry.resume();
      }
    },
  });
  // tar skips entries of types it does not know (sparse files, vendor types) and oversized pax
  // headers; other extractors write them as files, so the registry refuses what it cannot check.
  parser.on("ignoredEntry", (entry: { type?: string; path: string }) =>
    fail(
      invalid(`Tarball entry ${describe(entry)} is not a file or folder; only those are allowed.`, "UNSUPPORTED_ENTRY"),
    ),
  );
  const ended = new Promise<void>((resolve) => parser.on("end", () => resolve()));
  parser.on("error", fail);
  const feeder = new BlockFeeder(parser);

  try {
    // The stream itself is capped a little above the file limit: tar adds 512-byte headers and padding.
    const streamCap = limits.maxUnpackedBytes + (limits.maxEntries + 4) * 1024;
    for await (const chunk of gunzip(bytes, streamCap)) {
      feeder.write(chunk);
      if (failure) throw failure;
    }
    feeder.end();
  } catch (err) {
    fail(err);
    throw failure;
  }
  await ended;
  if (failure) throw failure;
  if (entries === 0) throw invalid("The tarball is empty.");

  const packageJson = wanted.get(PACKAGE_JSON);
  const skillMd = wanted.get(SKILL_MD);
  if (!packageJson) throw invalid("The tarball has no package/package.json.", "MISSING_PACKAGE_JSON");
  if (!skillMd)
    throw invalid("The tarball has no package/SKILL.md; a skill needs one at its root.", "MISSING_SKILL_MD");
  return {
    fileCount,
    unpackedSize,
    packageJson: concat(packageJson),
    skillMd: concat(skillMd),
    files: heads.files(),
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
