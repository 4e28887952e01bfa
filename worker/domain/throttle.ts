// Per-client-address throttles. The address is the `CF-Connecting-IP` request header, which only
// Cloudflare's edge sets reliably (it overwrites whatever the client sent). Anywhere else (`npm
// start`, a Worker behind another proxy) a client can send its own value and pick its counter: see
// README "Throttling" and SECURITY.md.
import ipaddr from "ipaddr.js";
import { tooManyRequests } from "../errors";

/** The request header that names the client's address. */
export const CLIENT_ADDRESS_HEADER = "CF-Connecting-IP";

/** Longest header value used as a key as is (unparseable values are forged anyway; keep keys small). */
const MAX_RAW_KEY = 64;

/**
 * The counter key for a client address. One IPv6 subscriber usually holds a whole /64 (and can pick
 * any address in it), so IPv6 addresses count per /64; IPv4-mapped IPv6 counts as the IPv4 address.
 */
export function clientAddressKey(raw: string | undefined | null): string | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  if (!ipaddr.isValid(text)) return `raw:${text.slice(0, MAX_RAW_KEY)}`;
  const address = ipaddr.process(text); // IPv4-mapped IPv6 → IPv4
  if (address.kind() === "ipv4") return address.toString();
  const prefix = (address as ipaddr.IPv6).toNormalizedString().split(":").slice(0, 4).join(":");
  return `${prefix}::/64`;
}

const HOUR_SECONDS = 3600;
/** Expired counters pruned with each counted event, so made-up addresses never grow the table. */
const PRUNE_PER_EVENT = 20;

/**
 * Counts one signup from `addressKey` in the current hour, atomically (one batch), and refuses it
 * with 429 once the address is over `limitPerHour`. Counting before the account is created keeps
 * concurrent signups from all passing a check made before any is counted. Refused attempts (taken
 * handle or email) count too: otherwise signup would be an unthrottled "is this email registered?"
 * oracle.
 */
export async function countSignup(
  db: D1Database,
  addressKey: string,
  limitPerHour: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<void> {
  const [, counted] = await db.batch<{ hits: number; window_end: number }>([
    db
      .prepare(
        `DELETE FROM rate_counters WHERE rowid IN
           (SELECT rowid FROM rate_counters WHERE window_end <= ?1 LIMIT ${PRUNE_PER_EVENT})`,
      )
      .bind(nowSeconds),
    db
      .prepare(
        `INSERT INTO rate_counters (key, hits, window_start, window_end) VALUES (?1, 1, ?2, ?2 + ?3)
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN window_end <= ?2 THEN 1 ELSE hits + 1 END,
           window_start = CASE WHEN window_end <= ?2 THEN ?2 ELSE window_start END,
           window_end = CASE WHEN window_end <= ?2 THEN ?2 + ?3 ELSE window_end END
         RETURNING hits, window_end`,
      )
      .bind(`signup:${addressKey}`, nowSeconds, HOUR_SECONDS),
  ]);
  const row = counted.results[0];
  if (row && row.hits > limitPerHour) {
    const retryAfter = Math.max(1, row.window_end - nowSeconds);
    throw tooManyRequests(
      `Too many new accounts from your network; try again in ${Math.ceil(retryAfter / 60)} minute(s).`,
      retryAfter,
    );
  }
}
