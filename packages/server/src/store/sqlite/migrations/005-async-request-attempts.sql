-- Passing faults postpone a request: how often it was tried, and the last fault, for operators.
ALTER TABLE async_requests ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE async_requests ADD COLUMN last_error TEXT;
