import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { orgRoutes } from "./orgs";
import { packageRoutes } from "./packages";
import { registryRoutes } from "./registry";
import { trustRoutes } from "./trust";
import { userRoutes } from "./users";

/**
 * The npm registry protocol. Every route starts with `/-/` or with a scoped name (`/@…`, `/%40…`),
 * so mounting this at `/` leaves `/`, `/search`, `/package/*` and other web paths alone.
 */
export const npmRoutes = new Hono<AppEnv>()
  .route("/", orgRoutes)
  .route("/", userRoutes)
  .route("/", registryRoutes)
  .route("/", trustRoutes)
  .route("/", packageRoutes);
