// Provenance: the `.sigstore` attachment of `npm publish --provenance` is checked against the
// tarball, stored, and served as `dist.attestations` and at /-/npm/v1/attestations/<name>@<version>.

import { env } from "cloudflare:test";
import { Buffer } from "node:buffer";
import ssri from "ssri";
import { describe, expect, it } from "vitest";
import { provenanceAttachment, provenanceBundle } from "../helpers/provenance-bundle";
import { skillTarball } from "../helpers/tarball";
import { type Account, call, createAccount, expectRefused, json, postJson, storeCounts, uniqueHandle } from "./helpers";
import { escaped, npmPublishBody, type PackumentDoc, putJson } from "./npm-helpers";

/** libnpmpublish's body for `npm publish --provenance`, with `bundle` as the `.sigstore` attachment. */
async function publishWithProvenance(
  account: Account,
  opts: { version?: string; bundle?: (target: { name: string; version: string; integrity: string }) => unknown } = {},
) {
  const name = `@${account.handle}/hello-skill`;
  const version = opts.version ?? "1.0.0";
  const tarball = await skillTarball({ name, version });
  const integrity = ssri.fromData(tarball, { algorithms: ["sha512"] }).toString();
  const body = await npmPublishBody(name, { version, tarball });
  const target = { name, version, integrity };
  const bundle = opts.bundle ? opts.bundle(target) : provenanceBundle(target);
  (body._attachments as Record<string, unknown>)[`${name}-${version}.sigstore`] = provenanceAttachment(bundle);
  return { res: await putJson(`/${escaped(name)}`, body, account.auth), name, bundle, integrity };
}

const bundleCount = async () =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM provenance_bundles").first<{ n: number }>())!.n;

