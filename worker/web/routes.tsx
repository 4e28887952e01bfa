// Server-rendered web pages. Thin: read through the domain layer, render a page. Only these paths
// are registered (never a catch-all), so the npm and skild APIs keep every other path.
import type { Context } from "hono";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { canRead } from "../domain/access";
import {
  createToken,
  findPublisherByHandle,
  listTokens,
  loginSchema,
  revokePublisherToken,
  verifyLogin,
} from "../domain/accounts";
import { skillCounts } from "../domain/downloads";
import { canonicalName, parseCanonicalName, parseScope, parseSkillName } from "../domain/names";
import { createOrg, findOrg, listMembers, listTeamNames, orgsOf, roleIn, setMember } from "../domain/orgs";
import { readTarballRef } from "../domain/read-cache";
import { readStoredRisk } from "../domain/risk";
import { createSession, deleteSession } from "../domain/sessions";
import { findSkill, getDistTags, getVersion, listVersions, recentSkills, searchSkills } from "../domain/skills";
import { hasStarred, setStar } from "../domain/stars";
import { decodeText, listVersionFiles, parseFilePath, readVersionFile } from "../domain/version-files";
import { parseExactVersion } from "../domain/versions";
import { describeZodError, notFound, RegistryError, unauthorized } from "../errors";
import { requestOrigin } from "../http/url";
import { packagePath } from "./components";
import { SITE_CSS, SITE_CSS_PATH } from "./css";
import { AccountPage, LoginPage, LogoutPage } from "./pages/account";
import { ErrorPage } from "./pages/error";
import { FilePage, FilesPage } from "./pages/files";
import { HomePage, PublisherPage, SearchPage } from "./pages/listing";
import { OrgPage } from "./pages/org";
import { PackagePage } from "./pages/package";
import {
  clearSessionCookie,
  ensureCsrfCookie,
  loadSession,
  setSessionCookie,
  verifiedForm,
  type WebEnv,
  type WebState,
} from "./session";

const PAGE_SIZE = 20;
const RECENT_COUNT = 12;

// No script runs on these pages, from us or from a SKILL.md: the CSP says so as a second line of defence.
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const securityHeaders = createMiddleware<WebEnv>(async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Referrer-Policy", "same-origin");
  // Pages show who is logged in: never in a shared cache.
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "private, no-cache");
});

const requireViewer = (c: Context<WebEnv>) => {
  const viewer = c.get("web").viewer;
  if (!viewer) throw unauthorized("Log in to manage your account.", "NOT_LOGGED_IN");
  return viewer;
};

/** Only a local path (not `//host`, not `/\host`) may be a post-login destination. */
const safeNext = (raw: string | undefined | null) => (raw && /^\/(?![/\\])/.test(raw) ? raw : "");

const listQuery = z.object({
  q: z.string().trim().max(128, { message: "a search is at most 128 characters" }).optional(),
  after: z.string().max(200).optional(),
});

/** The home page lists recently updated skills, or (`?sort=`) the most downloaded or starred. */
const homeQuery = z.object({ sort: z.enum(["downloads", "stars"]).optional() });

const tokenForm = z.object({
  name: z.string().trim().max(64, { message: "a token name is at most 64 characters" }),
  access: z.enum(["publish", "read-only"]),
});

const ANONYMOUS: WebState = { viewer: null, sessionId: null, csrf: "" };

export const webRoutes = new Hono<WebEnv>();

for (const path of [
  "/",
  "/search",
  "/package/*",
  "/~/:handle",
  "/~/:handle/members",
  "/login",
  "/logout",
  "/account",
  "/account/*",
]) {
  webRoutes.use(path, securityHeaders, loadSession);
}

