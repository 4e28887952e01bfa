// The registry's /auth and /skills API over HTTP (client/core/http.js: proxies, retries). Every
// failure becomes a CliError carrying the server's own `error` message, so the user sees one line
// that says what to do.
import { explainNotFound } from "./access.js";
import { CliError } from "./errors.js";
import { formatBytes } from "./format.js";
import {
  networkReason,
  neverSent,
  proxiedFetch,
  RETRY_STATUSES,
  requestWithRetries,
  retryAfterMs,
  retrySettings,
  TransientFailure,
  withRetries,
} from "./http.js";

/** A download with no announced size still stops here. */
const MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

/**
 * @typedef {{handle: string, email: string, createdAt: string}} Publisher
 * @typedef {{name: string, description: string, latest: string | null, updatedAt: string}} SkillSummary
 * @typedef {{version: string, integrity: string, size: number, publishedAt: string, deprecated?: string}} VersionSummary
 * @typedef {{name: string, description: string, distTags: Record<string, string>, versions: VersionSummary[], readme?: string, createdAt?: string, updatedAt?: string, stars?: number}} SkillDetails
 * @typedef {{name: string, version: string, integrity: string, shasum: string, size: number, tarballUrl: string, publishedAt: string, manifest: Record<string, unknown>, deprecated?: string, signatures?: unknown, risk?: unknown}} VersionDetails
 * @typedef {{path: string, size: number, sha256: string}} VersionFile
 * @typedef {{name: string, version: string, integrity: string, shasum: string, size?: number, tarballUrl: string, distTags: Record<string, string>, risk?: unknown}} PublishResult
 * @typedef {{received: number, total: number | undefined}} DownloadProgress
 */

/**
 * Reads `{error, code}` from a failed response; falls back to the status line.
 * @param {Response} res
 * @param {string} what e.g. "GET /skills/acme/x"
 */
async function responseError(res, what) {
  const text = await res.text().catch(() => "");
  let message = "";
  let code = `HTTP_${res.status}`;
  /** @type {Record<string, unknown> | undefined} */
  let details;
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === "string") message = body.error;
    if (body && typeof body.code === "string") code = body.code;
    if (body && typeof body === "object") details = body;
  } catch {}
  if (!message) message = `${what} failed: ${res.status} ${res.statusText}`.trim();
  return new CliError(message.split("\n")[0], { code, status: res.status, details });
}

/**
 * @param {{url: string, token?: string}} opts
 */
