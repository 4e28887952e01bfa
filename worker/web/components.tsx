import type { SkillSummary } from "../domain/skills";
import { RiskBadge } from "./risk";

const DATE = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

/** "Nov 30, 2026" inside a machine-readable <time>. */
export function DateTime({ iso }: { iso: string }) {
  const date = new Date(iso);
  return <time datetime={iso}>{Number.isNaN(date.getTime()) ? iso : DATE.format(date)}</time>;
}

export const packagePath = (name: string, version?: string) =>
  version ? `/package/${name}/v/${encodeURIComponent(version)}` : `/package/${name}`;

/** Name, description, latest version, publisher and date of each skill. */
export function SkillList({ skills, headingLevel = 3 }: { skills: SkillSummary[]; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <ul class="skill-list">
      {skills.map((s) => (
        <li class="skill-item">
          <Heading>
            <a href={packagePath(s.name)}>{s.name}</a>
            {s.latest ? <span class="badge">{s.latest}</span> : null}
            {s.access === "restricted" ? <span class="badge warn">private</span> : null} <RiskBadge level={s.risk} />
          </Heading>
          {s.description ? <p>{s.description}</p> : null}
          <div class="meta">
            <span>
              by <a href={`/~${s.scope}`}>~{s.scope}</a>
            </span>
            <span>
              updated <DateTime iso={s.updatedAt} />
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

export function Notice({
  kind,
  title,
  children,
}: {
  kind: "warn" | "ok" | "error";
  title: string;
  children?: unknown;
}) {
  return (
    <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

/** A shell command to copy: wraps only between words (never inside `--registry`), copies as one line. */
export function Command({ text, inline = false }: { text: string; inline?: boolean }) {
  const words = text.split(" ");
  return (
    <code class={inline ? "cmd-inline" : "cmd"}>
      {words.map((word, i) => (
        <>
          <span>{word}</span>
          {i < words.length - 1 ? " " : null}
        </>
      ))}
    </code>
  );
}