webRoutes
  .get("/static/site.css", (c) => {
    // Pages link `?v=<hash of the CSS>`, so that URL can be cached for a year; anything else briefly.
    const versioned = c.req.url.endsWith(SITE_CSS_PATH.slice(SITE_CSS_PATH.indexOf("?")));
    return c.body(SITE_CSS, 200, {
      "Content-Type": "text/css; charset=utf-8",
      "Cache-Control": versioned ? "public, max-age=31536000, immutable" : "public, max-age=300",
      "X-Content-Type-Options": "nosniff",
    });
  })
  .get("/", async (c) => {
    const { sort } = homeQuery.parse(c.req.query());
    const db = c.get("deps").db;
    const recent = sort
      ? (await searchSkills(db, { limit: RECENT_COUNT, sort })).skills
      : await recentSkills(db, RECENT_COUNT);
    return c.html(<HomePage web={c.get("web")} recent={recent} origin={requestOrigin(c)} sort={sort} />);
  })
  .get("/search", async (c) => {
    const query = listQuery.parse(c.req.query());
    const q = query.q ?? "";
    const { skills, more } = await searchSkills(c.get("deps").db, {
      q: q || undefined,
      limit: PAGE_SIZE,
      after: query.after ? parseCanonicalName(query.after) : undefined,
    });
    const nextAfter = more ? (skills.at(-1)?.name ?? null) : null;
    return c.html(<SearchPage web={c.get("web")} q={q} skills={skills} nextAfter={nextAfter} paged={!!query.after} />);
  })
  .get("/package/:name", (c) => {
    // `/package/@acme%2fhello-skill`, when the router keeps it as one segment → the canonical path.
    const name = parseCanonicalName(c.req.param("name"));
    return c.redirect(packagePath(canonicalName(name)), 301);
  })
  .get("/package/:scope/:skill", (c) => renderPackage(c))
  .get("/package/:scope/:skill/v/:version", (c) => renderPackage(c, parseExactVersion(c.req.param("version"))))
  .get("/package/:scope/:skill/v/:version/files", (c) => renderFiles(c))
  .get("/package/:scope/:skill/v/:version/files/*", (c) => renderFiles(c))
  .get("/~/:handle", async (c) => {
    const handle = parseScope(c.req.param("handle"));
    const db = c.get("deps").db;
    const publisher = await findPublisherByHandle(db, handle);
    const org = publisher ? null : await findOrg(db, handle);
    if (!publisher && !org) throw notFound(`There is no publisher ~${handle}.`, "PUBLISHER_NOT_FOUND");
    const query = listQuery.parse(c.req.query());
    const viewer = c.get("web").viewer;
    // Public skills for everyone; the restricted ones the viewer can read (members), marked on the page.
    const { skills, more } = await searchSkills(db, {
      scope: handle,
      limit: PAGE_SIZE,
      after: query.after ? parseCanonicalName(query.after) : undefined,
      readerId: viewer?.id,
    });
    const nextAfter = more ? (skills.at(-1)?.name ?? null) : null;
    if (org) {
      const role = viewer ? await roleIn(db, org.id, viewer.id) : null;
      const [members, teams] = role ? await Promise.all([listMembers(db, org), listTeamNames(db, org)]) : [[], []];
      const added = c.req.query("saved");
      return c.html(
        <OrgPage
          web={c.get("web")}
          org={org}
          skills={skills}
          nextAfter={nextAfter}
          paged={!!query.after}
          role={role}
          members={members}
          teams={teams}
          notice={role && added ? `Saved ${added}'s membership.` : undefined}
        />,
      );
    }
    if (!publisher) throw notFound(`There is no publisher ~${handle}.`, "PUBLISHER_NOT_FOUND");
    return c.html(
      <PublisherPage
        web={c.get("web")}
        publisher={publisher}
        skills={skills}
        nextAfter={nextAfter}
        paged={!!query.after}
      />,
    );
  })
  // Owners and admins add a member or change a role from the org page.
  .post("/~/:handle/members", verifiedForm, async (c) => {
    const viewer = requireViewer(c);
    const orgName = parseScope(c.req.param("handle"));
    const form = c.get("form");
    const result = await setMember(c.get("deps").db, viewer, orgName, form.get("handle") ?? "", form.get("role") ?? "");
    return c.redirect(`/~${orgName}?${new URLSearchParams({ saved: result.user })}`, 303);
  })
  .get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("web").viewer) return c.redirect(next || "/account", 303);
    await ensureCsrfCookie(c);
    c.header("Cache-Control", "no-store");
    return c.html(<LoginPage web={c.get("web")} origin={requestOrigin(c)} next={next} />);
  })
  .post("/login", verifiedForm, async (c) => {
    const form = c.get("form");
    const next = safeNext(form.get("next"));
    const handleOrEmail = form.get("handleOrEmail") ?? "";
    c.header("Cache-Control", "no-store");
    const showError = (error: string, status: 400 | 401 | 429 | 403, headers: Record<string, string> = {}) => {
      for (const [k, v] of Object.entries(headers)) if (k !== "WWW-Authenticate") c.header(k, v);
      return c.html(
        <LoginPage
          web={c.get("web")}
          origin={requestOrigin(c)}
          error={error}
          handleOrEmail={handleOrEmail}
          next={next}
        />,
        status,
      );
    };
    const input = loginSchema.safeParse({ handleOrEmail, password: form.get("password") ?? "" });
    if (!input.success) return showError("Enter your handle (or email) and your password.", 400);
    const db = c.get("deps").db;
    let publisherId: number;
    try {
      publisherId = (await verifyLogin(db, input.data, { clientAddress: c.req.header("CF-Connecting-IP") })).id;
    } catch (err) {
      if (err instanceof RegistryError && (err.status === 401 || err.status === 429)) {
        return showError(err.message, err.status, err.headers);
      }
      throw err;
    }
    const { secret } = await createSession(db, publisherId);
    setSessionCookie(c, secret);
    return c.redirect(next || "/account", 303);
  })
  .get("/logout", (c) => c.html(<LogoutPage web={c.get("web")} />))
  .post("/logout", verifiedForm, async (c) => {
    const sessionId = c.get("web").sessionId;
    if (sessionId !== null) await deleteSession(c.get("deps").db, sessionId);
    clearSessionCookie(c);
    return c.redirect("/", 303);
  })
  .get("/account", async (c) => {
    const viewer = c.get("web").viewer;
    if (!viewer) return c.redirect("/login?next=/account", 303);
    const tokens = await listTokens(c.get("deps").db, viewer.id);
    c.header("Cache-Control", "no-store");
    const notice = c.req.query("revoked") ? "Token revoked. It no longer works." : undefined;
    return c.html(
      <AccountPage
        web={c.get("web")}
        publisher={viewer}
        tokens={tokens}
        notice={notice}
        {...(await accountOrgs(c.get("deps").db, viewer.id))}
      />,
    );
  })
  // Create an organisation; the viewer becomes its owner.
  .post("/account/orgs", verifiedForm, async (c) => {
    const viewer = requireViewer(c);
    const db = c.get("deps").db;
    c.header("Cache-Control", "no-store");
    try {
      const org = await createOrg(db, viewer, c.get("form").get("name") ?? "");
      return c.redirect(`/~${org.name}`, 303);
    } catch (err) {
      const status = err instanceof RegistryError ? err.status : err instanceof z.ZodError ? 400 : 0;
      if (status !== 400 && status !== 409) throw err;
      const error = err instanceof z.ZodError ? `Organisation name: ${describeZodError(err)}` : (err as Error).message;
      const tokens = await listTokens(db, viewer.id);
      return c.html(
        <AccountPage
          web={c.get("web")}
          publisher={viewer}
          tokens={tokens}
          error={error}
          {...(await accountOrgs(db, viewer.id))}
        />,
        status,
      );
    }
  })
  .post("/account/tokens", verifiedForm, async (c) => {
    const viewer = requireViewer(c);
    const db = c.get("deps").db;
    const form = c.get("form");
    const parsed = tokenForm.safeParse({ name: form.get("name") ?? "", access: form.get("access") ?? "publish" });
    c.header("Cache-Control", "no-store");
    if (!parsed.success) {
      const tokens = await listTokens(db, viewer.id);
      const error = describeZodError(parsed.error);
      return c.html(<AccountPage web={c.get("web")} publisher={viewer} tokens={tokens} error={error} />, 400);
    }
    const name = parsed.data.name || "web";
    const token = await createToken(db, viewer.id, { name, readonly: parsed.data.access === "read-only" });
    const tokens = await listTokens(db, viewer.id);
    return c.html(<AccountPage web={c.get("web")} publisher={viewer} tokens={tokens} created={{ token, name }} />, 201);
  })
  // The skill page's star button: star or unstar as the logged-in viewer, then back to the page.
  .post("/package/:scope/:skill/star", verifiedForm, async (c) => {
    const name = { scope: parseScope(c.req.param("scope")), name: parseSkillName(c.req.param("skill")) };
    const viewer = c.get("web").viewer;
    if (!viewer) return c.redirect(`/login?next=${encodeURIComponent(packagePath(canonicalName(name)))}`, 303);
    const db = c.get("deps").db;
    // As on the page itself: a restricted skill the viewer cannot read does not exist.
    const skill = await findSkill(db, name);
    if (!skill || !(await canRead(db, { publisherId: viewer.id }, name, skill))) {
      throw notFound(`${canonicalName(name)} does not exist.`, "SKILL_NOT_FOUND");
    }
    await setStar(db, viewer, skill, c.get("form").get("starred") === "1");
    return c.redirect(packagePath(canonicalName(name)), 303);
  })
  .post("/account/tokens/:id/revoke", verifiedForm, async (c) => {
    const viewer = requireViewer(c);
    const id = z.coerce.number().int().positive().parse(c.req.param("id"));
    await revokePublisherToken(c.get("deps").db, viewer.id, { id });
    return c.redirect("/account?revoked=1", 303);
  });

