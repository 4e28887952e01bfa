import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { type SkillPackageOptions, skillTarball } from "../helpers/tarball";

export const BASE = "http://registry.test";

/** A request through the real Worker entry point (routing, middleware, error rendering). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, BASE), init));
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return call(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

let counter = 0;
/** A handle no other test uses (storage is shared within a test file). */
export function uniqueHandle(prefix = "user"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}${counter}`.slice(0, 32);
}

export interface Account {
  handle: string;
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

export async function createAccount(handle = uniqueHandle()): Promise<Account> {
  const email = `${handle}@example.com`;
  const password = "correct horse battery";
  const signup = await postJson("/auth/signup", { email, handle, password });
  expect(signup.status).toBe(201);
  const login = await postJson("/auth/login", { handleOrEmail: handle, password });
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  return { handle, email, password, token, auth: { Authorization: `Bearer ${token}` } };
}

export async function publish(
  account: Account,
  opts: SkillPackageOptions & { skill?: string; tag?: string; body?: Uint8Array } = {},
): Promise<Response> {
  const skill = opts.skill ?? "hello-skill";
  const body = opts.body ?? (await skillTarball({ name: `@${account.handle}/${skill}`, ...opts }));
  const query = opts.tag ? `?tag=${encodeURIComponent(opts.tag)}` : "";
  return call(`/skills/${account.handle}/${skill}/publish${query}`, {
    method: "POST",
    headers: { ...account.auth, "Content-Type": "application/gzip" },
    body,
  });
}

/** Row and object counts, to prove a rejected request stored nothing. */
export async function storeCounts() {
  const rows = await env.DB.prepare(
    "SELECT (SELECT COUNT(*) FROM skills) AS skills, (SELECT COUNT(*) FROM versions) AS versions, (SELECT COUNT(*) FROM dist_tags) AS tags",
  ).first<{ skills: number; versions: number; tags: number }>();
  let objects = 0;
  let cursor: string | undefined;
  do {
    const page = await env.ARTIFACTS.list({ cursor });
    objects += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { ...rows!, objects };
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Checks a refusal: status, JSON `{error, code}` with a message, and the code when given. */
export async function expectRefused(res: Response, status: number | number[], code?: string) {
  const text = await res.text();
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `status ${res.status}: ${text.slice(0, 300)}`).toContain(res.status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error: unknown; code: unknown };
  expect(typeof body.error).toBe("string");
  expect(typeof body.code).toBe("string");
  if (code) expect(body.code).toBe(code);
  return body as { error: string; code: string };
}

/** A request body that never ends, counting what the server pulls from it. */
export function endlessBody() {
  const chunk = new Uint8Array(64 * 1024);
  const meter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      meter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, meter };
}
