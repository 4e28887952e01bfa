import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RegistryServer, startRegistry } from "../helpers/registry-server";
import { type CliSandbox, createPublisher, createSandbox, PASSWORD, readJsonFile } from "./cli-helpers";

type AuthFile = { current?: string; registries: Record<string, { token: string; handle: string }> };

describe("skild signup / login / whoami / logout", () => {
  let server: RegistryServer;
  let cli: CliSandbox;
  const authFile = () => path.join(cli.skildHome, "registry-auth.json");
  beforeAll(async () => {
    server = await startRegistry();
    cli = createSandbox(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    cli?.cleanup();
  });

  it("asks for nothing when stdin is not a terminal: a missing flag is a usage error", async () => {
    const { code, stderr } = await cli.run(["signup", "--handle", "acme", "--password", PASSWORD]);
    expect(code).toBe(2);
    expect(stderr).toBe("skild: Missing --email (stdin is not a terminal, so skild cannot ask for it).\n");
  });

  it("passes the registry's validation message through", async () => {
    const { code, stderr } = await cli.run(
      ["signup", "--email", "x@example.com", "--handle", "A!", "--password-stdin"],
      {
        input: PASSWORD,
      },
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/^skild: handle: a handle must be 2-32 characters.*\n$/);
  });

  it("signs up and logs in with --password-stdin, saving the token with mode 0600", async () => {
    await createPublisher(cli, "acme");
    expect(statSync(authFile()).mode & 0o777).toBe(0o600);
    expect(statSync(cli.skildHome).mode & 0o777).toBe(0o700);
    const saved = readJsonFile<AuthFile>(authFile());
    expect(saved.current).toBe(server.url);
    expect(saved.registries[server.url]).toMatchObject({ handle: "acme" });
    expect((await cli.ok(["whoami"])).stdout).toBe("acme\n");
    expect(await cli.json(["whoami"])).toMatchObject({
      handle: "acme",
      email: "acme@example.com",
      registry: server.url,
    });
  });

  it("refuses a taken handle and a wrong password with the registry's message", async () => {
    const taken = await cli.run(["signup", "--email", "other@example.com", "--handle", "acme", "--password", PASSWORD]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe("skild: That handle or email is already registered.\n");
    const wrong = await cli.run(["login", "--handle-or-email", "acme", "--password", "not the password"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("skild: Wrong handle/email or password.\n");
  });

  it("picks the registry: --registry > SKILD_REGISTRY_URL > saved login > default", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    // The saved login (no flag, no env).
    expect((await cli.ok(["whoami"], { env: { SKILD_REGISTRY_URL: undefined } })).stdout).toBe("acme\n");
    // The environment beats the saved login.
    const viaEnv = await cli.run(["whoami"], { env: { SKILD_REGISTRY_URL: dead } });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain(`Not logged in to ${dead}`);
    // The flag beats the environment.
    const viaFlag = await cli.run(["whoami", "--registry", server.url], { env: { SKILD_REGISTRY_URL: dead } });
    expect(viaFlag.stdout).toBe("acme\n");
    // A trailing slash is the same registry.
    expect((await cli.ok(["whoami", "--registry", `${server.url}/`])).stdout).toBe("acme\n");
    // SKILD_TOKEN stands in for the saved token.
    const token = readJsonFile<AuthFile>(authFile()).registries[server.url].token;
    const other = createSandbox(server.url);
    try {
      expect((await other.ok(["whoami"], { env: { SKILD_TOKEN: token } })).stdout).toBe("acme\n");
      // Nothing saved and nothing set: the default registry, and a clear "not logged in".
      const fresh = await other.run(["whoami"], { env: { SKILD_REGISTRY_URL: undefined } });
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toBe(
        "skild: Not logged in to http://127.0.0.1:18787. Run `skild login --registry http://127.0.0.1:18787` first.\n",
      );
    } finally {
      other.cleanup();
    }
  });

  it("logout revokes the token on the server, then forgets it", async () => {
    const token = readJsonFile<AuthFile>(authFile()).registries[server.url].token;
    const me = () => fetch(`${server.url}/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await me()).status).toBe(200);

    const out = await cli.ok(["logout"]);
    expect(out.stdout).toContain("the token is revoked");
    expect((await me()).status).toBe(401);
    expect(readJsonFile<AuthFile>(authFile()).registries[server.url]).toBeUndefined();

    const whoami = await cli.run(["whoami"]);
    expect(whoami.code).toBe(1);
    expect(whoami.stderr).toContain(`Not logged in to ${server.url}`);
    expect((await cli.ok(["logout"])).stdout).toContain("nothing to do");
  });

  it("logout keeps the token when the registry cannot be reached, so it is never valid but forgotten", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const other = createSandbox(dead);
    try {
      mkdirSync(other.skildHome, { recursive: true });
      const file = path.join(other.skildHome, "registry-auth.json");
      writeFileSync(
        file,
        JSON.stringify({ registries: { [dead]: { token: "skild_x", handle: "acme", savedAt: "" } } }),
      );
      const { code, stderr } = await other.run(["logout"]);
      expect(code).toBe(1);
      expect(stderr).toContain(`Cannot reach the registry at ${dead}`);
      expect(readJsonFile<AuthFile>(file).registries[dead]).toMatchObject({ token: "skild_x" });
    } finally {
      other.cleanup();
    }
  });

  it("a token revoked elsewhere gets the registry's message and how to fix it", async () => {
    await cli.ok(["login", "--handle-or-email", "acme@example.com", "--password-stdin"], { input: PASSWORD });
    const token = readJsonFile<AuthFile>(authFile()).registries[server.url].token;
    await fetch(`${server.url}/auth/logout`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    const { code, stderr } = await cli.run(["whoami"]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `skild: This token is invalid or has been revoked; log in again. (run \`skild login --registry ${server.url}\`)\n`,
    );
    // logout still cleans up a token the server already refuses.
    await cli.ok(["logout"]);
    expect(existsSync(authFile())).toBe(true);
    expect(readJsonFile<AuthFile>(authFile()).registries).toEqual({});
  });
});
