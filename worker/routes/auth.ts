import { Hono } from "hono";
import { login, loginSchema, publisherJson, revokeToken, signup, signupSchema } from "../domain/accounts";
import { orgsOf } from "../domain/orgs";
import type { AppEnv } from "../env";
import { requireAuth } from "../http/auth";
import { readJson } from "../http/body";

/** skild accounts: /auth/* */
export const authRoutes = new Hono<AppEnv>()
  .post("/signup", async (c) => {
    const input = await readJson(c, signupSchema);
    const { db, limits } = c.get("deps");
    const publisher = await signup(db, input, {
      clientAddress: c.req.header("CF-Connecting-IP"),
      signupsPerHour: limits.signupsPerHour,
    });
    return c.json({ publisher: publisherJson(publisher) }, 201);
  })
  .post("/login", async (c) => {
    const input = await readJson(c, loginSchema);
    const { token, publisher } = await login(c.get("deps").db, input, {
      clientAddress: c.req.header("CF-Connecting-IP"),
      tokenName: "skild login",
    });
    return c.json({ token, publisher: publisherJson(publisher) });
  })
  .get("/me", requireAuth("read"), async (c) => {
    const publisher = c.get("publisher");
    return c.json({ publisher: publisherJson(publisher), orgs: await orgsOf(c.get("deps").db, publisher.id) });
  })
  .post("/logout", requireAuth("read"), async (c) => {
    await revokeToken(c.get("deps").db, c.get("tokenId"));
    return c.json({ ok: true });
  });
