import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";

/**
 * The one error type of the registry. Every failure a caller can act on is thrown as this and
 * rendered by `renderError` as `{error, code}` JSON with `status`.
 */
export class RegistryError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Machine-readable facts beside `error` and `code` (e.g. the existing version's `integrity` on a 409). */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

export const badRequest = (message: string, code = "BAD_REQUEST") => new RegistryError(400, code, message);
export const unauthorized = (message = "Log in first: send `Authorization: Bearer <token>`.", code = "UNAUTHORIZED") =>
  new RegistryError(401, code, message, { "WWW-Authenticate": 'Bearer realm="skild"' });
export const forbidden = (message: string, code = "FORBIDDEN") => new RegistryError(403, code, message);
export const notFound = (message = "Not found", code = "NOT_FOUND") => new RegistryError(404, code, message);
export const conflict = (message: string, code = "CONFLICT", details: Record<string, string> = {}) =>
  new RegistryError(409, code, message, {}, details);
export const tooLarge = (message: string, code = "TOO_LARGE") => new RegistryError(413, code, message);
export const unsupportedMediaType = (message: string) => new RegistryError(415, "UNSUPPORTED_MEDIA_TYPE", message);
export const serviceUnavailable = (message: string, code = "UNAVAILABLE", retryAfterSeconds = 1) =>
  new RegistryError(503, code, message, { "Retry-After": String(retryAfterSeconds) });
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new RegistryError(429, "RATE_LIMITED", message, { "Retry-After": String(retryAfterSeconds) });

/** Caller input quoted into an error message, cut short so a hostile value cannot bloat the answer. */
export function clip(raw: unknown, max = 100): string {
  const text = String(raw);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Zod issues as one readable line: "handle: must match ...; password: too short". */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

export function renderError(err: unknown, c: Context): Response {
  if (err instanceof RegistryError) {
    return c.json({ ...err.details, error: err.message, code: err.code }, err.status, err.headers);
  }
  if (err instanceof ZodError) {
    return c.json({ error: describeZodError(err), code: "INVALID_INPUT" }, 400);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return c.json({ error: err.message || "Request failed", code: `HTTP_${status}` }, status);
  }
  console.error("unhandled error", err);
  return c.json({ error: "Internal error; try again later.", code: "INTERNAL" }, 500);
}
