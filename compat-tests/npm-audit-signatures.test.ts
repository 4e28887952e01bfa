// Stock `npm audit signatures` (npm 11, and npm 12 on Node 24) and `pnpm audit signatures` verify
// the registry's signatures of skills installed from it, and report an invalid one when what the
// registry serves was tampered with. Offline, npm asks Sigstore's TUF repository first: the test-only
// --require module fixtures/offline-sigstore-tuf.cjs makes that answer "target not found", as it does
// for any registry Sigstore has no keys for, and npm falls back to /-/npm/v1/keys.
import { verify } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { node24 } from "../scripts/node-runtime.mjs";
import { startRegistry } from "../test/helpers/registry-server";
import { TEST_SIGNING_KEY } from "../test/helpers/signing-keys.mjs";
import { type FakeRegistry, startFakeRegistry } from "../test/node/cli-helpers";
import {
  BIN,
  clientEnv,
  createAccount,
  makeProject,
  type NpmClient,
  npmClient,
  npmrcFor,
  type RegistryServer,
  registryUrl,
  removeTempDirs,
  run,
  seedSkill,
  tempDir,
} from "./helpers";

const OFFLINE_TUF = path.join(import.meta.dirname, "fixtures", "offline-sigstore-tuf.cjs");

/** npm with the offline TUF replacement preloaded. */
function auditingNpm(server: Pick<RegistryServer, "url">): NpmClient {
  const npm = npmClient(server as RegistryServer);
  npm.env.NODE_OPTIONS = `--require ${OFFLINE_TUF}`;
  return npm;
}

