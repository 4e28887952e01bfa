import { Hono } from "hono";
import { getPath } from "hono/utils/url";
import { r2ArtifactStore } from "./domain/artifact-store";
import { limitsFromEnv } from "./domain/limits";
import { keyRingFromEnv } from "./domain/signatures";
import type { AppEnv, Deps } from "./env";
import { notFound, renderError } from "./errors";
import { authRoutes } from "./routes/auth";
import { discoveryRoutes } from "./routes/discovery";
import { npmRoutes } from "./routes/npm";
import { reachRoutes } from "./routes/npm/reach";
import { orgApiRoutes } from "./routes/orgs";
import { skillRoutes } from "./routes/skills";
import { webRoutes } from "./web/routes";

/**
 * Assembles the registry. `makeDeps` is the seam where tests inject storage (a failing R2, a
 * failing D1) without touching the routers.
 */
export function createApp(makeDeps: (env: AppEnv["Bindings"]) => Deps = defaultDeps) {
  const app = new Hono<AppEnv>({ getPath: routingPath });
  // The bindings object lives as long as the isolate: build its deps once, not per request.
  const depsByEnv = new WeakMap<AppEnv["Bindings"], Deps>();
  app.use(async (c, next) => {
    let deps = depsByEnv.get(c.env);
    if (!deps) {
      deps = makeDeps(c.env);
      depsByEnv.set(c.env, deps);
    }
    c.set("deps", deps);
    await next();
  });
  // Liveness (also `npm ping`).
  app.get("/-/ping", (c) => c.json({}));
  app.route("/auth", authRoutes);
  app.route("/skills", skillRoutes);
  app.route("/orgs", orgApiRoutes);
  // npm protocol: only `/-/…` and `/@scope…` paths, after the routes above.
  app.route("/", npmRoutes);
  // npm's downloads API (`/-/downloads/…`) and `npm stars` (`/-/_view/starredByUser`).
  app.route("/", reachRoutes);
  // Agent Skills discovery indexes: `/~<publisher>/.well-known/agent-skills/index.json`.
  app.route("/", discoveryRoutes);
  // Web pages: only their own paths (/, /search, /package/*, /~handle, /login, /account, /static/*).
  app.route("/", webRoutes);
  app.notFound((c) => renderError(notFound(), c));
  app.onError(renderError);
  return app;
}

/**
 * Publisher pages live at `/~<handle>` but are routed as `/~/<handle>`: a parameter at the root
 * beside static paths is more than Hono's RegExpRouter takes, and the app would then fall back to
 * its TrieRouter for every request (several % of each hot route's time in bench/profile-routes.mjs).
 */
export function routingPath(request: Request): string {
  const path = getPath(request);
  return path.startsWith("/~") ? `/~/${path.slice(2)}` : path;
}

export function defaultDeps(env: AppEnv["Bindings"]): Deps {
  // Asked for by every packument and version read: looked up once per bindings object.
  let keyRing: ReturnType<typeof keyRingFromEnv> | undefined;
  return {
    db: env.DB,
    artifacts: r2ArtifactStore(env.ARTIFACTS),
    limits: limitsFromEnv(env),
    signingKeys: () => {
      keyRing ??= keyRingFromEnv(env);
      return keyRing;
    },
    scanRisk: env.RISK_SCAN !== "off",
  };
}
