// Builds package tarballs byte by byte, including the hostile kinds (links, devices, `..` paths,
// duplicates) that well-behaved tools refuse to create. Runs in workerd and in Node.

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "fifo" | "chardev";

export interface TarEntry {
  path: string;
  type?: EntryType;
  content?: string | Uint8Array;
  linkpath?: string;
  /** Claimed size in the header, when a test wants it to differ from the content. */
  size?: number;
}

const TYPE_FLAG: Record<EntryType, string> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  chardev: "3",
  dir: "5",
  fifo: "6",
};
const encoder = new TextEncoder();

function writeString(block: Uint8Array, offset: number, length: number, value: string) {
  block.set(encoder.encode(value).slice(0, length), offset);
}
function writeOctal(block: Uint8Array, offset: number, length: number, value: number) {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

function header(entry: TarEntry, size: number): Uint8Array {
  const block = new Uint8Array(512);
  let name = entry.path;
  let prefix = "";
  if (encoder.encode(name).length > 100) {
    const cut = name.lastIndexOf("/", name.length - 1);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, entry.type === "dir" ? 0o755 : 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0);
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(block, 156, 1, TYPE_FLAG[entry.type ?? "file"]);
  writeString(block, 157, 100, entry.linkpath ?? "");
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 345, 155, prefix);
  const sum = block.reduce((a, b) => a + b, 0);
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

/** An uncompressed tar archive of `entries`. */
export function tar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const data =
      typeof entry.content === "string" ? encoder.encode(entry.content) : (entry.content ?? new Uint8Array());
    parts.push(header(entry, entry.size ?? data.length));
    if (data.length) {
      parts.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(1024));
  return concat(parts);
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export interface SkillPackageOptions {
  name?: string;
  version?: string;
  description?: string;
  /** SKILL.md text; by default a valid one for `name`. */
  skillMd?: string;
  /** Extra entries appended after package.json and SKILL.md. */
  extra?: TarEntry[];
  /** Replace package.json content entirely. */
  packageJson?: string;
}

export function skillMd(
  name: string,
  description = "A test skill. Use it in tests.",
  body = "# Test\n\nDo the thing.\n",
) {
  return `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}`;
}

/** The entries of a valid skill package like `npm pack` makes. */
export function skillEntries(opts: SkillPackageOptions = {}): TarEntry[] {
  const name = opts.name ?? "@acme/hello-skill";
  const version = opts.version ?? "1.0.0";
  const bare = name.split("/")[1] ?? name;
  return [
    {
      path: "package/package.json",
      content:
        opts.packageJson ?? JSON.stringify({ name, version, description: opts.description ?? "A test skill" }, null, 2),
    },
    { path: "package/SKILL.md", content: opts.skillMd ?? skillMd(bare, opts.description) },
    ...(opts.extra ?? []),
  ];
}

/** A gzipped skill package tarball. */
export async function skillTarball(opts: SkillPackageOptions = {}): Promise<Uint8Array> {
  return gzip(tar(skillEntries(opts)));
}
