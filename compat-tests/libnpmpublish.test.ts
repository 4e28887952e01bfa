// libnpmpublish (what npm publish/unpublish use) driven directly.
import { publish, unpublish } from "libnpmpublish";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skillTarball } from "../test/helpers/tarball";
import {
  type ApiAccount,
  authKeyPrefix,
  createAccount,
  type RegistryServer,
  registryUrl,
  setupRegistry,
  tempDir,
} from "./helpers";

const NAME = "@acme/lib-skill";

describe("libnpmpublish", () => {
  let server: RegistryServer;
  let account: ApiAccount;
  let opts: Record<string, string>;
  beforeAll(async () => {
    server = await setupRegistry();
    account = await createAccount(server, "acme");
    opts = {
      registry: registryUrl(server),
      "@acme:registry": registryUrl(server),
      [`${authKeyPrefix(server)}:_authToken`]: account.token,
      cache: tempDir("skild-libnpm-"),
    };
  });
  afterAll(() => server?.stop());

  type Doc = { "dist-tags": Record<string, string>; versions: Record<string, { dist: { integrity: string } }> };
  const packument = async () => {
    const res = await fetch(`${server.url}/@acme%2flib-skill`);
    return { status: res.status, doc: res.status === 200 ? ((await res.json()) as Doc) : undefined };
  };

  /** The manifest and tarball npm would send (the tarball laid out like `npm pack`'s). */
  async function packed(version: string) {
    const description = `Version ${version}`;
    const tarball = Buffer.from(await skillTarball({ name: NAME, version, description }));
    return { manifest: { name: NAME, version, description }, tarball };
  }

  async function publishVersion(version: string, extra: Record<string, unknown> = {}) {
    const { manifest, tarball } = await packed(version);
    await publish(manifest as never, tarball, { ...opts, ...extra });
    return tarball;
  }

  it("publishes versions (with a tag) whose integrity is the tarball's", async () => {
    const tarball = await publishVersion("1.0.0");
    await publishVersion("1.1.0");
    await publishVersion("2.0.0-rc.1", { defaultTag: "next" });
    const { doc } = await packument();
    expect(doc!["dist-tags"]).toEqual({ latest: "1.1.0", next: "2.0.0-rc.1" });
    expect(doc!.versions["1.0.0"].dist.integrity).toBe(ssri.fromData(tarball, { algorithms: ["sha512"] }).toString());
  });

  it("refuses a republish with E409", async () => {
    await expect(publishVersion("1.1.0")).rejects.toMatchObject({ code: "E409" });
  });

  it("refuses a publish without a token with E401", async () => {
    const { manifest, tarball } = await packed("3.0.0");
    const anonymous = { registry: registryUrl(server), "@acme:registry": registryUrl(server), cache: opts.cache };
    await expect(publish(manifest as never, tarball, anonymous)).rejects.toMatchObject({ code: "E401" });
  });

  it("unpublishes one version, then the whole package", async () => {
    await unpublish(`${NAME}@1.1.0`, opts);
    const after = await packument();
    expect(Object.keys(after.doc!.versions)).toEqual(["1.0.0", "2.0.0-rc.1"]);
    expect(after.doc!["dist-tags"]).toEqual({ latest: "1.0.0", next: "2.0.0-rc.1" });
    await expect(publishVersion("1.1.0")).rejects.toMatchObject({ code: "E409" });

    await unpublish(NAME, opts);
    expect((await packument()).status).toBe(404);
  });
});
