// Browser state for the web pages: the session cookie, the CSRF token every form carries, and the
// checks every form POST passes (same origin + a token only this visitor's cookie can produce).
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Publisher } from "../domain/accounts";
import { constantTimeEqual, sha256Hex, toBase64Url } from "../domain/crypto";
import { findSession, SESSION_TTL_SECONDS } from "../domain/sessions";
import type { Bindings, Variables } from "../env";
import { badRequest, forbidden, unsupportedMediaType } from "../errors";
import { readBodyLimited } from "../http/body";
import { requestOrigin } from "../http/url";

export const SESSION_COOKIE = "skild_session";
/** For visitors without a session (the login form): a random secret the CSRF token derives from. */
export const CSRF_COOKIE = "skild_csrf";
const CSRF_COOKIE_MAX_AGE = 12 * 60 * 60;
const FORM_BODY_LIMIT = 16 * 1024;

export interface WebState {
  /** The logged-in publisher, if any. */
  viewer: Publisher | null;
  sessionId: number | null;
  /** The token to put in this page's forms (empty when the visitor has no cookie secret yet). */
  csrf: string;
}

export type WebEnv = {
  Bindings: Bindings;
  Variables: Variables & { web: WebState; form: URLSearchParams };
};

const isHttps = (c: Context) => new URL(c.req.url).protocol === "https:";

function cookieOptions(c: Context, maxAge: number) {
  return { httpOnly: true, secure: isHttps(c), sameSite: "Lax" as const, path: "/", maxAge };
}

/** The CSRF token for a cookie secret: a keyed digest, so a page can show it but no other site can compute it. */
async function csrfToken(secret: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`csrf:${secret}`))));
}

/** Reads the session cookie (one D1 lookup, only when the cookie is present) and the CSRF secret. */
export const loadSession = createMiddleware<WebEnv>(async (c, next) => {
  const sessionSecret = getCookie(c, SESSION_COOKIE);
  const session = sessionSecret ? await findSession(c.get("deps").db, sessionSecret) : null;
  if (sessionSecret && !session) deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
  const secret = session ? sessionSecret : getCookie(c, CSRF_COOKIE);
  c.set("web", {
    viewer: session?.publisher ?? null,
    sessionId: session?.id ?? null,
    csrf: secret ? await csrfToken(secret) : "",
  });
  await next();
});

/** Gives an anonymous visitor a CSRF secret so the login form can carry a token. */
export async function ensureCsrfCookie(c: Context<WebEnv>): Promise<void> {
  const web = c.get("web");
  if (web.csrf) return;
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  setCookie(c, CSRF_COOKIE, secret, cookieOptions(c, CSRF_COOKIE_MAX_AGE));
  c.set("web", { ...web, csrf: await csrfToken(secret) });
}

export function setSessionCookie(c: Context, secret: string): void {
  setCookie(c, SESSION_COOKIE, secret, cookieOptions(c, SESSION_TTL_SECONDS));
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
}

const CSRF_REFUSED =
  "This form was not accepted: it came from another site or from a page that has expired. Reload the page and try again.";

/**
 * Every form POST goes through this: it must come from this origin (Origin, else Sec-Fetch-Site)
 * and carry the CSRF token of this visitor's cookie. Otherwise 403, before anything happens.
 * The parsed form is left in `c.get("form")`.
 */
export const verifiedForm = createMiddleware<WebEnv>(async (c, next) => {
  const self = requestOrigin(c);
  const origin = c.req.header("Origin");
  const site = c.req.header("Sec-Fetch-Site");
  if (
    (origin !== undefined && origin !== self) ||
    (origin === undefined && site && !["same-origin", "none"].includes(site))
  ) {
    throw forbidden(CSRF_REFUSED, "CSRF_REFUSED");
  }
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header("Content-Type") ?? "")) {
    throw unsupportedMediaType("Send the form as application/x-www-form-urlencoded.");
  }
  const bytes = await readBodyLimited(c, FORM_BODY_LIMIT);
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw badRequest("The form data is not valid UTF-8.", "INVALID_FORM");
  }
  const expected = c.get("web").csrf;
  const sent = form.get("csrf") ?? "";
  if (!expected || !sent || !constantTimeEqual(await sha256Hex(sent), await sha256Hex(expected))) {
    throw forbidden(CSRF_REFUSED, "CSRF_REFUSED");
  }
  c.set("form", form);
  await next();
});
