import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { skillTarball } from "../helpers/tarball";
import { type Account, call, createAccount, json, storeCounts } from "./helpers";

// Concurrent writers: the D1 unique key and the in-transaction `latest` rule decide every race, so
// no interleaving loses a version, stores two, or leaves tags pointing at the wrong place.

interface SkillJson {
  description: string;
  distTags: Record<string, string>;
  versions: { version: string; integrity: string }[];
  readme?: string;
}

function post(account: Account, skill: string, body: Uint8Array, tag?: string) {
  return call(`/skills/${account.handle}/${skill}/publish${tag ? `?tag=${tag}` : ""}`, {
    method: "POST",
    headers: { ...account.auth, "Content-Type": "application/gzip" },
    body,
  });
}

async function download(account: Account, skill: string, version: string): Promise<Uint8Array> {
  const res = await call(`/skills/${account.handle}/${skill}/versions/${version}/tarball`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** Every tag points at a live version; description and readme follow `latest`; revision counts the writes. */
async function expectConsistent(account: Account, skill: string, descriptions: Map<string, string>, writes: number) {
  const res = await call(`/skills/${account.handle}/${skill}`);
  expect(res.status).toBe(200);
  const body = await json<SkillJson>(res);
  const live = new Set(body.versions.map((v) => v.version));
  for (const [tag, version] of Object.entries(body.distTags)) expect(live, `${tag} → ${version}`).toContain(version);
  expect(body.description).toBe(descriptions.get(body.distTags.latest));
  expect(body.readme).toContain(descriptions.get(body.distTags.latest));
  const row = await env.DB.prepare("SELECT revision FROM skills WHERE scope = ? AND name = ?")
    .bind(account.handle, skill)
    .first<{ revision: number }>();
  expect(row!.revision).toBe(writes);
  return body;
}

describe("concurrent publishes", () => {
  it("20 publishes of the same version with the same bytes: one 201, nineteen 409, one row, one object", async () => {
    const account = await createAccount();
    const bytes = await skillTarball({ name: `@${account.handle}/same-skill`, version: "1.0.0" });
    const before = await storeCounts();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(account, "same-skill", bytes)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    for (const res of answers.filter((r) => r.status === 409)) {
      expect((await json(res)).code).toBe("VERSION_EXISTS");
    }
    expect(await storeCounts()).toEqual({
      skills: before.skills + 1,
      versions: before.versions + 1,
      tags: before.tags + 1,
      objects: before.objects + 1,
    });
    expect(await download(account, "same-skill", "1.0.0")).toEqual(bytes);
  });

  it("20 publishes of the same version with different bytes: one wins, and its bytes are what is served", async () => {
    const account = await createAccount();
    const uploads = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        skillTarball({ name: `@${account.handle}/contested`, version: "1.0.0", description: `Upload number ${i}.` }),
      ),
    );
    const before = await storeCounts();
    const answers = await Promise.all(uploads.map((bytes) => post(account, "contested", bytes)));
    const winners = answers.flatMap((res, i) => (res.status === 201 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(19);
    const after = await storeCounts();
    expect(after.versions).toBe(before.versions + 1);
    // Losers may leave their (content-addressed, unreferenced) object behind; never a row.
    expect(after.objects - before.objects).toBeGreaterThanOrEqual(1);
    expect(await download(account, "contested", "1.0.0")).toEqual(uploads[winners[0]]);
    const descriptions = new Map([["1.0.0", `Upload number ${winners[0]}.`]]);
    await expectConsistent(account, "contested", descriptions, 1);
  });

  it("20 publishes of different versions at once: all stored, latest is the highest release", async () => {
    const account = await createAccount();
    const versions = [
      ...Array.from({ length: 18 }, (_, i) => `1.${i % 6}.${Math.floor(i / 6)}`),
      "2.0.0-rc.1",
      "1.10.0",
    ];
    const descriptions = new Map(versions.map((v) => [v, `Version ${v} of the skill.`]));
    const uploads = await Promise.all(
      versions.map((version) =>
        skillTarball({ name: `@${account.handle}/many-skill`, version, description: descriptions.get(version) }),
      ),
    );
    // Shuffled so the highest is not always sent last.
    const order = versions.map((_, i) => i).sort(() => Math.random() - 0.5);
    const answers = await Promise.all(order.map((i) => post(account, "many-skill", uploads[i])));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(201));

    const body = await expectConsistent(account, "many-skill", descriptions, 20);
    expect(body.versions.map((v) => v.version).sort()).toEqual([...versions].sort());
    expect(body.distTags).toEqual({ latest: "1.10.0" });
    for (const [i, version] of versions.entries()) {
      expect(await download(account, "many-skill", version)).toEqual(uploads[i]);
    }
  });
});

describe("dist-tags racing publishes", () => {
  it.each([1, 2, 3, 4, 5])("round %i: tagged and untagged publishes at once leave consistent tags", async () => {
    const account = await createAccount();
    const skill = "tag-race";
    const plan: { version: string; tag?: string }[] = [
      { version: "2.0.0" },
      { version: "1.5.0", tag: "latest" },
      { version: "3.0.0-beta.1", tag: "beta" },
      { version: "1.6.0", tag: "stable" },
      { version: "1.7.0" },
    ];
    const descriptions = new Map([["1.0.0", "The first version."]]);
    for (const { version } of plan) descriptions.set(version, `Release ${version}, tagged by the race.`);
    const first = await skillTarball({
      name: `@${account.handle}/${skill}`,
      version: "1.0.0",
      description: "The first version.",
    });
    expect((await post(account, skill, first)).status).toBe(201);

    const uploads = await Promise.all(
      plan.map(({ version }) =>
        skillTarball({ name: `@${account.handle}/${skill}`, version, description: descriptions.get(version) }),
      ),
    );
    const answers = await Promise.all(plan.map(({ tag }, i) => post(account, skill, uploads[i], tag)));
    expect(answers.map((r) => r.status)).toEqual(Array(plan.length).fill(201));

    const body = await expectConsistent(account, skill, descriptions, 1 + plan.length);
    expect(body.versions).toHaveLength(1 + plan.length);
    // `latest` is whichever of the two writers that may move it committed last: the explicit tag
    // (1.5.0) or the highest release (2.0.0). Nothing else can own it.
    expect(["1.5.0", "2.0.0"]).toContain(body.distTags.latest);
    expect(body.distTags.beta).toBe("3.0.0-beta.1");
    expect(body.distTags.stable).toBe("1.6.0");
    expect(Object.keys(body.distTags).sort()).toEqual(["beta", "latest", "stable"]);
  });
});