describe("provenance", () => {
  it("round-trips: stored at publish, dist.attestations in the packument, the bundle at the attestations URL", async () => {
    const account = await createAccount();
    const { res, name, bundle } = await publishWithProvenance(account);
    expect(res.status).toBe(201);

    const doc = await json<PackumentDoc>(await call(`/${escaped(name)}`));
    const { attestations } = doc.versions["1.0.0"].dist;
    expect(attestations).toEqual({
      url: `http://registry.test/-/npm/v1/attestations/${name}@1.0.0`,
      provenance: { predicateType: "https://slsa.dev/provenance/v1" },
    });
    const served = await call(new URL(attestations!.url).pathname);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({
      attestations: [{ predicateType: "https://slsa.dev/provenance/v1", bundle }],
    });
    // Also under the percent-encoded spelling npm clients may send.
    const encoded = await call(`/-/npm/v1/attestations/${encodeURIComponent(`${name}@1.0.0`)}`);
    expect(encoded.status).toBe(200);

    const skild = await json<{ provenance: Record<string, unknown> }>(
      await call(`/skills/${account.handle}/hello-skill/versions/1.0.0`),
    );
    expect(skild.provenance).toMatchObject({
      predicateType: "https://slsa.dev/provenance/v1",
      repository: "https://github.com/acme/skills",
      workflow: ".github/workflows/publish.yml",
      verified: false,
    });
  });

  it("the skill page shows the claimed source repository and workflow, never as verified", async () => {
    const account = await createAccount();
    const { res, name } = await publishWithProvenance(account, {
      bundle: (t) =>
        provenanceBundle({
          ...t,
          repository: "https://github.com/acme/<b>skills</b>",
          workflowPath: ".github/workflows/ship.yml",
        }),
    });
    expect(res.status).toBe(201);
    const page = await (await call(`/package/${name}`)).text();
    expect(page).toContain("Claimed by the publisher&#39;s provenance");
    expect(page).toContain(".github/workflows/ship.yml");
    expect(page).toContain("https://github.com/acme/&lt;b&gt;skills&lt;/b&gt;");
    expect(page).not.toContain("<b>skills</b>");
    expect(page).not.toMatch(/>\s*verified/i);
  });

  it("refuses a .sigstore attachment whose length does not match its data, storing nothing", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    const tarball = await skillTarball({ name, version: "1.0.0" });
    const integrity = ssri.fromData(tarball, { algorithms: ["sha512"] }).toString();
    const body = await npmPublishBody(name, { tarball });
    const attachment = provenanceAttachment(provenanceBundle({ name, version: "1.0.0", integrity }));
    (body._attachments as Record<string, unknown>)[`${name}-1.0.0.sigstore`] = {
      ...attachment,
      length: attachment.length - 1,
    };
    const before = await storeCounts();
    await expectRefused(await putJson(`/${escaped(name)}`, body, account.auth), 400, "LENGTH_MISMATCH");
    expect(await storeCounts()).toEqual(before);
  });

  it("a restricted skill's attestations do not exist for outsiders, and are private for members", async () => {
    const owner = await createAccount();
    const outsider = await createAccount();
    const org = uniqueHandle("org");
    expect((await postJson("/orgs", { name: org }, owner.auth)).status).toBe(201);
    const name = `@${org}/secret-skill`;
    const tarball = await skillTarball({ name, version: "1.0.0" });
    const integrity = ssri.fromData(tarball, { algorithms: ["sha512"] }).toString();
    const body = { ...(await npmPublishBody(name, { tarball })), access: "restricted" };
    (body._attachments as Record<string, unknown>)[`${name}-1.0.0.sigstore`] = provenanceAttachment(
      provenanceBundle({ name, version: "1.0.0", integrity }),
    );
    expect((await putJson(`/${escaped(name)}`, body, owner.auth)).status).toBe(201);

    const path = `/-/npm/v1/attestations/${name}@1.0.0`;
    const never = `/-/npm/v1/attestations/@${org}/never-was@1.0.0`;
    for (const headers of [{}, outsider.auth]) {
      const [secret, missing] = [await call(path, { headers }), await call(never, { headers })];
      expect(secret.status).toBe(404);
      expect(await secret.text()).toBe(await missing.text());
    }
    const member = await call(path, { headers: owner.auth });
    expect(member.status).toBe(200);
    expect(member.headers.get("Cache-Control")).toMatch(/^private/);
  });

  it("serves no attestations for a version published without provenance", async () => {
    const account = await createAccount();
    const name = `@${account.handle}/hello-skill`;
    expect((await putJson(`/${escaped(name)}`, await npmPublishBody(name), account.auth)).status).toBe(201);
    const doc = await json<PackumentDoc>(await call(`/${escaped(name)}`));
    expect(doc.versions["1.0.0"].dist).not.toHaveProperty("attestations");
    expect((await call(`/-/npm/v1/attestations/${name}@1.0.0`)).status).toBe(404);
    expect((await call(`/-/npm/v1/attestations/@nobody-here/x-y@1.0.0`)).status).toBe(404);
  });

  const bad: [string, number, (t: { name: string; version: string; integrity: string }) => unknown][] = [
    ["a bundle that is not JSON", 400, () => "{not json"],
    ["a bundle that is not a Sigstore bundle", 400, (t) => ({ ...provenanceBundle(t), mediaType: "text/plain" })],
    [
      "a DSSE payload that is not base64 JSON",
      400,
      (t) => {
        const b = provenanceBundle(t) as { dsseEnvelope: Record<string, unknown> };
        return { ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: "!!!" } };
      },
    ],
    [
      "a payload that is not an in-toto statement",
      400,
      (t) => provenanceBundle({ ...t, statement: (s) => ({ ...s, _type: "https://example.com/not-in-toto" }) }),
    ],
    ["a bundle for another package", 400, (t) => provenanceBundle({ ...t, name: `${t.name}-other` })],
    ["a bundle for another version", 400, (t) => provenanceBundle({ ...t, version: "9.9.9" })],
    [
      "a bundle whose digest is another tarball's",
      400,
      (t) => provenanceBundle({ ...t, integrity: ssri.fromData(Buffer.from("other bytes")).toString() }),
    ],
    [
      "a statement with two subjects",
      400,
      (t) =>
        provenanceBundle({
          ...t,
          statement: (s) => ({ ...s, subject: [...(s.subject as unknown[]), ...(s.subject as unknown[])] }),
        }),
    ],
    [
      "a deeply nested bundle",
      400,
      (t) => ({ ...provenanceBundle(t), extra: JSON.parse(`${"[".repeat(5000)}${"]".repeat(5000)}`) }),
    ],
    [
      "a deeply nested statement",
      400,
      (t) =>
        provenanceBundle({
          ...t,
          statement: (s) => ({ ...s, predicate: JSON.parse(`${"[".repeat(200)}${"]".repeat(200)}`) }),
        }),
    ],
    ["an oversized bundle", 413, (t) => ({ ...provenanceBundle(t), padding: "x".repeat(200 * 1024) })],
  ];
  for (const [what, status, makeBundle] of bad) {
    it(`refuses ${what} with ${status} and stores nothing`, async () => {
      const account = await createAccount();
      const before = await storeCounts();
      const bundles = await bundleCount();
      const { res } = await publishWithProvenance(account, { bundle: makeBundle });
      const body = await expectRefused(res, status);
      expect(body.error).toMatch(/provenance/i);
      expect(await storeCounts()).toEqual({ ...before, skills: before.skills });
      expect(await bundleCount()).toBe(bundles);
      expect((await call(`/${escaped(`@${account.handle}/hello-skill`)}`)).status).toBe(404);
    });
  }
});