/** The viewer's orgs and the private skills they can read, for /account. */
async function accountOrgs(db: D1Database, viewerId: number) {
  const [orgs, { skills }] = await Promise.all([
    orgsOf(db, viewerId),
    searchSkills(db, { limit: 100, readerId: viewerId, restrictedOnly: true }),
  ]);
  return { orgs, privateSkills: skills };
}

async function renderPackage(c: Context<WebEnv>, pinned?: string) {
  const db = c.get("deps").db;
  const params = { scope: c.req.param("scope") ?? "", skill: c.req.param("skill") ?? "" };
  const wanted = { scope: parseScope(params.scope), name: parseSkillName(params.skill) };
  // A restricted skill the viewer cannot read is answered exactly as a missing one.
  const viewer = c.get("web").viewer;
  const skill = await findSkill(db, wanted);
  const readable = await canRead(db, viewer ? { publisherId: viewer.id } : null, wanted, skill);
  if (!skill || !readable) throw notFound(`${canonicalName(wanted)} does not exist.`, "SKILL_NOT_FOUND");
  const name = canonicalName(skill);
  const [versions, distTags] = await Promise.all([listVersions(db, skill.id), getDistTags(db, skill.id)]);
  const version = pinned ?? distTags.latest ?? versions.at(-1)?.version;
  if (!version) throw notFound(`${name} has no published versions.`, "SKILL_NOT_FOUND");
  const [current, counts, starred] = await Promise.all([
    getVersion(db, skill.id, version),
    skillCounts(db, skill.id),
    viewer ? hasStarred(db, skill.id, viewer.id) : false,
  ]);
  if (!current) throw notFound(`${name}@${version} does not exist.`, "VERSION_NOT_FOUND");
  return c.html(
    <PackagePage
      web={c.get("web")}
      origin={requestOrigin(c)}
      skill={skill}
      versions={versions}
      distTags={distTags}
      current={current}
      pinned={pinned !== undefined}
      counts={counts}
      starred={starred}
    />,
  );
}

