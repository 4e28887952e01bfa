-- Reach (issue 14): root-level archives for the Agent Skills discovery index, download counts, stars.
-- Only new columns and tables: existing rows are not rewritten.

-- The discovery archive of a version (SKILL.md at the archive root), built from the stored npm
-- tarball the first time an index lists the version and stored content-addressed in R2
-- (`archive/sha256/<hex>.tar.gz`, outside the orphan sweep's `sha256/`). NULL until built.
ALTER TABLE versions ADD COLUMN archive_sha256 TEXT;
ALTER TABLE versions ADD COLUMN archive_size INTEGER;

-- Downloads per skill, version and UTC day (YYYY-MM-DD). Written in batches, one statement per
-- flush, adding to the day's count. The key serves every read: one skill's days (the downloads API)
-- and each listed skill's last week (listings and their sort). No second index: every row write
-- would pay for it.
CREATE TABLE downloads (
  skill_id INTEGER NOT NULL REFERENCES skills(id),
  day      TEXT NOT NULL,
  version  TEXT NOT NULL,
  count    INTEGER NOT NULL,
  PRIMARY KEY (skill_id, day, version)
) WITHOUT ROWID;

-- Who starred what (npm's `users` map). `skills.stars` is the count, kept in the same batch.
CREATE TABLE stars (
  skill_id     INTEGER NOT NULL REFERENCES skills(id),
  publisher_id INTEGER NOT NULL REFERENCES publishers(id),
  created_at   TEXT NOT NULL,
  PRIMARY KEY (skill_id, publisher_id)
) WITHOUT ROWID;
CREATE INDEX stars_by_publisher ON stars(publisher_id, skill_id);
ALTER TABLE skills ADD COLUMN stars INTEGER NOT NULL DEFAULT 0;
