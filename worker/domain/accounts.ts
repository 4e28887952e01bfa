import { z } from "zod";
import { conflict, notFound, RegistryError, tooManyRequests, unauthorized } from "../errors";
import { hashPassword, newToken, sha256Hex, verifyPassword } from "./crypto";
import { handleSchema } from "./names";
import { clientAddressKey, countSignup } from "./throttle";

export interface Publisher {
  id: number;
  handle: string;
  email: string;
  createdAt: string;
}

export interface TokenInfo {
  id: number;
  /** First characters only: enough to recognise a token, useless to use one. */
  prefix: string;
  /** The sha256 hex of the token: a stable public id (npm's token "key"); useless to authenticate with. */
  key: string;
  name: string;
  readonly: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "must be a valid email address" }))
  .refine((s) => s.length <= 254, { message: "must be at most 254 characters" });
export const passwordSchema = z
  .string()
  .min(8, { message: "must be at least 8 characters" })
  .max(1024, { message: "must be at most 1024 characters" });

export const signupSchema = z.object({ email: emailSchema, handle: handleSchema, password: passwordSchema });
export const loginSchema = z.object({
  handleOrEmail: z.string().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(1024),
});

export type PublisherRow = { id: number; handle: string; email: string; created_at: string };
export const toPublisher = (row: PublisherRow): Publisher => ({
  id: row.id,
  handle: row.handle,
  email: row.email,
  createdAt: row.created_at,
});

/** The public JSON shape of an account. */
export const publisherJson = (p: Publisher) => ({ handle: p.handle, email: p.email, createdAt: p.createdAt });

const now = () => new Date().toISOString();

/** Who is signing up, for the per-address throttle (no address: not throttled, e.g. in-process tests). */
export interface SignupThrottle {
  clientAddress?: string;
  signupsPerHour: number;
}

export async function signup(
  db: D1Database,
  input: z.infer<typeof signupSchema>,
  throttle?: SignupThrottle,
): Promise<Publisher> {
  const addressKey = clientAddressKey(throttle?.clientAddress);
  if (throttle && addressKey) await countSignup(db, addressKey, throttle.signupsPerHour);
  const passwordHash = await hashPassword(input.password);
  try {
    const row = await db
      .prepare(
        "INSERT INTO publishers (handle, email, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id, handle, email, created_at",
      )
      .bind(input.handle, input.email, passwordHash, now())
      .first<PublisherRow>();
    if (!row) throw new Error("insert returned no row");
    return toPublisher(row);
  } catch (err) {
    // Say that one of the two is taken, not which: no account enumeration beyond that.
    if (String(err).includes("UNIQUE")) throw conflict("That handle or email is already registered.", "ACCOUNT_EXISTS");
    throw err;
  }
}

// Login throttling: after MAX_FAILURES failed logins within WINDOW_SECONDS for one account or one
// client address, further attempts get 429 until the window ends.
const MAX_FAILURES = 5;
const WINDOW_SECONDS = 15 * 60;
/** More than one attempt can add (two keys), so expired rows never pile up. */
const PRUNE_PER_ATTEMPT = 20;

/**
 * Counts this attempt against every key *before* the password is checked, in one atomic batch, and
 * refuses it once a key is over the limit. Checking first and counting after a failure would let
 * concurrent guesses all pass the check before any failure is counted.
 */
