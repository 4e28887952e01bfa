-- Search: a trigram full-text index over each skill's scope, name and description. A phrase query
-- of 3+ characters matches the same skills as `LIKE '%q%'` on those columns (case-insensitively)
-- without reading every skill. External content: the text stays in `skills`; triggers keep the
-- index in step with every insert, rename and description change (publish batches included).
CREATE VIRTUAL TABLE skills_search USING fts5(
  scope, name, description, content = 'skills', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO skills_search (skills_search) VALUES ('rebuild');

CREATE TRIGGER skills_search_insert AFTER INSERT ON skills BEGIN
  INSERT INTO skills_search (rowid, scope, name, description) VALUES (new.id, new.scope, new.name, new.description);
END;

CREATE TRIGGER skills_search_update AFTER UPDATE OF scope, name, description ON skills BEGIN
  INSERT INTO skills_search (skills_search, rowid, scope, name, description)
    VALUES ('delete', old.id, old.scope, old.name, old.description);
  INSERT INTO skills_search (rowid, scope, name, description) VALUES (new.id, new.scope, new.name, new.description);
END;

CREATE TRIGGER skills_search_delete AFTER DELETE ON skills BEGIN
  INSERT INTO skills_search (skills_search, rowid, scope, name, description)
    VALUES ('delete', old.id, old.scope, old.name, old.description);
END;

-- "Has a live version" (search, lists) from the index alone, without reading version rows.
CREATE INDEX versions_live ON versions(skill_id) WHERE unpublished_at IS NULL;
