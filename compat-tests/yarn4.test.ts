// yarn 4 (berry) installs a skill by range, then again with an immutable lockfile.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  clientEnv,
  expectInstalledSkill,
  makeYarn4Project,
  type RegistryServer,
  run,
  setupSeededRegistry,
  tempDir,
} from "./helpers";

describe("yarn 4", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await setupSeededRegistry();
  });
  afterAll(() => server?.stop());

  const yarnProject = (cache: string) =>
    makeYarn4Project({ registry: server.url, scope: "acme", cache }, ["enableImmutableInstalls: false"]);

  it("installs @acme/hello-skill@^1.0.0 and reinstalls it immutably from yarn.lock", async () => {
    const cache = tempDir("skild-yarn4-cache-");
    const project = yarnProject(cache);
    const env = clientEnv(tempDir("skild-yarn4-home-"));
    const add = await run(BIN.yarn4, ["add", "@acme/hello-skill@^1.0.0"], { cwd: project, env });
    expect(add.code, add.output).toBe(0);
    expectInstalledSkill(project, "1.1.0");
    const lock = readFileSync(path.join(project, "yarn.lock"), "utf8");
    expect(lock).toContain('"@acme/hello-skill@npm:^1.0.0":');
    expect(lock).toContain('resolution: "@acme/hello-skill@npm:1.1.0"');

    rmSync(path.join(project, "node_modules"), { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    const again = await run(BIN.yarn4, ["install", "--immutable"], { cwd: project, env });
    expect(again.code, again.output).toBe(0);
    expectInstalledSkill(project, "1.1.0");
  });

  it("fails clearly for an unknown package", async () => {
    const project = yarnProject(tempDir("skild-yarn4-cache-"));
    const res = await run(BIN.yarn4, ["add", "@acme/nothing-here"], {
      cwd: project,
      env: clientEnv(tempDir("skild-yarn4-home-")),
    });
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/404|isn't supported by any available resolver|Not found/i);
  });
});
