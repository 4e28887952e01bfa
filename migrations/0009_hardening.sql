-- Hardening (issue 15): the orphan sweep's claims and cursor, and signup throttling.

-- A tarball object the sweep is about to delete. The sweep inserts a claim only while no version
-- row references the sha256 (one statement, so D1 decides it against concurrent publishes), deletes
-- the R2 object, then drops the claim. A publish whose batch would reference a claimed sha256 is
-- refused by the trigger below (the whole batch rolls back: the client gets a retryable 503).
CREATE TABLE sweep_claims (
  sha256     TEXT PRIMARY KEY,
  claimed_at INTEGER NOT NULL
);

CREATE TRIGGER versions_refuse_swept_tarball BEFORE INSERT ON versions
WHEN EXISTS (SELECT 1 FROM sweep_claims WHERE sha256 = NEW.sha256)
BEGIN
  SELECT RAISE(ABORT, 'SWEEP_IN_PROGRESS: the tarball is being swept; publish again');
END;

-- Where the last sweep stopped listing R2 (a cursor), so bounded runs cover the whole bucket in turn.
CREATE TABLE sweep_state (
  name   TEXT PRIMARY KEY,
  cursor TEXT
);

-- Fixed-window counters for throttles other than failed logins ("signup:<address>"), in UNIX seconds.
CREATE TABLE rate_counters (
  key          TEXT PRIMARY KEY,
  hits         INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_end   INTEGER NOT NULL
);
CREATE INDEX rate_counters_by_end ON rate_counters(window_end);
