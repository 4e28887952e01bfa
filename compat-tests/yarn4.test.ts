// yarn 4 (berry) installs a skill by range, then again with an immutable lockfile.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BIN,
  clientEnv,
  createAccount,
  makeProject,
  type RegistryServer,
  readJson,
  run,
  seedSkill,
  setupRegistry,
  tempDir,
} from "./helpers";

describe("yarn 4", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }, { version: "1.1.0" }, { version: "2.0.0" }]);
  });
  afterAll(() => server?.stop());

  /** yarn 4 needs the age gate off at the top level and per scope, and plain http allowed for 127.0.0.1. */
  function yarnProject(cache: string) {
    const project = makeProject({ "yarn.lock": "" });
    writeFileSync(
      path.join(project, ".yarnrc.yml"),
      [
        "npmMinimalAgeGate: 0",
        "unsafeHttpWhitelist:",
        '  - "127.0.0.1"',
        "nodeLinker: node-modules",
        "enableTelemetry: false",
        "enableGlobalCache: false",
        "enableImmutableInstalls: false",
        `cacheFolder: "${cache}"`,
        "npmScopes:",
        "  acme:",
        `    npmRegistryServer: "${server.url}"`,
        "    npmMinimalAgeGate: 0",
        "",
      ].join("\n"),
    );
    return project;
  }

  it("installs @acme/hello-skill@^1.0.0 and reinstalls it immutably from yarn.lock", async () => {
    const cache = tempDir("skild-yarn4-cache-");
    const project = yarnProject(cache);
    const env = clientEnv(tempDir("skild-yarn4-home-"));
    const add = await run(BIN.yarn4, ["add", "@acme/hello-skill@^1.0.0"], { cwd: project, env });
    expect(add.code, add.output).toBe(0);
    const installed = path.join(project, "node_modules/@acme/hello-skill");
    expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe("1.1.0");
    expect(readFileSync(path.join(installed, "SKILL.md"), "utf8")).toMatch(/^---\nname: hello-skill/);
    const lock = readFileSync(path.join(project, "yarn.lock"), "utf8");
    expect(lock).toContain('"@acme/hello-skill@npm:^1.0.0":');
    expect(lock).toContain('resolution: "@acme/hello-skill@npm:1.1.0"');

    rmSync(path.join(project, "node_modules"), { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    const again = await run(BIN.yarn4, ["install", "--immutable"], { cwd: project, env });
    expect(again.code, again.output).toBe(0);
    expect(readJson<{ version: string }>(path.join(installed, "package.json")).version).toBe("1.1.0");
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
