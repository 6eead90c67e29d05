-- PostgreSQL's 012 gives its by-value index a plain prefix column, for index-only scans. SQLite's
-- `search_values` already is that index (WITHOUT ROWID, keyed by the value itself): nothing to do.
SELECT 1;