async function countAttempt(db: D1Database, keys: string[], nowSeconds: number): Promise<void> {
  const stmt = db.prepare(
    `INSERT INTO login_failures (key, failures, window_start) VALUES (?1, 1, ?2)
     ON CONFLICT(key) DO UPDATE SET
       failures = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE failures + 1 END,
       window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END
     RETURNING failures, window_start`,
  );
  const results = await db.batch<{ failures: number; window_start: number }>([
    // Expired windows count for nothing: prune a bounded number of them with every attempt, so
    // guesses against made-up handles do not grow the table forever.
    db
      .prepare(
        `DELETE FROM login_failures WHERE rowid IN
           (SELECT rowid FROM login_failures WHERE window_start + ?2 <= ?1 LIMIT ${PRUNE_PER_ATTEMPT})`,
      )
      .bind(nowSeconds, WINDOW_SECONDS),
    ...keys.map((key) => stmt.bind(key, nowSeconds, WINDOW_SECONDS)),
  ]);
  for (const { results: rows } of results) {
    const row = rows[0];
    if (row && row.failures > MAX_FAILURES) {
      const retryAfter = Math.max(1, row.window_start + WINDOW_SECONDS - nowSeconds);
      throw tooManyRequests(
        `Too many failed logins; try again in ${Math.ceil(retryAfter / 60)} minute(s).`,
        retryAfter,
      );
    }
  }
}

// Verifying against a real hash when the account does not exist keeps the response time the same.
let dummyHash: Promise<string> | undefined;

/** Checks a password; on success issues a new token. Throttled per account and per client address. */
export async function login(
  db: D1Database,
  input: z.infer<typeof loginSchema>,
  opts: { clientAddress?: string; tokenName?: string; readonly?: boolean } = {},
): Promise<{ token: string; publisher: Publisher }> {
  const publisher = await verifyLogin(db, input, opts);
  const token = await createToken(db, publisher.id, { name: opts.tokenName ?? "login", readonly: opts.readonly });
  return { token, publisher };
}

/** The credential check of `login` (throttling included) without issuing a token: web sessions use it. */
export async function verifyLogin(
  db: D1Database,
  input: z.infer<typeof loginSchema>,
  opts: { clientAddress?: string } = {},
): Promise<Publisher> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const row = await db
    .prepare("SELECT id, handle, email, created_at, password_hash FROM publishers WHERE handle = ?1 OR email = ?1")
    .bind(input.handleOrEmail)
    .first<PublisherRow & { password_hash: string }>();
  // One counter per account, whichever way it is named (handle or email).
  const keys = [`account:${row?.handle ?? input.handleOrEmail}`];
  const addressKey = clientAddressKey(opts.clientAddress);
  if (addressKey) keys.push(`ip:${addressKey}`);
  await countAttempt(db, keys, nowSeconds);

  dummyHash ??= hashPassword("not a real password");
  const ok = await verifyPassword(input.password, row?.password_hash ?? (await dummyHash));
  if (!row || !ok) throw unauthorized("Wrong handle/email or password.", "BAD_CREDENTIALS");
  // A success clears the account's count and takes back this attempt from the address's.
  await db.batch([
    db.prepare("DELETE FROM login_failures WHERE key = ?").bind(keys[0]),
    ...(addressKey
      ? [db.prepare("UPDATE login_failures SET failures = MAX(failures - 1, 0) WHERE key = ?").bind(keys[1])]
      : []),
  ]);
  return toPublisher(row);
}

/**
 * npm's `adduser`/`login` in one call (the registry cannot tell them apart): with an email and a
 * free handle it creates the account, otherwise it logs in. Either way it returns a new token.
 */
export async function loginOrSignup(
  db: D1Database,
  input: { handle: string; password: string; email?: string },
  opts: { clientAddress?: string; tokenName?: string; signupsPerHour?: number } = {},
): Promise<{ token: string; publisher: Publisher; created: boolean }> {
  const credentials = loginSchema.parse({ handleOrEmail: input.handle, password: input.password });
  if (input.email !== undefined) {
    const exists = await db
      .prepare("SELECT 1 FROM publishers WHERE handle = ?")
      .bind(credentials.handleOrEmail)
      .first();
    if (!exists) {
      const fields = signupSchema.parse({ handle: input.handle, email: input.email, password: input.password });
      try {
        const throttle = opts.signupsPerHour
          ? { clientAddress: opts.clientAddress, signupsPerHour: opts.signupsPerHour }
          : undefined;
        const publisher = await signup(db, fields, throttle);
        const token = await createToken(db, publisher.id, { name: opts.tokenName ?? "login" });
        return { token, publisher, created: true };
      } catch (err) {
        // Lost a race for the handle, or the email belongs to another account: fall through to a login
        // only in the first case (a login by handle answers the second with 401).
        if (!(err instanceof RegistryError && err.code === "ACCOUNT_EXISTS")) throw err;
      }
    }
  }
  return { ...(await login(db, credentials, opts)), created: false };
}

