// npm 11 search, ping and audit against the registry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  makeProject,
  type NpmClient,
  npmClient,
  type RegistryServer,
  seedSkill,
  setupRegistry,
} from "./helpers";

describe("npm search, ping, audit", () => {
  let server: RegistryServer;
  let npm: NpmClient;
  beforeAll(async () => {
    server = await setupRegistry();
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }]);
    await seedSkill(server, account, "pdf-tools", [{ version: "0.1.0" }, { version: "0.2.0" }]);
    npm = npmClient(server);
  });
  afterAll(() => server?.stop());

  it("npm search finds skills by name and scope", async () => {
    const res = await npm.run(["search", "pdf", "--json"]);
    expect(res.code, res.output).toBe(0);
    const found = JSON.parse(res.stdout) as { name: string; version: string; description: string }[];
    expect(found.map((p) => p.name)).toEqual(["@acme/pdf-tools"]);
    expect(found[0].version).toBe("0.2.0");
    expect(found[0].description).toBe("A test skill");

    const byScope = await npm.run(["search", "@acme", "--json"]);
    expect(byScope.code, byScope.output).toBe(0);
    expect((JSON.parse(byScope.stdout) as { name: string }[]).map((p) => p.name).sort()).toEqual([
      "@acme/hello-skill",
      "@acme/pdf-tools",
    ]);

    const text = await npm.run(["search", "hello"]);
    expect(text.code, text.output).toBe(0);
    expect(text.stdout).toContain("@acme/hello-skill");

    const none = await npm.run(["search", "no-such-skill-anywhere", "--json"]);
    expect(none.code, none.output).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it("npm ping gets a PONG", async () => {
    const res = await npm.run(["ping", "--loglevel", "notice"]);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/PONG/);
  });

  it("npm audit of a project with skills reports no vulnerabilities and does not fail", async () => {
    const project = makeProject();
    const install = await npm.run(["install", "@acme/hello-skill", "@acme/pdf-tools"], { cwd: project });
    expect(install.code, install.output).toBe(0);
    expect(install.output).toMatch(/found 0 vulnerabilities/);
    const audit = await npm.run(["audit"], { cwd: project });
    expect(audit.code, audit.output).toBe(0);
    expect(audit.output).toMatch(/found 0 vulnerabilities/);
    const json = await npm.run(["audit", "--json"], { cwd: project });
    expect(json.code, json.output).toBe(0);
    expect(JSON.parse(json.stdout).metadata.vulnerabilities.total).toBe(0);
  });
});
