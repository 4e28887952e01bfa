// npm 11 deprecate/undeprecate and unpublish (one version, then the whole package).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  makeProject,
  makeSkillPackage,
  type NpmClient,
  npmClient,
  parseNpmViewJson,
  type RegistryServer,
  seedSkill,
  setupRegistry,
} from "./helpers";

const NAME = "@acme/hello-skill";

describe("npm deprecate and unpublish", () => {
  let server: RegistryServer;
  let npm: NpmClient;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }, { version: "1.2.0" }]);
    npm = npmClient(server, { token: account.token });
  });
  afterAll(() => server?.stop());

  const view = async (...args: string[]) => {
    const res = await npm.run(["view", ...args, "--json"]);
    return res.code === 0 && res.stdout.trim() ? parseNpmViewJson(res.stdout, args[1]) : undefined;
  };
  /** version → deprecation message, straight from the packument (quicker than one `npm view` each). */
  const deprecations = async () => {
    const doc = (await (await fetch(`${server.url}/@acme%2fhello-skill`)).json()) as {
      versions: Record<string, { deprecated?: string }>;
    };
    return Object.fromEntries(Object.entries(doc.versions).map(([v, m]) => [v, m.deprecated ?? null]));
  };

  it("deprecates a version (npm install warns); undeprecate clears it", async () => {
    const dep = await npm.run(["deprecate", `${NAME}@1.0.0`, "use 1.1.0 or later"]);
    expect(dep.code, dep.output).toBe(0);
    expect(await view(`${NAME}@1.0.0`, "deprecated")).toBe("use 1.1.0 or later");
    expect(await deprecations()).toEqual({ "1.0.0": "use 1.1.0 or later", "1.1.0": null, "1.2.0": null });
    const install = await npm.run(["install", `${NAME}@1.0.0`], { cwd: makeProject() });
    expect(install.code, install.output).toBe(0);
    expect(install.output).toMatch(/deprecated @acme\/hello-skill@1\.0\.0: use 1\.1\.0 or later/);

    const undo = await npm.run(["undeprecate", `${NAME}@1.0.0`]);
    expect(undo.code, undo.output).toBe(0);
    expect(await deprecations()).toEqual({ "1.0.0": null, "1.1.0": null, "1.2.0": null });

    const again = await npm.run(["deprecate", `${NAME}@<1.2.0`, "old"]);
    expect(again.code, again.output).toBe(0);
    expect(await deprecations()).toEqual({ "1.0.0": "old", "1.1.0": "old", "1.2.0": null });
    const cleared = await npm.run(["deprecate", `${NAME}@<1.2.0`, ""]);
    expect(cleared.code, cleared.output).toBe(0);
    expect(await deprecations()).toEqual({ "1.0.0": null, "1.1.0": null, "1.2.0": null });
  });

  it("refuses to deprecate another publisher's package", async () => {
    const other = await createAccount(server, "someone");
    const stranger = npmClient(server, { token: other.token });
    const res = await stranger.run(["deprecate", `${NAME}@1.0.0`, "hijack"]);
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/E403/);
    expect((await deprecations())["1.0.0"]).toBeNull();
  });

  it("unpublishes one version; its number can never be published again", async () => {
    const res = await npm.run(["unpublish", `${NAME}@1.2.0`]);
    expect(res.code, res.output).toBe(0);
    expect(res.stdout).toContain(`- ${NAME}@1.2.0`);
    expect(await view(NAME, "versions")).toEqual(["1.0.0", "1.1.0"]);
    expect(await view(NAME, "dist-tags")).toEqual({ latest: "1.1.0" });
    const tarball = await fetch(`${server.url}/${NAME}/-/hello-skill-1.2.0.tgz`);
    expect(tarball.status).toBe(404);
    // Republishing 1.2.0 (npm publish --force skips npm's own check) is refused by the registry.
    const dir = makeSkillPackage(NAME, "1.2.0");
    const republish = await npm.run(["publish", "--force"], { cwd: dir });
    expect(republish.code).not.toBe(0);
    expect(republish.output).toMatch(/E409/);
    expect(republish.output).toMatch(/never reused/);
  });

  it("unpublishes the whole package with --force; it is then E404", async () => {
    const refused = await npm.run(["unpublish", NAME]);
    expect(refused.code).not.toBe(0); // npm itself wants --force for a whole package
    const res = await npm.run(["unpublish", NAME, "--force"]);
    expect(res.code, res.output).toBe(0);
    const gone = await npm.run(["view", NAME]);
    expect(gone.code).not.toBe(0);
    expect(gone.output).toMatch(/E404/);
  });
});
