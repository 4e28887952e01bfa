// Every npm command of DESIGN.md's orgs table with stock npm 11, then the same commands with npm 12
// on Node 24: `npm org set/rm/ls`, `npm team create/destroy/add/rm/ls`, `npm access grant/revoke/
// list packages/list collaborators/get status/set status`, `npm owner ls/add/rm` and `npm publish
// --access restricted`. The outputs asserted are npm's own formatting of the answers npm expects.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { node24 } from "../scripts/node-runtime.mjs";
import {
  type ApiAccount,
  createAccount,
  createOrg,
  makeSkillPackage,
  type NpmClient,
  npmClient,
  type RegistryServer,
  type RunResult,
  run,
  setupRegistry,
  writeSkillVersion,
} from "./helpers";

const ORG = "acme-corp";
const TOOL = `@${ORG}/tool`;

/** stdout as sorted, trimmed lines (npm sorts some lists, not all). */
const lines = (res: RunResult) =>
  res.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();

function ok(res: RunResult): RunResult {
  expect(res.code, res.output).toBe(0);
  return res;
}

/** Asserts a refusal: a non-zero exit and an npm error code among `codes` (e.g. E403). */
function refused(res: RunResult, codes: RegExp): void {
  expect(res.code, res.output).not.toBe(0);
  expect(res.output).toMatch(codes);
}