/**
 * The files of a version (list, or one file when the path names one), resolved through the same lookup
 * as the tarball, so the tarball's access rules apply here too.
 */
async function renderFiles(c: Context<WebEnv>) {
  const deps = c.get("deps");
  const skill = { scope: parseScope(c.req.param("scope") ?? ""), name: parseSkillName(c.req.param("skill") ?? "") };
  const version = parseExactVersion(c.req.param("version") ?? "");
  const name = canonicalName(skill);
  // The tarball's lookup and the package page's access check: a skill the viewer cannot read is missing.
  const viewer = c.get("web").viewer;
  const reader = viewer ? { publisherId: viewer.id } : null;
  const ref = await readTarballRef(deps.db, skill, version);
  if (!ref || !(await canRead(deps.db, reader, skill, ref.skill))) {
    const row = await findSkill(deps.db, skill);
    if (!row || !(await canRead(deps.db, reader, skill, row)))
      throw notFound(`${name} does not exist.`, "SKILL_NOT_FOUND");
    throw notFound(`${name}@${version} does not exist.`, "VERSION_NOT_FOUND");
  }
  const [files, risk] = await Promise.all([listVersionFiles(deps, ref), readStoredRisk(deps.db, skill, version)]);
  const common = { web: c.get("web"), name, scope: skill.scope, skill: skill.name, version, risk };
  // /package/@s/n/v/<version>/files/<path>: segments after "files" (still percent-encoded).
  const segments = new URL(c.req.url).pathname.split("/");
  const rest = segments.slice(segments.indexOf("files", 6) + 1).join("/");
  if (!rest) return c.html(<FilesPage {...common} files={files} />);
  const path = parseFilePath(rest);
  const file = files.find((f) => f.path === path);
  if (!file) throw notFound(`${name}@${version} has no file "${path.slice(0, 200)}".`, "FILE_NOT_FOUND");
  const text = decodeText(await readVersionFile(deps, ref, path));
  return c.html(<FilePage {...common} file={file} text={text} />);
}

/** Failures on these pages are pages too (same status codes as the API), not JSON. */
webRoutes.onError((err, c) => {
  let status = 500;
  let message = "Something went wrong on our side; try again later.";
  if (err instanceof RegistryError) {
    status = err.status;
    message = err.message;
    for (const [k, v] of Object.entries(err.headers)) if (k !== "WWW-Authenticate") c.header(k, v);
  } else if (err instanceof z.ZodError) {
    status = 400;
    message = describeZodError(err);
  } else if (err instanceof HTTPException) {
    status = err.status;
    message = err.message || "Request failed.";
  } else {
    console.error("web page error", err);
  }
  const web = (c.get("web") as WebState | undefined) ?? ANONYMOUS;
  return c.html(<ErrorPage web={web} status={status} message={message} />, status as 400);
});
