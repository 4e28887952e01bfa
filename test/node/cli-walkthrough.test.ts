import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { type CliSandbox, createSandbox, installRecord, PASSWORD, ROOT, readJsonFile } from "./cli-helpers";

// The seed's smoke-check, step by step, with this project's commands: a fresh machine (no saved
// login, no SKILD_REGISTRY_URL), `--registry` passed where the seed passes it.
describe("skild walk-through (seed smoke-check)", () => {
  let server: RegistryServer;
  let cli: CliSandbox;
  beforeAll(async () => {
    server = await startRegistry();
    cli = createSandbox();
  });
  afterAll(async () => {
    await server?.stop();
    cli?.cleanup();
  });

  it("signs up, logs in, publishes examples/hello-skill, installs it for codex locally and lists it by name", async () => {
    const r = server.url;
    const signup = await cli.ok([
      "signup",
      "--registry",
      r,
      "--email",
      "you@example.com",
      "--handle",
      "acme",
      "--password",
      PASSWORD,
    ]);
    expect(signup.stdout).toContain("acme");

    const login = await cli.ok(["login", "--registry", r, "--handle-or-email", "acme", "--password", PASSWORD]);
    expect(login.stdout).toContain(`Logged in to ${r} as acme`);
    const authFile = path.join(cli.skildHome, "registry-auth.json");
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    const saved = readJsonFile<{ registries: Record<string, { token: string; handle: string }> }>(authFile);
    expect(saved.registries[r]).toMatchObject({ handle: "acme" });
    expect(saved.registries[r].token).toMatch(/^skild_/);

    // No --registry from here on: the saved login picks the registry.
    expect((await cli.ok(["whoami"])).stdout).toBe("acme\n");

    const publish = await cli.ok(
      [
        "publish",
        "--registry",
        r,
        "--dir",
        "./examples/hello-skill",
        "--name",
        "@acme/hello-skill",
        "--skill-version",
        "0.0.1",
      ],
      { cwd: ROOT },
    );
    const served = (await (await fetch(`${r}/skills/acme/hello-skill/versions/0.0.1`)).json()) as {
      integrity: string;
    };
    expect(served.integrity).toMatch(/^sha512-/);
    expect(publish.stdout).toContain("@acme/hello-skill@0.0.1");
    expect(publish.stdout).toContain(`integrity: ${served.integrity}`);

    const install = await cli.ok(["install", "@acme/hello-skill", "--registry", r, "-t", "codex", "--local"]);
    expect(install.stdout).toContain("Installed @acme/hello-skill@0.0.1");
    const dir = path.join(cli.project, ".agents/skills/acme__hello-skill");
    expect(readFileSync(path.join(dir, "SKILL.md"), "utf8")).toBe(
      readFileSync(path.join(ROOT, "examples/hello-skill/SKILL.md"), "utf8"),
    );
    expect(readJsonFile(path.join(dir, "package.json"))).toMatchObject({ name: "@acme/hello-skill", version: "0.0.1" });
    expect(installRecord(dir)).toMatchObject({
      schemaVersion: 1,
      name: "@acme/hello-skill",
      installDir: "acme__hello-skill",
      registryUrl: r,
      platform: "codex",
      scope: "local",
      requested: "latest",
      resolvedVersion: "0.0.1",
      integrity: served.integrity,
    });

    const list = await cli.ok(["list", "-t", "codex", "--local"]);
    expect(list.stdout).toMatch(/^@acme\/hello-skill\s+0\.0\.1\s+codex \(local\)$/m);
    expect(list.stdout).not.toContain("acme__hello-skill");

    // The seed's "latest / a given version": the pinned install of the same version is a no-op.
    const again = await cli.ok(["install", "@acme/hello-skill@0.0.1", "--registry", r, "-t", "codex", "--local"]);
    expect(again.stdout).toContain("already installed");
  });
});
