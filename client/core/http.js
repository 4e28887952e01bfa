// Every request the CLI makes goes through here: minipass-fetch (npm's own fetch on node:http) when no
// proxy is configured, undici's fetch on an EnvHttpProxyAgent when one is (so HTTP_PROXY /
// HTTPS_PROXY / NO_PROXY, upper or lower case, apply to every request), a timeout per attempt, and
// retries with exponential backoff and jitter (p-retry) on connection errors, timeouts, 429 and
// 5xx, honouring Retry-After, bounded in count and in total time.
//
// Only requests that are safe to repeat are repeated: GET/HEAD always; any other method only when
// the request cannot have reached the server (the connection was never made) or the server said
// 429 (it refused to process it). Publishing has its own check-before-retry on top (publish-retry.js).
import pRetry from "p-retry";

/** Connection failures that prove the request never reached the server, so repeating it is safe. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Statuses worth another attempt: overloaded, rate limited, or a transient server fault. */
export const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Tunables, from the environment so a CI job (or a test) can tighten or widen them.
 * @typedef {object} RetrySettings
 * @property {number} retries        attempts after the first (SKILD_FETCH_RETRIES, default 3)
 * @property {number} timeoutMs      one attempt, including reading its body (SKILD_FETCH_TIMEOUT, default 60 s)
 * @property {number} minDelayMs     first backoff before jitter (SKILD_FETCH_RETRY_MINTIMEOUT, default 1 s)
 * @property {number} maxDelayMs     longest backoff (SKILD_FETCH_RETRY_MAXTIMEOUT, default 20 s)
 * @property {number} maxTimeMs      everything, all attempts and waits (SKILD_FETCH_MAX_TIME, default 5 min)
 */

/**
 * @param {string | undefined} value
 * @param {number} fallback
 */
