// bun installs a skill by range, then again from its lockfile.
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
  run,
  seedSkill,
  setupRegistry,
  tempDir,
} from "./helpers";

describe("bun", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }, { version: "2.0.0" }]);
  });
  afterAll(() => server?.stop());

  it("installs @acme/hello-skill@^1.0.0 and reinstalls it from bun.lock", async () => {
    const project = makeProject({ ".npmrc": npmrcFor(server) });
    const cache = tempDir("skild-bun-cache-");
    const env = clientEnv(tempDir("skild-bun-home-"), { BUN_INSTALL_CACHE_DIR: cache });
    const add = await run(BIN.bun, ["add", "@acme/hello-skill@^1.0.0"], { cwd: project, env });
    expect(add.code, add.output).toBe(0);
    const installed = path.join(project, "node_modules/@acme/hello-skill");
    expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe("1.1.0");
    expect(readFileSync(path.join(installed, "SKILL.md"), "utf8")).toMatch(/^---\nname: hello-skill/);
    const lock = readFileSync(path.join(project, "bun.lock"), "utf8");
    expect(lock).toContain('"@acme/hello-skill@1.1.0"');
    expect(lock).toMatch(/sha512-/);

    rmSync(path.join(project, "node_modules"), { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    const frozen = await run(BIN.bun, ["install", "--frozen-lockfile"], { cwd: project, env });
    expect(frozen.code, frozen.output).toBe(0);
    expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe("1.1.0");
  });

  it("fails clearly for an unknown package", async () => {
    const project = makeProject({ ".npmrc": npmrcFor(server) });
    const res = await run(BIN.bun, ["add", "@acme/nothing-here"], {
      cwd: project,
      env: clientEnv(tempDir("skild-bun-home-"), { BUN_INSTALL_CACHE_DIR: tempDir("skild-bun-cache-") }),
    });
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/404/);
  });
});
