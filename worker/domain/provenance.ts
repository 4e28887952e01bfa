// Provenance from `npm publish --provenance`: the `<name>-<version>.sigstore` attachment, a Sigstore
// bundle whose DSSE payload is an in-toto statement about the tarball. The registry checks that the
// statement is about exactly this package, version and tarball, keeps the bundle, and serves it at
// `/-/npm/v1/attestations/<name>@<version>` for clients (npm audit signatures) to verify. It does NOT
// verify the Sigstore signature itself (no Sigstore trust root here): pages say "claimed".
import { badRequest, tooLarge } from "../errors";
import type { SkillName } from "./names";

export const MAX_BUNDLE_BYTES = 128 * 1024;
const MAX_BUNDLE_DEPTH = 32;
const MAX_SUMMARY_FIELD = 300;

const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
const IN_TOTO_STATEMENTS = new Set(["https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"]);

/** What pages and `dist.attestations` show, extracted once at publish. Every field is a claim of the publisher's CI. */
export interface ProvenanceSummary {
  predicateType: string;
  /** e.g. https://github.com/acme/skills */
  repository?: string;
  /** e.g. .github/workflows/publish.yml */
  workflow?: string;
  ref?: string;
  builder?: string;
}

export interface CheckedProvenance {
  bundle: string;
  summary: ProvenanceSummary;
}

const invalid = (why: string) =>
  badRequest(`The provenance bundle is invalid: ${why}. Nothing was published.`, "BAD_PROVENANCE");

/** Refuses nesting deeper than `max` before parsing, by scanning brackets outside strings (linear, no recursion). */
function assertShallow(text: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      depth++;
      if (depth > max) throw invalid(`it is nested more than ${max} levels deep`);
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
}

function parseJson(text: string, what: string): unknown {
  assertShallow(text, MAX_BUNDLE_DEPTH);
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`${what} is not JSON`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function decodeBase64Text(data: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1)
    throw invalid("dsseEnvelope.payload is not base64");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(data), (c) => c.charCodeAt(0)),
    );
  } catch {
    throw invalid("dsseEnvelope.payload is not base64 UTF-8 text");
  }
}

