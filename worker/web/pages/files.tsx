// "Read before you run": every file of a version, and each text file with line numbers and the
// risk findings marked at their lines. Text is escaped by JSX; nothing from a package is HTML here.
import { formatBytes } from "../../domain/limits";
import type { Risk } from "../../domain/risk";
import type { VersionFile } from "../../domain/version-files";
import { packagePath } from "../components";
import { Layout } from "../layout";
import { FindingItem, RiskBadge } from "../risk";
import type { WebState } from "../session";

/** Beyond this a text file is shown only in part (the raw link has all of it). */
export const MAX_SHOWN_LINES = 20_000;
const MAX_SHOWN_CHARS = 2 * 1024 * 1024;

export const filesPath = (name: string, version: string) => `${packagePath(name, version)}/files`;
const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");
export const rawFileUrl = (scope: string, skill: string, version: string, path: string) =>
  `/skills/@${scope}/${skill}/versions/${encodeURIComponent(version)}/files/${encodePath(path)}`;

interface Common {
  web: WebState;
  name: string;
  scope: string;
  skill: string;
  version: string;
  risk: Risk | null;
}

export function FilesPage({ web, name, version, risk, files }: Common & { files: VersionFile[] }) {
  const base = filesPath(name, version);
  const flagged = new Map<string, number>();
  for (const f of risk?.findings ?? []) flagged.set(f.file, (flagged.get(f.file) ?? 0) + 1);
  return (
    <Layout title={`Files of ${name}@${version}`} web={web}>
      <h1>
        Files of <a href={packagePath(name, version)}>{name}</a>@{version}
      </h1>
      <p class="lead">
        Exactly what the agent gets: {files.length} file{files.length === 1 ? "" : "s"},{" "}
        {formatBytes(files.reduce((n, f) => n + f.size, 0))}. <RiskBadge level={risk?.level} />
      </p>
      <table class="file-list">
        <thead>
          <tr>
            <th>File</th>
            <th>Size</th>
            <th>SHA-256</th>
            <th>Findings</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr>
              <td>
                <a href={`${base}/${encodePath(f.path)}`}>
                  <code>{f.path}</code>
                </a>
              </td>
              <td class="num">{formatBytes(f.size)}</td>
              <td class="sha">{f.sha256}</td>
              <td class="num">{flagged.get(f.path) ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

export function FilePage({
  web,
  name,
  scope,
  skill,
  version,
  risk,
  file,
  text,
}: Common & { file: VersionFile; text: string | null }) {
  const findings = (risk?.findings ?? []).filter((f) => f.file === file.path);
  const byLine = new Map<number, typeof findings>();
  for (const f of findings) byLine.set(f.line, [...(byLine.get(f.line) ?? []), f]);
  const whole = findings.filter((f) => f.line === 0);
  const shownText = text === null ? null : text.slice(0, MAX_SHOWN_CHARS);
  const lines = shownText === null ? [] : shownText.split("\n");
  if (lines.length > 1 && lines.at(-1) === "") lines.pop();
  const shown = lines.slice(0, MAX_SHOWN_LINES);
  const cut = text !== null && (shown.length < lines.length || shownText!.length < text.length);
  const raw = rawFileUrl(scope, skill, version, file.path);
  return (
    <Layout title={`${file.path} — ${name}@${version}`} web={web}>
      <p>
        <a href={filesPath(name, version)}>
          ← All files of {name}@{version}
        </a>
      </p>
      <h1>
        <code>{file.path}</code>
      </h1>
      <p class="lead">
        {formatBytes(file.size)} · sha256 <code>{file.sha256}</code> · <a href={raw}>raw</a>
      </p>
      {whole.length ? (
        <ul class="findings card">
          {whole.map((f) => (
            <FindingItem finding={f} />
          ))}
        </ul>
      ) : null}
      {text === null ? (
        <p class="card">This is a binary file; it is not shown. Its size and sha256 are above.</p>
      ) : (
        <table class="code-view" aria-label={file.path}>
          <tbody>
            {shown.map((line, i) => {
              const n = i + 1;
              const here = byLine.get(n);
              const worst = here?.some((f) => f.severity === "high") ? "" : here ? `-${here[0].severity}` : "";
              return (
                <>
                  <tr id={`L${n}`} class={here ? `flagged flagged${worst}` : undefined}>
                    <td class="ln">
                      <a href={`#L${n}`}>{n}</a>
                    </td>
                    <td class="src">{line}</td>
                  </tr>
                  {here ? (
                    <tr class="note">
                      <td class="ln" />
                      <td>
                        <ul class="findings">
                          {here.map((f) => (
                            <FindingItem finding={f} />
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ) : null}
                </>
              );
            })}
          </tbody>
        </table>
      )}
      {cut ? (
        <p class="muted">
          Only the first {shown.length} lines are shown; <a href={raw}>the raw file</a> has all of it.
        </p>
      ) : null}
    </Layout>
  );
}
