// One skill version: its SKILL.md rendered safely, how to install it, and its facts.
import { DEFAULT_REGISTRY } from "../../../common/registry-default.js";
import { parseSkillMd } from "../../../common/skill-md.js";
import { formatBytes } from "../../domain/limits";
import { canonicalName } from "../../domain/names";
import { parseStoredRisk } from "../../domain/risk";
import type { SkillRow, VersionRow } from "../../domain/skills";
import { Command, DateTime, Notice, packagePath, plural } from "../components";
import { Layout } from "../layout";
import { renderMarkdown } from "../markdown";
import { ProvenanceFacts } from "../provenance";
import { RiskBadge, RiskSection } from "../risk";
import type { WebState } from "../session";
import { filesPath } from "./files";

export interface PackagePageProps {
  web: WebState;
  origin: string;
  skill: SkillRow;
  /** Live versions, lowest first. */
  versions: VersionRow[];
  distTags: Record<string, string>;
  current: VersionRow & { readme: string; provenance?: string | null };
  /** The URL named the version (/v/1.0.0) rather than showing `latest`. */
  pinned: boolean;
  /** Last week's downloads and the stars; absent where a caller has none to show. */
  counts?: { downloads: number; stars: number };
  /** The logged-in viewer starred this skill. */
  starred?: boolean;
}

/** Star / unstar for a logged-in viewer (a form: these pages run no script); a login link otherwise. */
function StarButton({ web, name, starred }: { web: WebState; name: string; starred: boolean }) {
  if (!web.viewer) return <a href={`/login?next=${encodeURIComponent(packagePath(name))}`}>☆ Star</a>;
  return (
    <form class="star-form" method="post" action={`${packagePath(name)}/star`}>
      <input type="hidden" name="csrf" value={web.csrf} />
      <input type="hidden" name="starred" value={starred ? "0" : "1"} />
      <button type="submit" aria-pressed={starred ? "true" : "false"}>
        {starred ? "★ Starred" : "☆ Star"}
      </button>
    </form>
  );
}

/** The skild CLI's install command: it names this registry unless it is the CLI's default one. */
export const skildInstallCommand = (spec: string, origin: string) =>
  `skild install ${spec} -t claude${origin === DEFAULT_REGISTRY ? "" : ` --registry ${origin}`}`;

/** SKILL.md without its frontmatter, plus the frontmatter fields worth showing. */
function splitSkillMd(readme: string): { body: string; license?: string } {
  try {
    const { frontmatter, body } = parseSkillMd(readme);
    return { body, license: typeof frontmatter.license === "string" ? frontmatter.license : undefined };
  } catch {
    return { body: readme };
  }
}

export function PackagePage({
  web,
  origin,
  skill,
  versions,
  distTags,
  current,
  pinned,
  counts,
  starred = false,
}: PackagePageProps) {
  const name = canonicalName(skill);
  const latest = distTags.latest;
  const spec = pinned && current.version !== latest ? `${name}@${current.version}` : name;
  const { body, license } = splitSkillMd(current.readme);
  const rendered = renderMarkdown(body);
  const tagsOf = (version: string) => Object.keys(distTags).filter((tag) => distTags[tag] === version);
  return (
    <Layout title={pinned ? `${name}@${current.version}` : name} web={web} description={skill.description}>
      <div class="pkg-head">
        <h1>{name}</h1>
        {skill.description ? <p class="lead">{skill.description}</p> : null}
        <div class="meta">
          <span class="badge">{current.version}</span>
          {tagsOf(current.version).map((tag) => (
            <span class="badge">{tag}</span>
          ))}
          {current.deprecated ? <span class="badge warn">deprecated</span> : null}
          <RiskBadge level={parseStoredRisk(current.risk_json)?.level} />
          <span>
            by <a href={`/~${skill.scope}`}>~{skill.scope}</a>
          </span>
          <span>
            published <DateTime iso={current.published_at} />
          </span>
          {license ? <span>{license} license</span> : null}
          {counts ? (
            <>
              <span class="downloads">{plural(counts.downloads, "download")} this week</span>
              <span class="stars">{plural(counts.stars, "star")}</span>
              <StarButton web={web} name={name} starred={starred} />
            </>
          ) : null}
        </div>
      </div>
      {current.deprecated ? (
        <Notice kind="warn" title={`${name}@${current.version} is deprecated`}>
          {current.deprecated}
        </Notice>
      ) : null}
      {latest && current.version !== latest ? (
        <Notice kind="warn" title={`You are viewing version ${current.version}.`}>
          The latest version is <a href={packagePath(name)}>{latest}</a>.
        </Notice>
      ) : null}
      <div class="pkg-grid">
        <article class="markdown" aria-label="SKILL.md">
          <p class="frontmatter">SKILL.md</p>
          <div dangerouslySetInnerHTML={{ __html: rendered.html }} />
          {rendered.truncated ? <p class="muted">SKILL.md is long; only its beginning is shown here.</p> : null}
        </article>
        <aside class="pkg-side" aria-label="Install and details">
          <section class="card install" aria-labelledby="install-title">
            <h2 id="install-title">Install</h2>
            <p class="cmd-label">skild CLI</p>
            <Command text={skildInstallCommand(spec, origin)} />
            <p class="cmd-label">npm, pnpm, yarn or bun</p>
            <Command text={`npm install ${spec} --registry ${origin}`} />
            <p class="hint">Other agents: -t codex, copilot, cursor, agents or opencode.</p>
          </section>
          <RiskSection risk={parseStoredRisk(current.risk_json)} filesBase={filesPath(name, current.version)} />
          <section class="card" aria-labelledby="details-title">
            <h2 id="details-title">Details</h2>
            <dl class="facts">
              <dt>Version</dt>
              <dd>{current.version}</dd>
              <dt>Published</dt>
              <dd>
                <DateTime iso={current.published_at} />
              </dd>
              <dt>Size</dt>
              <dd>{formatBytes(current.size)}</dd>
              <dt>Unpacked</dt>
              <dd>{formatBytes(current.unpacked_size)}</dd>
              <dt>Files</dt>
              <dd>{current.file_count}</dd>
              <dt>Integrity</dt>
              <dd class="wide">
                <code>{current.integrity}</code>
              </dd>
              <ProvenanceFacts summary={current.provenance} />
            </dl>
          </section>
          <section class="card" aria-labelledby="tags-title">
            <h2 id="tags-title">Dist-tags</h2>
            <ul class="versions">
              {Object.entries(distTags)
                .sort(([a], [b]) => (a === "latest" ? -1 : b === "latest" ? 1 : a.localeCompare(b)))
                .map(([tag, version]) => (
                  <li>
                    <span>{tag}</span>
                    <a href={packagePath(name, version)}>{version}</a>
                  </li>
                ))}
            </ul>
          </section>
          <section class="card" aria-labelledby="versions-title">
            <h2 id="versions-title">
              Versions <span class="muted">({versions.length})</span>
            </h2>
            <ul class="versions">
              {[...versions].reverse().map((v) => (
                <li class={v.version === current.version ? "current" : undefined}>
                  <span>
                    <a
                      href={packagePath(name, v.version)}
                      aria-current={v.version === current.version ? "page" : undefined}
                    >
                      {v.version}
                    </a>
                    {v.deprecated ? (
                      <>
                        {" "}
                        <span class="badge warn" title={v.deprecated}>
                          deprecated
                        </span>
                      </>
                    ) : null}
                  </span>
                  <DateTime iso={v.published_at} />
                </li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </Layout>
  );
}
