// Download counts per skill, version and UTC day.
//
// Counting is off the response's path: a served tarball adds 1 to a per-isolate map (no I/O), and
// the first count after a flush schedules the next flush FLUSH_DELAY_MS later through the request's
// `waitUntil`. A flush writes every pending count in ONE D1 statement (a D1 row write costs 1,000x a
// read, so one write per download would be the largest line of the bill). A failed flush is logged,
// never thrown: a tarball response cannot fail or wait because of counting.
import { badRequest, clip } from "../errors";
import type { SkillName } from "./names";

/** Counts reach D1 this long after the first download of a batch: well inside the 2 s the API promises. */
export const FLUSH_DELAY_MS = 750;
/**
 * Distinct (skill, version, day) keys held between flushes; beyond this new keys are dropped (and
 * logged). Bounds the flush's one bound JSON value (~100 bytes a key) well under D1's 2 MB.
 */
export const MAX_PENDING_KEYS = 5_000;

interface PendingCount {
  scope: string;
  name: string;
  version: string;
  day: string;
  count: number;
}

const pending = new Map<string, PendingCount>();
/** When the scheduled flush is due (0: none scheduled). */
let flushDueAt = 0;
/**
 * A flush this late never ran (its request's `waitUntil` was cut short): the next download
 * schedules another, so one lost timer cannot stop counting in an isolate for good.
 */
const FLUSH_LOST_AFTER_MS = 10_000;
let droppedSinceLog = 0;

/** `YYYY-MM-DD` of a moment, in UTC. */
export const utcDay = (at: Date = new Date()) => at.toISOString().slice(0, 10);

const DAY_MS = 86_400_000;
/** The day countDownload last formatted: every tarball served needs it, and it changes once a day. */
let countingDay = { from: 0, to: 0, day: "" };
function dayOf(ms: number): string {
  if (ms < countingDay.from || ms >= countingDay.to) {
    const from = Math.floor(ms / DAY_MS) * DAY_MS;
    countingDay = { from, to: from + DAY_MS, day: utcDay(new Date(from)) };
  }
  return countingDay.day;
}

/**
 * Counts one served download. Synchronous apart from scheduling the flush on `waitUntil`, so the
 * caller's response is never delayed.
 */
export function countDownload(
  waitUntil: (promise: Promise<unknown>) => void,
  db: D1Database,
  skill: SkillName,
  version: string,
  now: number = Date.now(),
): void {
  const day = dayOf(now);
  const key = `${skill.scope}/${skill.name}@${version}#${day}`;
  const entry = pending.get(key);
  if (entry) entry.count += 1;
  else if (pending.size < MAX_PENDING_KEYS)
    pending.set(key, { scope: skill.scope, name: skill.name, version, day, count: 1 });
  else droppedSinceLog += 1;
  if (flushDueAt !== 0 && now < flushDueAt + FLUSH_LOST_AFTER_MS) return;
  flushDueAt = now + FLUSH_DELAY_MS;
  waitUntil(
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS));
      flushDueAt = 0;
      await flushDownloads(db);
    })(),
  );
}

