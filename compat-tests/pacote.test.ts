// pacote (npm's fetcher) reading the registry: manifest, packument (full and abbreviated), extract.
import { readFileSync } from "node:fs";
import path from "node:path";
import pacote from "pacote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, type RegistryServer, registryUrl, seedSkill, setupRegistry, tempDir } from "./helpers";

const NAME = "@acme/hello-skill";

describe("pacote", () => {
  let server: RegistryServer;
  let opts: Record<string, unknown>;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [
      { version: "1.0.0" },
      { version: "1.1.0" },
      { version: "2.0.0-beta.1", tag: "beta" },
    ]);
    opts = { registry: registryUrl(server), "@acme:registry": registryUrl(server), cache: tempDir("skild-pacote-") };
  });
  afterAll(() => server?.stop());

  it("resolves manifests by range, tag and version", async () => {
    const byRange = await pacote.manifest(`${NAME}@^1.0.0`, opts);
    expect(byRange.version).toBe("1.1.0");
    expect(byRange._resolved).toBe(`${server.url}/${NAME}/-/hello-skill-1.1.0.tgz`);
    expect(byRange._integrity).toMatch(/^sha512-/);
    expect((await pacote.manifest(`${NAME}@beta`, opts)).version).toBe("2.0.0-beta.1");
    expect((await pacote.manifest(`${NAME}@1.0.0`, opts)).version).toBe("1.0.0");
    await expect(pacote.manifest(`${NAME}@^5.0.0`, opts)).rejects.toMatchObject({ code: "ETARGET" });
    await expect(pacote.manifest("@acme/nothing-here", opts)).rejects.toMatchObject({ code: "E404" });
  });

  it("reads the full and the abbreviated packument", async () => {
    const full = await pacote.packument(NAME, { ...opts, fullMetadata: true });
    expect(full["dist-tags"]).toEqual({ latest: "1.1.0", beta: "2.0.0-beta.1" });
    expect(Object.keys(full.versions)).toEqual(["1.0.0", "1.1.0", "2.0.0-beta.1"]);
    expect(full.time?.["1.0.0"]).toBeTruthy();
    expect(full.time?.created).toBeTruthy();
    expect((full as { readme?: string }).readme).toMatch(/^---\nname: hello-skill/);

    const corgi = await pacote.packument(NAME, { ...opts, fullMetadata: false, cache: tempDir("skild-pacote-") });
    expect(corgi["dist-tags"]).toEqual(full["dist-tags"]);
    expect((corgi as { time?: unknown }).time).toBeUndefined();
    expect((corgi as { readme?: string }).readme).toBeUndefined();
    expect(corgi.versions["1.1.0"].dist).toEqual(full.versions["1.1.0"].dist);
  });

  it("extracts a version and checks its integrity", async () => {
    const { _integrity } = await pacote.manifest(`${NAME}@1.1.0`, opts);
    const dest = path.join(tempDir("skild-pacote-x-"), "pkg");
    const result = await pacote.extract(`${NAME}@1.1.0`, dest, { ...opts, integrity: _integrity });
    expect(result.integrity).toBe(_integrity);
    expect(result.resolved).toBe(`${server.url}/${NAME}/-/hello-skill-1.1.0.tgz`);
    expect(JSON.parse(readFileSync(path.join(dest, "package.json"), "utf8")).version).toBe("1.1.0");
    expect(readFileSync(path.join(dest, "SKILL.md"), "utf8")).toMatch(/^---\nname: hello-skill/);

    const other = (await pacote.manifest(`${NAME}@1.0.0`, opts))._integrity;
    await expect(
      pacote.extract(`${NAME}@1.1.0`, path.join(tempDir("skild-pacote-x-"), "pkg"), {
        ...opts,
        cache: tempDir("skild-pacote-"),
        integrity: other,
      }),
    ).rejects.toMatchObject({ code: "EINTEGRITY" });
  });
});
