-- Browser sessions for the web pages. Like tokens, the session secret lives only in the visitor's
-- cookie; the database keeps its sha256, so a leaked table opens no sessions.
CREATE TABLE sessions (
  id           INTEGER PRIMARY KEY,
  session_hash TEXT NOT NULL UNIQUE,
  publisher_id INTEGER NOT NULL REFERENCES publishers(id),
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_by_publisher ON sessions(publisher_id, expires_at);
