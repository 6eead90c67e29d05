-- Signed checkpoints (docs/design/publishing.md): each published root of a tree, with the
-- consistency proof from the checkpoint before it and the signed note. Never updated or deleted.
CREATE TABLE checkpoints (
  tree_id INTEGER NOT NULL REFERENCES trees(id),
  size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  published_at TEXT NOT NULL,
  previous_size INTEGER NOT NULL,
  consistency_proof TEXT NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (tree_id, size)
) WITHOUT ROWID;
-- What each anchor has been handed of each tree's checkpoints, and how its last attempt went.
CREATE TABLE anchor_states (
  anchor TEXT NOT NULL,
  tree_id INTEGER NOT NULL REFERENCES trees(id),
  delivered_size INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_success_at TEXT,
  last_error TEXT,
  last_error_at TEXT,
  PRIMARY KEY (anchor, tree_id)
);