export async function createToken(
  db: D1Database,
  publisherId: number,
  opts: { name?: string; readonly?: boolean } = {},
): Promise<string> {
  const token = newToken();
  await db
    .prepare(
      "INSERT INTO tokens (publisher_id, token_hash, token_prefix, name, readonly, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(publisherId, await sha256Hex(token), token.slice(0, 10), opts.name ?? "", opts.readonly ? 1 : 0, now())
    .run();
  return token;
}

export interface Authenticated {
  publisher: Publisher;
  tokenId: number;
  readonly: boolean;
  /** Record last use; the caller decides whether to await it or hand it to waitUntil. */
  touch: () => Promise<unknown>;
}

/** Resolves a bearer token to its publisher, or null when unknown or revoked. */
export async function authenticate(db: D1Database, token: string): Promise<Authenticated | null> {
  if (!token.startsWith("skild_") || token.length > 200) return null;
  const row = await db
    .prepare(
      `SELECT t.id AS token_id, t.readonly, p.id, p.handle, p.email, p.created_at
       FROM tokens t JOIN publishers p ON p.id = t.publisher_id
       WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
    )
    .bind(await sha256Hex(token))
    .first<PublisherRow & { token_id: number; readonly: number }>();
  if (!row) return null;
  // Only write last_used_at once a minute per token, not on every request.
  const stamp = now();
  const minuteAgo = new Date(Date.now() - 60_000).toISOString();
  return {
    publisher: toPublisher(row),
    tokenId: row.token_id,
    readonly: row.readonly === 1,
    touch: () =>
      db
        .prepare("UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
        .bind(stamp, row.token_id, minuteAgo)
        .run(),
  };
}

export async function revokeToken(db: D1Database, tokenId: number): Promise<void> {
  await db.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now(), tokenId).run();
}

/** Revokes one of the publisher's tokens, named by id or by the token value itself (npm logout). */
export async function revokePublisherToken(
  db: D1Database,
  publisherId: number,
  ref: { id?: number; token?: string; key?: string },
): Promise<void> {
  const hash = ref.token ? await sha256Hex(ref.token) : ref.key;
  const result = hash
    ? await db
        .prepare("UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND publisher_id = ? AND revoked_at IS NULL")
        .bind(now(), hash, publisherId)
        .run()
    : await db
        .prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND publisher_id = ? AND revoked_at IS NULL")
        .bind(now(), ref.id ?? -1, publisherId)
        .run();
  if (result.meta.changes === 0) throw notFound("No such active token on this account.", "TOKEN_NOT_FOUND");
}

export async function listTokens(db: D1Database, publisherId: number): Promise<TokenInfo[]> {
  const { results } = await db
    .prepare(
      `SELECT id, token_hash, token_prefix, name, readonly, created_at, last_used_at FROM tokens
       WHERE publisher_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`,
    )
    .bind(publisherId)
    .all<{
      id: number;
      token_hash: string;
      token_prefix: string;
      name: string;
      readonly: number;
      created_at: string;
      last_used_at: string | null;
    }>();
  return results.map((r) => ({
    id: r.id,
    prefix: r.token_prefix,
    key: r.token_hash,
    name: r.name,
    readonly: r.readonly === 1,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  }));
}

/** A publisher by handle (public pages), or null. */
export async function findPublisherByHandle(db: D1Database, handle: string): Promise<Publisher | null> {
  const row = await db
    .prepare("SELECT id, handle, email, created_at FROM publishers WHERE handle = ?")
    .bind(handle)
    .first<PublisherRow>();
  return row ? toPublisher(row) : null;
}
