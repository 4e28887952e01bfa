// pnpm 12 installs a skill by range and publishes one.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiAccount,
  BIN,
  clientEnv,
  createAccount,
  makeProject,
  makeSkillPackage,
  npmrcFor,
  type RegistryServer,
  readJson,
  registryUrl,
  run,
  seedSkill,
  setupRegistry,
  tempDir,
} from "./helpers";

describe("pnpm", () => {
  let server: RegistryServer;
  let account: ApiAccount;
  let home: string;
  let store: string;
  beforeAll(async () => {
    server = await setupRegistry();
    account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }, { version: "2.0.0" }]);
    home = tempDir("skild-pnpm-home-");
    store = tempDir("skild-pnpm-store-");
  });
  afterAll(() => server?.stop());

  /** pnpm 12 reads registries/auth from .npmrc and settings from pnpm-workspace.yaml. Its default
   * minimumReleaseAge (a day) would hold back skills published seconds ago, so the tests turn it off. */
  function pnpmProject(token?: string) {
    return makeProject({
      ".npmrc": `registry=${registryUrl(server)}\n${npmrcFor(server, { token })}`,
      "pnpm-workspace.yaml": "minimumReleaseAge: 0\n",
    });
  }
  const pnpm = (args: string[], cwd: string) =>
    run(BIN.pnpm, [...args, "--store-dir", store], { cwd, env: clientEnv(home) });

  it("installs @acme/hello-skill@^1.0.0 into a fresh project with a lockfile", async () => {
    const project = pnpmProject();
    const res = await pnpm(["add", "@acme/hello-skill@^1.0.0"], project);
    expect(res.code, res.output).toBe(0);
    expect(
      readJson<{ version: string }>(path.join(project, "node_modules/@acme/hello-skill/package.json")).version,
    ).toBe("1.1.0");
    const lock = readFileSync(path.join(project, "pnpm-lock.yaml"), "utf8");
    expect(lock).toContain("'@acme/hello-skill@1.1.0'");
    const doc = (await (await fetch(`${server.url}/@acme%2fhello-skill`)).json()) as {
      versions: Record<string, { dist: { integrity: string } }>;
    };
    expect(lock).toContain(`integrity: ${doc.versions["1.1.0"].dist.integrity}`);
    // A frozen install from that lockfile into a clean node_modules.
    const again = await pnpm(["install", "--frozen-lockfile", "--force"], project);
    expect(again.code, again.output).toBe(0);
  });

  it("publishes a skill that npm then sees", async () => {
    const dir = makeSkillPackage("@acme/pnpm-made", "1.0.0", { description: "Made by pnpm" });
    writeFileSync(
      path.join(dir, ".npmrc"),
      `registry=${registryUrl(server)}\n${npmrcFor(server, { token: account.token })}`,
    );
    writeFileSync(path.join(dir, "pnpm-workspace.yaml"), "minimumReleaseAge: 0\n");
    const res = await pnpm(["publish", "--no-git-checks"], dir);
    expect(res.code, res.output).toBe(0);
    const doc = (await (await fetch(`${server.url}/@acme%2fpnpm-made`)).json()) as {
      "dist-tags": Record<string, string>;
      versions: Record<string, { description: string }>;
    };
    expect(doc["dist-tags"]).toEqual({ latest: "1.0.0" });
    expect(doc.versions["1.0.0"].description).toBe("Made by pnpm");

    const project = pnpmProject();
    const install = await pnpm(["add", "@acme/pnpm-made"], project);
    expect(install.code, install.output).toBe(0);
    expect(readFileSync(path.join(project, "node_modules/@acme/pnpm-made/SKILL.md"), "utf8")).toContain("pnpm-made");
  });

  it("refuses a publish without a token", async () => {
    const dir = makeSkillPackage("@acme/pnpm-anon", "1.0.0");
    writeFileSync(path.join(dir, ".npmrc"), `registry=${registryUrl(server)}\n${npmrcFor(server)}`);
    const res = await pnpm(["publish", "--no-git-checks"], dir);
    expect(res.code).not.toBe(0);
    expect((await fetch(`${server.url}/@acme%2fpnpm-anon`)).status).toBe(404);
  });
});
