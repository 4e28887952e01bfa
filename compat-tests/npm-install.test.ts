// npm 11 installing skills: latest, a dist-tag, a range; the lockfile; `npm ci` with an empty cache.
// Also the HTTP caching npm relies on (ETag/304), checked with node:http because Node's fetch adds
// `cache-control: no-cache` to conditional requests.
import { existsSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  makeProject,
  type NpmClient,
  npmClient,
  type RegistryServer,
  readJson,
  seedSkill,
  setupRegistry,
  tempDir,
} from "./helpers";

const NAME = "@acme/hello-skill";

interface Lockfile {
  packages: Record<string, { version: string; resolved: string; integrity: string }>;
}

function rawGet(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
      .on("error", reject);
  });
}

describe("npm install from the registry", () => {
  let server: RegistryServer;
  let npm: NpmClient;
  let project: string;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [
      { version: "1.0.0" },
      { version: "1.1.0" },
      { version: "2.0.0-beta.1", tag: "beta" },
    ]);
    npm = npmClient(server);
    project = makeProject();
  });
  afterAll(() => server?.stop());

  const installed = () => readJson<{ version: string }>(path.join(project, "node_modules", NAME, "package.json"));
  const lock = () => readJson<Lockfile>(path.join(project, "package-lock.json"));

  it("installs latest into a fresh project and writes a lockfile with the registry's integrity", async () => {
    const res = await npm.run(["install", NAME], { cwd: project });
    expect(res.code, res.output).toBe(0);
    expect(installed().version).toBe("1.1.0");
    expect(readFileSync(path.join(project, "node_modules", NAME, "SKILL.md"), "utf8")).toMatch(
      /^---\nname: hello-skill/,
    );
    const entry = lock().packages[`node_modules/${NAME}`];
    expect(entry.version).toBe("1.1.0");
    expect(entry.resolved).toBe(`${server.url}/${NAME}/-/hello-skill-1.1.0.tgz`);
    const packument = (await (await fetch(`${server.url}/${NAME}`)).json()) as {
      versions: Record<string, { dist: { integrity: string } }>;
    };
    expect(entry.integrity).toBe(packument.versions["1.1.0"].dist.integrity);
  });

  it("installs by dist-tag and by range", async () => {
    const beta = await npm.run(["install", `${NAME}@beta`], { cwd: project });
    expect(beta.code, beta.output).toBe(0);
    expect(installed().version).toBe("2.0.0-beta.1");
    const range = await npm.run(["install", `${NAME}@~1.0.0`], { cwd: project });
    expect(range.code, range.output).toBe(0);
    expect(installed().version).toBe("1.0.0");
    expect(readJson<{ dependencies: Record<string, string> }>(path.join(project, "package.json")).dependencies).toEqual(
      {
        [NAME]: "~1.0.0",
      },
    );
    expect(lock().packages[`node_modules/${NAME}`].version).toBe("1.0.0");
  });

  it("npm ci reproduces the lockfile with an empty cache", async () => {
    rmSync(path.join(project, "node_modules"), { recursive: true, force: true });
    const emptyCache = tempDir("skild-empty-cache-");
    const res = await npm.run(["ci", "--cache", emptyCache], { cwd: project });
    expect(res.code, res.output).toBe(0);
    expect(installed().version).toBe("1.0.0");
    expect(existsSync(path.join(emptyCache, "_cacache"))).toBe(true);
    // The bytes in the cache are the ones the lockfile pinned.
    const entry = lock().packages[`node_modules/${NAME}`];
    const tarball = await rawGet(entry.resolved);
    expect(ssri.checkData(tarball.body, entry.integrity)).toBeTruthy();
  });

  it("fails an install of an unknown package or version with E404 / ETARGET", async () => {
    const unknown = await npm.run(["install", "@acme/nothing-here"], { cwd: project });
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(/E404/);
    const noVersion = await npm.run(["install", `${NAME}@^7.0.0`], { cwd: project });
    expect(noVersion.code).not.toBe(0);
    expect(noVersion.output).toMatch(/ETARGET|No matching version/);
  });

  it("answers conditional packument and tarball requests with 304", async () => {
    for (const accept of ["application/json", "application/vnd.npm.install-v1+json"]) {
      const first = await rawGet(`${server.url}/@acme%2fhello-skill`, { accept });
      expect(first.status).toBe(200);
      expect(first.headers.vary).toMatch(/Accept/i);
      const etag = first.headers.etag!;
      expect(etag).toBeTruthy();
      const again = await rawGet(`${server.url}/@acme%2fhello-skill`, { accept, "if-none-match": etag });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
    }
    const tgz = await rawGet(`${server.url}/${NAME}/-/hello-skill-1.0.0.tgz`);
    expect(tgz.status).toBe(200);
    expect(tgz.headers["cache-control"]).toMatch(/immutable/);
    const tgzAgain = await rawGet(`${server.url}/${NAME}/-/hello-skill-1.0.0.tgz`, {
      "if-none-match": tgz.headers.etag!,
    });
    expect(tgzAgain.status).toBe(304);
  });
});
