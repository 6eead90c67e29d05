import assert from "node:assert/strict";
import { test } from "node:test";
import { parseQuery } from "@veritrail/core";
import { STANDARD_SCHEMA } from "../../ingest/event-schema.js";
import type { SearchQuery } from "./search.js";
import { searchFieldNumbers } from "./search.js";
import {
  decodeLeafList,
  EXACT_SAMPLE,
  encodeLeafList,
  exactDrivers,
  planSearch,
  rarestExact,
} from "./search-plan.js";

function searchOf(text: string): SearchQuery {
  const parsed = parseQuery(text, STANDARD_SCHEMA);
  assert.ok(parsed.ok, text);
  return {
    treeId: 1,
    schema: STANDARD_SCHEMA,
    fieldNumbers: searchFieldNumbers(STANDARD_SCHEMA),
    where: parsed.ast,
    startMicros: undefined,
    endMicros: undefined,
    order: "desc",
    orderBy: { kind: "received_at" },
    limit: 20,
  };
}

const drivenBy = (query: SearchQuery, choice?: number) => {
  const { driver } = planSearch(query, choice === undefined ? {} : { exact: choice });
  return driver.kind === "exact" ? driver.values : driver.kind;
};

test("the first single exact match drives unless the backend names a rarer one", () => {
  const query = searchOf("action=login tenant_id=t7 message:kakaka");
  assert.deepEqual(
    exactDrivers(query).map((d) => d.values),
    [["login"], ["t7"]],
  );
  assert.deepEqual(drivenBy(query), ["login"]);
  assert.deepEqual(drivenBy(query, 1), ["t7"]);
  // The one not chosen stays in the residual.
  assert.match(JSON.stringify(planSearch(query, { exact: 1 }).residual), /login/);
  assert.doesNotMatch(JSON.stringify(planSearch(query, { exact: 1 }).residual), /"t7"/);
});

test("an or of values and a contains term are not exact drivers to choose among", () => {
  assert.equal(exactDrivers(searchOf("(actor=a OR actor=b) message:kakaka")).length, 0);
  assert.equal(exactDrivers(searchOf("actor=a")).length, 1);
});

test("the rarest sample is the one with fewer leaves, else the one spanning more leaves", () => {
  const full = (from: number, step: number) =>
    Array.from({ length: EXACT_SAMPLE }, (_, i) => from - i * step);
  assert.equal(rarestExact([full(10_000, 1), full(10_000, 40)]), 1);
  assert.equal(rarestExact([full(10_000, 40), full(10_000, 1)]), 0);
  assert.equal(rarestExact([full(10_000, 40), [9_000, 5]]), 1);
  assert.equal(
    rarestExact([
      [9_000, 5, 3],
      [9_000, 5],
    ]),
    1,
  );
  assert.equal(rarestExact([[], [9_000]]), 0);
  // Ascending samples span the same way.
  assert.equal(rarestExact([full(0, -1), full(0, -7)]), 1);
  assert.equal(rarestExact([[1], [1]]), 0);
});

test("containsFirst lets the contains term drive, the exact matches left to the residual", () => {
  const query = searchOf("action=login message:kakazu");
  const plan = planSearch(query, { containsFirst: true });
  const message = searchFieldNumbers(STANDARD_SCHEMA).get("message");
  assert.deepEqual(plan.driver, { kind: "contains", fieldNo: message, term: "kakazu" });
  assert.match(JSON.stringify(plan.residual), /login/);
  assert.deepEqual(planSearch(query).driver.kind, "exact");
  // Without a contains term, the exact match drives all the same.
  assert.equal(planSearch(searchOf("action=login"), { containsFirst: true }).driver.kind, "exact");
});

test("a result set's leaf list decodes to the leaves encoded, in any order and at any distance", () => {
  const cases = [
    [],
    [0],
    [999_999, 999_998, 17, 2 ** 36 - 1, 0],
    Array.from({ length: 10_000 }, (_, i) => 1_000_000 - i * 3),
    [2 ** 52, 0, 2 ** 52],
  ];
  for (const leaves of cases) assert.deepEqual(decodeLeafList(encodeLeafList(leaves)), leaves);
  // Neighbouring leaves cost one byte each; the first is a delta from 0.
  assert.equal(encodeLeafList([5, 6, 7, 8]).length, 4);
});
