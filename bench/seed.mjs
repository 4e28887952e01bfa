// Puts the benchmark's data into the registries: accounts, publishes through each registry's own
// publish route, and (for the scale figures) rows written straight into local D1.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { publish as npmPublish } from "libnpmpublish";
import { makeTempDir, removeTempDir } from "./procs.mjs";
import { wrangler } from "./registry.mjs";
import { manifestFor } from "./skill-package.mjs";

/**
 * Signs up and logs in on this registry; returns a write token.
 * @param {string} url
 * @param {string} handle
 */
export async function skildAccount(url, handle) {
  const password = "benchmark password 123";
  const signup = await fetch(`${url}/auth/signup`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `${handle}@example.com`, handle, password }),
  });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`);
  const login = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ handleOrEmail: handle, password }),
  });
  const body = await login.json();
  if (!login.ok) throw new Error(`login failed: ${login.status} ${JSON.stringify(body)}`);
  return /** @type {string} */ (body.token);
}

/**
 * Publishes through the skild API; returns the wall time in ms. Throws on a non-201.
 * @param {string} url
 * @param {string} token
 * @param {string} name `@scope/skill`
 * @param {Buffer} tarball
 */
export async function skildPublish(url, token, name, tarball) {
  const started = performance.now();
  const res = await fetch(`${url}/skills/${name}/publish`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/gzip" },
    body: new Uint8Array(tarball),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 201) throw new Error(`publish ${name} failed: ${res.status} ${text}`);
  return ms;
}

/**
 * Publishes with libnpmpublish, the library `npm publish` runs (same PUT document); returns the wall
 * time in ms. Throws with the HTTP status in `statusCode` on failure.
 * @param {string} url
 * @param {string} token
 * @param {string} name
 * @param {string} version
 * @param {Buffer} tarball
 */
export async function npmPublishTimed(url, token, name, version, tarball) {
  const registry = `${url}/`;
  const started = performance.now();
  await npmPublish(/** @type {any} */ (manifestFor(name, version)), tarball, {
    registry,
    [`${registry.replace(/^https?:/, "")}:_authToken`]: token,
    retry: { retries: 0 },
  });
  return performance.now() - started;
}

/** SQL string literal. @param {string} value */
const q = (value) => `'${value.replaceAll("'", "''")}'`;

/**
 * SQL that adds `count` skills with one version each (for search), generated inside SQLite with a
 * recursive CTE so the file stays small. Descriptions rotate through a few words, so a query term
 * matches a fraction of them as real search terms would.
 * @param {{ scope: string, count: number, artifact: { sha256: string, integrity: string, shasum: string, size: number } }} opts
 */
export function manySkillsSql({ scope, count, artifact }) {
  const topics = ["review", "deploy", "testing", "database", "frontend", "security", "docs", "release"];
  const topicCase = `CASE i % ${topics.length} ${topics.map((t, n) => `WHEN ${n} THEN ${q(t)}`).join(" ")} END`;
  const now = new Date().toISOString();
  return `
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
INSERT INTO skills (scope, name, description, created_at, updated_at)
  SELECT ${q(scope)}, 'skill-' || i, 'Helps with ' || ${topicCase} || ' tasks, variant ' || i || '.', ${q(now)}, ${q(now)} FROM n;
INSERT INTO versions (skill_id, version, sort_key, prerelease, integrity, shasum, sha256, size, unpacked_size,
    file_count, manifest_json, readme, published_at)
  SELECT s.id, '1.0.0', '0000000000000001.0000000000000000.0000000000000000', 0, ${q(artifact.integrity)},
    ${q(artifact.shasum)}, ${q(artifact.sha256)}, ${artifact.size}, ${artifact.size * 3}, 2,
    json_object('name', '@' || s.scope || '/' || s.name, 'version', '1.0.0', 'description', s.description),
    '# ' || s.name, ${q(now)}
  FROM skills s WHERE s.scope = ${q(scope)};
INSERT INTO dist_tags (skill_id, tag, version) SELECT id, 'latest', '1.0.0' FROM skills WHERE scope = ${q(scope)};
`;
}

/**
 * Adds `count` one-version skills to the local D1 in `stateDir` (migrations applied, server not
 * running) in one SQL file, and puts `tarball` into local R2 as the object their rows point at.
 * Publishing 10,000 skills through the API would take minutes.
 * @param {string} stateDir
 * @param {{ scope: string, count: number, tarball: Buffer }} opts
 */
export function seedManySkills(stateDir, { scope, count, tarball }) {
  const artifact = {
    sha256: createHash("sha256").update(tarball).digest("hex"),
    shasum: createHash("sha1").update(tarball).digest("hex"),
    integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
    size: tarball.length,
  };
  const dir = makeTempDir("skild-bench-seed-");
  try {
    const tgz = path.join(dir, "artifact.tgz");
    const sqlFile = path.join(dir, "many-skills.sql");
    writeFileSync(tgz, tarball);
    writeFileSync(sqlFile, manySkillsSql({ scope, count, artifact }));
    wrangler(
      ["r2", "object", "put", `skild-registry-artifacts/sha256/${artifact.sha256}.tgz`, "--file", tgz],
      stateDir,
    );
    wrangler(["d1", "execute", "DB", "--yes", "--file", sqlFile], stateDir);
  } finally {
    removeTempDir(dir);
  }
}