export function createRegistryClient({ url, token }) {
  const base = url;

  /** Reads carry the token too (a private skill exists only for who may read it); logins and signups never. */
  const readsWithToken = (/** @type {string} */ method) => Boolean(token) && method === "GET";

  /**
   * @param {string} method
   * @param {string} pathname
   * @param {{body?: BodyInit, json?: unknown, auth?: boolean, contentType?: string}} [opts]
   * @returns {Promise<Response>}
   */
  async function send(method, pathname, opts = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json", "User-Agent": "skild-cli" };
    if (opts.auth) {
      if (!token) {
        throw new CliError(`Not logged in to ${base}. Run \`skild login --registry ${base}\` first.`, {
          code: "NOT_LOGGED_IN",
        });
      }
      headers.Authorization = `Bearer ${token}`;
    } else if (readsWithToken(method)) {
      headers.Authorization = `Bearer ${token}`;
    }
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.contentType) headers["Content-Type"] = opts.contentType;
    return requestWithRetries(
      `${base}${pathname}`,
      { method, headers, body: /** @type {any} */ (body), redirect: "follow" },
      {
        what: `${method} ${pathname}`,
        // A request that may have been delivered (not a GET) is marked so a caller can check what landed.
        onNetworkError: (err) =>
          new CliError(
            `Cannot reach the registry at ${base} (${networkReason(err)}). Is it running? Check --registry or SKILD_REGISTRY_URL.`,
            {
              code: "UNREACHABLE",
              details: { mayHaveLanded: method !== "GET" && method !== "HEAD" && !neverSent(err) },
            },
          ),
      },
    );
  }

  /**
   * @template T
   * @param {string} method
   * @param {string} pathname
   * @param {{body?: BodyInit, json?: unknown, auth?: boolean, contentType?: string}} [opts]
   * @returns {Promise<T>}
   */
  async function requestJson(method, pathname, opts) {
    const res = await send(method, pathname, opts);
    if (!res.ok) {
      const err = await responseError(res, `${method} ${pathname}`);
      // A token the server no longer accepts: say how to get a new one.
      const sentToken = Boolean(opts?.auth) || readsWithToken(method);
      if (res.status === 401 && sentToken) err.message += ` (run \`skild login --registry ${base}\`)`;
      throw explainNotFound(err, { registry: base, loggedIn: sentToken });
    }
    // DELETEs may answer 204 No Content.
    if (res.status === 204) return /** @type {T} */ ({});
    try {
      return /** @type {T} */ (await res.json());
    } catch {
      throw new CliError(`The registry at ${base} answered ${method} ${pathname} with something that is not JSON.`, {
        code: "BAD_RESPONSE",
      });
    }
  }

  /** @param {{scope: string, name: string}} skill */
  const skillPath = (skill) => `/skills/${skill.scope}/${skill.name}`;

  return {
    url: base,
    hasToken: Boolean(token),
    /** Any JSON route of the skild API; commands with their own module (orgs, access) call through this. */
    request: requestJson,

    /** @param {{email: string, handle: string, password: string}} input @returns {Promise<{publisher: Publisher}>} */
    signup: (input) => requestJson("POST", "/auth/signup", { json: input }),

    /** @param {{handleOrEmail: string, password: string}} input @returns {Promise<{token: string, publisher: Publisher}>} */
    login: (input) => requestJson("POST", "/auth/login", { json: input }),

    /** @returns {Promise<{publisher: Publisher}>} */
    me: () => requestJson("GET", "/auth/me", { auth: true }),

    /** @returns {Promise<{ok: boolean}>} */
    logout: () => requestJson("POST", "/auth/logout", { auth: true }),

    /**
     * @param {{q?: string, limit?: number, cursor?: string}} query
     * @returns {Promise<{skills: SkillSummary[], nextCursor: string | null}>}
     */
    search(query) {
      const params = new URLSearchParams();
      if (query.q) params.set("q", query.q);
      if (query.limit) params.set("limit", String(query.limit));
      if (query.cursor) params.set("cursor", query.cursor);
      const qs = params.toString();
      return requestJson("GET", `/skills${qs ? `?${qs}` : ""}`);
    },

    /** @param {{scope: string, name: string}} skill @returns {Promise<SkillDetails>} */
    getSkill: (skill) => requestJson("GET", skillPath(skill)),

    /**
     * Stars (or unstars) a skill as the logged-in user.
     * @param {{scope: string, name: string}} skill
     * @param {boolean} starred
     * @returns {Promise<{name: string, starred: boolean, stars: number}>}
     */
    star: (skill, starred) => requestJson(starred ? "PUT" : "DELETE", `${skillPath(skill)}/star`, { auth: true }),

    /**
     * Downloads in a period (`last-day`, `last-week`, `last-month`), npm's downloads API.
     * @param {{scope: string, name: string}} skill
     * @param {string} period
     * @returns {Promise<{downloads: number, start: string, end: string, package: string}>}
     */
    downloads: (skill, period) => requestJson("GET", `/-/downloads/point/${period}/@${skill.scope}/${skill.name}`),

    /**
     * The registry's public signing keys (`GET /-/npm/v1/keys`, npm's format), unchecked (see
     * signatures.js); null when it answers 404: a registry that signs nothing.
     * @returns {Promise<unknown>}
     */
    async signingKeys() {
      const res = await send("GET", "/-/npm/v1/keys");
      if (res.status === 404) return null;
      if (!res.ok) throw await responseError(res, "GET /-/npm/v1/keys");
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new CliError(
          `The registry at ${base} serves a signing keys document (/-/npm/v1/keys) that is not JSON.`,
          {
            code: "BAD_KEYS",
          },
        );
      }
    },

    /**
     * A version, dist-tag or semver range → the exact version the registry picks.
     * @param {{scope: string, name: string}} skill
     * @param {string} spec
     * @returns {Promise<VersionDetails>}
     */
    getVersion: (skill, spec) => requestJson("GET", `${skillPath(skill)}/versions/${encodeURIComponent(spec)}`),

    /**
     * The files of an exact version (read before you run).
     * @param {{scope: string, name: string}} skill
     * @param {string} version
     * @returns {Promise<{files: VersionFile[]}>}
     */
    listFiles: (skill, version) =>
      requestJson("GET", `${skillPath(skill)}/versions/${encodeURIComponent(version)}/files`),

    /**
     * The integrity of `skill@version` as the registry holds it, or null when it holds no such
     * version: how a publish whose reply was lost learns whether it landed. Sends the token when
     * there is one, so a private skill is visible to its publisher.
     * @param {{scope: string, name: string}} skill
     * @param {string} version an exact version
     * @returns {Promise<string | null>}
     */
    async publishedIntegrity(skill, version) {
      const pathname = `${skillPath(skill)}/versions/${encodeURIComponent(version)}`;
      const res = await send("GET", pathname, { auth: Boolean(token) });
      if (res.status === 404) return null;
      if (!res.ok) throw await responseError(res, `GET ${pathname}`);
      const body = /** @type {{version?: unknown, integrity?: unknown}} */ (await res.json().catch(() => ({})));
      if (body.version !== version || typeof body.integrity !== "string") {
        throw new CliError(`The registry answered GET ${pathname} without the version's integrity.`, {
          code: "BAD_RESPONSE",
        });
      }
      return body.integrity;
    },

    /**
     * One POST of the tarball; retried by itself only when it cannot have been delivered (the
     * connection was refused) or was refused with 429. A lost reply comes back as an UNREACHABLE
     * CliError with `details.mayHaveLanded`: see publish-retry.js.
     * @param {{scope: string, name: string}} skill
     * @param {Uint8Array} tarball
     * @param {string | undefined} tag
     * @param {"public" | "restricted"} [access] only for a new skill's first version, as npm's --access
     * @returns {Promise<PublishResult>}
     */
    publish(skill, tarball, tag, access) {
      const params = new URLSearchParams();
      if (tag) params.set("tag", tag);
      if (access) params.set("access", access);
      const qs = params.size ? `?${params}` : "";
      return requestJson("POST", `${skillPath(skill)}/publish${qs}`, {
        auth: true,
        body: /** @type {BodyInit} */ (/** @type {unknown} */ (tarball)),
        contentType: "application/gzip",
      });
    },

    /**
     * Downloads a tarball into memory, reporting progress. Never sends the token to another origin.
     * @param {string} tarballUrl
     * @param {{expectedSize?: number, onProgress?: (p: DownloadProgress) => void}} [opts]
     * @returns {Promise<Uint8Array>}
     */
    async download(tarballUrl, opts = {}) {
      let target;
      try {
        target = new URL(tarballUrl, `${base}/`);
      } catch {
        throw new CliError(`The registry gave an invalid tarball URL: ${tarballUrl}`, { code: "BAD_RESPONSE" });
      }
      if (target.protocol !== "http:" && target.protocol !== "https:") {
        throw new CliError(`Refusing to download from ${target.href}: only http(s) URLs are allowed.`, {
          code: "BAD_RESPONSE",
        });
      }
      /** @type {Record<string, string>} */
      const headers = { "User-Agent": "skild-cli" };
      if (token && target.origin === new URL(base).origin) headers.Authorization = `Bearer ${token}`;
      const defaults = retrySettings();
      // A tarball may be large and the link slow: each try gets ten request timeouts.
      const settings = { ...defaults, timeoutMs: defaults.timeoutMs * 10, maxTimeMs: defaults.maxTimeMs * 2 };
      const what = `GET ${target.pathname}`;
      // The whole download is one attempt: a connection cut mid-body starts it again from the top.
      return withRetries(
        async (timeoutMs) => {
          let res;
          try {
            res = await proxiedFetch(target, { headers, signal: AbortSignal.timeout(timeoutMs) });
          } catch (err) {
            const failure = new CliError(`Cannot download ${target.href} (${networkReason(err)}).`, {
              code: "UNREACHABLE",
            });
            throw new TransientFailure(networkReason(err), {
              giveUp: () => {
                throw failure;
              },
            });
          }
          if (!res.ok) {
            const failure = await responseError(/** @type {Response} */ (/** @type {unknown} */ (res)), what);
            if (res.status === 404) {
              failure.message = `${target.pathname} does not exist`;
              throw explainNotFound(failure, { registry: base, loggedIn: Boolean(headers.Authorization) });
            }
            if (!RETRY_STATUSES.has(res.status)) throw failure;
            throw new TransientFailure(`${res.status} ${res.statusText}`.trim(), {
              retryAfterMs: retryAfterMs(res.headers),
              giveUp: () => {
                throw failure;
              },
            });
          }
          return readBody(res, target, opts);
        },
        { what, settings },
      );
    },
  };
}

