import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  type FakeRegistry,
  type FakeResponse,
  installRecord,
  publishVersions,
  readJsonFile,
  snapshot,
  startFakeRegistry,
} from "./cli-helpers";

// The client when the network or the machine fails under it: a connection cut mid-download, the
// process killed mid-install, and a kill inside the swap window (laid out on disk, since it cannot
// be timed). Each leaves the previous install as it was (same files, same install.json), and no
// temp, aside or trash folder once skild has run again.

/** A pid that belonged to a process that has exited: the owner of a crashed run's leftovers. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

/** Backdates a folder, as leftovers of an earlier run are. */
const backdate = (dir: string, secondsAgo: number) => {
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(dir, when, when);
};

let server: RegistryServer;
let publisher: CliSandbox;
let cli: CliSandbox | undefined;
beforeAll(async () => {
  server = await startRegistry();
  publisher = createSandbox(server.url);
  await createPublisher(publisher, "acme");
  await publishVersions(publisher, "@acme/victim", ["1.0.0", "2.0.0"]);
});
afterAll(async () => {
  await server?.stop();
  publisher?.cleanup();
  cli?.cleanup();
});

describe("skild install when the connection or the process dies", () => {
  let fake: FakeRegistry | undefined;
  let intercept: (
    req: { method: string; path: string },
    forward: () => Promise<{ status: number; body: Uint8Array; headers: Headers }>,
  ) => Promise<FakeResponse | undefined> = async () => undefined;

  beforeAll(async () => {
    fake = await startFakeRegistry(server.url, (req, forward) => intercept(req, forward));
  });
  afterAll(async () => {
    await fake?.stop();
  });

  /** A machine with @acme/victim@1.0.0 installed for codex in the project, from the real registry. */
  async function machineWithV1() {
    cli?.cleanup();
    cli = createSandbox(server.url);
    await cli.ok(["install", "@acme/victim@1.0.0", "-t", "codex", "--local"]);
    return { sandbox: cli, skills: path.join(cli.project, ".agents/skills"), before: snapshot(cli.project) };
  }
  const installV2ViaFake = ["install", "@acme/victim@2.0.0", "-t", "codex", "--local", "--registry"];

  /** Serves the real tarball's headers and its first half, then `afterHalf(res)`: cut or stall. */
  function halfTarball(opts: { contentLength: boolean; afterHalf: (res: import("node:http").ServerResponse) => void }) {
    intercept = async (req, forward) => {
      if (!req.path.endsWith("/tarball")) return undefined;
      const { body } = await forward();
      return {
        raw: (res) => {
          res.writeHead(200, {
            "Content-Type": "application/octet-stream",
            ...(opts.contentLength ? { "Content-Length": String(body.byteLength) } : {}),
          });
          res.write(body.subarray(0, Math.floor(body.byteLength / 2)), () => opts.afterHalf(res));
        },
      };
    };
  }

  it.each([
    ["with Content-Length", true],
    ["chunked", false],
  ])(
    "a connection cut mid-download (%s): clear error, exit 1, previous install intact, no temp folder",
    async (_what, contentLength) => {
      const { sandbox, skills, before } = await machineWithV1();
      halfTarball({ contentLength, afterHalf: (res) => res.socket?.destroy() });
      const { code, stderr } = await sandbox.run([...installV2ViaFake, fake!.url]);
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /\nskild: The download of http:\/\/127\.0\.0\.1:\d+\/skills\/@?acme\/victim\/versions\/2\.0\.0\/tarball was cut off after \d+(\.\d)? k?B( of \d+(\.\d)? k?B)? \([^)]+\); nothing was installed\. Try again\.\n$/,
      );
      expect(snapshot(sandbox.project)).toEqual(before);
      expect(installRecord(path.join(skills, "acme__victim")).resolvedVersion).toBe("1.0.0");
      expect(readdirSync(skills)).toEqual(["acme__victim"]);
    },
  );

  it("killed (SIGKILL) mid-download: previous install intact, nothing left behind, and the next install works", async () => {
    const { sandbox, skills, before } = await machineWithV1();
    let partSent!: () => void;
    const stalled = new Promise<void>((resolve) => {
      partSent = resolve;
    });
    halfTarball({ contentLength: true, afterHalf: () => partSent() }); // ...and never sends the rest
    const started = sandbox.start([...installV2ViaFake, fake!.url]);
    await stalled;
    started.child.kill("SIGKILL");
    const result = await started.result;
    expect(result.signal).toBe("SIGKILL");
    // The killed run's folder lock stays behind until it goes stale (cli-locks.test.ts); nothing else.
    const { ".agents/skills/.skild-lock": lockLeft, ...after } = snapshot(sandbox.project);
    expect(lockLeft).toBe("<dir>");
    expect(after).toEqual(before);
    expect(readdirSync(skills)).toEqual([".skild-lock", "acme__victim"]);

    const listed = await sandbox.json<{ skills: { name: string; version: string }[] }>(["list", "--local"]);
    expect(listed.skills.map((s) => `${s.name}@${s.version}`)).toEqual(["@acme/victim@1.0.0"]);
    intercept = async () => undefined;
    await sandbox.ok([...installV2ViaFake, fake!.url]);
    expect(installRecord(path.join(skills, "acme__victim")).resolvedVersion).toBe("2.0.0");
    expect(readdirSync(skills)).toEqual(["acme__victim"]);
  });
});

