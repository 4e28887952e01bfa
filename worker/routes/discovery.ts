// Agent Skills discovery: `/~<publisher>/.well-known/agent-skills/index.json`, what
// `npx skills add <registry>/~<publisher>` and `npx skills check` read.
import { Hono } from "hono";
import { findPublisherByHandle } from "../domain/accounts";
import { publisherIndex } from "../domain/discovery";
import { parseScope } from "../domain/names";
import { findOrg } from "../domain/orgs";
import type { AppEnv } from "../env";
import { notFound } from "../errors";
import { requestOrigin } from "../http/url";

// Routed as `/~/<publisher>/…`: app.ts rewrites `/~<name>` paths so every route fits RegExpRouter.
export const discoveryRoutes = new Hono<AppEnv>().get("/~/:handle/.well-known/agent-skills/index.json", async (c) => {
  const scope = parseScope(c.req.param("handle"));
  const deps = c.get("deps");
  // A user or an organisation (one namespace), as the `/~<name>` page.
  if (!(await findPublisherByHandle(deps.db, scope)) && !(await findOrg(deps.db, scope))) {
    throw notFound(`There is no publisher ~${scope}.`, "PUBLISHER_NOT_FOUND");
  }
  const index = await publisherIndex(deps, scope, requestOrigin(c));
  // Public skills only, so one copy serves everyone; `skills check` must see a publish at once.
  // Public data: readable from browsers on other origins too (skill directories, agents' UIs).
  return c.json(index, 200, {
    "Cache-Control": "public, max-age=0, must-revalidate",
    "Access-Control-Allow-Origin": "*",
  });
});
