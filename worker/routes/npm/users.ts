// npm accounts: login/adduser (legacy CouchDB flow), whoami, logout, and the tokens API.
import { Buffer } from "node:buffer";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { listTokens, login, loginOrSignup, revokePublisherToken } from "../../domain/accounts";
import { sha256Hex } from "../../domain/crypto";
import type { AppEnv } from "../../env";
import { badRequest, forbidden, notFound, RegistryError } from "../../errors";
import { requireAuth } from "../../http/auth";
import { readJson } from "../../http/body";

const COUCH_USER_PREFIX = "org.couchdb.user:";

const couchUserSchema = z.looseObject({
  name: z.string().min(1).max(254),
  password: z.string().max(1024).optional(),
  email: z.string().max(254).optional(),
});

/** `Authorization: Basic` credentials (npm's retry of a login sends them as well as the body). */
function basicCredentials(header: string | undefined): { name: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// npm sends unset options as null.
const tokenCreateSchema = z.looseObject({
  password: z.string().min(1, { message: "your account password is required" }).max(1024),
  name: z.string().max(128).nullish(),
  readonly: z.boolean().nullish(),
  packages_and_scopes_permission: z.string().nullish(),
  cidr_whitelist: z.array(z.string()).nullish(),
  expires: z.number().nullish(),
});

const npmToken = (t: { key: string; prefix: string; name: string; readonly: boolean; createdAt: string }) => ({
  key: t.key,
  token: t.prefix,
  name: t.name,
  readonly: t.readonly,
  automation: false,
  created: t.createdAt,
  updated: t.createdAt,
  cidr_whitelist: null,
});

/** `npm login` / `npm adduser`: 201 {ok, token}. Creates the account when an email is given and the handle is free. */
async function couchLogin(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("user") ?? "";
  if (!id.startsWith(COUCH_USER_PREFIX)) throw notFound();
  const handle = id.slice(COUCH_USER_PREFIX.length);
  const body = await readJson(c, couchUserSchema);
  if (body.name !== handle) {
    throw badRequest(`The body is for user ${body.name} but the URL names ${handle}.`, "NAME_MISMATCH");
  }
  const basic = basicCredentials(c.req.header("Authorization"));
  const password = body.password ?? (basic?.name === handle ? basic.password : undefined);
  if (!password) throw badRequest("Send the password.", "PASSWORD_REQUIRED");
  const { token, publisher, created } = await loginOrSignup(
    c.get("deps").db,
    { handle, password, email: body.email },
    {
      clientAddress: c.req.header("CF-Connecting-IP"),
      tokenName: "npm login",
      signupsPerHour: c.get("deps").limits.signupsPerHour,
    },
  );
  return c.json(
    {
      ok: created ? `created user ${publisher.handle}` : `you are authenticated as ${publisher.handle}`,
      id: `${COUCH_USER_PREFIX}${publisher.handle}`,
      username: publisher.handle,
      token,
    },
    201,
  );
}

export const userRoutes = new Hono<AppEnv>()
  // npm 11 tries web login first; any 4xx here makes it fall back to the username/password flow below.
  .post("/-/v1/login", () => {
    throw notFound(
      "Web login is not supported by this registry; log in with your handle and password.",
      "WEB_LOGIN_UNSUPPORTED",
    );
  })
  // `npm login` / `npm adduser`: 201 {ok, token}. Creates the account when an email is given and the handle is free.
  .put("/-/user/:user", couchLogin)
  .put("/-/user/:user/-rev/:rev", couchLogin)
  .get("/-/whoami", requireAuth("read"), (c) => c.json({ username: c.get("publisher").handle }))
  // `npm logout`: revokes the token named in the path (normally the one it authenticates with).
  .delete("/-/user/token/:token", requireAuth("read"), async (c) => {
    await revokePublisherToken(c.get("deps").db, c.get("publisher").id, { token: c.req.param("token") });
    return c.json({ ok: true });
  })
  .get("/-/npm/v1/tokens", requireAuth("read"), async (c) => {
    const tokens = await listTokens(c.get("deps").db, c.get("publisher").id);
    return c.json({ objects: tokens.map(npmToken), total: tokens.length, urls: { next: null } });
  })
  // `npm token create` (asks for the password, or `--password`): a new token for the same account.
  .post("/-/npm/v1/tokens", requireAuth("read"), async (c) => {
    const body = await readJson(c, tokenCreateSchema);
    if (body.cidr_whitelist?.length) throw badRequest("CIDR-restricted tokens are not supported.", "UNSUPPORTED");
    if (body.expires != null) throw badRequest("Expiring tokens are not supported.", "UNSUPPORTED");
    const readonly = body.readonly === true || body.packages_and_scopes_permission === "read-only";
    const publisher = c.get("publisher");
    const name = body.name || "npm token create";
    const { token } = await login(
      c.get("deps").db,
      { handleOrEmail: publisher.handle, password: body.password },
      { clientAddress: c.req.header("CF-Connecting-IP"), tokenName: name, readonly },
    ).catch((err) => {
      // The bearer token is fine; a 401 would make npm tell the user to log in again.
      if (err instanceof RegistryError && err.code === "BAD_CREDENTIALS") {
        throw forbidden("Wrong password; `npm token create` needs your account password.", "BAD_PASSWORD");
      }
      throw err;
    });
    const created = { key: await sha256Hex(token), prefix: token.slice(0, 10), name, readonly };
    return c.json({ ...npmToken({ ...created, createdAt: new Date().toISOString() }), token }, 201);
  })
  // `npm token revoke <key|token>`: npm sends the key from the list, or the token value itself.
  .delete("/-/npm/v1/tokens/token/:key", requireAuth("read"), async (c) => {
    const key = c.req.param("key");
    const ref = key.startsWith("skild_") ? { token: key } : /^[0-9a-f]{64}$/.test(key) ? { key } : undefined;
    if (!ref) throw notFound("No such active token on this account.", "TOKEN_NOT_FOUND");
    await revokePublisherToken(c.get("deps").db, c.get("publisher").id, ref);
    return c.body(null, 204);
  });
