// npm 11 dist-tag add/ls/rm against the registry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, type NpmClient, npmClient, type RegistryServer, seedSkill, setupRegistry } from "./helpers";

const NAME = "@acme/hello-skill";

describe("npm dist-tag", () => {
  let server: RegistryServer;
  let npm: NpmClient;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }]);
    npm = npmClient(server, { token: account.token });
  });
  afterAll(() => server?.stop());

  const ls = async () => {
    const res = await npm.run(["dist-tag", "ls", NAME]);
    expect(res.code, res.output).toBe(0);
    return res.stdout.trim().split("\n").sort();
  };

  it("lists, adds, moves and removes tags", async () => {
    expect(await ls()).toEqual(["latest: 1.1.0"]);
    const add = await npm.run(["dist-tag", "add", `${NAME}@1.0.0`, "stable"]);
    expect(add.code, add.output).toBe(0);
    expect(add.stdout).toContain(`+stable: ${NAME}@1.0.0`);
    expect(await ls()).toEqual(["latest: 1.1.0", "stable: 1.0.0"]);

    const move = await npm.run(["dist-tag", "add", `${NAME}@1.0.0`, "latest"]);
    expect(move.code, move.output).toBe(0);
    const view = await npm.run(["view", NAME, "version"]);
    expect(view.stdout.trim()).toBe("1.0.0");

    const rm = await npm.run(["dist-tag", "rm", NAME, "stable"]);
    expect(rm.code, rm.output).toBe(0);
    expect(rm.stdout).toContain(`-stable: ${NAME}@1.0.0`);
    expect(await ls()).toEqual(["latest: 1.0.0"]);
  });

  it("refuses a tag on a version that does not exist, and removing latest", async () => {
    const missing = await npm.run(["dist-tag", "add", `${NAME}@9.9.9`, "beta"]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/E404/);
    const latest = await npm.run(["dist-tag", "rm", NAME, "latest"]);
    expect(latest.code).not.toBe(0);
    expect(latest.output).toMatch(/E400/);
    expect(await ls()).toEqual(["latest: 1.0.0"]);
  });

  it("refuses tag changes without a token", async () => {
    const anonymous = npmClient(server);
    const res = await anonymous.run(["dist-tag", "add", `${NAME}@1.1.0`, "beta"]);
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/E401|ENEEDAUTH/);
  });
});
