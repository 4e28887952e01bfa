-- Organisations, teams and private skills (issue 12). Adds tables and columns only: every existing
-- publisher becomes a user scope, every existing skill stays public.

-- One namespace for user handles and organisation names: the UNIQUE index on `name` is what decides
-- a race between a signup and an org creation for the same name.
CREATE TABLE scopes (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  kind         TEXT NOT NULL CHECK (kind IN ('user', 'org')),
  -- The account a user scope belongs to; NULL for organisations.
  publisher_id INTEGER UNIQUE REFERENCES publishers(id),
  created_at   TEXT NOT NULL
);
INSERT INTO scopes (name, kind, publisher_id, created_at)
  SELECT handle, 'user', id, created_at FROM publishers;

-- Every new account claims its scope in the same statement: a name an org already holds makes the
-- signup fail with a UNIQUE error (answered as "handle taken"), and nothing is stored.
CREATE TRIGGER publishers_claim_scope AFTER INSERT ON publishers BEGIN
  INSERT INTO scopes (name, kind, publisher_id, created_at) VALUES (new.handle, 'user', new.id, new.created_at);
END;

CREATE TABLE org_members (
  org_id       INTEGER NOT NULL REFERENCES scopes(id),
  publisher_id INTEGER NOT NULL REFERENCES publishers(id),
  role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer')),
  created_at   TEXT NOT NULL,
  PRIMARY KEY (org_id, publisher_id)
);
CREATE INDEX org_members_by_publisher ON org_members(publisher_id);

-- Teams of an org. The `developers` team exists in every org and holds every member implicitly
-- (its membership is org_members), so it can never drift from the member list.
CREATE TABLE teams (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL REFERENCES scopes(id),
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  UNIQUE (org_id, name)
);

CREATE TABLE team_members (
  team_id      INTEGER NOT NULL REFERENCES teams(id),
  publisher_id INTEGER NOT NULL REFERENCES publishers(id),
  PRIMARY KEY (team_id, publisher_id)
);
CREATE INDEX team_members_by_publisher ON team_members(publisher_id);

-- Per-skill team grants (npm access grant read-only|read-write).
CREATE TABLE team_grants (
  team_id    INTEGER NOT NULL REFERENCES teams(id),
  skill_id   INTEGER NOT NULL REFERENCES skills(id),
  permission TEXT NOT NULL CHECK (permission IN ('read-only', 'read-write')),
  PRIMARY KEY (team_id, skill_id)
);
CREATE INDEX team_grants_by_skill ON team_grants(skill_id);

-- Per-user write grants (npm owner add) on top of the scope's own rules.
CREATE TABLE user_grants (
  skill_id     INTEGER NOT NULL REFERENCES skills(id),
  publisher_id INTEGER NOT NULL REFERENCES publishers(id),
  PRIMARY KEY (skill_id, publisher_id)
);
CREATE INDEX user_grants_by_publisher ON user_grants(publisher_id);

-- public (default) or restricted: readable only by who has read access.
ALTER TABLE skills ADD COLUMN access TEXT NOT NULL DEFAULT 'public' CHECK (access IN ('public', 'restricted'));
