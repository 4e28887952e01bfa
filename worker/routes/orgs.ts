// The skild API for organisations: /orgs/*. Thin: the rules are in domain/orgs.ts.
import { Hono } from "hono";
import { z } from "zod";
import { createOrg, orgJson, orgView, removeMember, setMember } from "../domain/orgs";
import type { AppEnv } from "../env";
import { requireAuth } from "../http/auth";
import { readJson } from "../http/body";
import { optionalPublisher } from "./npm/orgs";

const createBody = z.object({ name: z.unknown().optional() });
const memberBody = z.object({ role: z.unknown().optional() });

export const orgApiRoutes = new Hono<AppEnv>()
  .post("/", requireAuth("write"), async (c) => {
    const { name } = await readJson(c, createBody);
    const org = await createOrg(c.get("deps").db, c.get("publisher"), name);
    return c.json({ org: orgJson(org), role: "owner" }, 201);
  })
  .get("/:org", async (c) => c.json(await orgView(c.get("deps").db, c.req.param("org"), await optionalPublisher(c))))
  .put("/:org/members/:handle", requireAuth("write"), async (c) => {
    const { role } = await readJson(c, memberBody);
    const { org, handle } = c.req.param();
    return c.json(await setMember(c.get("deps").db, c.get("publisher"), org, handle, role));
  })
  .delete("/:org/members/:handle", requireAuth("write"), async (c) => {
    await removeMember(c.get("deps").db, c.get("publisher"), c.req.param("org"), c.req.param("handle"));
    return c.json({ ok: true });
  });
