-- The search index (docs/design/search-index.md). Rows are written by the append transaction from
-- the batch's search rows; events stored before this migration are indexed by the store's migrate,
-- in the same transaction, from their envelopes and their configuration's schema.
--
-- pg_trgm lives in public: an extension belongs to one schema of the database, and a schema of
-- its own (a test's, dropped with CASCADE) would take it from every other schema.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
-- Texts of string, text and datetime fields, whole. Collation "C" compares as SQLite does
-- (by code point) and lets the B-tree serve ordering; the B-tree keys the first 256 characters,
-- so a long value stays within the entry size limit while the row keeps it whole for the check.
CREATE TABLE search_texts (
  tree_id INTEGER NOT NULL,
  leaf_index BIGINT NOT NULL,
  field_no SMALLINT NOT NULL,
  text TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tree_id, leaf_index, field_no)
);
CREATE INDEX search_texts_by_value ON search_texts (tree_id, field_no, left(text, 256), leaf_index);
-- Contains matching: LIKE '%term%' through trigrams, rechecked on the row by PostgreSQL itself.
DO $$
DECLARE
  trgm_schema TEXT;
BEGIN
  SELECT n.nspname INTO trgm_schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX search_texts_trigrams ON search_texts USING gin (text %I.gin_trgm_ops)', trgm_schema);
END
$$;
-- Integer and boolean (0/1) values.
CREATE TABLE search_numbers (
  tree_id INTEGER NOT NULL,
  leaf_index BIGINT NOT NULL,
  field_no SMALLINT NOT NULL,
  number BIGINT NOT NULL,
  PRIMARY KEY (tree_id, leaf_index, field_no)
);
CREATE INDEX search_numbers_by_value ON search_numbers (tree_id, field_no, number, leaf_index);
-- received_at rises with leaf_index within a tree: a time window is a leaf range.
CREATE INDEX events_by_received_at ON events (tree_id, received_at);
-- Stored search results: the leaves, not copies of the events (zig-zag varint deltas).
CREATE TABLE result_sets (
  id TEXT PRIMARY KEY,
  token_id TEXT NOT NULL,
  config_id TEXT NOT NULL,
  tree_id INTEGER NOT NULL,
  leaves BYTEA NOT NULL,
  restriction TEXT NOT NULL,
  is_verbose BOOLEAN NOT NULL,
  tree_size BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX result_sets_by_expiry ON result_sets (expires_at);
