// The private-read matrix: a restricted skill of an org, read by every client. A member's token,
// configured the way each client documents it (npm, pnpm, yarn 1, yarn 4, bun, pacote, and
// `skild install` after `skild login`), installs it; an outsider's token and no token get exactly
// what a name that never existed gets; a read-only token reads but never publishes.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pacote from "pacote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, PASSWORD } from "../test/node/cli-helpers";
import {
  type ApiAccount,
  authKeyPrefix,
  BIN,
  clientEnv,
  createAccount,
  createOrg,
  createReadOnlyToken,
  makeProject,
  makeSkillPackage,
  makeYarn4Project,
  npmClient,
  parseNpmViewJson,
  type RegistryServer,
  type RunResult,
  readJson,
  registryUrl,
  run,
  seedSkill,
  setupRegistry,
  tempDir,
} from "./helpers";

const ORG = "acme-corp";
const SECRET = `@${ORG}/secret`;
const NEVER = `@${ORG}/never-was`;

type Reader = "member" | "readOnly" | "outsider" | "anonymous";

describe("private skills through every client", () => {
  let server: RegistryServer;
  let alice: ApiAccount; // owner
  let bob: ApiAccount; // developer (a member)
  let dave: ApiAccount; // not a member
  const tokens = {} as Record<Reader, string | undefined>;
  beforeAll(async () => {
    server = await setupRegistry();
    [alice, bob, dave] = await Promise.all(["alice", "bob", "dave"].map((h) => createAccount(server, h)));
    await createOrg(server, alice, ORG, { bob: "developer" });
    await seedSkill(server, alice, "secret", [{ version: "1.0.0" }, { version: "1.1.0" }], {
      scope: ORG,
      access: "restricted",
    });
    tokens.member = bob.token;
    tokens.readOnly = await createReadOnlyToken(server, bob);
    tokens.outsider = dave.token;
    tokens.anonymous = undefined;
  });
  afterAll(() => server?.stop());

  const installedVersion = (project: string) => {
    const file = path.join(project, "node_modules", SECRET, "package.json");
    return existsSync(file) ? readJson<{ version: string }>(file).version : undefined;
  };

  /** `.npmrc` for the scope, with the reader's token (npm, pnpm, yarn 1 and bun read it). */
  const npmrc = (token: string | undefined) =>
    [
      `registry=${registryUrl(server)}`,
      `@${ORG}:registry=${registryUrl(server)}`,
      ...(token ? [`${authKeyPrefix(server)}:_authToken=${token}`] : []),
      "",
    ].join("\n");

  /** Each client installing `name` as one reader into a fresh project: the result and the project. */
  const clients: Record<string, (name: string, token: string | undefined) => Promise<[RunResult, string]>> = {
    npm: async (name, token) => {
      const npm = npmClient(server, { token });
      const project = makeProject();
      return [await npm.run(["install", name], { cwd: project }), project];
    },
    pnpm: async (name, token) => {
      // pnpm 12's default minimumReleaseAge (a day) would hold back a skill published seconds ago.
      const project = makeProject({ ".npmrc": npmrc(token), "pnpm-workspace.yaml": "minimumReleaseAge: 0\n" });
      const store = tempDir("skild-pnpm-store-");
      const env = clientEnv(tempDir("skild-pnpm-home-"));
      return [await run(BIN.pnpm, ["add", name, "--store-dir", store], { cwd: project, env }), project];
    },
    "yarn 1": async (name, token) => {
      // yarn 1 reads the token from .npmrc and sends it for scoped packages without always-auth.
      const project = makeProject({
        ".npmrc": npmrc(token),
        ".yarnrc": `registry "${registryUrl(server)}"\ndisable-self-update-check true\n`,
      });
      const args = [BIN.yarn1, "add", name, "--cache-folder", tempDir("skild-yarn1-cache-"), "--non-interactive"];
      return [
        await run(process.execPath, args, { cwd: project, env: clientEnv(tempDir("skild-yarn1-home-")) }),
        project,
      ];
    },
    "yarn 4": async (name, token) => {
      const project = makeYarn4Project({
        registry: server.url,
        scope: ORG,
        cache: tempDir("skild-yarn4-cache-"),
        token,
      });
      return [
        await run(BIN.yarn4, ["add", name], { cwd: project, env: clientEnv(tempDir("skild-yarn4-home-")) }),
        project,
      ];
    },
    bun: async (name, token) => {
      const project = makeProject({ ".npmrc": npmrc(token) });
      const env = clientEnv(tempDir("skild-bun-home-"), { BUN_INSTALL_CACHE_DIR: tempDir("skild-bun-cache-") });
      return [await run(BIN.bun, ["add", name], { cwd: project, env }), project];
    },
  };

  describe.each(Object.keys(clients))("%s", (client) => {
    it("installs the private skill with a member's token, and with its read-only token", async () => {
      for (const reader of ["member", "readOnly"] as const) {
        const [res, project] = await clients[client](SECRET, tokens[reader]);
        expect(res.code, `${reader}: ${res.output}`).toBe(0);
        expect(installedVersion(project), reader).toBe("1.1.0");
        expect(readFileSync(path.join(project, "node_modules", SECRET, "SKILL.md"), "utf8")).toMatch(
          /^---\nname: secret/,
        );
      }
    });

    it("fails for an outsider and without a token exactly as for a name that never existed", async () => {
      for (const reader of ["outsider", "anonymous"] as const) {
        const [hidden, project] = await clients[client](SECRET, tokens[reader]);
        const [never] = await clients[client](NEVER, tokens[reader]);
        expect(hidden.code, `${reader}: ${hidden.output}`).not.toBe(0);
        expect(hidden.code, reader).toBe(never.code);
        expect(installedVersion(project), reader).toBeUndefined();
        // The same complaint, name aside: a 404, never a 401/403 that would confirm the name.
        const complaint = (res: RunResult, name: string) =>
          /E404|404|Not Found/i.exec(
            res.output.replaceAll(name, "NAME").replaceAll(encodeURIComponent(name), "NAME"),
          )?.[0];
        expect(complaint(hidden, SECRET), `${reader}: ${hidden.output}`).toBeDefined();
        expect(complaint(hidden, SECRET), reader).toBe(complaint(never, NEVER));
        expect(hidden.output, reader).not.toMatch(/E401|E403|\b401\b|\b403\b|forbidden|unauthori[sz]ed/i);
      }
    });
  });

  describe("pacote", () => {
    const opts = (token: string | undefined) => ({
      registry: registryUrl(server),
      [`@${ORG}:registry`]: registryUrl(server),
      ...(token ? { [`${authKeyPrefix(server)}:_authToken`]: token } : {}),
      cache: tempDir("skild-pacote-"),
    });

    it("reads the manifest and extracts the tarball with a member's or a read-only token", async () => {
      for (const reader of ["member", "readOnly"] as const) {
        const manifest = await pacote.manifest(`${SECRET}@^1.0.0`, opts(tokens[reader]));
        expect(manifest.version, reader).toBe("1.1.0");
        const dest = path.join(tempDir("skild-pacote-x-"), "pkg");
        const extracted = await pacote.extract(`${SECRET}@1.1.0`, dest, {
          ...opts(tokens[reader]),
          integrity: manifest._integrity,
        });
        expect(extracted.integrity, reader).toBe(manifest._integrity);
        expect(readFileSync(path.join(dest, "SKILL.md"), "utf8")).toMatch(/^---\nname: secret/);
      }
    });

    it("gets E404 for an outsider and without a token, as for a name that never existed", async () => {
      for (const reader of ["outsider", "anonymous"] as const) {
        for (const name of [SECRET, NEVER]) {
          await expect(pacote.manifest(name, opts(tokens[reader])), `${reader} ${name}`).rejects.toMatchObject({
            code: "E404",
            statusCode: 404,
          });
        }
        // The tarball by its URL too.
        const tarball = `${server.url}/${SECRET}/-/secret-1.1.0.tgz`;
        await expect(pacote.tarball(tarball, opts(tokens[reader])), reader).rejects.toMatchObject({ statusCode: 404 });
      }
    });
  });

  describe("skild install after skild login", () => {
    it("installs for a member, with a read-only token, and says 'not found or log in' to everyone else", async () => {
      const member = createSandbox(server.url);
      const outsider = createSandbox(server.url);
      const anonymous = createSandbox(server.url);
      try {
        await member.ok(["login", "--handle-or-email", "bob", "--password-stdin"], { input: `${PASSWORD}\n` });
        expect((await member.ok(["install", SECRET, "-t", "claude"])).stdout).toContain(`Installed ${SECRET}@1.1.0`);
        expect(existsSync(path.join(member.home, ".claude/skills/acme-corp__secret/SKILL.md"))).toBe(true);

        const readOnly = await anonymous.ok(["install", SECRET, "-t", "codex"], {
          env: { SKILD_TOKEN: tokens.readOnly },
        });
        expect(readOnly.stdout).toContain(`Installed ${SECRET}@1.1.0`);

        await outsider.ok(["login", "--handle-or-email", "dave", "--password-stdin"], { input: `${PASSWORD}\n` });
        for (const [cli, hint] of [
          [outsider, "or it is private and your account has no access to it."],
          [anonymous, `or it is private: if you have access, run \`skild login --registry ${server.url}\` first.`],
        ] as const) {
          const hidden = await cli.run(["install", SECRET, "-t", "cursor"]);
          const never = await cli.run(["install", NEVER, "-t", "cursor"]);
          expect(hidden.code).toBe(1);
          expect(hidden.stderr).toBe(`skild: ${SECRET} does not exist, ${hint}\n`);
          expect(hidden.stderr.replace(SECRET, "X")).toBe(never.stderr.replace(NEVER, "X"));
          expect(existsSync(path.join(cli.home, ".cursor/skills/acme-corp__secret"))).toBe(false);
        }
      } finally {
        for (const cli of [member, outsider, anonymous]) cli.cleanup();
      }
    });
  });

  it("a read-only token never writes: npm publish, dist-tag and access change are refused, nothing changes", async () => {
    const npm = npmClient(server, { token: tokens.readOnly });
    const dir = makeSkillPackage(SECRET, "1.2.0");
    const publish = await npm.run(["publish"], { cwd: dir });
    expect(publish.code).not.toBe(0);
    expect(publish.output).toMatch(/E403/);
    const tag = await npm.run(["dist-tag", "add", `${SECRET}@1.0.0`, "stable"]);
    expect(tag.code).not.toBe(0);
    expect(tag.output).toMatch(/E403/);
    const access = await npm.run(["access", "set", "status=public", SECRET]);
    expect(access.code).not.toBe(0);
    expect(access.output).toMatch(/E403/);
    // Still private, still 1.1.0 with one tag, as the member sees it.
    const view = await npmClient(server, { token: bob.token }).run(["view", SECRET, "dist-tags", "--json"]);
    expect(parseNpmViewJson(view.stdout, "dist-tags")).toEqual({ latest: "1.1.0" });
    expect((await fetch(`${server.url}/${SECRET.replace("/", "%2f")}`)).status).toBe(404);
  });
});
