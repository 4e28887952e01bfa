// A download progress line on stderr: redrawn in place on a terminal, one plain line otherwise
// (logs and CI stay readable).
import { formatBytes } from "./format.js";

/**
 * @param {NodeJS.WriteStream | {write: (s: string) => unknown, isTTY?: boolean}} stream
 * @param {string} label e.g. "@acme/hello-skill@1.0.0"
 * @param {number | undefined} total
 */
export function downloadProgress(stream, label, total) {
  const tty = Boolean(stream.isTTY);
  let lastDraw = 0;
  if (!tty) stream.write(`Downloading ${label}${total ? ` (${formatBytes(total)})` : ""}\n`);
  return {
    /** @param {{received: number, total: number | undefined}} p */
    update(p) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 50 && p.received !== p.total) return;
      lastDraw = now;
      const of = p.total ? ` / ${formatBytes(p.total)}` : "";
      const pct = p.total ? ` ${Math.floor((p.received / p.total) * 100)}%` : "";
      stream.write(`\r\x1b[2KDownloading ${label}  ${formatBytes(p.received)}${of}${pct}`);
    },
    done() {
      if (tty) stream.write("\r\x1b[2K");
    },
  };
}
