// What the publish pipeline adds for trust: the registry's signature of the new version and its
// checked provenance bundle, recorded in the same D1 batch as the version row (all or nothing).
import type { Deps } from "../env";
import type { SkillName } from "./names";
import type { PackumentVersionRow } from "./packument";
import { attestationsUrl, type CheckedProvenance, provenanceSummary, storeProvenanceStatements } from "./provenance";
import { rowSignatures, signVersion, storeSignaturesStatement, type VersionSignature } from "./signatures";

/** The signature of a version being published, or null when the registry has no signing key. */
export async function signAtPublish(
  deps: Deps,
  name: string,
  version: string,
  integrity: string,
): Promise<VersionSignature | null> {
  const ring = await deps.signingKeys();
  return ring ? signVersion(ring, name, version, integrity) : null;
}

/** Statements to append to the publish batch, after the version row's INSERT. */
export function trustStatements(
  db: D1Database,
  skill: SkillName,
  version: string,
  extras: { signature: VersionSignature | null; provenance: CheckedProvenance | null },
): D1PreparedStatement[] {
  return [
    ...(extras.signature ? [storeSignaturesStatement(db, skill, version, [extras.signature], null)] : []),
    ...(extras.provenance ? storeProvenanceStatements(db, skill, version, extras.provenance) : []),
  ];
}

/**
 * The skild version document's trust fields: `signatures` (always, [] when unsigned) and, when
 * published with provenance, `provenance` = the publisher's claims plus where the bundle is.
 */
export function versionTrust(origin: string, skillName: string, row: PackumentVersionRow) {
  const summary = provenanceSummary(row.provenance);
  return {
    signatures: rowSignatures(row),
    ...(summary
      ? { provenance: { ...summary, verified: false, url: attestationsUrl(origin, skillName, row.version) } }
      : {}),
  };
}