/**
 * Reads a tarball response into memory, refusing more than the registry announced. A connection
 * cut or a timeout mid-body is a TransientFailure (the download starts again); when the retries
 * run out the user learns how far it got. Nothing is written to disk either way.
 * @param {import("undici").Response} res
 * @param {URL} target
 * @param {{expectedSize?: number, onProgress?: (p: DownloadProgress) => void}} opts
 * @returns {Promise<Uint8Array>}
 */
async function readBody(res, target, opts) {
  const announced = Number(res.headers.get("Content-Length")) || undefined;
  const total = opts.expectedSize ?? announced;
  const limit = opts.expectedSize ?? MAX_DOWNLOAD_BYTES;
  /** @type {Uint8Array[]} */
  const chunks = [];
  let received = 0;
  if (res.body) {
    try {
      for await (const chunk of res.body) {
        received += chunk.byteLength;
        if (received > limit) {
          throw new CliError(
            `The download of ${target.href} is larger than the ${formatBytes(limit)} the registry announced; refusing it.`,
            { code: "TOO_LARGE" },
          );
        }
        chunks.push(chunk);
        opts.onProgress?.({ received, total });
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      const of = total === undefined ? "" : ` of ${formatBytes(total)}`;
      const failure = new CliError(
        `The download of ${target.href} was cut off after ${formatBytes(received)}${of} (${networkReason(err)}); nothing was installed. Try again.`,
        { code: "DOWNLOAD_FAILED" },
      );
      throw new TransientFailure(`cut off after ${formatBytes(received)}${of} (${networkReason(err)})`, {
        giveUp: () => {
          throw failure;
        },
      });
    }
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** @typedef {ReturnType<typeof createRegistryClient>} RegistryClient */
