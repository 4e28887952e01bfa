// Keeps the first bytes of each file while the publish pipeline streams the tarball, so the risk scan
// needs no second parse. Bounded like the scan itself: SKILL.md and every other file up to
// MAX_SCAN_BYTES_PER_FILE while MAX_SCAN_BYTES lasts, and MAGIC_BYTES of every file after that
// (enough to recognise a native binary).
import { MAGIC_BYTES, MAX_SCAN_BYTES, MAX_SCAN_BYTES_PER_FILE, type ScanFile } from "./scan";

export class FileHeads {
  private readonly collected: { path: string; size: number; chunks: Uint8Array[]; kept: number }[] = [];
  private budget = MAX_SCAN_BYTES;

  /** Starts a file (path relative to the package root); returns the listener for its data chunks. */
  start(path: string, size: number): (chunk: Uint8Array) => void {
    const wanted = Math.min(
      size,
      path === "SKILL.md"
        ? MAX_SCAN_BYTES_PER_FILE
        : Math.max(MAGIC_BYTES, Math.min(MAX_SCAN_BYTES_PER_FILE, this.budget)),
    );
    if (path !== "SKILL.md") this.budget = Math.max(0, this.budget - wanted);
    const file = { path, size, chunks: [] as Uint8Array[], kept: 0 };
    this.collected.push(file);
    return (chunk) => {
      if (file.kept >= wanted) return;
      // A copy: the parser reuses its buffers.
      const part = chunk.slice(0, wanted - file.kept);
      file.chunks.push(part);
      file.kept += part.byteLength;
    };
  }

  files(): ScanFile[] {
    return this.collected.map(({ path, size, chunks, kept }) => {
      const head = new Uint8Array(kept);
      let offset = 0;
      for (const chunk of chunks) {
        head.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return { path, size, head };
    });
  }
}
