import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Account, call, createAccount, json } from "./helpers";
import { escaped, npmPublish, packument } from "./npm-helpers";

// A skill's description (listings, search, the skill page) is the description of the version
// `latest` names. Publishing keeps it so; moving `latest` by dist-tag or by unpublishing must too.

/** Publishes 1.0.0 ("first"), 1.1.0 ("second"), 2.0.0-beta.1 ("beta") of @<handle>/<skill>. */
async function threeVersions(skill: string) {
  const account = await createAccount();
  for (const [version, description] of [
    ["1.0.0", "first version"],
    ["1.1.0", "second version"],
    ["2.0.0-beta.1", "beta version"],
  ]) {
    const res = await npmPublish(account, {
      skill,
      version,
      description,
      tag: version.includes("-") ? "next" : undefined,
    });
    expect(res.status).toBe(201);
  }
  return { account, name: `@${account.handle}/${skill}` };
}

/** The description wherever it is shown: D1, the skill page, the search listing, the packument. */
async function descriptions(account: Account, skill: string) {
  const row = await env.DB.prepare("SELECT description FROM skills WHERE scope = ? AND name = ?")
    .bind(account.handle, skill)
    .first<{ description: string }>();
  const page = await json<{ description: string }>(await call(`/skills/${account.handle}/${skill}`));
  const search = await json<{ skills: { name: string; description: string }[] }>(
    await call(`/skills?q=${account.handle}`),
  );
  const doc = (await packument(`@${account.handle}/${skill}`)).body;
  return {
    row: row?.description,
    page: page.description,
    search: search.skills.find((s) => s.name === `@${account.handle}/${skill}`)?.description,
    packument: doc?.description,
  };
}
const everywhere = (text: string) => ({ row: text, page: text, search: text, packument: text });

describe("the skill's description follows latest", () => {
  it("when latest is moved back with a dist-tag, and forward again", async () => {
    const { account, name } = await threeVersions("tagged-desc");
    expect(await descriptions(account, "tagged-desc")).toEqual(everywhere("second version"));
    const path = `/-/package/${escaped(name)}/dist-tags/latest`;
    const move = (version: string) =>
      call(path, {
        method: "PUT",
        headers: { ...account.auth, "Content-Type": "application/json" },
        body: JSON.stringify(version),
      });
    expect((await move("1.0.0")).status).toBe(201);
    expect(await descriptions(account, "tagged-desc")).toEqual(everywhere("first version"));
    expect((await move("2.0.0-beta.1")).status).toBe(201);
    expect(await descriptions(account, "tagged-desc")).toEqual(everywhere("beta version"));
  });

  it("moving another tag leaves it alone", async () => {
    const { account, name } = await threeVersions("other-tag-desc");
    const res = await call(`/-/package/${escaped(name)}/dist-tags/stable`, {
      method: "PUT",
      headers: { ...account.auth, "Content-Type": "application/json" },
      body: JSON.stringify("1.0.0"),
    });
    expect(res.status).toBe(201);
    expect(await descriptions(account, "other-tag-desc")).toEqual(everywhere("second version"));
  });

  it("when unpublishing latest moves it to the highest remaining release", async () => {
    const { account, name } = await threeVersions("unpublished-desc");
    const doc = await json<{ _rev: string }>(await call(`/${escaped(name)}?write=true`, { headers: account.auth }));
    const del = await call(`/${escaped(name)}/-/unpublished-desc-1.1.0.tgz/-rev/${doc._rev}`, {
      method: "DELETE",
      headers: account.auth,
    });
    expect(del.status).toBe(200);
    expect((await packument(name)).body!["dist-tags"].latest).toBe("1.0.0");
    expect(await descriptions(account, "unpublished-desc")).toEqual(everywhere("first version"));
  });

  it("falls back to SKILL.md's description when package.json has none", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/md-desc`;
    for (const [version, packageJson] of [
      ["1.0.0", JSON.stringify({ name, version: "1.0.0" })],
      ["1.1.0", JSON.stringify({ name, version: "1.1.0", description: "from package.json" })],
    ]) {
      expect(
        (await npmPublish(account, { skill: "md-desc", version, packageJson, description: "from SKILL.md" })).status,
      ).toBe(201);
    }
    expect((await descriptions(account, "md-desc")).row).toBe("from package.json");
    const res = await call(`/-/package/${escaped(name)}/dist-tags/latest`, {
      method: "PUT",
      headers: { ...account.auth, "Content-Type": "application/json" },
      body: JSON.stringify("1.0.0"),
    });
    expect(res.status).toBe(201);
    expect((await descriptions(account, "md-desc")).row).toBe("from SKILL.md");
  });
});
