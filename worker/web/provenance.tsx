// The provenance a publisher's CI attached, shown as what it is: a claim. The registry checks that
// the statement names this exact tarball but does not verify the Sigstore signature, so the page
// never says "verified"; `npm audit signatures` verifies it on the user's machine.
import { provenanceSummary } from "../domain/provenance";

/** `https://github.com/o/r` links only when it is a plain https URL; anything else is shown as text. */
const httpsUrl = (value: string) => {
  try {
    const url = new URL(value);
    return url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
};

/** `<dt>/<dd>` rows for the details list; nothing when the version has no provenance. */
export function ProvenanceFacts({ summary: json }: { summary?: string | null }) {
  const summary = provenanceSummary(json);
  if (!summary) return null;
  const repository = summary.repository ? httpsUrl(summary.repository) : null;
  return (
    <>
      <dt>Provenance</dt>
      <dd class="wide">
        <span class="muted">Claimed by the publisher's provenance (not verified by this registry):</span>
        <br />
        Source{" "}
        {repository ? (
          <a href={repository} rel="nofollow noopener">
            {summary.repository}
          </a>
        ) : (
          <code>{summary.repository ?? "not stated"}</code>
        )}
        {summary.ref ? (
          <>
            {" "}
            at <code>{summary.ref}</code>
          </>
        ) : null}
        <br />
        Workflow <code>{summary.workflow ?? "not stated"}</code>
        {summary.builder ? (
          <>
            <br />
            Builder <code>{summary.builder}</code>
          </>
        ) : null}
      </dd>
    </>
  );
}
