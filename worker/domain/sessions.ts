// Web sessions: a random secret in an HttpOnly cookie, its sha256 in D1 (as with tokens), an expiry.
// Separate from API tokens so a browser login never adds a token to the account's list.
import { type Publisher, type PublisherRow, toPublisher } from "./accounts";
import { sha256Hex, toBase64Url } from "./crypto";

export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface Session {
  id: number;
  publisher: Publisher;
  expiresAt: string;
}

export async function createSession(
  db: D1Database,
  publisherId: number,
  nowMs = Date.now(),
): Promise<{ secret: string; expiresAt: string }> {
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const now = new Date(nowMs).toISOString();
  const expiresAt = new Date(nowMs + SESSION_TTL_SECONDS * 1000).toISOString();
  await db.batch([
    // Housekeeping on the one path that adds rows: drop this account's expired sessions.
    db.prepare("DELETE FROM sessions WHERE publisher_id = ? AND expires_at <= ?").bind(publisherId, now),
    db
      .prepare("INSERT INTO sessions (session_hash, publisher_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .bind(await sha256Hex(secret), publisherId, now, expiresAt),
  ]);
  return { secret, expiresAt };
}

/** The live session for a cookie value, or null when unknown or expired. */
export async function findSession(db: D1Database, secret: string): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) return null;
  const row = await db
    .prepare(
      `SELECT s.id AS session_id, s.expires_at, p.id, p.handle, p.email, p.created_at
       FROM sessions s JOIN publishers p ON p.id = s.publisher_id
       WHERE s.session_hash = ? AND s.expires_at > ?`,
    )
    .bind(await sha256Hex(secret), new Date().toISOString())
    .first<PublisherRow & { session_id: number; expires_at: string }>();
  return row ? { id: row.session_id, publisher: toPublisher(row), expiresAt: row.expires_at } : null;
}

export async function deleteSession(db: D1Database, sessionId: number): Promise<void> {
  await db.prepare("DELETE FROM sessions WHERE id = ?").bind(sessionId).run();
}
