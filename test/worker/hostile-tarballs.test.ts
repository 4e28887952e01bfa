import { describe, expect, it } from "vitest";
import {
  HOSTILE_TARBALLS,
  type HostilePublishPath,
  type PackageId,
  runHostileTarball,
  validTarball,
} from "../helpers/hostile-tarballs";
import { type Account, call, createAccount, storeCounts } from "./helpers";

// Every hostile tarball through POST /skills/:scope/:skill/publish, at the registry's default limits.
let account: Account;
const SKILL = "hostile-skill";
const pkgFor = (index: number): PackageId => ({ name: `@${account.handle}/${SKILL}`, version: `1.0.${index}` });

const skillsPublish: HostilePublishPath = {
  publishBytes: (bytes) =>
    call(`/skills/${account.handle}/${SKILL}/publish`, {
      method: "POST",
      headers: { ...account.auth, "Content-Type": "application/gzip" },
      body: bytes,
    }),
  storeCounts,
};

describe("hostile tarballs via POST /skills/.../publish", () => {
  it("control: a valid package with a README and a folder publishes (201)", async () => {
    account = await createAccount();
    const pkg = { name: `@${account.handle}/control-skill`, version: "1.0.0" };
    const res = await call(`/skills/${account.handle}/control-skill/publish`, {
      method: "POST",
      headers: { ...account.auth, "Content-Type": "application/gzip" },
      body: await validTarball(pkg),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await res.json<{ version: string }>()).version).toBe("1.0.0");
  });

  it.each(HOSTILE_TARBALLS.map((hostile, index) => [hostile.name, hostile, index] as const))(
    "%s → refused, nothing stored",
    async (_name, hostile, index) => {
      await runHostileTarball(hostile, pkgFor(index), skillsPublish);
    },
    60_000,
  );
});
