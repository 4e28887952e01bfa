// Stock npm 11's star / unstar / stars (lib/commands/star.js, stars.js) against the registry: the
// packument's `users` edited and PUT back, and the starredByUser view.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  NPM_MAJOR,
  type NpmClient,
  npmClient,
  type RegistryServer,
  seedSkill,
  setupRegistry,
} from "./helpers";

const NAME = "@acme/hello-skill";

// npm 12 removed star, unstar and stars (`npm star` now abbreviates `npm start`): under npm 12 (the
// Node 24 step of `npm test`) there is no client command to test.
describe.runIf(NPM_MAJOR < 12)("npm star / unstar / stars", () => {
  let server: RegistryServer;
  let alice: NpmClient;
  let bob: NpmClient;
  beforeAll(async () => {
    server = await setupRegistry();
    const acme = await createAccount(server, "acme");
    await seedSkill(server, acme, "hello-skill", [{ version: "1.0.0" }]);
    await seedSkill(server, acme, "other-skill", [{ version: "1.0.0" }]);
    alice = npmClient(server, { token: (await createAccount(server, "alice")).token });
    bob = npmClient(server, { token: (await createAccount(server, "bob")).token });
  });
  afterAll(() => server?.stop());

  const users = async () => {
    const res = await fetch(`${server.url}/${NAME.replace("/", "%2f")}`);
    return ((await res.json()) as { users?: Record<string, boolean> }).users;
  };
  const stars = async (client: NpmClient, user?: string) => {
    const res = await client.run(["stars", ...(user ? [user] : [])]);
    expect(res.code, res.output).toBe(0);
    return res.stdout.trim().split("\n").filter(Boolean);
  };

  it("stars and unstars as the logged-in user; `npm stars` lists what a user starred", async () => {
    for (const [client, pkg] of [
      [alice, NAME],
      [bob, NAME],
      [alice, "@acme/other-skill"],
    ] as const) {
      const res = await client.run(["star", pkg]);
      expect(res.code, res.output).toBe(0);
      expect(res.stdout).toContain(pkg);
    }
    expect(await users()).toEqual({ alice: true, bob: true });
    expect(await stars(alice)).toEqual(["@acme/hello-skill", "@acme/other-skill"]);
    expect(await stars(alice, "bob")).toEqual([NAME]);
    const counts = (await (await fetch(`${server.url}/skills?sort=stars`)).json()) as {
      skills: { name: string; stars: number }[];
    };
    expect(counts.skills.map((s) => [s.name, s.stars])).toEqual([
      [NAME, 2],
      ["@acme/other-skill", 1],
    ]);

    const unstar = await alice.run(["unstar", NAME]);
    expect(unstar.code, unstar.output).toBe(0);
    expect(await users()).toEqual({ bob: true });
    expect(await stars(alice)).toEqual(["@acme/other-skill"]);
    // Starring twice changes nothing.
    expect((await bob.run(["star", NAME])).code).toBe(0);
    expect(await users()).toEqual({ bob: true });
  });

  it("needs a login to star, and says so", async () => {
    const anonymous = npmClient(server);
    const res = await anonymous.run(["star", NAME]);
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/ENEEDAUTH|E401/);
    expect(await users()).toEqual({ bob: true });
  });

  it("prints nothing for a user who starred nothing (or does not exist)", async () => {
    expect(await stars(alice, "nobody-at-all")).toEqual([]);
  });
});
