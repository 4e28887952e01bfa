// npm 11 accounts against the registry: adduser/login (legacy flow after web login is declined),
// whoami, token list/create/revoke, logout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, NPM_MAJOR, type NpmClient, npmClient, type RegistryServer, setupRegistry } from "./helpers";

const PASSWORD = "correct horse battery";

describe("npm auth commands", () => {
  let server: RegistryServer;
  beforeAll(async () => {
    server = await setupRegistry();
  });
  afterAll(() => server?.stop());

  const whoami = async (token: string) =>
    (await fetch(`${server.url}/-/whoami`, { headers: { Authorization: `Bearer ${token}` } })).status;

  let npm: NpmClient;
  it("npm adduser creates the account and saves a token; whoami names it", async () => {
    npm = npmClient(server);
    if (NPM_MAJOR >= 12) {
      // npm 12 removed `npm adduser` (npm/cli#9036): accounts are made on the registry's side
      // (here its API), and `npm login` is how npm gets a token.
      const gone = await npm.run(["adduser"]);
      expect(gone.code).not.toBe(0);
      expect(gone.output).toMatch(/Unknown command: "adduser"/);
      await createAccount(server, "acme");
    }
    const added = await npm.run([NPM_MAJOR >= 12 ? "login" : "adduser"], {
      prompts: [
        [/Username:/, "acme"],
        [/Password:/, PASSWORD],
        [/Email/, "acme@example.com"],
      ],
    });
    expect(added.code, added.output).toBe(0);
    expect(added.output).toMatch(/Logged in on/);
    expect(npm.token()).toMatch(/^skild_/);
    const me = await npm.run(["whoami"]);
    expect(me.code, me.output).toBe(0);
    expect(me.stdout.trim()).toBe("acme");
  });

  it("npm login (legacy flow) on a second machine logs in to the same account", async () => {
    const other = npmClient(server);
    const login = await other.run(["login"], {
      prompts: [
        [/Username:/, "acme"],
        [/Password:/, PASSWORD],
      ],
    });
    expect(login.code, login.output).toBe(0);
    expect(other.token()).toMatch(/^skild_/);
    expect(other.token()).not.toBe(npm.token());
    expect((await other.run(["whoami"])).stdout.trim()).toBe("acme");
  });

  it("npm login with a wrong password fails with E401 and saves nothing", async () => {
    const other = npmClient(server);
    const login = await other.run(["login"], {
      prompts: [
        [/Username:/, "acme"],
        [/Password:/, "not the password"],
      ],
    });
    expect(login.code).not.toBe(0);
    expect(login.output).toMatch(/E401/);
    expect(other.token()).toBeUndefined();
  });

  it("npm whoami without a token asks to log in", async () => {
    const anonymous = npmClient(server);
    const me = await anonymous.run(["whoami"]);
    expect(me.code).not.toBe(0);
    expect(me.output).toMatch(/ENEEDAUTH|E401/);
  });

  it("npm token create/list/revoke", async () => {
    const created = await npm.run(["token", "create", "--password", PASSWORD, "--json"]);
    expect(created.code, created.output).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    expect(token).toMatch(/^skild_/);
    expect(await whoami(token)).toBe(200);

    const listed = await npm.run(["token", "list", "--json"]);
    expect(listed.code, listed.output).toBe(0);
    const tokens = JSON.parse(listed.stdout) as { id: string; token: string; key: string }[];
    expect(tokens.length).toBeGreaterThanOrEqual(3); // adduser, login, create
    const mine = tokens.find((t) => token.startsWith(t.token));
    expect(mine).toBeDefined();
    // The list shows prefixes only, never a usable token.
    for (const t of tokens) expect(t.token.length).toBeLessThan(token.length);

    const revoked = await npm.run(["token", "revoke", mine!.id]);
    expect(revoked.code, revoked.output).toBe(0);
    expect(revoked.stdout).toMatch(/Removed 1 token/);
    expect(await whoami(token)).toBe(401);

    const wrong = await npm.run(["token", "create", "--password", "not the password"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/E403/);
  });

  it("npm logout revokes the token: it is refused afterwards", async () => {
    const token = npm.token()!;
    expect(await whoami(token)).toBe(200);
    const out = await npm.run(["logout"]);
    expect(out.code, out.output).toBe(0);
    expect(npm.token()).toBeUndefined();
    expect(await whoami(token)).toBe(401);
    const stale = npmClient(server, { token });
    const me = await stale.run(["whoami"]);
    expect(me.code).not.toBe(0);
    expect(me.output).toMatch(/E401/);
  });
});
