-- v1/export files (docs/design/exports.md): the gzip bytes of each finished export, in numbered
-- chunks, so that any process serves its download; they are deleted with their request.
CREATE TABLE export_chunks (
  request_id TEXT NOT NULL REFERENCES async_requests(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (request_id, attempt, seq)
);
CREATE TABLE export_files (
  request_id TEXT PRIMARY KEY REFERENCES async_requests(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('csv', 'json')),
  chunks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  events INTEGER NOT NULL,
  restriction TEXT NOT NULL,
  created_at TEXT NOT NULL
);
-- Secrets the server makes for itself (the key that signs download links), one for every process.
CREATE TABLE server_secrets (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  created_at TEXT NOT NULL
);
