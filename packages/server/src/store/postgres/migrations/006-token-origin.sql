-- Where a token came from, so that the admin credential VERITRAIL_ADMIN_TOKEN made can be told
-- apart and revoked at start once the variable holds another secret (docs/design/tokens.md).
-- Rows stored before this column count as made through the admin API: nothing revokes them
-- unasked, but a start whose VERITRAIL_ADMIN_TOKEN is a row's current secret marks that row.
ALTER TABLE tokens ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'
  CHECK (origin IN ('environment', 'generated', 'api'));
