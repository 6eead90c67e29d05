-- Console sessions (docs/design/console-sessions.md): a sign-in with a token becomes a row found
-- by the SHA-256 of the cookie's secret; sign-out sets ended_at, and expired rows are deleted.
CREATE TABLE console_sessions (
  secret_hash BLOB PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES tokens(id),
  -- The hash of the token secret signed in with: rotating the token ends the session with that secret.
  token_secret_hash BLOB NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ended_at TEXT
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
