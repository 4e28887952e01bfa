// HTTP load with autocannon (in-process, programmatic API): a probe first, so a route that does not
// answer 2xx becomes "n/a (<status>)" instead of a throughput figure for error pages; then a short
// warm-up; then the measured run.
import autocannon from "autocannon";

/**
 * @typedef {object} LoadResult
 * @property {true} ok
 * @property {number} rps mean requests per second
 * @property {number} p50 latency in ms
 * @property {number} p99 latency in ms
 * @property {number} requests total completed in the measured run
 * @property {number} failures non-2xx responses + socket errors + timeouts in the measured run
 */
/** @typedef {{ ok: false, reason: string }} Unavailable */

export const settings = {
  connections: 10,
  durationSeconds: Number(process.env.BENCH_DURATION ?? 6),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 1.5),
};

/**
 * @param {string} url
 * @param {Record<string, string>} headers
 * @returns {Promise<Unavailable | null>}
 */
async function probe(url, headers) {
  try {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    return res.ok ? null : { ok: false, reason: `n/a (${res.status})` };
  } catch (err) {
    return { ok: false, reason: `n/a (${/** @type {Error} */ (err).message})` };
  }
}

/**
 * @param {string} origin
 * @param {string[]} paths
 * @param {Record<string, string>} headers
 * @param {number} duration
 */
function cannon(origin, paths, headers, duration) {
  return autocannon({
    url: origin,
    connections: settings.connections,
    duration,
    headers,
    // Each connection walks this list in turn (several search terms, one path otherwise).
    requests: paths.map((path) => ({ method: "GET", path })),
  });
}

/**
 * Measures GET throughput and latency of `paths` (cycled) on `origin`.
 * @param {string} origin
 * @param {string | string[]} pathOrPaths
 * @param {{ headers?: Record<string, string>, duration?: number, warmup?: number }} [opts]
 * @returns {Promise<LoadResult | Unavailable>}
 */
export async function measure(origin, pathOrPaths, opts = {}) {
  const paths = Array.isArray(pathOrPaths) ? pathOrPaths : [pathOrPaths];
  const headers = opts.headers ?? {};
  for (const path of paths) {
    const unavailable = await probe(origin + path, headers);
    if (unavailable) return unavailable;
  }
  const warmup = opts.warmup ?? settings.warmupSeconds;
  if (warmup > 0) await cannon(origin, paths, headers, warmup);
  const result = await cannon(origin, paths, headers, opts.duration ?? settings.durationSeconds);
  const failures = result.non2xx + result.errors + result.timeouts;
  // Error answers are not throughput: more than 1% failed makes the figure meaningless.
  if (failures > 0.01 * (result.requests.total + result.errors + result.timeouts)) {
    return { ok: false, reason: `n/a (${failures} of ${result.requests.total + result.errors} requests failed)` };
  }
  return {
    ok: true,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures,
  };
}

/**
 * @typedef {object} Subject
 * @property {string} origin
 * @property {string | string[]} paths
 * @property {Record<string, string>} [headers]
 */

/**
 * Measures several servers on comparable routes in turn, `rounds` times over (A B C, A B C, ...),
 * each run `durationSeconds / rounds` long after its own warm-up: a ratio between two of them then
 * compares runs seconds apart, not minutes, so the machine's drift (load average, clock, another
 * process) moves both sides alike. Per subject: req/s is the mean over its runs, p50 and p99 the
 * mean of its runs' percentiles, requests and failures the sums; any run that fails makes it n/a.
 * @template {string} K
 * @param {Record<K, Subject>} subjects
 * @param {{ rounds?: number }} [opts]
 * @returns {Promise<Record<K, LoadResult | Unavailable>>}
 */
export async function measurePaired(subjects, opts = {}) {
  const rounds = opts.rounds ?? 2;
  const keys = /** @type {K[]} */ (Object.keys(subjects));
  /** @type {Map<K, (LoadResult | Unavailable)[]>} */
  const runs = new Map(keys.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const key of keys) {
      const { origin, paths, headers } = subjects[key];
      const duration = Math.max(1, settings.durationSeconds / rounds);
      // The first round warms each server up fully; later ones only refill the connections.
      const warmup = round === 0 ? settings.warmupSeconds : Math.min(0.5, settings.warmupSeconds);
      runs.get(key)?.push(await measure(origin, paths, { headers, duration, warmup }));
    }
  }
  const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  /** @type {Partial<Record<K, LoadResult | Unavailable>>} */
  const out = {};
  for (const key of keys) {
    const results = runs.get(key) ?? [];
    const failed = results.find((r) => !r.ok);
    const ok = /** @type {LoadResult[]} */ (results.filter((r) => r.ok));
    out[key] = failed ?? {
      ok: true,
      rps: mean(ok.map((r) => r.rps)),
      p50: mean(ok.map((r) => r.p50)),
      p99: mean(ok.map((r) => r.p99)),
      requests: ok.reduce((a, r) => a + r.requests, 0),
      failures: ok.reduce((a, r) => a + r.failures, 0),
    };
  }
  return /** @type {Record<K, LoadResult | Unavailable>} */ (out);
}
