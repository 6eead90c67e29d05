-- A rotation adds a version under the same key id: the id is unique per version, not alone.
-- SQLite cannot drop a constraint, so the table is copied into one without it.
CREATE TABLE signing_keys_by_version (
  config_id TEXT NOT NULL REFERENCES configs(id),
  version INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  private_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (config_id, version),
  UNIQUE (key_id, version)
);
INSERT INTO signing_keys_by_version (config_id, version, key_id, private_key, public_key, created_at)
  SELECT config_id, version, key_id, private_key, public_key, created_at FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_by_version RENAME TO signing_keys;
