import type { Context } from "hono";
import type { z } from "zod";
import { formatBytes } from "../domain/limits";
import { badRequest, tooLarge, unsupportedMediaType } from "../errors";

/**
 * Reads a request body into memory, refusing it with 413 as soon as it passes `maxBytes`:
 * up front from Content-Length when the client sends one, otherwise while streaming.
 */
export async function readBodyLimited(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header("Content-Length") ?? Number.NaN);
  if (declared > maxBytes)
    throw tooLarge(`The request body is ${formatBytes(declared)}; the limit is ${formatBytes(maxBytes)}.`);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(`The request body is over ${formatBytes(maxBytes)}, the limit.`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const JSON_BODY_LIMIT = 64 * 1024;

/** Parses a JSON body (limited in size) and validates it; every failure is a 4xx that says what is wrong. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  maxBytes = JSON_BODY_LIMIT,
): Promise<z.infer<S>> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw unsupportedMediaType("Send the body as JSON with `Content-Type: application/json`.");
  }
  const bytes = await readBodyLimited(c, maxBytes);
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest("The request body is not valid JSON.", "INVALID_JSON");
  }
  return schema.parse(data);
}
