-- Registry signatures and provenance (issue 13).
-- versions.signatures: the registry's signatures of `${name}@${version}:${integrity}`, as JSON
--   [{"keyid": "SHA256:…", "sig": "<base64 DER>"}], one per signing key (current and retired).
--   NULL for versions published before signing: they are signed on their next read.
-- versions.provenance: a small JSON summary of the provenance bundle published with the version
--   ({"predicateType", "repository", "workflow", …}) for pages and `dist.attestations`; the
--   bundle itself lives in `provenance_bundles`, read only by the attestations endpoint.
ALTER TABLE versions ADD COLUMN signatures TEXT;
ALTER TABLE versions ADD COLUMN provenance TEXT;

CREATE TABLE provenance_bundles (
  skill_id       INTEGER NOT NULL REFERENCES skills(id),
  version        TEXT NOT NULL,
  predicate_type TEXT NOT NULL,
  bundle         TEXT NOT NULL,
  PRIMARY KEY (skill_id, version)
);