/** Writes every pending count in one D1 statement. Never throws. */
export async function flushDownloads(db: D1Database): Promise<void> {
  if (droppedSinceLog > 0) {
    console.error(
      `download counts: ${droppedSinceLog} downloads not counted (more than ${MAX_PENDING_KEYS} keys pending)`,
    );
    droppedSinceLog = 0;
  }
  if (pending.size === 0) return;
  const rows = [...pending.values()];
  pending.clear();
  try {
    await db
      .prepare(
        `INSERT INTO downloads (skill_id, day, version, count)
         SELECT s.id, json_extract(j.value, '$.day'), json_extract(j.value, '$.version'), json_extract(j.value, '$.count')
         FROM json_each(?1) j
         JOIN skills s ON s.scope = json_extract(j.value, '$.scope') AND s.name = json_extract(j.value, '$.name')
         WHERE true
         ON CONFLICT (skill_id, day, version) DO UPDATE SET count = count + excluded.count`,
      )
      .bind(JSON.stringify(rows))
      .run();
  } catch (err) {
    // Counts are not worth a retry loop against a failing database; the loss is logged.
    console.error(`download counts: ${rows.length} keys not saved`, err);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading: npm's downloads API (https://github.com/npm/registry/blob/main/docs/download-counts.md).

export interface DayRange {
  start: string;
  end: string;
}

/** The longest explicit range served (npm's own API allows 18 months). */
export const MAX_RANGE_DAYS = 550;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function parseDay(raw: string): number {
  const ms = DAY_RE.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || utcDay(new Date(ms)) !== raw) {
    throw badRequest(`"${clip(raw)}" is not a day; write YYYY-MM-DD.`, "INVALID_PERIOD");
  }
  return ms;
}

/**
 * `last-day` (today, UTC: counts here are live, not a day behind as npm's are), `last-week` (the
 * 7 days ending today), `last-month` (30 days), or `YYYY-MM-DD:YYYY-MM-DD`.
 */
export function resolvePeriod(period: string, now: Date = new Date()): DayRange {
  const today = Date.parse(`${utcDay(now)}T00:00:00Z`);
  const back = (days: number) => ({ start: utcDay(new Date(today - (days - 1) * DAY_MS)), end: utcDay(now) });
  if (period === "last-day") return back(1);
  if (period === "last-week") return back(7);
  if (period === "last-month") return back(30);
  const match = /^([^:]+):([^:]+)$/.exec(period);
  if (!match) {
    throw badRequest(
      `Unknown period "${clip(period)}": use last-day, last-week, last-month or YYYY-MM-DD:YYYY-MM-DD.`,
      "INVALID_PERIOD",
    );
  }
  const start = parseDay(match[1]);
  const end = parseDay(match[2]);
  if (end < start) throw badRequest("The period ends before it starts.", "INVALID_PERIOD");
  if ((end - start) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    throw badRequest(`A period is at most ${MAX_RANGE_DAYS} days.`, "INVALID_PERIOD");
  }
  return { start: match[1], end: match[2] };
}

/** Every day of a range, oldest first. */
function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let ms = parseDay(range.start); ms <= parseDay(range.end); ms += DAY_MS) days.push(utcDay(new Date(ms)));
  return days;
}

/** Downloads of one skill per day of the range (zeros included, as npm's range API answers). */
export async function downloadsByDay(
  db: D1Database,
  skillId: number,
  range: DayRange,
): Promise<{ day: string; downloads: number }[]> {
  const { results } = await db
    .prepare(
      "SELECT day, SUM(count) AS downloads FROM downloads WHERE skill_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY day",
    )
    .bind(skillId, range.start, range.end)
    .all<{ day: string; downloads: number }>();
  const byDay = new Map(results.map((r) => [r.day, r.downloads]));
  return daysOf(range).map((day) => ({ day, downloads: byDay.get(day) ?? 0 }));
}

/** Total downloads of one skill over a range. */
export async function downloadsTotal(db: D1Database, skillId: number, range: DayRange): Promise<number> {
  const row = await db
    .prepare(
      "SELECT COALESCE(SUM(count), 0) AS downloads FROM downloads WHERE skill_id = ?1 AND day >= ?2 AND day <= ?3",
    )
    .bind(skillId, range.start, range.end)
    .first<{ downloads: number }>();
  return row?.downloads ?? 0;
}

/** The first day of "last week" (7 days ending today), for listings' `downloads`. */
export const weekStart = (now: Date = new Date()) => resolvePeriod("last-week", now).start;

/** A skill page's counts: last week's downloads and the stars. */
export async function skillCounts(db: D1Database, skillId: number): Promise<{ downloads: number; stars: number }> {
  const week = resolvePeriod("last-week");
  const row = await db
    .prepare(
      `SELECT (SELECT COALESCE(SUM(count), 0) FROM downloads WHERE skill_id = ?1 AND day >= ?2 AND day <= ?3) AS downloads,
              (SELECT stars FROM skills WHERE id = ?1) AS stars`,
    )
    .bind(skillId, week.start, week.end)
    .first<{ downloads: number; stars: number | null }>();
  return { downloads: row?.downloads ?? 0, stars: row?.stars ?? 0 };
}
