// The pages that list skills: home, search results, a publisher's skills.
import type { Publisher } from "../../domain/accounts";
import type { SkillSummary } from "../../domain/skills";
import { Command, DateTime, SkillList } from "../components";
import { Layout } from "../layout";
import type { WebState } from "../session";

const HOME_LISTS = {
  recent: { href: "/", title: "Recently updated" },
  downloads: { href: "/?sort=downloads", title: "Most downloaded this week" },
  stars: { href: "/?sort=stars", title: "Most starred" },
} as const;

export function HomePage({
  web,
  recent,
  origin,
  sort,
}: {
  web: WebState;
  recent: SkillSummary[];
  origin: string;
  /** What `recent` is ordered by; absent = recently updated. */
  sort?: "downloads" | "stars";
}) {
  const shown = sort ?? "recent";
  return (
    <Layout title="skild" web={web} description="Find, install and publish skills for AI coding agents.">
      <section class="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">Skills for AI coding agents</h1>
        <p class="lead">Find, install and publish SKILL.md skills for Claude Code, Codex, Copilot, Cursor and more.</p>
        <search class="hero-search">
          <form action="/search" method="get">
            <label class="sr-only" for="home-q">
              Search skills
            </label>
            <input id="home-q" type="search" name="q" placeholder="Search by name, publisher or description" />
            <button type="submit">Search</button>
          </form>
        </search>
        <p class="hero-hint">
          Install with <Command inline text="skild install @publisher/skill -t claude" />
        </p>
        <p class="hero-hint">
          or any npm client: <Command inline text={`npm install @publisher/skill --registry ${origin}`} />
        </p>
      </section>
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">{HOME_LISTS[shown].title}</h2>
        <nav class="sort" aria-label="Order">
          {Object.entries(HOME_LISTS).map(([key, list]) =>
            key === shown ? <span aria-current="page">{list.title}</span> : <a href={list.href}>{list.title}</a>,
          )}
        </nav>
        {recent.length ? (
          <SkillList skills={recent} />
        ) : (
          <p class="empty card">
            No skills published yet. Publish one with <code>skild publish --dir ./my-skill</code>.
          </p>
        )}
      </section>
    </Layout>
  );
}

export interface SearchPageProps {
  web: WebState;
  q: string;
  skills: SkillSummary[];
  /** The `after` cursor of the next page, when there is one. */
  nextAfter: string | null;
  /** This is not the first page. */
  paged: boolean;
}

export function SearchPage({ web, q, skills, nextAfter, paged }: SearchPageProps) {
  const query = (extra: Record<string, string>) => `/search?${new URLSearchParams({ ...(q ? { q } : {}), ...extra })}`;
  const title = q ? `Search results for “${q}”` : "All skills";
  return (
    <Layout title={q ? `${q} — search` : "All skills"} web={web} q={q}>
      <h1>{title}</h1>
      <p class="lead">
        {skills.length
          ? `${paged ? "More" : "Showing"} ${skills.length} skill${skills.length === 1 ? "" : "s"}${nextAfter ? ", more on the next page" : ""}.`
          : paged
            ? "No more results."
            : "No skills match this search. Try a shorter word, a publisher handle, or browse all skills."}
      </p>
      {skills.length ? <SkillList skills={skills} headingLevel={2} /> : null}
      <nav class="pager" aria-label="Pages">
        <span>{paged ? <a href={query({})}>← First page</a> : null}</span>
        <span>{nextAfter ? <a href={query({ after: nextAfter })}>Next page →</a> : null}</span>
      </nav>
    </Layout>
  );
}

export function PublisherPage({
  web,
  publisher,
  skills,
  nextAfter,
  paged,
}: {
  web: WebState;
  publisher: Publisher;
  skills: SkillSummary[];
  nextAfter: string | null;
  paged: boolean;
}) {
  return (
    <Layout title={`~${publisher.handle}`} web={web}>
      <h1>~{publisher.handle}</h1>
      <p class="lead">
        Publisher of <code>@{publisher.handle}/*</code> skills · joined <DateTime iso={publisher.createdAt} />
      </p>
      {skills.length ? (
        <SkillList skills={skills} headingLevel={2} />
      ) : (
        <p class="empty card">{paged ? "No more skills." : `~${publisher.handle} has not published any skills yet.`}</p>
      )}
      <nav class="pager" aria-label="Pages">
        <span>{paged ? <a href={`/~${publisher.handle}`}>← First page</a> : null}</span>
        <span>
          {nextAfter ? (
            <a href={`/~${publisher.handle}?${new URLSearchParams({ after: nextAfter })}`}>Next page →</a>
          ) : null}
        </span>
      </nav>
    </Layout>
  );
}
