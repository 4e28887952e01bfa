import { beforeAll, describe, expect, it } from "vitest";
import { skillTarball } from "../helpers/tarball";
import {
  type Account,
  call,
  createAccount,
  endlessBody,
  expectRefused,
  postJson,
  publish,
  storeCounts,
} from "./helpers";

// Hostile HTTP requests against the skild API: bodies, content types, sizes, names, URL tricks and
// methods. Every answer is a 4xx `{error, code}` JSON (never a 500, never a success), and nothing is stored.

const MIB = 1024 * 1024;

let owner: Account;
let stranger: Account;
beforeAll(async () => {
  owner = await createAccount();
  stranger = await createAccount();
  expect((await publish(owner, { skill: "known-skill", version: "1.0.0" })).status).toBe(201);
});

describe("malformed JSON and wrong content types", () => {
  it.each([
    ["truncated object", "{"],
    ["empty body", ""],
    ["trailing garbage", '{"handle":"abc"} trailing'],
    ["single quotes", "{'handle':'abc'}"],
    ["NUL byte", "\u0000"],
  ])("/auth/signup and /auth/login refuse %s with 400 INVALID_JSON", async (_what, body) => {
    for (const path of ["/auth/signup", "/auth/login"]) {
      const res = await call(path, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      await expectRefused(res, 400, "INVALID_JSON");
    }
  });

  it.each([
    ["an array", []],
    ["null", null],
    ["a string", "admin"],
    ["operator objects instead of strings", { handleOrEmail: { $ne: null }, password: { $gt: "" } }],
    ["numbers instead of strings", { handleOrEmail: 1, password: 2 }],
  ])("/auth/login refuses %s with 400 INVALID_INPUT", async (_what, body) => {
    await expectRefused(await postJson("/auth/login", body), 400, "INVALID_INPUT");
  });

  it("ignores __proto__ in a JSON body (no prototype pollution)", async () => {
    const res = await call("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"__proto__":{"polluted":true},"handleOrEmail":"nobody-here","password":"whatever1"}',
    });
    await expectRefused(res, 401, "BAD_CREDENTIALS");
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ["text/plain"],
    ["application/x-www-form-urlencoded"],
    ["multipart/form-data; boundary=x"],
    ["application/jsonp"],
    [""],
  ])("/auth/signup refuses Content-Type %j with 415", async (type) => {
    const res = await call("/auth/signup", {
      method: "POST",
      headers: type ? { "Content-Type": type } : {},
      body: JSON.stringify({ email: "a@example.com", handle: "someone", password: "long enough" }),
    });
    await expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it.each([["application/json"], ["text/plain"], ["multipart/form-data; boundary=x"], [""]])(
    "publish refuses Content-Type %j with 415 and stores nothing",
    async (type) => {
      const before = await storeCounts();
      const res = await call(`/skills/${owner.handle}/typed-skill/publish`, {
        method: "POST",
        headers: { ...owner.auth, ...(type ? { "Content-Type": type } : {}) },
        body: await skillTarball({ name: `@${owner.handle}/typed-skill` }),
      });
      await expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
      expect(await storeCounts()).toEqual(before);
    },
  );
});

describe("oversized bodies", () => {
  it("a publish declaring more than 10 MiB is refused with 413 before the body is read", async () => {
    const { stream, meter } = endlessBody();
    const res = await call(`/skills/${owner.handle}/big-skill/publish`, {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/gzip", "Content-Length": String(64 * MIB) },
      body: stream,
    });
    await expectRefused(res, 413, "TOO_LARGE");
    expect(meter.pulled).toBeLessThan(MIB);
  });

  it("a publish streamed without Content-Length is cut off at 10 MiB with 413, not buffered to the end", async () => {
    const before = await storeCounts();
    const { stream, meter } = endlessBody();
    const res = await call(`/skills/${owner.handle}/big-skill/publish`, {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/gzip" },
      body: stream,
    });
    await expectRefused(res, 413, "TOO_LARGE");
    // The body never ends: an answer at all proves the cap; the count proves where it cut.
    expect(meter.pulled).toBeGreaterThan(10 * MIB);
    expect(meter.pulled).toBeLessThan(12 * MIB);
    expect(await storeCounts()).toEqual(before);
  });

  it("an unauthenticated or foreign-scope publish is refused before its body is read", async () => {
    const anonymous = endlessBody();
    const res401 = await call(`/skills/${owner.handle}/big-skill/publish`, {
      method: "POST",
      headers: { "Content-Type": "application/gzip" },
      body: anonymous.stream,
    });
    await expectRefused(res401, 401, "UNAUTHORIZED");
    const foreign = endlessBody();
    const res403 = await call(`/skills/${owner.handle}/big-skill/publish`, {
      method: "POST",
      headers: { ...stranger.auth, "Content-Type": "application/gzip" },
      body: foreign.stream,
    });
    await expectRefused(res403, 403, "NOT_OWNER");
    expect(anonymous.meter.pulled + foreign.meter.pulled).toBeLessThan(MIB);
  });

  it("a JSON body over 64 KiB is refused with 413, declared or streamed", async () => {
    const big = JSON.stringify({ handleOrEmail: "x", password: "y".repeat(100_000) });
    await expectRefused(await postJson("/auth/login", JSON.parse(big)), 413, "TOO_LARGE");
    const { stream, meter } = endlessBody();
    const streamed = await call("/auth/signup", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
    });
    await expectRefused(streamed, 413, "TOO_LARGE");
    expect(meter.pulled).toBeLessThan(MIB);
  });
});

describe("hostile names", () => {
  const names: [string, string][] = [
    ["uppercase scope", "Acme/hello-skill"],
    ["uppercase skill", "acme/Hello-Skill"],
    ["Cyrillic look-alike scope (а, с)", "\u0430\u0441me/hello-skill"],
    ["Cyrillic look-alike skill (е)", "acme/h\u0435llo-skill"],
    ["fullwidth letters", "\uff41\uff43\uff4d\uff45/hello-skill"],
    ["accented letter", "acme/h\u00e9llo"],
    ["emoji", "acme/\u{1f600}"],
    ["zero-width space", "acme/hello\u200b-skill"],
    ["NUL byte", "acme/hello%00skill"],
    ["scope of 33 characters", `${"a".repeat(33)}/hello-skill`],
    ["skill of 65 characters", `acme/${"a".repeat(65)}`],
    ["skill of 5,000 characters", `acme/${"a".repeat(5000)}`],
    ["single character", "acme/a"],
    ["leading hyphen", "acme/-hello"],
    ["trailing hyphen", "acme/hello-"],
    ["double hyphen", "acme/hello--skill"],
    ["underscore", "acme/hello_skill"],
    ["dot", "acme/hello.skill"],
    ["version in the name", "acme/hello-skill@1.0.0"],
    ["double @", "@@acme/hello-skill"],
  ];

  it.each(names)("GET /skills/<%s> is 400 INVALID_NAME", async (_what, name) => {
    const body = await expectRefused(await call(`/skills/${name}`), 400, "INVALID_NAME");
    expect(body.error).toMatch(/lowercase letters, digits and single hyphens|expected @publisher\/skill/);
    expect(body.error.length).toBeLessThan(400);
  });

  it.each(names)("publishing to <%s> is 400 INVALID_NAME and stores nothing", async (_what, name) => {
    const before = await storeCounts();
    const res = await call(`/skills/${name}/publish`, {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/gzip" },
      body: await skillTarball({ name: `@${owner.handle}/hello-skill` }),
    });
    await expectRefused(res, 400, "INVALID_NAME");
    expect(await storeCounts()).toEqual(before);
  });

  it.each([
    ["upper case", "Hacker"],
    ["a Cyrillic look-alike letter", "\u0430dmin"],
    ["a fullwidth letter", "\uff41dmin"],
    ["a zero-width joiner", "ad\u200dmin"],
    ["33 characters", "a".repeat(33)],
    ["a trailing space", "admin "],
  ])("signup refuses a handle with %s (400)", async (_what, handle) => {
    const res = await postJson("/auth/signup", { email: "x@example.com", handle, password: "long enough" });
    const body = await expectRefused(res, 400, "INVALID_INPUT");
    expect(body.error).toMatch(/handle/);
  });
});

describe("URL path tricks", () => {
  it("`..` segments (plain or %2e) resolve before routing: publishing into another scope through them is 403", async () => {
    const before = await storeCounts();
    for (const dots of ["..", "%2e%2e", "%2E%2e", ".%2e"]) {
      const res = await call(`/skills/${stranger.handle}/x/${dots}/${dots}/${owner.handle}/dotdot-skill/publish`, {
        method: "POST",
        headers: { ...stranger.auth, "Content-Type": "application/gzip" },
        body: await skillTarball({ name: `@${owner.handle}/dotdot-skill` }),
      });
      await expectRefused(res, 403, "NOT_OWNER");
    }
    expect(await storeCounts()).toEqual(before);
  });

  it.each([
    ["double-encoded dots as a skill", "/skills/acme/%252e%252e", 400],
    ["double-encoded dots as a scope", "/skills/%252e%252e/hello-skill", 400],
    ["encoded slash in a scope", "/skills/acme%2fevil/hello-skill", 400],
    ["encoded backslash", "/skills/acme/%5c..%5chello", 400],
    ["encoded dots in a version", "/skills/acme/known-skill/versions/..%2f..%2fetc/tarball", [400, 404]],
    ["double-encoded version", "/skills/acme/known-skill/versions/%252e%252e/tarball", [400, 404]],
    ["range of 2,000 alternatives", `/skills/acme/known-skill/versions/${"1 || ".repeat(2000)}1`, 400],
    ["invalid UTF-8 escape", "/skills/acme/%ff%fe", 400],
    ["search cursor that is not base64", "/skills?cursor=%ff%fe", 400],
    ["search limit of 1e400", "/skills?limit=1e400", 400],
    ["negative search limit", "/skills?limit=-1", 400],
    ["search query of 5,000 characters", `/skills?q=${"a".repeat(5000)}`, 400],
  ])("%s → 4xx JSON", async (_what, path, status) => {
    await expectRefused(await call(path.replaceAll("acme", owner.handle)), status);
  });

  it("a tarball path with `..` in the version cannot reach another object", async () => {
    const res = await call(`/skills/${owner.handle}/known-skill/versions/1.0.0%2f..%2f..%2f2.0.0/tarball`);
    await expectRefused(res, 400, "INVALID_VERSION");
  });

  it("search treats LIKE wildcards literally", async () => {
    const res = await call("/skills?q=%25");
    expect(res.status).toBe(200);
    expect((await res.json<{ skills: unknown[] }>()).skills).toEqual([]);
  });
});

describe("unknown methods on /skills routes", () => {
  const routes = () => [
    `/skills/${owner.handle}/known-skill`,
    `/skills/${owner.handle}/known-skill/publish`,
    `/skills/${owner.handle}/known-skill/versions/1.0.0`,
    `/skills/${owner.handle}/known-skill/versions/1.0.0/tarball`,
    "/skills",
  ];

  it.each([["DELETE"], ["PATCH"], ["PUT"], ["OPTIONS"], ["TRACE"]])(
    "%s is a JSON 404/405, never a 500",
    async (method) => {
      for (const path of routes()) {
        const res = await call(path, { method, headers: owner.auth });
        // PATCH /skills/:scope/:skill {access} exists (issue 12): without a JSON body it is a 415.
        const isAccessRoute = method === "PATCH" && path === routes()[0];
        await expectRefused(res, isAccessRoute ? [415] : [404, 405]);
      }
      // And the skill is still there.
      expect((await call(`/skills/${owner.handle}/known-skill/versions/1.0.0`)).status).toBe(200);
    },
  );

  it("GET on the publish route and POST on read routes are JSON 404/405", async () => {
    await expectRefused(await call(`/skills/${owner.handle}/known-skill/publish`, { headers: owner.auth }), [404, 405]);
    const res = await call(`/skills/${owner.handle}/known-skill/versions/1.0.0`, {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/gzip" },
      body: await skillTarball({ name: `@${owner.handle}/known-skill`, version: "9.9.9" }),
    });
    await expectRefused(res, [404, 405]);
  });
});

describe("hostile dist-tags on publish", () => {
  it.each([
    ["a version", "1.0.0"],
    ["a range", "^1"],
    ["path dots", "../../latest"],
    ["a NUL byte", "latest\u0000"],
    ["a space", "la test"],
    ["200 characters", "t".repeat(200)],
    ["non-ASCII", "l\u0430test"],
  ])("?tag= with %s is 400 INVALID_TAG and stores nothing", async (_what, tag) => {
    const before = await storeCounts();
    const res = await publish(owner, { skill: "tagged-skill", version: "1.0.0", tag });
    await expectRefused(res, 400, "INVALID_TAG");
    expect(await storeCounts()).toEqual(before);
  });
});
