-- skild registry schema. Timestamps are ISO-8601 UTC strings; booleans are 0/1.

CREATE TABLE publishers (
  id            INTEGER PRIMARY KEY,
  handle        TEXT NOT NULL UNIQUE,
  email         TEXT NOT NULL UNIQUE,
  -- "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>": parameters kept so they can be raised later.
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL
);

CREATE TABLE tokens (
  id            INTEGER PRIMARY KEY,
  publisher_id  INTEGER NOT NULL REFERENCES publishers(id),
  -- sha256 hex of the token; the token itself is shown once and never stored.
  token_hash    TEXT NOT NULL UNIQUE,
  -- first characters of the token, enough for a person to tell tokens apart in a list.
  token_prefix  TEXT NOT NULL,
  name          TEXT NOT NULL DEFAULT '',
  readonly      INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  last_used_at  TEXT,
  revoked_at    TEXT
);
CREATE INDEX tokens_by_publisher ON tokens(publisher_id, created_at);

CREATE TABLE skills (
  id            INTEGER PRIMARY KEY,
  scope         TEXT NOT NULL,
  name          TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  -- bumped on every write to the skill (publish, tag, deprecate, unpublish): ETags and npm _rev.
  revision      INTEGER NOT NULL DEFAULT 1,
  UNIQUE (scope, name)
);
CREATE INDEX skills_by_updated ON skills(updated_at DESC);

CREATE TABLE versions (
  skill_id       INTEGER NOT NULL REFERENCES skills(id),
  version        TEXT NOT NULL,
  -- zero-padded major.minor.patch, so SQL can compare releases ("is this the highest?").
  sort_key       TEXT NOT NULL,
  prerelease     INTEGER NOT NULL,
  integrity      TEXT NOT NULL,
  shasum         TEXT NOT NULL,
  sha256         TEXT NOT NULL,
  size           INTEGER NOT NULL,
  unpacked_size  INTEGER NOT NULL,
  file_count     INTEGER NOT NULL,
  manifest_json  TEXT NOT NULL,
  readme         TEXT NOT NULL DEFAULT '',
  deprecated     TEXT,
  published_at   TEXT NOT NULL,
  -- set instead of deleting the row: a version number once used is never reused.
  unpublished_at TEXT,
  PRIMARY KEY (skill_id, version)
);
CREATE INDEX versions_by_sha256 ON versions(sha256);

CREATE TABLE dist_tags (
  skill_id INTEGER NOT NULL REFERENCES skills(id),
  tag      TEXT NOT NULL,
  version  TEXT NOT NULL,
  PRIMARY KEY (skill_id, tag)
);

-- Failed logins per key ("handle:<h>" or "ip:<addr>") in the current window.
CREATE TABLE login_failures (
  key          TEXT PRIMARY KEY,
  failures     INTEGER NOT NULL,
  window_start INTEGER NOT NULL
);
