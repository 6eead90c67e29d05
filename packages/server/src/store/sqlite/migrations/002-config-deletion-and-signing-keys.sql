ALTER TABLE configs ADD COLUMN deleted_at TEXT;
CREATE INDEX tokens_by_project ON tokens(project_id);
CREATE TABLE signing_keys (
  config_id TEXT NOT NULL REFERENCES configs(id),
  version INTEGER NOT NULL,
  key_id TEXT NOT NULL UNIQUE,
  private_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (config_id, version)
);
