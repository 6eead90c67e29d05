import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchemaField } from "@veritrail/core";
import { applySuggestion, errorPosition, suggest, wordAt } from "./query-words.js";

const FIELDS: SchemaField[] = [
  { id: "actor", type: "string", required: false, redact: false },
  { id: "count", type: "integer", required: false, redact: false },
  { id: "ok", type: "boolean", required: false, redact: false },
  { id: "at", type: "datetime", required: false, redact: false },
  { id: "blob", type: "string-unindexed", required: false, redact: false },
];
const inserts = (q: string, caret = q.length) => suggest(q, caret, FIELDS).map((s) => s.insert);

describe("query autocomplete", () => {
  it("offers each searchable field with the operators its type allows, never string-unindexed", () => {
    assert.deepEqual(inserts(""), [
      "actor=",
      "actor:",
      "count=",
      "count<",
      "count>",
      "ok=",
      "at=",
      "at<",
      "at>",
    ]);
    assert.deepEqual(inserts("a"), ["actor=", "actor:", "at=", "at<", "at>"]);
    assert.deepEqual(inserts("bl"), []);
    assert.deepEqual(inserts("x=1 AND -ac"), ["-actor=", "-actor:"]);
    assert.deepEqual(inserts("(co"), ["(count=", "(count<", "(count>"]);
  });

  it("offers values after a field and operator, and AND / OR after a complete term", () => {
    assert.deepEqual(inserts("ok="), ["ok=true", "ok=false"]);
    assert.equal(suggest("at>", 3, FIELDS)[0]?.label, "Today");
    assert.deepEqual(inserts("actor=alice "), ["AND ", "OR "]);
    assert.deepEqual(inserts("actor=alice O"), ["OR "]);
  });

  it("replaces only the word at the caret", () => {
    const query = "actor=alice AND co count>3";
    const caret = "actor=alice AND co".length;
    assert.equal(wordAt(query, caret).current.text, "co");
    assert.deepEqual(applySuggestion(query, caret, "count="), {
      query: "actor=alice AND count= count>3",
      caret: 22,
    });
  });

  it("reads the position a server's query error names", () => {
    assert.equal(errorPosition('expected ")" to close "(" at position 16'), 16);
    assert.equal(errorPosition("query is required"), undefined);
  });
});