function envNumber(value, fallback) {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** @param {NodeJS.ProcessEnv} [env] @returns {RetrySettings} */
export function retrySettings(env = process.env) {
  return {
    retries: Math.floor(envNumber(env.SKILD_FETCH_RETRIES, 3)),
    timeoutMs: envNumber(env.SKILD_FETCH_TIMEOUT, 60_000),
    minDelayMs: envNumber(env.SKILD_FETCH_RETRY_MINTIMEOUT, 1_000),
    maxDelayMs: envNumber(env.SKILD_FETCH_RETRY_MAXTIMEOUT, 20_000),
    maxTimeMs: envNumber(env.SKILD_FETCH_MAX_TIME, 300_000),
  };
}

/** The proxy variables EnvHttpProxyAgent reads (NO_PROXY only narrows them). */
const PROXY_VARIABLES = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"];

/**
 * Both transports answer with a fetch Response: status, headers.get, json/text/arrayBuffer, and a
 * body that is async-iterable in Uint8Array chunks.
 * @typedef {(url: string | URL, init: import("undici").RequestInit) => Promise<import("undici").Response>} Fetch
 */
/** @type {Promise<Fetch> | undefined} */
let transport;

/**
 * With a proxy variable set: undici's fetch on one EnvHttpProxyAgent for the process, which reads
 * the variables once. Without one: minipass-fetch, on node:http. Node's global fetch is not used:
 * its undici compiles llhttp to WebAssembly on first use and the process then waits for that
 * compilation before it can exit, about 100 ms of wall time per command against minipass-fetch's
 * 25 ms (measured on a cold `skild install`, docs/performance.md). Either transport is loaded on the
 * first request, so commands that make none (help, validate) start without it.
 * @param {string | URL} url
 * @param {import("undici").RequestInit} init
 */
export async function proxiedFetch(url, init) {
  transport ??= PROXY_VARIABLES.some((name) => process.env[name])
    ? import("undici").then(({ EnvHttpProxyAgent, fetch }) => {
        const dispatcher = new EnvHttpProxyAgent();
        /** @type {Fetch} */
        const viaProxy = (u, i) => fetch(u, { ...i, dispatcher });
        return viaProxy;
      })
    : import("minipass-fetch").then(({ default: fetch }) => {
        /** @type {Fetch} */
        const direct = (u, i) => /** @type {Promise<any>} */ (fetch(String(u), /** @type {any} */ (i)));
        return direct;
      });
  return (await transport)(url, init);
}

/**
 * Hides `user:password@` in any URL inside a message: proxy URLs carry credentials, and a network
 * error may quote one.
 * @param {string} text
 */
export function redactCredentials(text) {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1***@");
}

/**
 * A short reason for a failed fetch: the system error code when there is one.
 * @param {unknown} err
 * @returns {string}
 */
export function networkReason(err) {
  const e = /** @type {{name?: string, code?: string, cause?: {code?: string, message?: string}}} */ (err);
  // Our only abort signals are the per-attempt timeouts (undici: TimeoutError; minipass-fetch: AbortError).
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  const code = systemCode(err);
  if (code) return code;
  return redactCredentials(e?.cause?.message ?? (err instanceof Error ? err.message : String(err)));
}

/**
 * The system error code of a failed request: undici puts it on `cause`, minipass-fetch on the error.
 * @param {unknown} err
 * @returns {string | undefined}
 */
function systemCode(err) {
  const e = /** @type {{code?: unknown, cause?: {code?: unknown}}} */ (err);
  const code = e?.cause?.code ?? e?.code;
  // minipass-fetch's own failures (not the system's) all say FETCH_ERROR; their message says more.
  return typeof code === "string" && code !== "FETCH_ERROR" ? code : undefined;
}

/**
 * Whether a failed fetch certainly never delivered the request (no connection was made).
 * @param {unknown} err
 */
export function neverSent(err) {
  const code = systemCode(err);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable.
 * @param {{get: (name: string) => string | null}} headers
 */
export function retryAfterMs(headers) {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, when - Date.now());
}

/**
 * A failed attempt worth repeating. When the retries run out, `giveUp()` says what the caller gets:
 * the last response, or the error to throw.
 */
export class TransientFailure extends Error {
  /**
   * @param {string} reason
   * @param {{giveUp: () => any, retryAfterMs?: number}} opts
   */
  constructor(reason, opts) {
    super(reason);
    this.name = "TransientFailure";
    this.giveUp = opts.giveUp;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, throws something other than a TransientFailure, or the retries
 * or the time budget run out (then the last failure's `giveUp()` decides the outcome).
 * `attempt` gets the timeout for this try: the per-attempt timeout, cut to what is left of the budget.
 * @template T
 * @param {(attemptTimeoutMs: number) => Promise<T>} attempt
 * @param {{what: string, settings?: RetrySettings, onRetry?: (message: string) => void}} opts
 * @returns {Promise<T>}
 */
export async function withRetries(attempt, opts) {
  const settings = opts.settings ?? retrySettings();
  const deadline = Date.now() + settings.maxTimeMs;
  // A person watching a terminal sees why skild waits; a script's stderr stays the one error line
  // unless SKILD_VERBOSE asks for the notes.
  const showNotes = Boolean(process.stderr.isTTY || process.env.SKILD_VERBOSE);
  const onRetry = opts.onRetry ?? ((message) => showNotes && process.stderr.write(`skild: ${message}\n`));
  try {
    return await pRetry(() => attempt(Math.max(1, Math.min(settings.timeoutMs, deadline - Date.now()))), {
      retries: settings.retries,
      minTimeout: settings.minDelayMs,
      maxTimeout: settings.maxDelayMs,
      factor: 2,
      randomize: true,
      maxRetryTime: settings.maxTimeMs,
      shouldRetry: ({ error }) => error instanceof TransientFailure,
      async onFailedAttempt({ error, retriesLeft }) {
        if (!(error instanceof TransientFailure) || retriesLeft <= 0) return;
        const left = deadline - Date.now();
        if (error.retryAfterMs !== undefined) {
          // Waiting longer than the whole budget allows would only fail later: give up now.
          if (error.retryAfterMs >= left) throw error;
          onRetry(`${opts.what}: ${error.message}; retrying in ${Math.ceil(error.retryAfterMs / 1000)} s as asked`);
          await sleep(error.retryAfterMs);
          return;
        }
        if (left > 0) onRetry(`${opts.what}: ${error.message}; retrying (${retriesLeft} left)`);
      },
    });
  } catch (err) {
    if (err instanceof TransientFailure) return err.giveUp();
    throw err;
  }
}

/**
 * Reads a response whose body is small (an error or a status page) so the connection is freed
 * and the caller can still read it after the retries.
 * @param {import("undici").Response} res
 */
async function buffered(res) {
  const body = await res.arrayBuffer().catch(() => new ArrayBuffer(0));
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * One HTTP request with retries. Returns the response (any status); throws `onNetworkError(err)`
 * when no response came after the retries.
 * @param {string | URL} url
 * @param {Omit<import("undici").RequestInit, "signal" | "dispatcher">} init
 * @param {{what: string, onNetworkError: (err: unknown) => Error, settings?: RetrySettings}} opts
 * @returns {Promise<Response>}
 */
export function requestWithRetries(url, init, opts) {
  const method = (init.method ?? "GET").toUpperCase();
  const idempotent = method === "GET" || method === "HEAD";
  return withRetries(
    async (timeoutMs) => {
      let res;
      try {
        res = await proxiedFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        if (idempotent || neverSent(err)) {
          throw new TransientFailure(networkReason(err), {
            giveUp: () => {
              throw opts.onNetworkError(err);
            },
          });
        }
        throw opts.onNetworkError(err);
      }
      if (RETRY_STATUSES.has(res.status) && (idempotent || res.status === 429)) {
        const kept = await buffered(res);
        throw new TransientFailure(`${res.status} ${res.statusText}`.trim(), {
          retryAfterMs: retryAfterMs(res.headers),
          giveUp: () => kept,
        });
      }
      return /** @type {Response} */ (/** @type {unknown} */ (res));
    },
    { what: opts.what, settings: opts.settings },
  );
}
