// How the risk scan shows on the pages: a badge (listings, the skill page), the findings list, and
// the styles for both and for the file viewer. Findings are data from a package: JSX escapes them.
import type { Risk, RiskFinding, RiskLevel } from "../domain/risk";

const LABEL: Record<RiskLevel, string> = {
  none: "no risk found",
  low: "low risk",
  medium: "medium risk",
  high: "high risk",
};

/** The scan's verdict as a badge; nothing for a version the scanner never saw. */
export function RiskBadge({ level }: { level: RiskLevel | null | undefined }) {
  if (!level) return null;
  return (
    <span class={`badge risk risk-${level}`} title="Risk scan of the latest version (advisory)">
      {LABEL[level]}
    </span>
  );
}

/** `scripts/setup.sh:3` linking to that line in the file viewer. */
export function FindingPlace({ finding, filesBase }: { finding: RiskFinding; filesBase: string }) {
  const href = `${filesBase}/${finding.file.split("/").map(encodeURIComponent).join("/")}${finding.line ? `#L${finding.line}` : ""}`;
  return (
    <a href={href}>
      <code>
        {finding.file}
        {finding.line ? `:${finding.line}` : ""}
      </code>
    </a>
  );
}

export function FindingItem({ finding, filesBase }: { finding: RiskFinding; filesBase?: string }) {
  return (
    <li class={`finding risk-${finding.severity}`}>
      <span class={`badge risk risk-${finding.severity}`}>{finding.severity}</span> <strong>{finding.rule}</strong>{" "}
      {filesBase ? <FindingPlace finding={finding} filesBase={filesBase} /> : null}
      <p>{finding.message}</p>
      {finding.excerpt ? <code class="excerpt">{finding.excerpt}</code> : null}
    </li>
  );
}

/** The skill page's risk section: level, what the scan is, every finding linked to its line. */
export function RiskSection({ risk, filesBase }: { risk: Risk | null; filesBase: string }) {
  return (
    <section class="card risk-card" aria-labelledby="risk-title">
      <h2 id="risk-title">Risk scan</h2>
      {risk ? (
        <>
          <p>
            <RiskBadge level={risk.level} />{" "}
            {risk.findings.length
              ? `${risk.findings.length} finding${risk.findings.length === 1 ? "" : "s"}.`
              : "The scan found nothing."}
          </p>
          {risk.findings.length ? (
            <ul class="findings">
              {risk.findings.map((f) => (
                <FindingItem finding={f} filesBase={filesBase} />
              ))}
            </ul>
          ) : null}
        </>
      ) : (
        <p class="muted">This version was published before the risk scan existed.</p>
      )}
      <p class="hint">
        Advisory: rules look for what scripts and instructions do; they can miss things and flag harmless ones.{" "}
        <a href={filesBase}>Read every file</a> before you run it.
      </p>
    </section>
  );
}

export const RISK_CSS = `
.badge.risk-none { background: var(--ok-bg); color: inherit; border-color: var(--ok-border); }
.badge.risk-low { background: var(--accent-soft); color: inherit; border-color: var(--border); }
.badge.risk-medium { background: var(--warn-bg); color: inherit; border-color: var(--warn-border); }
.badge.risk-high { background: var(--err-bg); color: inherit; border-color: var(--err-border); font-weight: 700; }
.findings { list-style: none; padding: 0; margin: 0; }
.finding { border-top: 1px solid var(--border); padding: 8px 0; }
.finding p { margin: 4px 0; font-size: 0.9rem; }
.finding .excerpt { display: block; font-size: 0.8rem; overflow-wrap: anywhere; white-space: pre-wrap; }
.file-list { width: 100%; border-collapse: collapse; }
.file-list td.num { text-align: right; font-family: var(--mono); white-space: nowrap; }
.file-list td.sha { font-family: var(--mono); font-size: 0.8rem; overflow-wrap: anywhere; color: var(--muted); }
.code-view { width: 100%; border-collapse: collapse; font-family: var(--mono); font-size: 0.85rem; background: var(--surface); }
.code-view td { border: 0; padding: 0 10px; vertical-align: top; }
.code-view td.ln { text-align: right; color: var(--muted); user-select: none; width: 1%; white-space: nowrap; border-right: 1px solid var(--border); }
.code-view td.ln a { color: inherit; }
.code-view td.src { white-space: pre-wrap; overflow-wrap: anywhere; }
.code-view tr.flagged td { background: var(--err-bg); }
.code-view tr.flagged-medium td, .code-view tr.flagged-low td { background: var(--warn-bg); }
.code-view tr.note td { background: var(--surface); padding: 4px 10px 8px; }
.code-view tr:target td { outline: 2px solid var(--accent); }
`;
