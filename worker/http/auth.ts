import { createMiddleware } from "hono/factory";
import { authenticate } from "../domain/accounts";
import type { AppEnv } from "../env";
import { forbidden, unauthorized } from "../errors";

/** The bearer token of a request, or undefined. npm sends `Bearer`; some clients lowercase it. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Requires a valid, unrevoked token and puts its publisher on the context. `write` tokens are
 * needed for anything that changes the registry; read-only tokens are refused there with 403.
 */
export const requireAuth = (access: "read" | "write" = "write") =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = bearerToken(c.req.header("Authorization"));
    if (!token) throw unauthorized();
    const auth = await authenticate(c.get("deps").db, token);
    if (!auth) throw unauthorized("This token is invalid or has been revoked; log in again.", "BAD_TOKEN");
    if (access === "write" && auth.readonly) {
      throw forbidden("This token is read-only; create a publish token to make changes.", "READONLY_TOKEN");
    }
    c.set("publisher", auth.publisher);
    c.set("tokenId", auth.tokenId);
    c.set("tokenReadonly", auth.readonly);
    c.executionCtx.waitUntil(auth.touch().catch((err) => console.error("token touch failed", err)));
    await next();
  });
