import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { SITE_CSS_PATH } from "./css";
import type { WebState } from "./session";

export interface LayoutProps {
  title: string;
  web: WebState;
  /** The search box's current text. */
  q?: string;
  description?: string;
  children: Child;
}

/** The page shell: landmarks (banner, search, main, contentinfo), one h1 per page comes from the page itself. */
export function Layout({ title, web, q, description, children }: LayoutProps) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{title === "skild" ? "skild — skills for AI agents" : `${title} · skild`}</title>
          {description ? <meta name="description" content={description} /> : null}
          <link rel="stylesheet" href={SITE_CSS_PATH} />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="site-header">
            <div class="wrap">
              <a class="brand" href="/" aria-label="skild home">
                <span class="brand-mark" aria-hidden="true">
                  S
                </span>
                skild
              </a>
              <search class="header-search">
                <form action="/search" method="get">
                  <label class="sr-only" for="header-q">
                    Search skills
                  </label>
                  <input id="header-q" type="search" name="q" value={q ?? ""} placeholder="Search skills" />
                </form>
              </search>
              <nav class="site-nav" aria-label="Account">
                {web.viewer ? (
                  <>
                    <a href={`/~${web.viewer.handle}`}>~{web.viewer.handle}</a>
                    <a href="/account">Account</a>
                    <form action="/logout" method="post">
                      <input type="hidden" name="csrf" value={web.csrf} />
                      <button class="link" type="submit">
                        Log out
                      </button>
                    </form>
                  </>
                ) : (
                  <a href="/login">Log in</a>
                )}
              </nav>
            </div>
          </header>
          <main id="main">
            <div class="wrap">{children}</div>
          </main>
          <footer class="site-footer">
            <div class="wrap">
              <span>skild · a registry for agent skills, npm-compatible</span>
              <span>
                <a href="/search">All skills</a> · <a href="/skills">JSON API</a>
              </span>
            </div>
          </footer>
        </body>
      </html>
    </>
  );
}
