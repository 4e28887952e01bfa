// Issue 14, registry side: the Agent Skills discovery index and its root-level archives, download
// counts (both tarball paths, batched, never for failures or 304s), and stars (npm's wire format and
// the skild API).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp, defaultDeps } from "../../worker/app";
import { sha256Hex } from "../../worker/domain/crypto";
import { buildRootArchive, DISCOVERY_SCHEMA, tarballFiles } from "../../worker/domain/discovery";
import { resolvePeriod, utcDay } from "../../worker/domain/downloads";
import { DEFAULT_SWEEP, sweepOrphans } from "../../worker/domain/orphan-sweep";
import { gzip, tar } from "../helpers/tarball";
import { type Account, BASE, call, createAccount, expectRefused, json, publish, storeCounts } from "./helpers";
import { escaped, npmPublishBody, type PackumentDoc, putJson } from "./npm-helpers";
import { Browser } from "./web-helpers";

interface IndexDoc {
  $schema: string;
  skills: { name: string; description: string; type: string; url: string; digest: string }[];
}

const indexPath = (handle: string) => `/~${handle}/.well-known/agent-skills/index.json`;

/** Reads a plain (uncompressed) tar into path → {mode, text}, as a strict ustar reader would. */
function untar(bytes: Uint8Array) {
  const out = new Map<string, { mode: number; text: string; mtime: number; uid: number }>();
  const decoder = new TextDecoder();
  const field = (block: Uint8Array, offset: number, length: number) => {
    const slice = block.subarray(offset, offset + length);
    const nul = slice.indexOf(0);
    return decoder.decode(nul >= 0 ? slice.subarray(0, nul) : slice);
  };
  let offset = 0;
  while (offset + 512 <= bytes.length) {
    const block = bytes.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) break;
    const prefix = field(block, 345, 155);
    const name = field(block, 0, 100);
    const size = Number.parseInt(field(block, 124, 12).trim(), 8);
    const path = prefix ? `${prefix}/${name}` : name;
    out.set(path, {
      mode: Number.parseInt(field(block, 100, 8).trim(), 8),
      mtime: Number.parseInt(field(block, 136, 12).trim(), 8),
      uid: Number.parseInt(field(block, 108, 8).trim(), 8),
      text: decoder.decode(bytes.subarray(offset + 512, offset + 512 + size)),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function point(name: string, period = "last-day") {
  return json<{ downloads: number; start: string; end: string; package: string }>(
    await call(`/-/downloads/point/${period}/${name}`),
  );
}

/** Polls the downloads API until it shows `expected` (counts land within ~1 s of the download). */
async function expectDownloads(name: string, expected: number) {
  const deadline = Date.now() + 5_000;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = (await point(name)).downloads;
    if (seen === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(seen).toBe(expected);
}

async function publishedSkill(files: { path: string; content: string }[] = []) {
  const account = await createAccount();
  const name = `@${account.handle}/hello-skill`;
  const res = await publish(account, { extra: files.map((f) => ({ path: `package/${f.path}`, content: f.content })) });
  expect(res.status).toBe(201);
  const { integrity } = await json<{ integrity: string }>(res);
  const row = await env.DB.prepare("SELECT sha256 FROM versions WHERE integrity = ?")
    .bind(integrity)
    .first<{ sha256: string }>();
  return { account, name, sha256: row!.sha256 };
}

describe("discovery index", () => {
  it("lists each skill's latest version with a root-level archive and its sha256", async () => {
    const account = await createAccount();
    const extra = [{ path: "package/scripts/run.sh", content: "#!/bin/sh\necho hi\n" }];
    expect((await publish(account, { skill: "hello-skill", version: "1.0.0", extra })).status).toBe(201);
    expect((await publish(account, { skill: "hello-skill", version: "1.1.0", extra })).status).toBe(201);
    expect((await publish(account, { skill: "other-skill", description: "Another one" })).status).toBe(201);

    const res = await call(indexPath(account.handle));
    expect(res.status).toBe(200);
    const index = await json<IndexDoc>(res);
    expect(index.$schema).toBe(DISCOVERY_SCHEMA);
    expect(index.skills.map((s) => s.name)).toEqual(["hello-skill", "other-skill"]);
    const hello = index.skills[0];
    expect(hello.type).toBe("archive");
    expect(hello.description).toBe("A test skill");
    expect(hello.url).toBe(`${BASE}/skills/@${account.handle}/hello-skill/versions/1.1.0/archive.tar.gz`);
    expect(hello.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const archive = await call(hello.url);
    expect(archive.status).toBe(200);
    expect(archive.headers.get("Content-Type")).toBe("application/gzip");
    const bytes = new Uint8Array(await archive.arrayBuffer());
    expect(`sha256:${await sha256Hex(bytes)}`).toBe(hello.digest);
    const files = untar(await gunzip(bytes));
    // SKILL.md at the root: no `package/`, no `./`.
    expect([...files.keys()].sort()).toEqual(["SKILL.md", "package.json", "scripts/run.sh"]);
    expect(files.get("SKILL.md")?.text).toContain("name: hello-skill");
    expect(files.get("package.json")?.text).toContain('"version": "1.0.0"'.replace("1.0.0", "1.1.0"));

    // Asked again, the same digest (stored, not rebuilt differently).
    const again = await json<IndexDoc>(await call(indexPath(account.handle)));
    expect(again.skills[0].digest).toBe(hello.digest);
  });

  it("builds the archive deterministically: same files, same bytes, whatever the order and metadata", async () => {
    const a = await gzip(
      tar([
        { path: "package/SKILL.md", content: "---\nname: x\ndescription: d\n---\n" },
        { path: "package/b/deep.txt", content: "deep" },
        { path: "package/package.json", content: "{}" },
      ]),
    );
    const b = await gzip(
      tar([
        { path: "package/package.json", content: "{}" },
        { path: "package/b", type: "dir" },
        { path: "package/b/deep.txt", content: "deep" },
        { path: "package/SKILL.md", content: "---\nname: x\ndescription: d\n---\n" },
      ]),
    );
    const first = await buildRootArchive(await tarballFiles(a));
    const second = await buildRootArchive(await tarballFiles(b));
    expect(await sha256Hex(first)).toBe(await sha256Hex(second));
    const entries = untar(await gunzip(first));
    expect([...entries.keys()]).toEqual(["SKILL.md", "b/deep.txt", "package.json"]);
    for (const entry of entries.values()) {
      expect(entry.mtime).toBe(499162500);
      expect(entry.uid).toBe(0);
      expect(entry.mode).toBe(0o644);
    }
  });

  it("covers versions published before archives existed, and only the publisher's live skills", async () => {
    const account = await createAccount();
    expect((await publish(account, { skill: "old-skill" })).status).toBe(201);
    expect((await publish(account, { skill: "gone-skill" })).status).toBe(201);
    // As if published before migration 0008: no archive recorded.
    await env.DB.prepare(
      "UPDATE versions SET archive_sha256 = NULL, archive_size = NULL WHERE skill_id IN (SELECT id FROM skills WHERE scope = ?)",
    )
      .bind(account.handle)
      .run();
    const rev = (await json<PackumentDoc>(await call(`/${escaped(`@${account.handle}/gone-skill`)}?write=true`)))._rev;
    const del = await call(`/${escaped(`@${account.handle}/gone-skill`)}/-rev/${rev}`, {
      method: "DELETE",
      headers: account.auth,
    });
    expect(del.status).toBe(200);
    const other = await createAccount();
    expect((await publish(other, { skill: "not-mine" })).status).toBe(201);

    const index = await json<IndexDoc>(await call(indexPath(account.handle)));
    expect(index.skills.map((s) => s.name)).toEqual(["old-skill"]);
    const stored = await env.DB.prepare(
      "SELECT v.archive_sha256 FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.scope = ? AND s.name = 'old-skill'",
    )
      .bind(account.handle)
      .first<{ archive_sha256: string }>();
    expect(`sha256:${stored?.archive_sha256}`).toBe(index.skills[0].digest);
  });

  it("stores archives under archive/, where the orphan sweep (which owns sha256/) never deletes them", async () => {
    const account = await createAccount();
    expect((await publish(account, { skill: "kept-skill" })).status).toBe(201);
    const index = await json<IndexDoc>(await call(indexPath(account.handle)));
    const sha256 = index.skills[0].digest.slice("sha256:".length);
    expect(await env.ARTIFACTS.head(`archive/sha256/${sha256}.tar.gz`)).not.toBeNull();
    expect(await env.ARTIFACTS.head(`sha256/${sha256}.tgz`)).toBeNull();
    await env.DB.prepare("DELETE FROM sweep_state").run();
    // Everything unreferenced and old enough goes, from the start of the bucket.
    await sweepOrphans(env.DB, env.ARTIFACTS, { ...DEFAULT_SWEEP, graceSeconds: 0, nowMs: Date.now() + 3_600_000 });
    expect(await env.ARTIFACTS.head(`archive/sha256/${sha256}.tar.gz`)).not.toBeNull();
    const archive = await call(index.skills[0].url);
    expect(archive.status).toBe(200);
    expect(`sha256:${await sha256Hex(new Uint8Array(await archive.arrayBuffer()))}`).toBe(index.skills[0].digest);
  });

  it("answers 404 for an unknown publisher and for an archive of a missing version", async () => {
    await expectRefused(await call(indexPath("nobody-here-at-all")), 404, "PUBLISHER_NOT_FOUND");
    const { name } = await publishedSkill();
    await expectRefused(await call(`/skills/${name}/versions/9.9.9/archive.tar.gz`), 404, "VERSION_NOT_FOUND");
    await expectRefused(await call(`/skills/@nobody-here/x-skill/versions/1.0.0/archive.tar.gz`), 404);
  });
});

describe("downloads", () => {
  it("counts both tarball paths and the discovery archive per day, within 2 s, as npm's API shapes it", async () => {
    const { name } = await publishedSkill();
    const file = `${name.split("/")[1]}-1.0.0.tgz`;
    const paths = [
      `/${name}/-/${file}`,
      `/${escaped(name)}/-/${file}`,
      `/skills/${name}/versions/1.0.0/tarball`,
      `/skills/${name}/versions/1.0.0/archive.tar.gz`,
    ];
    for (const path of paths) {
      const res = await call(path);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await expectDownloads(name, 4);
    const today = utcDay();
    const week = await point(name, "last-week");
    expect(week).toEqual({ downloads: 4, start: resolvePeriod("last-week").start, end: today, package: name });
    const range = await json<{ downloads: { day: string; downloads: number }[]; start: string; end: string }>(
      await call(`/-/downloads/range/last-week/${escaped(name)}`),
    );
    expect(range.downloads).toHaveLength(7);
    expect(range.downloads.at(-1)).toEqual({ day: today, downloads: 4 });
    expect(range.downloads.slice(0, 6).every((d) => d.downloads === 0)).toBe(true);
    expect(range.end).toBe(today);
  });

  it("never counts a 304, a HEAD or a 404", async () => {
    const { name } = await publishedSkill();
    const path = `/skills/${name}/versions/1.0.0/tarball`;
    const first = await call(path);
    const etag = first.headers.get("ETag") ?? "";
    await first.arrayBuffer();
    await expectDownloads(name, 1);
    expect((await call(path, { headers: { "If-None-Match": etag } })).status).toBe(304);
    expect((await call(path, { method: "HEAD" })).status).toBe(200);
    expect((await call(`/skills/${name}/versions/2.0.0/tarball`)).status).toBe(404);
    expect((await call(`/${name}/-/hello-skill-2.0.0.tgz`)).status).toBe(404);
    // A download of another skill flushes a batch after all of the above.
    const other = await publishedSkill();
    await (await call(`/skills/${other.name}/versions/1.0.0/tarball`)).arrayBuffer();
    await expectDownloads(other.name, 1);
    expect((await point(name)).downloads).toBe(1);
  });

  it("writes a flush as one D1 statement, and a failing D1 neither fails nor slows the tarball", async () => {
    const { name } = await publishedSkill();
    const second = await publishedSkill();
    const writes: string[] = [];
    let failWrites = false;
    const app = createApp((bindings) => {
      const deps = defaultDeps(bindings);
      const db = new Proxy(deps.db, {
        get(target, prop) {
          if (prop === "prepare") {
            return (sql: string) => {
              if (/INSERT INTO downloads/.test(sql)) {
                writes.push(sql);
                if (failWrites) throw new Error("D1 is down");
              }
              return target.prepare(sql);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return { ...deps, db };
    });
    const ctx = createExecutionContext();
    const paths = [
      `/skills/${name}/versions/1.0.0/tarball`,
      `/${name}/-/hello-skill-1.0.0.tgz`,
      `/skills/${second.name}/versions/1.0.0/tarball`,
    ];
    for (let i = 0; i < 4; i++) {
      for (const path of paths) {
        const res = await app.fetch(new Request(new URL(path, BASE)), env, ctx);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    }
    await waitOnExecutionContext(ctx);
    expect(writes).toHaveLength(1);
    expect((await point(name)).downloads).toBe(8);
    expect((await point(second.name)).downloads).toBe(4);

    failWrites = true;
    const failing = createExecutionContext();
    const res = await app.fetch(new Request(new URL(paths[0], BASE)), env, failing);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    await waitOnExecutionContext(failing);
    expect(writes).toHaveLength(2);
    expect((await point(name)).downloads).toBe(8);
  });

  it("never counts a tarball whose storage read fails (5xx) or whose object is missing (404)", async () => {
    const failing = await publishedSkill();
    const missing = await publishedSkill();
    const app = createApp((bindings) => {
      const deps = defaultDeps(bindings);
      return {
        ...deps,
        artifacts: {
          ...deps.artifacts,
          get: async (key: string) => {
            if (key.includes(failing.sha256)) throw new Error("R2 is down");
            if (key.includes(missing.sha256)) return null;
            return deps.artifacts.get(key);
          },
        },
      };
    });
    const ctx = createExecutionContext();
    for (const { name } of [failing, missing]) {
      const res = await app.fetch(new Request(new URL(`/skills/${name}/versions/1.0.0/tarball`, BASE)), env, ctx);
      expect(res.status).toBeGreaterThanOrEqual(404);
      await res.arrayBuffer();
    }
    await waitOnExecutionContext(ctx);
    // A later successful download flushes; the failed ones never joined the batch.
    await (await call(`/skills/${missing.name}/versions/1.0.0/tarball`)).arrayBuffer();
    await expectDownloads(missing.name, 1);
    expect((await point(failing.name)).downloads).toBe(0);
  });

  it("refuses unknown periods and names with a clear 4xx", async () => {
    const { name } = await publishedSkill();
    await expectRefused(await call(`/-/downloads/point/last-year/${name}`), 400, "INVALID_PERIOD");
    await expectRefused(await call(`/-/downloads/point/2026-02-30:2026-03-01/${name}`), 400, "INVALID_PERIOD");
    await expectRefused(await call(`/-/downloads/point/2020-01-01:2026-01-01/${name}`), 400, "INVALID_PERIOD");
    await expectRefused(await call(`/-/downloads/point/last-week/@nobody-here/x-skill`), 404);
    const explicit = await point(name, `${utcDay()}:${utcDay()}`);
    expect(explicit.start).toBe(utcDay());
  });

  it("shows last week's downloads in /skills results and sorts by them", async () => {
    const account = await createAccount();
    for (const skill of ["aaa-skill", "zzz-skill"]) expect((await publish(account, { skill })).status).toBe(201);
    const popular = `@${account.handle}/zzz-skill`;
    for (let i = 0; i < 2; i++) await (await call(`/skills/${popular}/versions/1.0.0/tarball`)).arrayBuffer();
    await expectDownloads(popular, 2);
    // `q` = this account's handle: a listing no earlier request cached.
    const list = (sort: string) =>
      call(`/skills?sort=${sort}&q=${account.handle}`).then((res) =>
        json<{ skills: { name: string; downloads: number; stars: number }[] }>(res),
      );
    const sorted = await list("downloads");
    expect(sorted.skills.map((s) => [s.name, s.downloads])).toEqual([
      [popular, 2],
      [`@${account.handle}/aaa-skill`, 0],
    ]);
    expect(sorted.skills[0].stars).toBe(0);
    const byName = await list("name");
    expect(byName.skills.map((s) => [s.name, s.downloads])).toEqual([
      [`@${account.handle}/aaa-skill`, 0],
      [popular, 2],
    ]);
    await expectRefused(await call("/skills?sort=random"), 400);
  });

  it("pages sorted listings with an offset cursor", async () => {
    const account = await createAccount();
    for (const skill of ["one-skill", "two-skill", "three-skill"])
      expect((await publish(account, { skill })).status).toBe(201);
    const seen: string[] = [];
    let cursor = "";
    for (let page = 0; page < 3; page++) {
      const res = await json<{ skills: { name: string }[]; nextCursor: string | null }>(
        await call(`/skills?sort=stars&limit=2&q=${account.handle}${cursor ? `&cursor=${cursor}` : ""}`),
      );
      seen.push(...res.skills.map((s) => s.name));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    expect(seen.sort()).toEqual(["one-skill", "three-skill", "two-skill"].map((s) => `@${account.handle}/${s}`));
    await expectRefused(await call("/skills?sort=stars&cursor=bogus"), 400, "INVALID_CURSOR");
  });
});

describe("stars", () => {
  async function starDoc(name: string, account?: Account) {
    const res = await call(`/${escaped(name)}?write=true`, { headers: account?.auth ?? {} });
    return json<PackumentDoc & { users: Record<string, boolean> }>(res);
  }

  it("npm star / unstar: the caller's own entry changes, the packument lists who starred", async () => {
    const { name } = await publishedSkill();
    const alice = await createAccount();
    const bob = await createAccount();
    for (const who of [alice, bob]) {
      const doc = await starDoc(name, who);
      const res = await putJson(
        `/${escaped(name)}`,
        { _id: doc._id, _rev: doc._rev, users: { ...doc.users, [who.handle]: true } },
        who.auth,
      );
      expect(res.status).toBe(201);
    }
    const full = await starDoc(name);
    expect(full.users).toEqual({ [alice.handle]: true, [bob.handle]: true });
    const detail = await json<{ stars: number }>(await call(`/skills/${name}`));
    expect(detail.stars).toBe(2);
    const stars = await json<{ rows: { value: string }[] }>(
      await call(`/-/_view/starredByUser?key=${encodeURIComponent(JSON.stringify(alice.handle))}`),
    );
    expect(stars.rows.map((r) => r.value)).toEqual([name]);

    // Unstar: the map without the caller.
    const doc = await starDoc(name, alice);
    const { [alice.handle]: _, ...rest } = doc.users;
    expect((await putJson(`/${escaped(name)}`, { _id: doc._id, _rev: doc._rev, users: rest }, alice.auth)).status).toBe(
      201,
    );
    expect((await starDoc(name)).users).toEqual({ [bob.handle]: true });
  });

  it("refuses a change to anyone else's entry with 403 and stores nothing", async () => {
    const { account: owner, name } = await publishedSkill();
    const alice = await createAccount();
    const bob = await createAccount();
    let doc = await starDoc(name);
    expect(
      (await putJson(`/${escaped(name)}`, { _id: doc._id, _rev: doc._rev, users: { [bob.handle]: true } }, bob.auth))
        .status,
    ).toBe(201);
    doc = await starDoc(name);
    const before = { ...doc.users };
    // Alice adds a star for someone else, removes Bob's, or does both with her own.
    for (const users of [{ [owner.handle]: true }, {}, { [alice.handle]: true }].map((u, i) =>
      i === 2 ? { ...u } : u,
    )) {
      const res = await putJson(`/${escaped(name)}`, { _id: doc._id, _rev: doc._rev, users }, alice.auth);
      await expectRefused(res, 403, "NOT_YOUR_STAR");
    }
    // Even the owner cannot remove a stranger's star.
    await expectRefused(
      await putJson(`/${escaped(name)}`, { _id: doc._id, _rev: doc._rev, users: {} }, owner.auth),
      403,
      "NOT_YOUR_STAR",
    );
    expect((await starDoc(name)).users).toEqual(before);
    // A stale revision (someone starred since the read) is a conflict, not a silent overwrite.
    await expectRefused(
      await putJson(
        `/${escaped(name)}`,
        { _id: doc._id, _rev: "1-00000000", users: { ...before, [alice.handle]: true } },
        alice.auth,
      ),
      [409],
    );
    // A stranger's PUT that is not a star is still refused as before (403, nothing stored).
    const counts = await storeCounts();
    const stranger = await putJson(`/${escaped(name)}`, { name, versions: {} }, alice.auth);
    await expectRefused(stranger, 403, "NOT_OWNER");
    const upload = await putJson(
      `/${escaped(name)}`,
      { _id: name, users: { [alice.handle]: true }, versions: { "9.0.0": {} } },
      alice.auth,
    );
    await expectRefused(upload, 403, "NOT_OWNER");
    expect(await storeCounts()).toEqual(counts);
  });

  it("skild API: PUT/DELETE /skills/:scope/:skill/star, counts and sort in /skills", async () => {
    const plain = await publishedSkill();
    const { name } = await publishedSkill();
    const alice = await createAccount();
    const star = await call(`/skills/${name}/star`, { method: "PUT", headers: alice.auth });
    expect(star.status).toBe(200);
    expect(await json(star)).toEqual({ name, starred: true, stars: 1 });
    // Idempotent.
    expect(await json(await call(`/skills/${name}/star`, { method: "PUT", headers: alice.auth }))).toEqual({
      name,
      starred: true,
      stars: 1,
    });
    // A star is a write: listings are dropped at once.
    const sorted = await json<{ skills: { name: string; stars: number }[] }>(
      await call("/skills?sort=stars&limit=100"),
    );
    const names = sorted.skills.map((s) => s.name);
    expect(names.indexOf(name)).toBeLessThan(names.indexOf(plain.name));
    expect(sorted.skills.find((s) => s.name === name)?.stars).toBe(1);
    const unstar = await call(`/skills/${name}/star`, { method: "DELETE", headers: alice.auth });
    expect(await json(unstar)).toEqual({ name, starred: false, stars: 0 });
    await expectRefused(await call(`/skills/${name}/star`, { method: "PUT" }), 401);
    await expectRefused(await call(`/skills/@nobody-here/x-skill/star`, { method: "PUT", headers: alice.auth }), 404);
  });
});

describe("pages", () => {
  it("the skill page shows downloads and stars, and its skild command names this registry", async () => {
    const { name } = await publishedSkill();
    const fan = await createAccount();
    expect((await call(`/skills/${name}/star`, { method: "PUT", headers: fan.auth })).status).toBe(200);
    await (await call(`/skills/${name}/versions/1.0.0/tarball`)).arrayBuffer();
    await expectDownloads(name, 1);
    const page = await (await call(`/package/${name}`)).text();
    expect(page).toContain("1 download</span>".replace("</span>", " this week</span>"));
    expect(page).toContain(">1 star<");
    const words = (html: string) => html.replace(/<[^>]+>/g, "").replace(/\s+/g, " ");
    expect(words(page)).toContain(`skild install ${name} -t claude --registry ${BASE}`);
    // Served from the CLI's default registry, the command needs no --registry.
    const local = await (await call(`http://127.0.0.1:18787/package/${name}`)).text();
    expect(words(local)).toContain(`skild install ${name} -t claude`);
    expect(words(local)).not.toContain(`skild install ${name} -t claude --registry`);
  });

  it("the home page lists the most downloaded or starred skills on ?sort=", async () => {
    const { name } = await publishedSkill();
    const fan = await createAccount();
    expect((await call(`/skills/${name}/star`, { method: "PUT", headers: fan.auth })).status).toBe(200);
    const starred = await (await call("/?sort=stars")).text();
    expect(starred).toContain("Most starred");
    expect(starred).toContain(name);
    const downloads = await call("/?sort=downloads");
    expect(downloads.status).toBe(200);
    expect(await downloads.text()).toContain("Most downloaded this week");
    expect((await call("/?sort=bogus")).status).toBe(400);
  });

  it("a logged-in viewer stars and unstars from the skill page (a form with CSRF); others get a login link", async () => {
    const { name } = await publishedSkill();
    const page = `/package/${name}`;
    const anonymous = await (await call(page)).text();
    expect(anonymous).toContain(`href="/login?next=${encodeURIComponent(page)}"`);
    const fan = await createAccount();
    const browser = new Browser();
    expect((await browser.login(fan.handle, fan.password)).status).toBe(303);
    expect(await (await browser.fetch(page)).text()).toContain("☆ Star");
    const star = await browser.post(`${page}/star`, { csrf: await browser.csrf(page), starred: "1" });
    expect(star.status).toBe(303);
    expect(star.headers.get("Location")).toBe(page);
    const starredPage = await (await browser.fetch(page)).text();
    expect(starredPage).toContain("★ Starred");
    expect(starredPage).toContain(">1 star<");
    expect((await starDocUsers(name)).sort()).toEqual([fan.handle]);
    // Without the CSRF token: refused, nothing changes.
    expect((await browser.post(`${page}/star`, { starred: "0" })).status).toBe(403);
    expect(await starDocUsers(name)).toEqual([fan.handle]);
    await browser.post(`${page}/star`, { csrf: await browser.csrf(page), starred: "0" });
    expect(await starDocUsers(name)).toEqual([]);
  });
});

async function starDocUsers(name: string): Promise<string[]> {
  const doc = await json<{ users: Record<string, boolean> }>(await call(`/${escaped(name)}`));
  return Object.keys(doc.users);
}

describe("private skills (restricted): the same lookup as every read, and lists show public skills only", () => {
  it("index, archive, downloads and stars treat a restricted skill as missing for those who cannot read it", async () => {
    const owner = await createAccount();
    const stranger = await createAccount();
    expect((await publish(owner, { skill: "open-skill" })).status).toBe(201);
    const secret = `@${owner.handle}/secret-skill`;
    const body = { ...(await npmPublishBody(secret)), access: "restricted" };
    expect((await putJson(`/${escaped(secret)}`, body, owner.auth)).status).toBe(201);

    // The index lists public skills only, for everyone (one shared copy).
    for (const headers of [{}, owner.auth]) {
      const index = await json<IndexDoc>(await call(indexPath(owner.handle), { headers }));
      expect(index.skills.map((s) => s.name)).toEqual(["open-skill"]);
    }
    // The archive, the downloads API and stars: 404 exactly as for a name that never existed.
    const missing = `@${owner.handle}/never-was`;
    for (const headers of [{}, stranger.auth]) {
      for (const [path, init] of [
        [(n: string) => `/skills/${n}/versions/1.0.0/archive.tar.gz`, {}],
        [(n: string) => `/-/downloads/point/last-week/${n}`, {}],
        [(n: string) => `/-/downloads/range/last-week/${n}`, {}],
        [(n: string) => `/skills/${n}/star`, { method: "PUT" }],
      ] as const) {
        const hidden = await call(path(secret), { ...init, headers });
        const absent = await call(path(missing), { ...init, headers });
        if (!("method" in init) || Object.keys(headers).length > 0) {
          expect(hidden.status).toBe(404);
          expect(await hidden.text()).toBe((await absent.text()).replace("never-was", "secret-skill"));
        }
      }
    }
    const npmStar = await putJson(
      `/${escaped(secret)}`,
      { _id: secret, users: { [stranger.handle]: true } },
      stranger.auth,
    );
    expect(npmStar.status).toBe(404);
    // The owner reads it all (private, not shared-cacheable) and may star it; lists still leave it out.
    const archive = await call(`/skills/${secret}/versions/1.0.0/archive.tar.gz`, { headers: owner.auth });
    expect(archive.status).toBe(200);
    expect(archive.headers.get("Cache-Control")).toMatch(/^private/);
    await archive.arrayBuffer();
    expect((await call(`/-/downloads/point/last-week/${secret}`, { headers: owner.auth })).status).toBe(200);
    expect((await call(`/skills/${secret}/star`, { method: "PUT", headers: owner.auth })).status).toBe(200);
    const starred = await json<{ rows: { value: string }[] }>(
      await call(`/-/_view/starredByUser?key=${encodeURIComponent(JSON.stringify(owner.handle))}`),
    );
    expect(starred.rows).toEqual([]);
    const byStars = await json<{ skills: { name: string }[] }>(await call(`/skills?sort=stars&q=${owner.handle}`));
    expect(byStars.skills.map((s) => s.name)).toEqual([`@${owner.handle}/open-skill`]);
    expect(
      (await expectRefused(await call(`/skills/${secret}/star`, { method: "PUT", headers: stranger.auth }), 404)).code,
    ).toBe("SKILL_NOT_FOUND");
  });
});
