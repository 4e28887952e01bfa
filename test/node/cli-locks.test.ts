import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  type FakeRegistry,
  installRecord,
  publishVersions,
  readJsonFile,
  startFakeRegistry,
} from "./cli-helpers";

// The CLI on a shared disk: one skild at a time changes a skills folder (a second one queues, or
// fails clearly when told not to wait long), a lock whose owner died is taken over, and
// skild.lock.json always ends up agreeing with the folder after a crash between the two writes.

const LOCK = ".skild-lock";
let server: RegistryServer;
let publisher: CliSandbox;
let fake: FakeRegistry;
/** How long the fake registry holds each tarball back, so installs overlap. */
let tarballDelayMs = 0;
const sandboxes: CliSandbox[] = [];
const fresh = (url = server.url) => {
  const s = createSandbox(url);
  sandboxes.push(s);
  return s;
};
/** A pid that belonged to a process that has exited: the owner of a crashed run's leftovers. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;
const backdate = (p: string, secondsAgo: number) => {
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(p, when, when);
};
type Lock = { skills: Record<string, { version: string; platforms: string[] }> };
const lockfileOf = (cli: CliSandbox) => readJsonFile<Lock>(path.join(cli.project, "skild.lock.json"));

beforeAll(async () => {
  server = await startRegistry();
  publisher = createSandbox(server.url);
  await createPublisher(publisher, "acme");
  await publishVersions(publisher, "@acme/shared", ["1.0.0"]);
  await publishVersions(publisher, "@acme/crashy", ["1.0.0", "2.0.0"]);
  fake = await startFakeRegistry(server.url, async (req) => {
    if (req.path.endsWith("/tarball") && tarballDelayMs) await new Promise((r) => setTimeout(r, tarballDelayMs));
    return undefined;
  });
});
afterAll(async () => {
  await fake?.stop();
  await server?.stop();
  publisher?.cleanup();
  for (const s of sandboxes) s.cleanup();
});

describe("a lock per skills folder", () => {
  it("two installs of one skill at once: the second queues, then finds it installed", async () => {
    const cli = fresh(fake.url);
    tarballDelayMs = 1500;
    try {
      const args = ["install", "@acme/shared", "-t", "codex", "--local"];
      const [a, b] = await Promise.all([cli.run(args), cli.run(args)]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const lines = [a.stdout, b.stdout].map((s) => s.trim()).sort();
      expect(lines[0]).toMatch(/^@acme\/shared@1\.0\.0 is already installed in \.agents\/skills\/acme__shared/);
      expect(lines[1]).toMatch(/^Installed @acme\/shared@1\.0\.0 into \.agents\/skills\/acme__shared/);
    } finally {
      tarballDelayMs = 0;
    }
    const skills = path.join(cli.project, ".agents/skills");
    expect(readdirSync(skills)).toEqual(["acme__shared"]); // no lock, temp or intent left behind
    expect(lockfileOf(cli).skills["@acme/shared"]).toMatchObject({ version: "1.0.0", platforms: ["codex"] });
    expect(existsSync(path.join(cli.project, "skild.lock.json.lock"))).toBe(false);
  });

  it("with SKILD_LOCK_WAIT short, the second install fails clearly instead of waiting", async () => {
    const cli = fresh(fake.url);
    const skills = path.join(cli.project, ".agents/skills");
    tarballDelayMs = 4000;
    try {
      const first = cli.start(["install", "@acme/shared", "-t", "codex", "--local"]);
      for (let i = 0; i < 400 && !existsSync(path.join(skills, LOCK)); i++) await new Promise((r) => setTimeout(r, 25));
      expect(existsSync(path.join(skills, LOCK))).toBe(true);
      const second = await cli.run(["install", "@acme/shared", "-t", "codex", "--local"], {
        env: { SKILD_LOCK_WAIT: "300" },
      });
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(
        `skild: Another skild is changing ${skills} (lock ${path.join(skills, LOCK)}); gave up after waiting 0.3 s. Try again when it has finished. A lock whose skild died is taken over by itself after 10 s.\n`,
      );
      expect((await first.result).code).toBe(0);
    } finally {
      tarballDelayMs = 0;
    }
    expect(installRecord(path.join(skills, "acme__shared")).resolvedVersion).toBe("1.0.0");
  });

  it("a stale lock (its skild died long ago) is taken over, and released afterwards", async () => {
    const cli = fresh();
    const skills = path.join(cli.project, ".agents/skills");
    mkdirSync(path.join(skills, LOCK), { recursive: true });
    backdate(path.join(skills, LOCK), 60);
    const { stdout } = await cli.ok(["install", "@acme/shared", "-t", "codex", "--local"], {
      env: { SKILD_LOCK_WAIT: "0" },
    });
    expect(stdout).toContain("Installed @acme/shared@1.0.0");
    expect(readdirSync(skills)).toEqual(["acme__shared"]);
  });
});

describe("skild.lock.json after a crash between the folder and the lockfile", () => {
  /**
   * A project with @acme/crashy@1.0.0 installed for codex and locked, then a run (a dead pid) that
   * was killed after it changed the folder and before it wrote the lockfile, leaving its intent
   * and its lock (stale) behind. `change` lays out what it did to the folder.
   */
  async function crashedProject(change: (target: string) => void) {
    const cli = fresh();
    await cli.ok(["install", "@acme/crashy@1.0.0", "-t", "codex", "--local"]);
    const skills = path.join(cli.project, ".agents/skills");
    const target = path.join(skills, "acme__crashy");
    change(target);
    const intent = path.join(skills, `.skild-intent-acme__crashy-${deadPid()}-0badf00d.json`);
    writeFileSync(intent, JSON.stringify({ name: "@acme/crashy", installDir: "acme__crashy", platform: "codex" }));
    mkdirSync(path.join(skills, LOCK));
    backdate(path.join(skills, LOCK), 60);
    expect(lockfileOf(cli).skills["@acme/crashy"].version).toBe("1.0.0");
    return { cli, skills, target, intent };
  }

  it("killed after installing 2.0.0: the next `skild install` records 2.0.0 instead of going back", async () => {
    const other = fresh();
    await other.ok(["install", "@acme/crashy@2.0.0", "-t", "codex", "--local"]);
    const v2 = path.join(other.project, ".agents/skills/acme__crashy");
    const { cli, skills, target } = await crashedProject((dir) => {
      rmSync(dir, { recursive: true });
      cpSync(v2, dir, { recursive: true });
    });
    const { stdout } = await cli.ok(["install"]);
    expect(stdout).toContain("@acme/crashy@2.0.0 is already installed");
    expect(lockfileOf(cli).skills["@acme/crashy"]).toMatchObject({ version: "2.0.0", platforms: ["codex"] });
    expect(installRecord(target).resolvedVersion).toBe("2.0.0");
    expect(readdirSync(skills)).toEqual(["acme__crashy"]);
  });

  it("killed after removing the skill: the next command drops it from the lockfile too", async () => {
    const { cli, skills } = await crashedProject((dir) => rmSync(dir, { recursive: true }));
    const { stdout } = await cli.ok(["install"]);
    expect(stdout).toContain("skild.lock.json lists no skills.");
    expect(lockfileOf(cli).skills).toEqual({});
    expect(readdirSync(skills)).toEqual([]);
  });

  it("killed before changing anything: the lockfile stays as it was", async () => {
    const { cli, skills, intent } = await crashedProject(() => {});
    await cli.ok(["install", "@acme/crashy@1.0.0", "-t", "codex", "--local"]);
    expect(existsSync(intent)).toBe(false);
    expect(lockfileOf(cli).skills["@acme/crashy"]).toMatchObject({ version: "1.0.0", platforms: ["codex"] });
    expect(readdirSync(skills)).toEqual(["acme__crashy"]);
  });

  it("an intent of a skild that still holds the lock is left alone", async () => {
    const cli = fresh();
    await cli.ok(["install", "@acme/crashy@1.0.0", "-t", "codex", "--local"]);
    const skills = path.join(cli.project, ".agents/skills");
    // A live lock (just made, so fresh) stands for a skild mid-install.
    mkdirSync(path.join(skills, LOCK));
    const intent = path.join(skills, `.skild-intent-acme__crashy-${process.pid}-0badf00d.json`);
    writeFileSync(intent, JSON.stringify({ name: "@acme/crashy", installDir: "acme__crashy", platform: "codex" }));
    const { code } = await cli.run(["uninstall", "@acme/crashy", "--local"], { env: { SKILD_LOCK_WAIT: "200" } });
    expect(code).toBe(1);
    expect(existsSync(intent)).toBe(true);
    expect(installRecord(path.join(skills, "acme__crashy")).resolvedVersion).toBe("1.0.0");
  });
});