describe("npm org / team / access / owner with npm 11", () => {
  let server: RegistryServer;
  let alice: ApiAccount; // owner of acme-corp
  let bob: ApiAccount; // developer
  let carol: ApiAccount; // admin, later removed
  let dave: ApiAccount; // never a member
  let npm: Record<"alice" | "bob" | "carol" | "dave" | "anonymous", NpmClient>;
  beforeAll(async () => {
    server = await setupRegistry();
    [alice, bob, carol, dave] = await Promise.all(
      ["alice", "bob", "carol", "dave"].map((h) => createAccount(server, h)),
    );
    await createOrg(server, alice, ORG);
    npm = {
      alice: npmClient(server, { token: alice.token }),
      bob: npmClient(server, { token: bob.token }),
      carol: npmClient(server, { token: carol.token }),
      dave: npmClient(server, { token: dave.token }),
      anonymous: npmClient(server),
    };
  });
  afterAll(() => server?.stop());

  it("npm org set / ls / rm", async () => {
    const set = ok(await npm.alice.run(["org", "set", ORG, "bob"]));
    expect(set.stdout.trim()).toBe(`Added bob as developer to ${ORG}. You now have 2 members in this org.`);
    ok(await npm.alice.run(["org", "set", ORG, "carol", "admin"]));
    expect(lines(ok(await npm.bob.run(["org", "ls", ORG])))).toEqual([
      "alice - owner",
      "bob - developer",
      "carol - admin",
    ]);
    expect(JSON.parse(ok(await npm.carol.run(["org", "ls", ORG, "--json"])).stdout)).toEqual({
      alice: "owner",
      bob: "developer",
      carol: "admin",
    });
    expect(ok(await npm.alice.run(["org", "ls", ORG, "bob"])).stdout.trim()).toBe("bob - developer");

    // A developer cannot promote themselves; an outsider cannot add anyone.
    refused(await npm.bob.run(["org", "set", ORG, "bob", "owner"]), /E403/);
    refused(await npm.dave.run(["org", "set", ORG, "dave", "developer"]), /E403|E404/);

    // Membership is members-only: an outsider gets no roster.
    refused(await npm.dave.run(["org", "ls", ORG]), /E403|E404/);

    const rm = ok(await npm.alice.run(["org", "rm", ORG, "carol"]));
    expect(rm.stdout.trim()).toBe(`Successfully removed carol from ${ORG}. You now have 2 members in this org.`);
    expect(lines(ok(await npm.alice.run(["org", "ls", ORG])))).toEqual(["alice - owner", "bob - developer"]);
    // The last owner cannot leave.
    refused(await npm.alice.run(["org", "rm", ORG, "alice"]), /E4\d\d/);
  });

  it("npm team create / ls / add / rm / destroy", async () => {
    expect(ok(await npm.alice.run(["team", "create", `${ORG}:writers`])).stdout.trim()).toBe(`+@${ORG}:writers`);
    const teams = ok(await npm.bob.run(["team", "ls", ORG]))
      .stdout.trim()
      .split("\n");
    expect(teams[0]).toBe(`@${ORG} has 2 teams:`);
    expect(teams.slice(1).sort()).toEqual([`@${ORG}:developers`, `@${ORG}:writers`]);
    // Every member is in developers.
    expect(JSON.parse(ok(await npm.alice.run(["team", "ls", `${ORG}:developers`, "--json"])).stdout)).toEqual([
      "alice",
      "bob",
    ]);

    expect(ok(await npm.alice.run(["team", "add", `@${ORG}:writers`, "bob"])).stdout.trim()).toBe(
      `bob added to @${ORG}:writers`,
    );
    expect(ok(await npm.alice.run(["team", "ls", `${ORG}:writers`])).stdout.trim()).toBe(
      `@${ORG}:writers has 1 user:\nbob`,
    );
    // A developer manages no teams.
    refused(await npm.bob.run(["team", "create", `${ORG}:mine`]), /E403/);
    refused(await npm.bob.run(["team", "rm", `${ORG}:writers`, "bob"]), /E403/);

    expect(ok(await npm.alice.run(["team", "rm", `${ORG}:writers`, "bob"])).stdout.trim()).toBe(
      `bob removed from @${ORG}:writers`,
    );
    expect(ok(await npm.alice.run(["team", "ls", `${ORG}:writers`])).stdout.trim()).toBe(`@${ORG}:writers has 0 users`);
    expect(ok(await npm.alice.run(["team", "destroy", `${ORG}:writers`])).stdout.trim()).toBe(`-@${ORG}:writers`);
    expect(lines(ok(await npm.alice.run(["team", "ls", ORG, "--parseable"])))).toEqual([`${ORG}:developers`]);
  });

  it("npm publish into the org gives developers read-write; npm access list packages / collaborators", async () => {
    const dir = makeSkillPackage(TOOL, "1.0.0");
    ok(await npm.bob.run(["publish"], { cwd: dir }));
    expect(ok(await npm.alice.run(["access", "list", "packages", ORG])).stdout.trim()).toBe(`${TOOL}: read-write`);
    expect(ok(await npm.alice.run(["access", "list", "packages", `${ORG}:developers`])).stdout.trim()).toBe(
      `${TOOL}: read-write`,
    );
    // No argument: the caller's own packages (npm asks /-/org/<user>/package, then /-/user/<user>/package).
    expect(ok(await npm.bob.run(["access", "list", "packages"])).stdout).toContain(`${TOOL}: read-write`);
    const collaborators = JSON.parse(
      ok(await npm.alice.run(["access", "list", "collaborators", TOOL, "--json"])).stdout,
    );
    expect(collaborators).toMatchObject({ alice: "read-write", bob: "read-write" });
    expect(collaborators.dave).toBeUndefined();
  });

  it("npm access grant / revoke a team on a package", async () => {
    ok(await npm.alice.run(["org", "set", ORG, "carol", "developer"]));
    ok(await npm.alice.run(["team", "create", `${ORG}:readers`]));
    ok(await npm.alice.run(["team", "add", `${ORG}:readers`, "carol"]));
    ok(await npm.alice.run(["access", "grant", "read-only", `${ORG}:readers`, TOOL]));
    expect(ok(await npm.alice.run(["access", "list", "packages", `${ORG}:readers`])).stdout.trim()).toBe(
      `${TOOL}: read-only`,
    );
    expect(ok(await npm.alice.run(["access", "list", "collaborators", TOOL])).stdout).toContain(
      `${ORG}:readers: read-only`,
    );
    // A developer cannot grant what it has no right to manage.
    refused(await npm.bob.run(["access", "grant", "read-write", `${ORG}:readers`, TOOL]), /E403/);
    refused(await npm.alice.run(["access", "grant", "read-write", `${ORG}:nope`, TOOL]), /E404/);

    ok(await npm.alice.run(["access", "revoke", `${ORG}:readers`, TOOL]));
    expect(ok(await npm.alice.run(["access", "list", "packages", `${ORG}:readers`])).stdout.trim()).toBe("");
    expect(ok(await npm.alice.run(["access", "list", "collaborators", TOOL])).stdout).not.toContain(`${ORG}:readers`);
  });

  it("npm access get status / set status=private|public", async () => {
    expect(ok(await npm.alice.run(["access", "get", "status", TOOL])).stdout.trim()).toBe(`${TOOL}: public`);
    expect(ok(await npm.alice.run(["access", "set", "status=private", TOOL])).stdout.trim()).toBe(`${TOOL}: private`);
    // Gone for outsiders, as if it never existed; still there for members.
    refused(await npm.anonymous.run(["view", TOOL, "version"]), /E404/);
    refused(await npm.dave.run(["view", TOOL, "version"]), /E404/);
    refused(await npm.dave.run(["access", "get", "status", TOOL]), /E404/);
    refused(await npm.dave.run(["access", "set", "status=public", TOOL]), /E404/);
    expect(ok(await npm.bob.run(["view", TOOL, "version"])).stdout.trim()).toBe("1.0.0");
    expect(ok(await npm.bob.run(["access", "get", "status", TOOL, "--json"])).stdout).toContain('"private"');
    // Lists are public-only for everyone.
    const search = ok(await npm.bob.run(["search", "tool", "--json"]));
    expect(JSON.parse(search.stdout).map((p: { name: string }) => p.name)).not.toContain(TOOL);

    expect(ok(await npm.alice.run(["access", "set", "status=public", TOOL])).stdout.trim()).toBe(`${TOOL}: public`);
    expect(ok(await npm.anonymous.run(["view", TOOL, "version"])).stdout.trim()).toBe("1.0.0");

    // The registry has no 2FA, so npm's per-package 2FA settings are refused, not silently accepted.
    const mfa = await npm.alice.run(["access", "set", "mfa=publish", TOOL]);
    refused(mfa, /E400/);
    expect(mfa.output).toContain("no 2FA settings");
  });

  it("npm owner ls / add / rm", async () => {
    // Every user with write (the owner, and the developers team: bob and, since the last test, carol),
    // emails kept private (npm prints them empty).
    expect(lines(ok(await npm.anonymous.run(["owner", "ls", TOOL])))).toEqual(["alice <>", "bob <>", "carol <>"]);

    const dir = makeSkillPackage("@alice/notes", "1.0.0");
    ok(await npm.alice.run(["publish"], { cwd: dir }));
    expect(lines(ok(await npm.alice.run(["owner", "ls", "@alice/notes"])))).toEqual(["alice <>"]);
    // npm wraps the registry's 403 in its own EOWNERMUTATE.
    refused(await npm.dave.run(["owner", "add", "dave", "@alice/notes"]), /EOWNERMUTATE[\s\S]*403 Forbidden/);
    expect(ok(await npm.alice.run(["owner", "add", "dave", "@alice/notes"])).stdout.trim()).toBe(
      "+ dave (@alice/notes)",
    );
    expect(lines(ok(await npm.alice.run(["owner", "ls", "@alice/notes"])))).toEqual(["alice <>", "dave <>"]);
    writeSkillVersion(dir, "@alice/notes", "1.1.0");
    ok(await npm.dave.run(["publish"], { cwd: dir }));

    expect(ok(await npm.alice.run(["owner", "rm", "dave", "@alice/notes"])).stdout.trim()).toBe(
      "- dave (@alice/notes)",
    );
    expect(lines(ok(await npm.alice.run(["owner", "ls", "@alice/notes"])))).toEqual(["alice <>"]);
    writeSkillVersion(dir, "@alice/notes", "1.2.0");
    refused(await npm.dave.run(["publish"], { cwd: dir }), /E403/);
    refused(await npm.alice.run(["owner", "add", "nobody-here", "@alice/notes"]), /E404/);
  });

  it("npm publish --access restricted makes a private skill", async () => {
    const dir = makeSkillPackage(`@${ORG}/secret`, "1.0.0");
    const res = ok(await npm.alice.run(["publish", "--access", "restricted"], { cwd: dir }));
    expect(res.stdout).toContain(`+ @${ORG}/secret@1.0.0`);
    expect(ok(await npm.alice.run(["access", "get", "status", `@${ORG}/secret`])).stdout.trim()).toBe(
      `@${ORG}/secret: private`,
    );
    expect(ok(await npm.bob.run(["view", `@${ORG}/secret`, "version"])).stdout.trim()).toBe("1.0.0");
    refused(await npm.dave.run(["view", `@${ORG}/secret`, "version"]), /E404/);
    refused(await npm.anonymous.run(["view", `@${ORG}/secret`, "version"]), /E404/);
  });
});

