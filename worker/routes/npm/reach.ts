// npm's download-count API (api.npmjs.org's /downloads/point|range, served here under /-/downloads)
// and the CouchDB view `npm stars` reads.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { downloadsByDay, downloadsTotal, resolvePeriod } from "../../domain/downloads";
import { canonicalName, handleSchema } from "../../domain/names";
import { starredByUser } from "../../domain/stars";
import type { AppEnv } from "../../env";
import { badRequest } from "../../errors";
import { visibleSkill } from "../../http/visible";
import { packageNotFound, parsePackagePath } from "./paths";

/** `/-/downloads/<point|range>/<period>/<name>` → the period and the skill (through the one read lookup). */
async function downloadsTarget(c: Context<AppEnv>, kind: "point" | "range") {
  const rest = c.req.path.slice(`/-/downloads/${kind}/`.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) throw packageNotFound();
  const range = resolvePeriod(rest.slice(0, slash));
  const { skill: name, rest: extra } = parsePackagePath(rest.slice(slash));
  if (extra.length > 0) throw packageNotFound();
  // The one read lookup: a restricted skill the caller cannot read answers as a missing one.
  const snapshot = await visibleSkill(c, name);
  if (!snapshot) throw packageNotFound();
  return { range, skill: snapshot.source.skill, name: canonicalName(name) };
}

/** `?key="alice"`: a JSON string, as CouchDB views take keys. */
const viewKey = z
  .string()
  .max(80)
  .transform((raw, ctx) => {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === "string") return parsed;
    } catch {}
    ctx.addIssue({ code: "custom", message: 'key must be a JSON string, like key="alice"' });
    return z.NEVER;
  });

export const reachRoutes = new Hono<AppEnv>()
  .get("/-/downloads/point/*", async (c) => {
    const { range, skill, name } = await downloadsTarget(c, "point");
    const downloads = await downloadsTotal(c.get("deps").db, skill.id, range);
    return c.json({ downloads, start: range.start, end: range.end, package: name });
  })
  .get("/-/downloads/range/*", async (c) => {
    const { range, skill, name } = await downloadsTarget(c, "range");
    const downloads = await downloadsByDay(c.get("deps").db, skill.id, range);
    return c.json({ downloads, start: range.start, end: range.end, package: name });
  })
  // `npm stars [user]`
  .get("/-/_view/starredByUser", async (c) => {
    const parsed = viewKey.safeParse(c.req.query("key") ?? "");
    if (!parsed.success) throw badRequest('Name the user as key="<handle>".', "INVALID_KEY");
    // A handle that cannot exist has starred nothing.
    const handle = handleSchema.safeParse(parsed.data);
    const names = handle.success ? await starredByUser(c.get("deps").db, handle.data) : [];
    return c.json({ rows: names.map((name) => ({ key: parsed.data, value: name })) });
  });
