CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE configs (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  settings JSONB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX configs_by_project ON configs(project_id);
CREATE TABLE trees (
  id SERIAL PRIMARY KEY,
  config_id TEXT NOT NULL UNIQUE REFERENCES configs(id),
  tree_name TEXT NOT NULL UNIQUE,
  size BIGINT NOT NULL DEFAULT 0,
  root_hash BYTEA,
  last_received_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE events (
  tree_id INTEGER NOT NULL,
  leaf_index BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  envelope TEXT NOT NULL,
  PRIMARY KEY (tree_id, leaf_index)
);
CREATE TABLE merkle_nodes (
  tree_id INTEGER NOT NULL,
  level SMALLINT NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (tree_id, level, idx)
);
CREATE TABLE tree_roots (
  tree_id INTEGER NOT NULL,
  root_hash BYTEA NOT NULL,
  size BIGINT NOT NULL,
  PRIMARY KEY (tree_id, root_hash)
);
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('admin', 'service')),
  secret_hash BYTEA NOT NULL UNIQUE,
  previous_secret_hash BYTEA UNIQUE,
  previous_valid_until TEXT,
  expires_at TEXT,
  revoked_at TEXT,
  grants JSONB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE async_requests (
  id TEXT PRIMARY KEY,
  token_id TEXT NOT NULL,
  config_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  payload TEXT NOT NULL,
  result TEXT,
  error TEXT,
  owner TEXT,
  lease_until BIGINT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX async_requests_pending ON async_requests(state, lease_until);
