-- Retention (docs/design/retention.md): how far each tree's events have expired. Every leaf below
-- expired_below has lost its envelope to retention (or was erased on request before); its hash,
-- received_at and every node hash stay. The job moves the cursor in the transaction that
-- tombstones the leaves, so it never runs ahead of what was removed.
CREATE TABLE retention_cursors (
  tree_id INTEGER PRIMARY KEY REFERENCES trees(id),
  expired_below BIGINT NOT NULL
);