describe("npm audit signatures", () => {
  let server: RegistryServer;
  let tampering: FakeRegistry;
  let project: string;
  beforeAll(async () => {
    server = await startRegistry({ secrets: { REGISTRY_SIGNING_KEY: TEST_SIGNING_KEY } });
    const account = await createAccount(server, "acme");
    await seedSkill(server, account, "hello-skill", [{ version: "1.0.0" }]);
    await seedSkill(server, account, "pdf-tools", [{ version: "0.1.0" }]);
    // The same registry behind a proxy that damages one byte of @acme/hello-skill's signatures.
    tampering = await startFakeRegistry(server.url, async (req, forward, self) => {
      if (req.method !== "GET" || !/^\/@acme(%2f|\/)hello-skill$/i.test(req.path)) return undefined;
      const upstream = await forward();
      const doc = JSON.parse(new TextDecoder().decode(upstream.body)) as {
        versions: Record<string, { dist: { signatures?: { keyid: string; sig: string }[] } }>;
      };
      for (const version of Object.values(doc.versions)) {
        for (const signature of version.dist.signatures ?? []) {
          const der = Buffer.from(signature.sig, "base64");
          der[10] ^= 0x01;
          signature.sig = der.toString("base64");
        }
      }
      return { status: upstream.status, body: JSON.stringify(doc).replaceAll(server.url, self) };
    });
    project = makeProject();
    const install = await auditingNpm(server).run(["install", "@acme/hello-skill", "@acme/pdf-tools"], {
      cwd: project,
    });
    expect(install.code, install.output).toBe(0);
  });
  afterAll(async () => {
    await tampering?.stop();
    await server?.stop();
    removeTempDirs();
  });

  it("every version's signature in both packument forms and the skild document verifies with Node's crypto", async () => {
    const { keys } = (await (await fetch(`${server.url}/-/npm/v1/keys`)).json()) as {
      keys: { keyid: string; key: string }[];
    };
    const pem = (key: string) => `-----BEGIN PUBLIC KEY-----\n${key}\n-----END PUBLIC KEY-----`;
    let checked = 0;
    for (const name of ["@acme/hello-skill", "@acme/pdf-tools"]) {
      for (const accept of ["application/json", "application/vnd.npm.install-v1+json"]) {
        const res = await fetch(`${server.url}/${name.replace("/", "%2f")}`, { headers: { Accept: accept } });
        const doc = (await res.json()) as {
          versions: Record<string, { dist: { integrity: string; signatures: { keyid: string; sig: string }[] } }>;
        };
        for (const [version, { dist }] of Object.entries(doc.versions)) {
          expect(dist.signatures).toHaveLength(1);
          const [{ keyid, sig }] = dist.signatures;
          const key = keys.find((k) => k.keyid === keyid);
          expect(key, `${name}@${version} keyid ${keyid}`).toBeDefined();
          const message = Buffer.from(`${name}@${version}:${dist.integrity}`);
          expect(verify("sha256", message, pem(key!.key), Buffer.from(sig, "base64"))).toBe(true);
          expect(
            verify("sha256", Buffer.from(`${name}@${version}:sha512-x`), pem(key!.key), Buffer.from(sig, "base64")),
          ).toBe(false);
          checked += 1;
        }
      }
      const skild = (await (await fetch(`${server.url}/skills/${name.slice(1)}/versions/latest`)).json()) as {
        version: string;
        integrity: string;
        signatures: { keyid: string; sig: string }[];
      };
      const key = keys.find((k) => k.keyid === skild.signatures[0].keyid)!;
      const message = Buffer.from(`${name}@${skild.version}:${skild.integrity}`);
      expect(verify("sha256", message, pem(key.key), Buffer.from(skild.signatures[0].sig, "base64"))).toBe(true);
    }
    expect(checked).toBe(4);
  });

  it("npm 11 reports verified registry signatures for skills installed from here", async () => {
    const res = await auditingNpm(server).run(["audit", "signatures"], { cwd: project });
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/audited 2 packages/);
    expect(res.output).toMatch(/2 packages have verified registry signatures/);
    expect(res.output).not.toMatch(/invalid|missing/);
  });

  it("npm 11 reports an invalid signature when the served signature was tampered with", async () => {
    const res = await auditingNpm(tampering).run(["audit", "signatures"], { cwd: project });
    expect(res.code, res.output).toBe(1);
    expect(res.output).toMatch(/1 package has an invalid registry signature/);
    expect(res.output).toMatch(/@acme\/hello-skill@1\.0\.0/);
    expect(res.output).toMatch(/Someone might have tampered with this package/);
  });

  it("npm 11 --json lists nothing invalid or missing", async () => {
    const res = await auditingNpm(server).run(["audit", "signatures", "--json"], { cwd: project });
    expect(res.code, res.output).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ invalid: [], missing: [] });
  });

  it("npm 12 on Node 24 verifies them too, and catches the tampered one", async () => {
    const { node, npmCli } = node24();
    for (const [target, code] of [
      [server, 0],
      [tampering, 1],
    ] as const) {
      const npm = auditingNpm(target);
      const res = await run(node, [npmCli, "audit", "signatures", "--userconfig", npm.userconfig], {
        cwd: project,
        env: npm.env,
      });
      expect(res.code, res.output).toBe(code);
      expect(res.output).toMatch(
        code === 0 ? /2 packages have verified registry signatures/ : /invalid registry signature/,
      );
    }
  });

  it("pnpm audit signatures verifies them, and catches the tampered one", async () => {
    const home = tempDir("skild-pnpm-home-");
    const store = tempDir("skild-pnpm-store-");
    const pnpmProject = makeProject({
      ".npmrc": `registry=${registryUrl(server)}\n${npmrcFor(server)}`,
      "pnpm-workspace.yaml": "minimumReleaseAge: 0\n",
    });
    const pnpm = (args: string[]) =>
      run(BIN.pnpm, [...args, "--store-dir", store], { cwd: pnpmProject, env: clientEnv(home) });
    const add = await pnpm(["add", "@acme/hello-skill", "@acme/pdf-tools"]);
    expect(add.code, add.output).toBe(0);
    const verified = await pnpm(["audit", "signatures"]);
    expect(verified.code, verified.output).toBe(0);
    expect(verified.output).toMatch(/2 packages have verified registry signatures/);
    expect(verified.output).not.toMatch(/invalid/i);

    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      path.join(pnpmProject, ".npmrc"),
      `registry=${registryUrl(tampering as unknown as RegistryServer)}\n${npmrcFor(tampering as unknown as RegistryServer)}`,
    );
    const tampered = await pnpm(["audit", "signatures"]);
    expect(tampered.code, tampered.output).not.toBe(0);
    expect(tampered.output).toMatch(/1 package has an invalid registry signature/);
    expect(tampered.output).toMatch(/@acme\/hello-skill@1\.0\.0 has an invalid registry signature/);
  });
});
