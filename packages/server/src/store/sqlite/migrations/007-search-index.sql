-- The search index (docs/design/search-index.md). Rows are written by the append transaction from
-- the batch's search rows; events stored before this migration are indexed by the store's migrate,
-- in the same transaction, from their envelopes and their configuration's schema.
--
-- search_values: every indexed value of every event, for exact matches, comparisons and ordering.
-- `value` has no declared type, so it keeps what is stored: TEXT for string, text and datetime
-- fields (at most the first 256 characters; `cut` = 1 when the value was longer), INTEGER for
-- integer and boolean fields. The primary key serves exact matches in leaf order; the second
-- index serves the probes of one event's value of one field.
CREATE TABLE search_values (
  tree_id INTEGER NOT NULL,
  field_no INTEGER NOT NULL,
  value NOT NULL,
  leaf_index INTEGER NOT NULL,
  cut INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tree_id, field_no, value, leaf_index)
) WITHOUT ROWID;
CREATE INDEX search_values_by_leaf ON search_values(tree_id, leaf_index, field_no);
-- Contains matching: whole texts, case-sensitive trigrams, no copy of the content. The rowid packs
-- tree_id * 2^44 + leaf_index * 2^8 + field_no, so a match names its event and field, rowid order
-- is leaf order within a tree, and a tree (or a window of it) is a rowid range.
CREATE VIRTUAL TABLE search_trigrams USING fts5(
  text,
  tokenize = 'trigram case_sensitive 1',
  content = '',
  columnsize = 0
);
-- received_at rises with leaf_index within a tree: a time window is a leaf range.
CREATE INDEX events_by_received_at ON events(tree_id, received_at);
-- Stored search results: the leaves, not copies of the events (zig-zag varint deltas).
CREATE TABLE result_sets (
  id TEXT PRIMARY KEY,
  token_id TEXT NOT NULL,
  config_id TEXT NOT NULL,
  tree_id INTEGER NOT NULL,
  leaves BLOB NOT NULL,
  restriction TEXT NOT NULL,
  is_verbose INTEGER NOT NULL,
  tree_size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX result_sets_by_expiry ON result_sets(expires_at);
