// yarn 1 (classic) installs a skill by range, then again from its lockfile.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  clientEnv,
  createAccount,
  makeProject,
  npmrcFor,
  type RegistryServer,
  readJson,
  registryUrl,
  run,
  seedSkill,
  setupRegistry,
  tempDir,
} from "./helpers";

describe("yarn 1", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }, { version: "2.0.0" }]);
  });
  afterAll(() => server?.stop());

  it("installs @acme/hello-skill@^1.0.0 and reinstalls it from yarn.lock", async () => {
    const home = tempDir("skild-yarn1-home-");
    const cache = tempDir("skild-yarn1-cache-");
    // yarn 1 reads scope registries from .npmrc; .yarnrc turns off its self-update check.
    const project = makeProject({
      ".npmrc": npmrcFor(server),
      ".yarnrc": `registry "${registryUrl(server)}"\ndisable-self-update-check true\n`,
    });
    const yarn = (args: string[]) =>
      run(process.execPath, [BIN.yarn1, ...args, "--cache-folder", cache, "--non-interactive", "--no-progress"], {
        cwd: project,
        env: clientEnv(home),
      });
    const add = await yarn(["add", "@acme/hello-skill@^1.0.0"]);
    expect(add.code, add.output).toBe(0);
    const installed = path.join(project, "node_modules/@acme/hello-skill");
    expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe("1.1.0");
    expect(readFileSync(path.join(installed, "SKILL.md"), "utf8")).toMatch(/^---\nname: hello-skill/);
    const lock = readFileSync(path.join(project, "yarn.lock"), "utf8");
    expect(lock).toContain('"@acme/hello-skill@^1.0.0":');
    expect(lock).toContain(`resolved "${server.url}/@acme/hello-skill/-/hello-skill-1.1.0.tgz#`);
    expect(lock).toMatch(/integrity sha512-/);

    rmSync(path.join(project, "node_modules"), { recursive: true, force: true });
    const frozen = await yarn(["install", "--frozen-lockfile"]);
    expect(frozen.code, frozen.output).toBe(0);
    expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe("1.1.0");
  });

  it("fails clearly for an unknown package", async () => {
    const project = makeProject({ ".npmrc": npmrcFor(server) });
    const res = await run(process.execPath, [BIN.yarn1, "add", "@acme/nothing-here", "--non-interactive"], {
      cwd: project,
      env: clientEnv(tempDir("skild-yarn1-home-")),
    });
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/@acme%2fnothing-here: Not found/);
  });
});