/** sha512 hex of the tarball, from its `sha512-<base64>` integrity. */
function sha512Hex(integrity: string): string {
  const b64 = integrity.replace(/^sha512-/, "");
  return [...atob(b64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

/** `pkg:npm/%40scope/name@1.0.0`, as npm-package-arg's toPurl spells a scoped package. */
export const packagePurl = (name: string, version: string) => `pkg:npm/${name.replace(/^@/, "%40")}@${version}`;

const clipped = (v: unknown): string | undefined =>
  typeof v === "string" && v.length > 0 ? v.slice(0, MAX_SUMMARY_FIELD) : undefined;

/** Source repository and workflow as the statement claims them (SLSA v1 from GitHub/GitLab, or v0.2). */
function summarize(predicateType: string, predicate: unknown): ProvenanceSummary {
  const summary: ProvenanceSummary = { predicateType: predicateType.slice(0, MAX_SUMMARY_FIELD) };
  if (!isObject(predicate)) return summary;
  const build = isObject(predicate.buildDefinition) ? predicate.buildDefinition : undefined;
  const external = isObject(build?.externalParameters) ? build.externalParameters : undefined;
  const workflow = isObject(external?.workflow) ? external.workflow : undefined;
  const runDetails = isObject(predicate.runDetails) ? predicate.runDetails : undefined;
  const builder = isObject(runDetails?.builder)
    ? runDetails.builder
    : isObject(predicate.builder)
      ? predicate.builder
      : undefined;
  const invocation = isObject(predicate.invocation) ? predicate.invocation : undefined;
  const configSource = isObject(invocation?.configSource) ? invocation.configSource : undefined;
  const entries: [keyof ProvenanceSummary, string | undefined][] = [
    [
      "repository",
      clipped(workflow?.repository) ??
        clipped(configSource?.uri)
          ?.replace(/^git\+/, "")
          .replace(/@.*$/, ""),
    ],
    ["workflow", clipped(workflow?.path) ?? clipped(configSource?.entryPoint)],
    ["ref", clipped(workflow?.ref)],
    ["builder", clipped(builder?.id)],
  ];
  for (const [key, value] of entries) if (value) summary[key] = value;
  return summary;
}

/**
 * Checks a `.sigstore` attachment for `name@version` whose tarball has `integrity`; throws 400/413
 * (nothing stored) unless the bundle is a DSSE in-toto statement about exactly this tarball.
 */
export function checkProvenance(
  bundleText: string,
  target: { name: string; version: string; integrity: string },
): CheckedProvenance {
  const bytes = new TextEncoder().encode(bundleText).byteLength;
  if (bytes > MAX_BUNDLE_BYTES) {
    throw tooLarge(
      `The provenance bundle is ${bytes} bytes; the limit is ${MAX_BUNDLE_BYTES}.`,
      "PROVENANCE_TOO_LARGE",
    );
  }
  const bundle = parseJson(bundleText, "the bundle");
  if (!isObject(bundle)) throw invalid("the bundle is not a JSON object");
  if (typeof bundle.mediaType !== "string" || !bundle.mediaType.startsWith("application/vnd.dev.sigstore.bundle")) {
    throw invalid('mediaType is not a Sigstore bundle ("application/vnd.dev.sigstore.bundle…")');
  }
  if (!isObject(bundle.verificationMaterial)) throw invalid("verificationMaterial is missing");
  const envelope = bundle.dsseEnvelope;
  if (!isObject(envelope)) throw invalid("dsseEnvelope is missing");
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw invalid(`dsseEnvelope.payloadType is not ${IN_TOTO_PAYLOAD_TYPE}`);
  const signatures = envelope.signatures;
  if (
    !Array.isArray(signatures) ||
    signatures.length === 0 ||
    !signatures.every((s) => isObject(s) && typeof s.sig === "string")
  ) {
    throw invalid("dsseEnvelope.signatures must list at least one {sig}");
  }
  if (typeof envelope.payload !== "string") throw invalid("dsseEnvelope.payload is missing");
  const statement = parseJson(decodeBase64Text(envelope.payload), "the DSSE payload");
  if (!isObject(statement) || typeof statement._type !== "string" || !IN_TOTO_STATEMENTS.has(statement._type)) {
    throw invalid("the DSSE payload is not an in-toto statement");
  }
  if (typeof statement.predicateType !== "string" || !statement.predicateType)
    throw invalid("the statement has no predicateType");
  const subjects = statement.subject;
  if (!Array.isArray(subjects) || subjects.length !== 1 || !isObject(subjects[0])) {
    throw invalid("the statement must have exactly one subject");
  }
  const [subject] = subjects as Record<string, unknown>[];
  const expected = packagePurl(target.name, target.version);
  if (subject.name !== expected) {
    throw invalid(`its subject is ${JSON.stringify(String(subject.name).slice(0, 200))}, not ${expected}`);
  }
  const digest = isObject(subject.digest) ? subject.digest.sha512 : undefined;
  if (typeof digest !== "string" || digest.toLowerCase() !== sha512Hex(target.integrity)) {
    throw invalid("its subject's sha512 digest is not the tarball's");
  }
  return { bundle: bundleText, summary: summarize(statement.predicateType, statement.predicate) };
}

/** The summary stored with a version, or null when it has none (or it is unreadable). */
export function provenanceSummary(json: string | null | undefined): ProvenanceSummary | null {
  if (!json) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    return isObject(parsed) && typeof parsed.predicateType === "string"
      ? (parsed as unknown as ProvenanceSummary)
      : null;
  } catch {
    return null;
  }
}

/** `/-/npm/v1/attestations/@scope/name@1.0.0` */
export const attestationsUrl = (origin: string, name: string, version: string) =>
  `${origin}/-/npm/v1/attestations/${name}@${version}`;

/** `{attestations: {url, provenance: {predicateType}}}` for a version's `dist`, or nothing. */
export function attestationsRef(origin: string, name: string, row: { version: string; provenance?: string | null }) {
  const summary = provenanceSummary(row.provenance);
  if (!summary) return {};
  return {
    attestations: {
      url: attestationsUrl(origin, name, row.version),
      provenance: { predicateType: summary.predicateType },
    },
  };
}

/** Statements storing a checked bundle with its version (in the publish batch). */
export function storeProvenanceStatements(
  db: D1Database,
  skill: SkillName,
  version: string,
  provenance: CheckedProvenance,
): D1PreparedStatement[] {
  const skillId = "(SELECT id FROM skills WHERE scope = ?1 AND name = ?2)";
  return [
    db
      .prepare(`UPDATE versions SET provenance = ?4 WHERE skill_id = ${skillId} AND version = ?3`)
      .bind(skill.scope, skill.name, version, JSON.stringify(provenance.summary)),
    db
      .prepare(
        `INSERT INTO provenance_bundles (skill_id, version, predicate_type, bundle) VALUES (${skillId}, ?3, ?4, ?5)`,
      )
      .bind(skill.scope, skill.name, version, provenance.summary.predicateType, provenance.bundle),
  ];
}

/** The stored bundles of a live version, for the attestations endpoint; null when the version has none. */
export async function readAttestations(
  db: D1Database,
  skill: SkillName,
  version: string,
): Promise<{ predicateType: string; bundle: unknown }[] | null> {
  const row = await db
    .prepare(
      `SELECT b.predicate_type, b.bundle FROM provenance_bundles b
       JOIN versions v ON v.skill_id = b.skill_id AND v.version = b.version AND v.unpublished_at IS NULL
       JOIN skills s ON s.id = b.skill_id
       WHERE s.scope = ? AND s.name = ? AND b.version = ?`,
    )
    .bind(skill.scope, skill.name, version)
    .first<{ predicate_type: string; bundle: string }>();
  if (!row) return null;
  return [{ predicateType: row.predicate_type, bundle: JSON.parse(row.bundle) }];
}
