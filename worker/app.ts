import { Hono } from "hono";
import { r2ArtifactStore } from "./domain/artifact-store";
import { limitsFromEnv } from "./domain/limits";
import type { AppEnv, Deps } from "./env";
import { notFound, renderError } from "./errors";
import { authRoutes } from "./routes/auth";
import { npmRoutes } from "./routes/npm";
import { orgApiRoutes } from "./routes/orgs";
import { skillRoutes } from "./routes/skills";
import { webRoutes } from "./web/routes";

/**
 * Assembles the registry. `makeDeps` is the seam where tests inject storage (a failing R2, a
 * failing D1) without touching the routers.
 */
export function createApp(makeDeps: (env: AppEnv["Bindings"]) => Deps = defaultDeps) {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("deps", makeDeps(c.env));
    await next();
  });
  // Liveness (also `npm ping`).
  app.get("/-/ping", (c) => c.json({}));
  app.route("/auth", authRoutes);
  app.route("/skills", skillRoutes);
  app.route("/orgs", orgApiRoutes);
  // npm protocol: only `/-/…` and `/@scope…` paths, after the routes above.
  app.route("/", npmRoutes);
  // Web pages: only their own paths (/, /search, /package/*, /~handle, /login, /account, /static/*).
  app.route("/", webRoutes);
  app.notFound((c) => renderError(notFound(), c));
  app.onError(renderError);
  return app;
}

export function defaultDeps(env: AppEnv["Bindings"]): Deps {
  return { db: env.DB, artifacts: r2ArtifactStore(env.ARTIFACTS), limits: limitsFromEnv(env) };
}