// A kill between `rename(target, aside)` and `rename(temp, target)` is a window of microseconds:
// these tests lay out what such a crash leaves and run the real CLI over it.
describe("skild recovers from a crash it cannot have timed", () => {
  /**
   * @acme/victim@1.0.0 installed, then a run (pid `owner`) killed inside the swap to 2.0.0: the
   * folder moved aside, a fully unpacked 2.0.0 in a temp folder, the target missing.
   */
  async function crashedInsideTheSwap(owner = deadPid()) {
    cli?.cleanup();
    cli = createSandbox(server.url);
    await cli.ok(["install", "@acme/victim@1.0.0", "-t", "codex", "--local"]);
    const before = snapshot(cli.project);
    const skills = path.join(cli.project, ".agents/skills");
    const target = path.join(skills, "acme__victim");
    const aside = path.join(skills, `.skild-old-acme__victim-${owner}-1a2b3c4d`);
    const temp = path.join(skills, `.skild-tmp-acme__victim-${owner}-Xy9Qz1`);
    cpSync(target, temp, { recursive: true });
    writeFileSync(path.join(temp, "SKILL.md"), "---\nname: victim\ndescription: version 2\n---\n");
    const record = { ...readJsonFile(path.join(target, ".skild/install.json")), resolvedVersion: "2.0.0" };
    writeFileSync(path.join(temp, ".skild/install.json"), JSON.stringify(record));
    renameSync(target, aside);
    backdate(aside, 60);
    backdate(temp, 60);
    return { sandbox: cli, skills, target, aside, temp, before };
  }

  it("`skild list` puts the previous version back and removes the temp folder", async () => {
    const crash = await crashedInsideTheSwap();
    const listed = await crash.sandbox.json<{ skills: { name: string; version: string }[] }>(["list", "--local"]);
    expect(listed.skills.map((s) => `${s.name}@${s.version}`)).toEqual(["@acme/victim@1.0.0"]);
    expect(snapshot(crash.sandbox.project)).toEqual(crash.before);
    expect(readdirSync(crash.skills)).toEqual(["acme__victim"]);
  });

  it("`skild install` recovers first: the install is an update from 1.0.0, not a fresh one", async () => {
    const crash = await crashedInsideTheSwap();
    const { stdout } = await crash.sandbox.ok(["install", "@acme/victim@2.0.0", "-t", "codex", "--local"]);
    expect(stdout).toContain("Updated @acme/victim 1.0.0 → 2.0.0");
    expect(installRecord(crash.target).resolvedVersion).toBe("2.0.0");
    expect(readdirSync(crash.skills)).toEqual(["acme__victim"]);
  });

  it("`skild uninstall` recovers first, then removes the skill and its lockfile entry", async () => {
    const crash = await crashedInsideTheSwap();
    const { stdout } = await crash.sandbox.ok(["uninstall", "@acme/victim", "--local"]);
    expect(stdout).toContain("Removed @acme/victim@1.0.0");
    expect(readdirSync(crash.skills)).toEqual([]);
    expect(readJsonFile(path.join(crash.sandbox.project, "skild.lock.json")).skills).toEqual({});
  });

  it("killed after the new version moved in: the new version stays, the old one is deleted", async () => {
    const crash = await crashedInsideTheSwap();
    renameSync(crash.temp, crash.target);
    const listed = await crash.sandbox.json<{ skills: { version: string }[] }>(["list", "--local"]);
    expect(listed.skills.map((s) => s.version)).toEqual(["2.0.0"]);
    expect(snapshot(crash.target)["SKILL.md"]).toContain("version 2");
    expect(readdirSync(crash.skills)).toEqual(["acme__victim"]);
  });

  it("killed while unpacking (no aside yet): the install is untouched and the temp folder goes", async () => {
    const crash = await crashedInsideTheSwap();
    renameSync(crash.aside, crash.target);
    mkdirSync(path.join(crash.temp, "half-written"));
    backdate(crash.temp, 60);
    await crash.sandbox.ok(["list", "--local"]);
    expect(snapshot(crash.sandbox.project)).toEqual(crash.before);
    expect(readdirSync(crash.skills)).toEqual(["acme__victim"]);
  });

  it("killed while deleting an uninstalled skill: the deletion is finished, never undone", async () => {
    const crash = await crashedInsideTheSwap();
    renameSync(crash.aside, path.join(crash.skills, `.skild-del-acme__victim-${deadPid()}-0f0f0f0f`));
    const listed = await crash.sandbox.json<{ skills: unknown[] }>(["list", "--local"]);
    expect(listed.skills).toEqual([]);
    expect(readdirSync(crash.skills)).toEqual([]);
  });

  it("leaves the folders of an install still running alone, unless they are over an hour old", async () => {
    // This test process stands in for a skild install running alongside.
    const crash = await crashedInsideTheSwap(process.pid);
    await crash.sandbox.ok(["list", "--local"]);
    expect(readdirSync(crash.skills).sort()).toEqual([path.basename(crash.aside), path.basename(crash.temp)].sort());
    backdate(crash.aside, 2 * 3600);
    backdate(crash.temp, 2 * 3600);
    await crash.sandbox.ok(["list", "--local"]);
    expect(snapshot(crash.sandbox.project)).toEqual(crash.before);
    expect(readdirSync(crash.skills)).toEqual(["acme__victim"]);
  });
});
