// npm 11 publishing skills: versions, --tag, republish refused, other's scope refused, npm view.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  makeSkillPackage,
  type NpmClient,
  npmClient,
  parseNpmPackJson,
  parseNpmViewJson,
  type RegistryServer,
  setupRegistry,
  writeSkillVersion,
} from "./helpers";

const NAME = "@acme/hello-skill";

describe("npm publish and npm view", () => {
  let server: RegistryServer;
  let npm: NpmClient;
  let dir: string;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    npm = npmClient(server, { token: account.token });
    dir = makeSkillPackage(NAME, "1.0.0", { description: "Says hello" });
  });
  afterAll(() => server?.stop());

  const view = async (...args: string[]) => {
    const res = await npm.run(["view", ...args, "--json"]);
    expect(res.code, res.output).toBe(0);
    return parseNpmViewJson(res.stdout, args[1]);
  };

  it("publishes 1.0.0 and 1.1.0; latest follows", async () => {
    const first = await npm.run(["publish"], { cwd: dir });
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toContain(`+ ${NAME}@1.0.0`);
    writeSkillVersion(dir, NAME, "1.1.0", "Says hello louder");
    const second = await npm.run(["publish"], { cwd: dir });
    expect(second.code, second.output).toBe(0);
    expect(await view(NAME, "versions")).toEqual(["1.0.0", "1.1.0"]);
    expect(await view(NAME, "dist-tags")).toEqual({ latest: "1.1.0" });
  });

  it("publishes a prerelease with --tag beta without moving latest", async () => {
    writeSkillVersion(dir, NAME, "2.0.0-beta.1");
    const res = await npm.run(["publish", "--tag", "beta"], { cwd: dir });
    expect(res.code, res.output).toBe(0);
    expect(await view(NAME, "dist-tags")).toEqual({ latest: "1.1.0", beta: "2.0.0-beta.1" });
  });

  it("refuses a republish of an existing version, even with --force", async () => {
    writeSkillVersion(dir, NAME, "1.1.0", "Different bytes, same number");
    const plain = await npm.run(["publish"], { cwd: dir });
    expect(plain.code).not.toBe(0);
    expect(plain.output).toMatch(/cannot publish over|previously published/i);
    const forced = await npm.run(["publish", "--force"], { cwd: dir });
    expect(forced.code).not.toBe(0);
    expect(forced.output).toMatch(/E409/);
    expect(forced.output).toMatch(/already exists/);
    expect(await view(`${NAME}@1.1.0`, "description")).toBe("Says hello louder");
  });

  it("npm view shows stored manifests; dist.integrity equals npm pack's sha512", async () => {
    expect(await view(`${NAME}@1.0.0`, "description")).toBe("Says hello");
    expect(await view(`${NAME}@1.0.0`, "license")).toBe("MIT");
    writeSkillVersion(dir, NAME, "1.2.0");
    const packed = await npm.run(["pack", "--json", "--pack-destination", npm.home], { cwd: dir });
    expect(packed.code, packed.output).toBe(0);
    const { integrity, shasum } = parseNpmPackJson(packed.stdout);
    expect(integrity).toMatch(/^sha512-/);
    expect((await npm.run(["publish"], { cwd: dir })).code).toBe(0);
    expect(await view(`${NAME}@1.2.0`, "dist.integrity")).toBe(integrity);
    expect(await view(`${NAME}@1.2.0`, "dist.shasum")).toBe(shasum);
    const tarball: string = await view(`${NAME}@1.2.0`, "dist.tarball");
    expect(tarball).toBe(`${server.url}/${NAME}/-/hello-skill-1.2.0.tgz`);
    const human = await npm.run(["view", NAME]);
    expect(human.stdout).toContain(`${NAME}@1.2.0`);
    expect(human.stdout).not.toContain("undefined");
  });

  it("refuses to publish into another publisher's scope (E403) and without a token (E401/ENEEDAUTH)", async () => {
    await createAccount(server, "other-pub");
    const theirs = makeSkillPackage("@other-pub/sneaky", "1.0.0");
    const denied = await npm.run(["publish"], { cwd: theirs });
    expect(denied.code).not.toBe(0);
    expect(denied.output).toMatch(/E403/);
    const anonymous = npmClient(server);
    const mine = makeSkillPackage(NAME, "9.0.0");
    const noToken = await anonymous.run(["publish"], { cwd: mine });
    expect(noToken.code).not.toBe(0);
    expect(noToken.output).toMatch(/ENEEDAUTH|E401/);
    expect(await view(NAME, "versions")).not.toContain("9.0.0");
  });

  it("refuses a package without a valid SKILL.md with a message that says why (E400)", async () => {
    const broken = makeSkillPackage(`${NAME.split("/")[0]}/no-skill-md`, "1.0.0", {
      files: { "SKILL.md": "no frontmatter here\n" },
    });
    const res = await npm.run(["publish"], { cwd: broken });
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/E400/);
    expect(res.output).toMatch(/frontmatter/);
  });

  it("answers E404 for an unknown package", async () => {
    const res = await npm.run(["view", "@acme/does-not-exist"]);
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/E404/);
  });
});
