import { decodeText } from "../domain/version-files";

/**
 * A file of a version as raw bytes a browser will neither sniff nor run: text as text/plain, anything
 * else as a download-only octet stream, and a sandbox CSP in case a browser renders it anyway.
 * `private`: the access rules of the tarball apply, so no shared cache may keep it.
 */
export function serveVersionFile(bytes: Uint8Array): Response {
  const text = decodeText(bytes) !== null;
  return new Response(bytes, {
    headers: {
      "Content-Type": text ? "text/plain; charset=utf-8" : "application/octet-stream",
      "Content-Length": String(bytes.byteLength),
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "sandbox",
      "Cache-Control": "private, max-age=300",
    },
  });
}
