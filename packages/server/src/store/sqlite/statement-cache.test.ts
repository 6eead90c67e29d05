import assert from "node:assert/strict";
import { test } from "node:test";
import Database from "better-sqlite3";
import { StatementCache } from "./statement-cache.js";

test("prepareShaped reuses a statement per text, hands it out with pluck off, and keeps only the latest 256", () => {
  const cache = new StatementCache(new Database(":memory:"));
  const first = cache.prepareShaped("SELECT 1 AS one");
  assert.equal(first.pluck().get(), 1);
  const again = cache.prepareShaped("SELECT 1 AS one");
  assert.equal(again, first);
  assert.deepEqual(again.get(), { one: 1 }, "a plucking caller does not leave the statement plucking");

  for (let i = 0; i < 256; i++) cache.prepareShaped("SELECT " + String(i) + " AS n");
  assert.notEqual(cache.prepareShaped("SELECT 1 AS one"), first, "the least recently used text was let go");
  const kept = cache.prepareShaped("SELECT 255 AS n");
  assert.equal(cache.prepareShaped("SELECT 255 AS n"), kept);
});
