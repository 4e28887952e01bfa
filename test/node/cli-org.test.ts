// skild org create / ls / add / rm against the real registry: roles as npm's, the role rules
// enforced by the registry and passed through in one line, and usage errors before any request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { type CliSandbox, createPublisher, createSandbox, writeSkillFolder } from "./cli-helpers";

type OrgJson = { org: { name: string; createdAt: string }; members?: { handle: string; role: string }[] };

describe("skild org", () => {
  let server: RegistryServer;
  // One machine per person: alice creates the org, bob and carol join it, dave stays outside.
  let alice: CliSandbox;
  let bob: CliSandbox;
  let carol: CliSandbox;
  let dave: CliSandbox;
  let anonymous: CliSandbox;
  beforeAll(async () => {
    server = await startRegistry();
    [alice, bob, carol, dave, anonymous] = Array.from({ length: 5 }, () => createSandbox(server.url));
    await createPublisher(alice, "alice");
    await createPublisher(bob, "bob");
    await createPublisher(carol, "carol");
    await createPublisher(dave, "dave");
  });
  afterAll(async () => {
    await server?.stop();
    for (const cli of [alice, bob, carol, dave, anonymous]) cli?.cleanup();
  });

  const members = async (cli: CliSandbox, org: string) =>
    Object.fromEntries(((await cli.json<OrgJson>(["org", "ls", org])).members ?? []).map((m) => [m.handle, m.role]));

  it("refuses a bad command line with exit 2 before asking the registry", async () => {
    const cases: [string[], string][] = [
      [["org"], "Say what to do: skild org create|ls|add|rm"],
      [["org", "frob", "acme-corp"], 'Unknown subcommand "frob"'],
      [["org", "create"], "Name an org name."],
      [["org", "create", "Acme!"], '"Acme!" is not an org name: it must be 2-32 characters'],
      [["org", "add", "acme-corp"], "Name a handle."],
      [["org", "add", "acme-corp", "bob", "--role", "king"], '--role is owner, admin, developer, not "king"'],
      [["org", "ls", "acme-corp", "--role", "admin"], "--role goes with skild org add"],
      [["org", "rm", "acme-corp", "bob", "extra"], 'got also "extra"'],
    ];
    for (const [args, message] of cases) {
      const res = await anonymous.run(args, { env: { SKILD_REGISTRY_URL: "http://127.0.0.1:9" } });
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr, args.join(" ")).toContain(message);
      expect(res.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });

  it("needs a login to create an org", async () => {
    const res = await anonymous.run(["org", "create", "acme-corp"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `skild: Not logged in to ${server.url}. Run \`skild login --registry ${server.url}\` first.\n`,
    );
  });

  it("creates an org whose creator is its owner", async () => {
    const created = await alice.ok(["org", "create", "acme-corp"]);
    expect(created.stdout).toContain(`Created the org acme-corp on ${server.url}; you are its owner.`);
    const json = await alice.json<{ org: { name: string }; role: string }>(["org", "create", "@acme-labs"]);
    expect(json).toMatchObject({ org: { name: "acme-labs" }, role: "owner", registry: server.url });
    expect(await members(alice, "acme-corp")).toEqual({ alice: "owner" });
  });

  it("refuses a name a user or an org already has, and reserved names, changing nothing", async () => {
    for (const name of ["acme-corp", "bob", "admin", "orgs"]) {
      const res = await dave.run(["org", "create", name, "--json"]);
      expect(res.code, name).toBe(1);
      expect(res.stderr.trim().split("\n"), name).toHaveLength(1);
      // The registry's own {error, code} comes through (not a bare HTTP status).
      const body = JSON.parse(res.stdout) as { error: string; code: string };
      expect(body.error.length, name).toBeGreaterThan(0);
      expect(body.code, name).not.toMatch(/^HTTP_/);
    }
    // acme-corp still belongs to alice alone; bob is still a user, not an org.
    expect(await members(alice, "acme-corp")).toEqual({ alice: "owner" });
    expect((await bob.ok(["whoami"])).stdout).toBe("bob\n");
  });

  it("adds members with npm's roles (developer by default) and lists them", async () => {
    expect((await alice.ok(["org", "add", "acme-corp", "bob"])).stdout).toBe(
      "bob is now a developer of acme-corp (2 members).\n",
    );
    expect(await alice.json(["org", "set", "acme-corp", "carol", "--role", "admin"])).toEqual({
      org: "acme-corp",
      handle: "carol",
      role: "admin",
      size: 3,
      registry: server.url,
    });
    const listed = await bob.ok(["org", "ls", "acme-corp"]);
    const lines = listed.stdout.split("\n");
    expect(lines[0]).toMatch(/^acme-corp \(created \d{4}-\d\d-\d\dT/);
    // Strongest role first, as `npm org ls` groups them.
    expect(lines.slice(1, 4).map((l) => l.trim().split(/\s+/))).toEqual([
      ["alice", "owner"],
      ["carol", "admin"],
      ["bob", "developer"],
    ]);
    expect(listed.stdout).toContain("teams: ");
    expect(listed.stdout).toContain("developers");
    const json = await carol.json<OrgJson & { teams: string[] }>(["org", "ls", "acme-corp"]);
    expect(json.teams).toContain("developers");
    expect(await members(carol, "acme-corp")).toEqual({ alice: "owner", carol: "admin", bob: "developer" });
  });

  it("shows an outsider the org but not its members", async () => {
    for (const cli of [dave, anonymous]) {
      const json = await cli.json<OrgJson>(["org", "ls", "acme-corp"]);
      expect(json.org.name).toBe("acme-corp");
      expect(json.members).toBeUndefined();
      expect((await cli.ok(["org", "ls", "acme-corp"])).stdout).toContain("Only members see who is in it");
    }
    const missing = await dave.run(["org", "ls", "no-such-org"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("lists the orgs you belong to when no org is named", async () => {
    const mine = await alice.json<{ orgs: { name: string; role: string }[] }>(["org", "ls"]);
    expect(mine.orgs).toEqual(
      expect.arrayContaining([
        { name: "acme-corp", role: "owner" },
        { name: "acme-labs", role: "owner" },
      ]),
    );
    expect((await bob.ok(["org", "ls"])).stdout).toMatch(/^acme-corp\s+developer$/m);
    expect((await dave.ok(["org", "ls"])).stdout).toBe(
      "dave is in no organisation. Create one: skild org create <name>\n",
    );
  });

  it("keeps the role rules: a developer cannot promote themselves or remove an owner, an outsider cannot add", async () => {
    const promote = await bob.run(["org", "add", "acme-corp", "bob", "--role", "owner"]);
    expect(promote.code).toBe(1);
    expect(promote.stderr.trim().split("\n")).toHaveLength(1);
    const removeOwner = await bob.run(["org", "rm", "acme-corp", "alice"]);
    expect(removeOwner.code).toBe(1);
    const outsider = await dave.run(["org", "add", "acme-corp", "dave", "--role", "developer"]);
    expect(outsider.code).toBe(1);
    expect(await members(alice, "acme-corp")).toEqual({ alice: "owner", carol: "admin", bob: "developer" });
  });

  it("removes members, and never the last owner", async () => {
    expect((await carol.ok(["org", "rm", "acme-corp", "bob"])).stdout).toBe("Removed bob from acme-corp.\n");
    expect(await members(alice, "acme-corp")).toEqual({ alice: "owner", carol: "admin" });
    // bob is an outsider again.
    expect((await bob.json<OrgJson>(["org", "ls", "acme-corp"])).members).toBeUndefined();

    const lastOwner = await alice.run(["org", "rm", "acme-corp", "alice", "--json"]);
    expect(lastOwner.code).toBe(1);
    expect(JSON.parse(lastOwner.stdout)).toEqual({ error: expect.any(String), code: expect.any(String) });
    expect(await members(alice, "acme-corp")).toEqual({ alice: "owner", carol: "admin" });

    // With a second owner, the first may go.
    await alice.ok(["org", "add", "acme-corp", "carol", "--role", "owner"]);
    const json = await carol.json<{ removed: boolean }>(["org", "rm", "acme-corp", "alice"]);
    expect(json).toMatchObject({ org: "acme-corp", handle: "alice", removed: true });
    expect(await members(carol, "acme-corp")).toEqual({ carol: "owner" });
  });

  it("lets a developer of the org publish under its scope, and nobody else", async () => {
    await carol.ok(["org", "add", "acme-corp", "bob"]);
    const dir = writeSkillFolder(bob.root, { name: "runbook" });
    const published = await bob.ok([
      "publish",
      "--dir",
      dir,
      "--name",
      "@acme-corp/runbook",
      "--skill-version",
      "1.0.0",
    ]);
    expect(published.stdout).toContain(`Published @acme-corp/runbook@1.0.0 to ${server.url}`);
    const refused = await dave.run([
      "publish",
      "--dir",
      dir,
      "--name",
      "@acme-corp/runbook",
      "--skill-version",
      "1.0.1",
    ]);
    expect(refused.code).toBe(1);
    const info = await anonymous.json<{ registry: { distTags: Record<string, string> } }>([
      "info",
      "@acme-corp/runbook",
    ]);
    expect(info.registry.distTags).toEqual({ latest: "1.0.0" });
  });
});
