import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  installRecord,
  publishVersions,
  readJsonFile,
} from "./cli-helpers";

type Lock = {
  lockfileVersion: number;
  skills: Record<
    string,
    { version: string; integrity: string; resolved: string; requested: string; registry: string; platforms: string[] }
  >;
};

describe("skild.lock.json", () => {
  let server: RegistryServer;
  let publisher: CliSandbox;
  const sandboxes: CliSandbox[] = [];
  const machine = () => {
    const cli = createSandbox(server.url);
    sandboxes.push(cli);
    return cli;
  };
  const integrityOf = async (name: string, version: string) =>
    ((await (await fetch(`${server.url}/skills/${name.slice(1)}/versions/${version}`)).json()) as { integrity: string })
      .integrity;
  const lockOf = (cli: CliSandbox) => readJsonFile<Lock>(path.join(cli.project, "skild.lock.json"));
  /** The registry's signing key id (the launcher makes a key per state folder). */
  const registryKeyId = async () =>
    ((await (await fetch(`${server.url}/-/npm/v1/keys`)).json()) as { keys: { keyid: string }[] }).keys[0].keyid;

  beforeAll(async () => {
    server = await startRegistry();
    publisher = machine();
    await createPublisher(publisher, "acme");
    await publishVersions(publisher, "@acme/alpha", ["1.0.0", "1.1.0"]);
    await publishVersions(publisher, "@acme/beta-skill", ["0.1.0"]);
  });
  afterAll(async () => {
    await server?.stop();
    for (const s of sandboxes) s.cleanup();
  });

  it("records --local installs, and `skild install` reproduces them exactly on another machine", async () => {
    const dev = machine();
    await dev.ok(["install", "@acme/alpha@^1.0.0", "-t", "codex", "--local"]);
    await dev.ok(["install", "@acme/alpha@^1.0.0", "-t", "claude", "--local"]);
    await dev.ok(["install", "@acme/beta-skill", "-t", "cursor", "--local"]);
    const lock = lockOf(dev);
    expect(lock).toEqual({
      lockfileVersion: 1,
      skills: {
        "@acme/alpha": {
          version: "1.1.0",
          integrity: await integrityOf("@acme/alpha", "1.1.0"),
          resolved: `${server.url}/skills/@acme/alpha/versions/1.1.0/tarball`,
          requested: "^1.0.0",
          registry: server.url,
          keyid: await registryKeyId(),
          platforms: ["claude", "codex"],
        },
        "@acme/beta-skill": {
          version: "0.1.0",
          integrity: await integrityOf("@acme/beta-skill", "0.1.0"),
          resolved: `${server.url}/skills/@acme/beta-skill/versions/0.1.0/tarball`,
          requested: "latest",
          registry: server.url,
          keyid: await registryKeyId(),
          platforms: ["cursor"],
        },
      },
    });

    // A newer version appears; the lockfile still pins 1.1.0.
    await publishVersions(publisher, "@acme/alpha", ["1.2.0"]);
    const ci = machine();
    copyFileSync(path.join(dev.project, "skild.lock.json"), path.join(ci.project, "skild.lock.json"));
    const out = await ci.json<{ installed: { name: string; version: string; platform: string; status: string }[] }>([
      "install",
    ]);
    expect(out.installed.map((r) => `${r.name}@${r.version} ${r.platform} ${r.status}`).sort()).toEqual([
      "@acme/alpha@1.1.0 claude installed",
      "@acme/alpha@1.1.0 codex installed",
      "@acme/beta-skill@0.1.0 cursor installed",
    ]);
    for (const rel of [".agents/skills/acme__alpha", ".claude/skills/acme__alpha", ".cursor/skills/acme__beta-skill"]) {
      const record = installRecord(path.join(ci.project, rel));
      expect(record.integrity).toBe(installRecord(path.join(dev.project, rel)).integrity);
      expect(readFileSync(path.join(ci.project, rel, "SKILL.md"), "utf8")).toBe(
        readFileSync(path.join(dev.project, rel, "SKILL.md"), "utf8"),
      );
    }
    // The lockfile is not rewritten by a reproduce, and nothing went to the home folder.
    expect(readFileSync(path.join(ci.project, "skild.lock.json"), "utf8")).toBe(
      readFileSync(path.join(dev.project, "skild.lock.json"), "utf8"),
    );
    expect(existsSync(path.join(ci.home, ".agents"))).toBe(false);
    // Again: nothing to do.
    expect((await ci.ok(["install"])).stdout.trim().split("\n")).toHaveLength(3);
    expect((await ci.ok(["install"])).stdout).not.toContain("Installed");
  });

  it("fails on an integrity mismatch and leaves what is installed as it was", async () => {
    const cli = machine();
    await cli.ok(["install", "@acme/alpha@1.1.0", "-t", "codex", "--local"]);
    const dir = path.join(cli.project, ".agents/skills/acme__alpha");
    const before = readFileSync(path.join(dir, ".skild/install.json"), "utf8");
    const lock = lockOf(cli);
    const wrong = await integrityOf("@acme/alpha", "1.0.0");
    lock.skills["@acme/alpha"].integrity = wrong;
    writeFileSync(path.join(cli.project, "skild.lock.json"), JSON.stringify(lock));

    const { code, stderr } = await cli.run(["install"]);
    expect(code).toBe(1);
    // The registry's signature covers name, version and integrity: a locked integrity it did not sign
    // is refused before anything is downloaded.
    expect(stderr).toContain(
      `skild: Refusing @acme/alpha@1.1.0: its signature by key ${await registryKeyId()} does not match @acme/alpha@1.1.0:${wrong} (tampered?); nothing was installed.`,
    );
    expect(readFileSync(path.join(dir, ".skild/install.json"), "utf8")).toBe(before);
    expect(readdirSync(path.dirname(dir))).toEqual(["acme__alpha"]);

    // On a machine with nothing installed yet, nothing appears at all.
    const fresh = machine();
    writeFileSync(path.join(fresh.project, "skild.lock.json"), JSON.stringify(lock));
    expect((await fresh.run(["install"])).code).toBe(1);
    expect(readdirSync(fresh.project)).toEqual(["skild.lock.json"]);
  });

  it("update --local and uninstall --local keep the lockfile in step", async () => {
    await publishVersions(publisher, "@acme/gamma", ["1.0.0"]);
    const cli = machine();
    await cli.ok(["install", "@acme/gamma@^1.0.0", "-t", "codex,claude", "--local"]);
    await publishVersions(publisher, "@acme/gamma", ["1.0.1"]);
    await cli.ok(["update", "--local"]);
    expect(lockOf(cli).skills["@acme/gamma"]).toMatchObject({
      version: "1.0.1",
      integrity: await integrityOf("@acme/gamma", "1.0.1"),
      requested: "^1.0.0",
      platforms: ["claude", "codex"],
    });
    await cli.ok(["uninstall", "@acme/gamma", "-t", "codex", "--local"]);
    expect(lockOf(cli).skills["@acme/gamma"].platforms).toEqual(["claude"]);
    await cli.ok(["uninstall", "@acme/gamma", "--local"]);
    expect(lockOf(cli).skills).toEqual({});
  });

  it("without a name or a lockfile, says what to do", async () => {
    const cli = machine();
    const none = await cli.run(["install"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      "skild: Nothing to install: name a skill (skild install @acme/hello-skill) or run this where a skild.lock.json is.\n",
    );
    writeFileSync(path.join(cli.project, "skild.lock.json"), "{ not json");
    const broken = await cli.run(["install"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("skild.lock.json is not valid JSON");
    const withTarget = await cli.run(["install", "-t", "codex"]);
    expect(withTarget.code).toBe(2);
  });
});
