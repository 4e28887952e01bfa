// Private skills with the skild CLI: `skild publish --access restricted`, `skild access
// public|private`, reads that carry the saved token (install, info, update, a lockfile install),
// and the one-line "does not exist, or it is private" answer for everyone without access, which
// must not differ from the answer for a name that never existed.
import { cpSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  PASSWORD,
  readJsonFile,
  writeSkillFolder,
} from "./cli-helpers";

const SECRET = "@acme-corp/secret";

describe("skild access / publish --access / reads with the token", () => {
  let server: RegistryServer;
  let alice: CliSandbox; // owner of acme-corp
  let bob: CliSandbox; // a developer of acme-corp
  let dave: CliSandbox; // logged in, not a member
  let anonymous: CliSandbox;
  const notFoundAnonymous = (name: string) =>
    `skild: ${name} does not exist, or it is private: if you have access, run \`skild login --registry ${server.url}\` first.\n`;
  const notFoundLoggedIn = (name: string) =>
    `skild: ${name} does not exist, or it is private and your account has no access to it.\n`;

  const publish = (cli: CliSandbox, name: string, version: string, extra: string[] = []) =>
    cli.run([
      "publish",
      "--dir",
      writeSkillFolder(cli.root, { name: name.split("/")[1], body: `# Secret\n\nVersion ${version}.\n` }),
      "--name",
      name,
      "--skill-version",
      version,
      ...extra,
    ]);

  beforeAll(async () => {
    server = await startRegistry();
    [alice, bob, dave, anonymous] = Array.from({ length: 4 }, () => createSandbox(server.url));
    await createPublisher(alice, "alice");
    await createPublisher(bob, "bob");
    await createPublisher(dave, "dave");
    await alice.ok(["org", "create", "acme-corp"]);
    await alice.ok(["org", "add", "acme-corp", "bob"]);
  });
  afterAll(async () => {
    await server?.stop();
    for (const cli of [alice, bob, dave, anonymous]) cli?.cleanup();
  });

  it("refuses a bad access level with exit 2 before asking the registry", async () => {
    const offline = { env: { SKILD_REGISTRY_URL: "http://127.0.0.1:9" } };
    const cases: [string[], string][] = [
      [["access"], "Say public or private"],
      [["access", "secret", SECRET], '"secret" is not an access level'],
      [["access", "private"], "Name the skill: skild access private <@scope/skill>"],
      [["access", "private", "acme-corp/secret"], "is not a skill name"],
      [["access", "private", SECRET, "extra"], "takes public|private and one skill name"],
      [["publish", "--access", "hidden", "--dry-run"], '--access is public or restricted (private), not "hidden"'],
    ];
    for (const [args, message] of cases) {
      const res = await anonymous.run(args, offline);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr, args.join(" ")).toContain(message);
    }
    const notLoggedIn = await anonymous.run(["access", "private", SECRET]);
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toContain(`Not logged in to ${server.url}`);
  });

  it("publishes a private skill with --access restricted; --dry-run says so", async () => {
    const dry = await alice.json<{ access: string | null; dryRun: boolean }>([
      "publish",
      "--dir",
      writeSkillFolder(alice.root, { name: "secret" }),
      "--name",
      SECRET,
      "--skill-version",
      "1.0.0",
      "--access",
      "restricted",
      "--dry-run",
    ]);
    expect(dry).toMatchObject({ access: "restricted", dryRun: true });
    const res = await publish(alice, SECRET, "1.0.0", ["--access", "restricted"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`Published ${SECRET}@1.0.0 to ${server.url} (private)`);
  });

  it("answers everyone without access exactly as for a name that never existed, in one line", async () => {
    for (const [cli, expected] of [
      [anonymous, notFoundAnonymous],
      [dave, notFoundLoggedIn],
    ] as const) {
      for (const command of ["install", "info"]) {
        const hidden = await cli.run([command, SECRET]);
        const never = await cli.run([command, "@acme-corp/never-was"]);
        expect(hidden.code, command).toBe(1);
        expect(hidden.stdout, command).toBe("");
        expect(hidden.stderr, command).toBe(expected(SECRET));
        // The only difference from a name that never existed is the name.
        expect(hidden.stderr.replace(SECRET, "X"), command).toBe(never.stderr.replace("@acme-corp/never-was", "X"));
      }
      const json = await cli.run(["install", SECRET, "--json"]);
      expect(JSON.parse(json.stdout)).toEqual({ error: expected(SECRET).slice(7, -1), code: "SKILL_NOT_FOUND" });
      expect(existsSync(path.join(cli.home, ".claude/skills/acme-corp__secret"))).toBe(false);
    }
    // Search lists public skills only, for members too.
    for (const cli of [anonymous, dave, bob, alice]) {
      expect((await cli.json<{ skills: { name: string }[] }>(["search", "secret"])).skills).toEqual([]);
    }
  });

  it("lets members read it after skild login: install, info, update, a lockfile install", async () => {
    const installed = await bob.ok(["install", SECRET, "-t", "claude", "--local"]);
    expect(installed.stdout).toContain(`Installed ${SECRET}@1.0.0 into`);
    const info = await bob.json<{ registry: { distTags: Record<string, string> } }>(["info", SECRET]);
    expect(info.registry.distTags).toEqual({ latest: "1.0.0" });

    expect((await publish(bob, SECRET, "1.1.0")).code).toBe(0);
    const updated = await bob.ok(["update", "--local"]);
    expect(updated.stdout).toContain("1.1.0");
    expect(
      readJsonFile<{ skills: Record<string, { version: string }> }>(path.join(bob.project, "skild.lock.json")).skills[
        SECRET
      ].version,
    ).toBe("1.1.0");

    // The lockfile goes to a colleague who has not logged in: it fails in one line; after login it works.
    const colleague = createSandbox(server.url);
    try {
      cpSync(path.join(bob.project, "skild.lock.json"), path.join(colleague.project, "skild.lock.json"));
      const before = await colleague.run(["install"]);
      expect(before.code).toBe(1);
      // Off a terminal the download announces itself on a line of its own; the error is one line.
      const errors = before.stderr.split("\n").filter((line) => line.startsWith("skild:"));
      expect(errors, before.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(
        // A lockfile install first asks for the version's registry signatures, so the name is what is refused.
        /^skild: \S*secret\S* does not exist, or it is private: if you have access, run `skild login --registry /,
      );
      await colleague.ok(["login", "--handle-or-email", "bob", "--password-stdin"], { input: `${PASSWORD}\n` });
      const after = await colleague.ok(["install"]);
      expect(after.stdout).toContain(`Installed ${SECRET}@1.1.0`);
    } finally {
      colleague.cleanup();
    }
  });

  it("reads with a read-only token but never publishes with it", async () => {
    const login = await fetch(`${server.url}/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ handleOrEmail: "bob", password: PASSWORD }),
    });
    const { token: session } = (await login.json()) as { token: string };
    const created = await fetch(`${server.url}/-/npm/v1/tokens`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${session}` },
      body: JSON.stringify({ password: PASSWORD, readonly: true }),
    });
    expect(created.status).toBe(201);
    const { token: readOnly } = (await created.json()) as { token: string };
    const env = { SKILD_TOKEN: readOnly };
    const reader = createSandbox(server.url);
    try {
      expect((await reader.ok(["install", SECRET, "-t", "codex"], { env })).stdout).toContain(
        `Installed ${SECRET}@1.1.0`,
      );
      const refused = await publish(reader, SECRET, "1.2.0");
      expect(refused.code).toBe(1); // not logged in at all without the env token
      const readOnlyPublish = await reader.run(
        [
          "publish",
          "--dir",
          writeSkillFolder(reader.root, { name: "secret" }),
          "--name",
          SECRET,
          "--skill-version",
          "1.2.0",
        ],
        { env },
      );
      expect(readOnlyPublish.code).toBe(1);
      expect(readOnlyPublish.stderr).toContain("read-only");
      const readOnlyAccess = await reader.run(["access", "public", SECRET], { env });
      expect(readOnlyAccess.code).toBe(1);
      expect(readOnlyAccess.stderr).toContain("read-only");
      expect((await anonymous.run(["info", SECRET])).stderr).toBe(notFoundAnonymous(SECRET));
    } finally {
      reader.cleanup();
    }
  });

  it("skild access public|private changes who can read, at once", async () => {
    // An outsider cannot change it, and learns nothing: the same answer as for a missing name.
    const outsider = await dave.run(["access", "public", SECRET]);
    const never = await dave.run(["access", "public", "@acme-corp/never-was"]);
    expect(outsider.code).toBe(1);
    expect(outsider.stderr.replace(SECRET, "X")).toBe(never.stderr.replace("@acme-corp/never-was", "X"));
    expect((await anonymous.run(["info", SECRET])).code).toBe(1);

    expect((await alice.ok(["access", "public", SECRET])).stdout).toBe(
      `${SECRET} is now public: anyone can find and install it.\n`,
    );
    expect((await anonymous.ok(["install", SECRET, "-t", "claude"])).stdout).toContain(`Installed ${SECRET}@1.1.0`);
    // Reads carry the token, but a stale one never stops a public read: it reads as nobody.
    const stale = await anonymous.ok(["info", SECRET, "--json"], { env: { SKILD_TOKEN: "skild_revoked_long_ago" } });
    expect(JSON.parse(stale.stdout)).toMatchObject({ name: SECRET, registry: { distTags: { latest: "1.1.0" } } });
    expect((await dave.json<{ skills: { name: string }[] }>(["search", "secret"])).skills.map((s) => s.name)).toEqual([
      SECRET,
    ]);

    const json = await alice.json<{ name: string; access: string }>(["access", "private", SECRET]);
    expect(json).toMatchObject({ name: SECRET, access: "restricted", registry: server.url });
    expect((await anonymous.run(["install", SECRET, "-t", "claude", "--force"])).stderr).toBe(
      notFoundAnonymous(SECRET),
    );
    expect((await dave.run(["info", SECRET])).stderr).toBe(notFoundLoggedIn(SECRET));
    expect((await bob.ok(["info", SECRET])).stdout).toContain("latest:    1.1.0");
  });

  it("keeps a user's own private skill to that user", async () => {
    const res = await publish(dave, "@dave/notes", "1.0.0", ["--access", "private"]);
    expect(res.code, res.stderr).toBe(0);
    expect((await dave.ok(["install", "@dave/notes", "-t", "claude"])).stdout).toContain("Installed @dave/notes@1.0.0");
    expect((await alice.run(["install", "@dave/notes"])).stderr).toBe(notFoundLoggedIn("@dave/notes"));
    expect((await anonymous.run(["install", "@dave/notes"])).stderr).toBe(notFoundAnonymous("@dave/notes"));
  });
});
