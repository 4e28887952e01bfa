import { decodeText } from "../domain/version-files";

/**
 * A file of a version as raw bytes a browser will neither sniff nor run: text as text/plain, anything
 * else as a download-only octet stream, and a sandbox CSP in case a browser renders it anyway.
 * Immutable like the tarball; `scope` is "private" for a restricted skill, so no shared cache keeps it.
 */
export function serveVersionFile(bytes: Uint8Array, scope: "public" | "private"): Response {
  const text = decodeText(bytes) !== null;
  return new Response(bytes, {
    headers: {
      "Content-Type": text ? "text/plain; charset=utf-8" : "application/octet-stream",
      "Content-Length": String(bytes.byteLength),
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "sandbox",
      "Cache-Control": `${scope}, max-age=31536000, immutable`,
    },
  });
}
