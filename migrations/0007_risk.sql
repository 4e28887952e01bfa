-- Risk scan (issue 13): each version's scan result, stored at publish. NULL columns mean the version
-- was published before the scanner existed. `scanner_version` says which rules produced the result,
-- so a later scanner can find and rescan versions an older one looked at.
ALTER TABLE versions ADD COLUMN risk_level TEXT;
-- {"level": ..., "findings": [{rule, severity, file, line, message, excerpt}]}
ALTER TABLE versions ADD COLUMN risk_json TEXT;
ALTER TABLE versions ADD COLUMN scanner_version INTEGER;