describe("the same commands with npm 12 on Node 24", () => {
  let server: RegistryServer;
  let runtime: { node: string; npmCli: string } | undefined;
  let npm12: (account: ApiAccount | undefined, args: string[], cwd?: string) => Promise<RunResult>;
  let alice: ApiAccount;
  let bob: ApiAccount;
  beforeAll(async () => {
    runtime = node24();
    // npm 12 refuses Node older than 22.22.2 / 24.15: prove this really is npm 12 on Node 24.
    expect(spawnSync(runtime.node, [runtime.npmCli, "--version"], { encoding: "utf8" }).stdout.trim()).toMatch(/^12\./);
    server = await setupRegistry();
    [alice, bob] = await Promise.all([createAccount(server, "alice"), createAccount(server, "bob")]);
    await createOrg(server, alice, ORG);
    const clients = new Map<string, NpmClient>();
    npm12 = (account, args, cwd) => {
      const key = account?.handle ?? "";
      if (!clients.has(key)) clients.set(key, npmClient(server, { token: account?.token }));
      const client = clients.get(key) as NpmClient;
      const npmRuntime = runtime as { node: string; npmCli: string };
      return run(npmRuntime.node, [npmRuntime.npmCli, ...args, "--userconfig", client.userconfig], {
        cwd: cwd ?? client.home,
        env: client.env,
      });
    };
  });
  afterAll(() => server?.stop());

  it("org, team, access, owner and publish --access restricted", async () => {
    expect(ok(await npm12(alice, ["org", "set", ORG, "bob", "developer"])).stdout.trim()).toBe(
      `Added bob as developer to ${ORG}. You now have 2 members in this org.`,
    );
    expect(lines(ok(await npm12(bob, ["org", "ls", ORG])))).toEqual(["alice - owner", "bob - developer"]);
    expect(ok(await npm12(alice, ["team", "create", `${ORG}:writers`])).stdout.trim()).toBe(`+@${ORG}:writers`);
    ok(await npm12(alice, ["team", "add", `${ORG}:writers`, "bob"]));
    expect(JSON.parse(ok(await npm12(alice, ["team", "ls", `${ORG}:writers`, "--json"])).stdout)).toEqual(["bob"]);

    const dir = makeSkillPackage(`@${ORG}/secret`, "1.0.0");
    ok(await npm12(alice, ["publish", "--access", "restricted"], dir));
    expect(ok(await npm12(alice, ["access", "get", "status", `@${ORG}/secret`])).stdout.trim()).toBe(
      `@${ORG}/secret: private`,
    );
    expect(ok(await npm12(bob, ["view", `@${ORG}/secret`, "version"])).stdout.trim()).toBe("1.0.0");
    refused(await npm12(undefined, ["view", `@${ORG}/secret`, "version"]), /E404/);
    ok(await npm12(alice, ["access", "grant", "read-only", `${ORG}:writers`, `@${ORG}/secret`]));
    expect(ok(await npm12(alice, ["access", "list", "packages", `${ORG}:writers`])).stdout.trim()).toBe(
      `@${ORG}/secret: read-only`,
    );
    ok(await npm12(alice, ["access", "revoke", `${ORG}:writers`, `@${ORG}/secret`]));
    expect(lines(ok(await npm12(bob, ["owner", "ls", `@${ORG}/secret`])))).toEqual(["alice <>", "bob <>"]);
    expect(
      JSON.parse(ok(await npm12(bob, ["access", "list", "collaborators", `@${ORG}/secret`, "--json"])).stdout),
    ).toMatchObject({ alice: "read-write", bob: "read-write" });
    const notes = makeSkillPackage("@alice/notes", "1.0.0");
    ok(await npm12(alice, ["publish"], notes));
    expect(ok(await npm12(alice, ["owner", "add", "bob", "@alice/notes"])).stdout.trim()).toBe("+ bob (@alice/notes)");
    expect(lines(ok(await npm12(undefined, ["owner", "ls", "@alice/notes"])))).toEqual(["alice <>", "bob <>"]);
    expect(ok(await npm12(alice, ["owner", "rm", "bob", "@alice/notes"])).stdout.trim()).toBe("- bob (@alice/notes)");
    expect(lines(ok(await npm12(undefined, ["owner", "ls", "@alice/notes"])))).toEqual(["alice <>"]);
    ok(await npm12(alice, ["access", "set", "status=public", `@${ORG}/secret`]));
    expect(ok(await npm12(undefined, ["view", `@${ORG}/secret`, "version"])).stdout.trim()).toBe("1.0.0");
    ok(await npm12(alice, ["team", "rm", `${ORG}:writers`, "bob"]));
    ok(await npm12(alice, ["team", "destroy", `${ORG}:writers`]));
    ok(await npm12(alice, ["org", "rm", ORG, "bob"]));
    expect(lines(ok(await npm12(alice, ["org", "ls", ORG])))).toEqual(["alice - owner"]);
  });
});
