// npm registry endpoints that are not a package document: dist-tags, search, audit.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { listingBody } from "../../domain/read-cache";
import { findSkill } from "../../domain/skills";
import { removeDistTag, setDistTag } from "../../domain/tags";
import type { AppEnv } from "../../env";
import { requireAuth } from "../../http/auth";
import { readJson } from "../../http/body";
import { rawQuery, requestOrigin } from "../../http/url";
import { cacheScope, visibleSkill } from "../../http/visible";
import { packageNotFound, parsePackagePath } from "./paths";

/** `/-/package/<name>/dist-tags[/<tag>]`, the name in any npm spelling. */
function distTagPath(c: Context<AppEnv>) {
  const { skill: name, rest } = parsePackagePath(c.req.path.slice("/-/package".length));
  if (rest[0] !== "dist-tags" || rest.length > 2) throw packageNotFound();
  return { name, tag: rest[1] };
}

/** The skill row a dist-tag change applies to (read from D1: writes never start from a cached copy). */
async function distTagTarget(c: Context<AppEnv>) {
  const { name, tag } = distTagPath(c);
  // A restricted skill the caller cannot read answers as a missing one, on writes too.
  const visible = await visibleSkill(c, name);
  const skill = visible && (await findSkill(c.get("deps").db, name));
  if (!skill) throw packageNotFound();
  return { skill, tag };
}

const searchQuery = z.object({
  text: z.string().trim().max(128, { message: "must be at most 128 characters" }).default(""),
  size: z.coerce.number().int().min(1).max(250).default(20),
  from: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const registryRoutes = new Hono<AppEnv>()
  .get("/-/package/*", async (c) => {
    const { name, tag } = distTagPath(c);
    const snapshot = await visibleSkill(c, name);
    if (!snapshot) throw packageNotFound();
    const { tags } = snapshot.source;
    if (snapshot.source.skill.access === "restricted") c.header("Cache-Control", cacheScope(snapshot.source.skill));
    if (tag === undefined) return c.json(tags);
    if (!Object.hasOwn(tags, tag)) throw packageNotFound();
    return c.json(tags[tag]);
  })
  // `npm dist-tag add <name>@<version> <tag>`: the body is the version as a JSON string.
  .put("/-/package/*", requireAuth("write"), async (c) => {
    const { skill, tag } = await distTagTarget(c);
    if (tag === undefined) throw packageNotFound();
    const version = await readJson(c, z.string({ message: "send the version as a JSON string" }));
    const tags = await setDistTag(c.get("deps").db, c.get("publisher"), skill, tag, version);
    return c.json({ ok: true, "dist-tags": tags }, 201);
  })
  .delete("/-/package/*", requireAuth("write"), async (c) => {
    const { skill, tag } = await distTagTarget(c);
    if (tag === undefined) throw packageNotFound();
    const tags = await removeDistTag(c.get("deps").db, c.get("publisher"), skill, tag);
    return c.json({ ok: true, "dist-tags": tags });
  })
  // `npm search`: substring match on scope, name and description, paged by `from`/`size`.
  .get("/-/v1/search", async (c) => {
    const origin = requestOrigin(c);
    // Kept with the listing (LISTING_TTL_MS), so `time` may be a few seconds old, as a cached search is.
    const body = await listingBody(c.get("deps").db, `npm ${origin} ${rawQuery(c)}`, () => {
      const query = searchQuery.parse(c.req.query());
      // "@acme/hello" and "@acme" are how people type names; the store has no "@".
      const q = query.text.replace(/^@/, "").split("/").filter(Boolean).at(-1) ?? "";
      return {
        opts: { q: q || undefined, limit: query.size, offset: query.from, withTotal: true },
        render: ({ skills, total }) => ({
          objects: skills.map((s) => {
            const name = s.name; // already `@scope/name`
            return {
              package: {
                name,
                scope: s.scope,
                version: s.latest,
                description: s.description,
                date: s.updatedAt,
                links: { npm: `${origin}/package/${name}` },
                publisher: { username: s.scope },
                maintainers: [{ username: s.scope }],
              },
              score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
              searchScore: 1,
            };
          }),
          total,
          time: new Date().toUTCString(),
        }),
      };
    });
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  })
  // `npm audit` (and the audit `npm install` runs): no advisories are known for skills.
  .post("/-/npm/v1/security/advisories/bulk", (c) => c.json({}))
  .post("/-/npm/v1/security/audits/quick", (c) => c.json({}));
