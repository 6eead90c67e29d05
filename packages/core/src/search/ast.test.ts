// Normal form of query ASTs (ast.ts): the shapes backends may rely on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conjoin, disjoin, MATCH_ALL, MATCH_NONE, type MatchNode, negate } from "./ast.js";

const term = (value: string): MatchNode => ({
  kind: "match",
  field: null,
  fieldType: null,
  op: "contains",
  value,
});
const [a, b, c, d] = [term("a"), term("b"), term("c"), term("d")];

describe("conjoin", () => {
  it("flattens nested ands into one", () => {
    assert.deepEqual(conjoin([a, conjoin([b, c]), d]), { kind: "and", children: [a, b, c, d] });
  });

  it("keeps an or inside an and as one child", () => {
    assert.deepEqual(conjoin([a, disjoin([b, c])]), {
      kind: "and",
      children: [a, { kind: "or", children: [b, c] }],
    });
  });

  it("drops all, and is all when nothing is left", () => {
    assert.deepEqual(conjoin([MATCH_ALL, a, MATCH_ALL, b]), { kind: "and", children: [a, b] });
    assert.deepEqual(conjoin([]), MATCH_ALL);
    assert.deepEqual(conjoin([MATCH_ALL]), MATCH_ALL);
  });

  it("is none when any child is none", () => {
    assert.deepEqual(conjoin([a, MATCH_NONE, b]), MATCH_NONE);
  });

  it("does not wrap a single child", () => {
    assert.equal(conjoin([a]), a);
    assert.equal(conjoin([MATCH_ALL, a]), a);
  });
});

describe("disjoin", () => {
  it("flattens nested ors into one", () => {
    assert.deepEqual(disjoin([disjoin([a, b]), disjoin([c, d])]), { kind: "or", children: [a, b, c, d] });
  });

  it("drops none, and is none when nothing is left", () => {
    assert.deepEqual(disjoin([MATCH_NONE, a, b]), { kind: "or", children: [a, b] });
    assert.deepEqual(disjoin([]), MATCH_NONE);
  });

  it("is all when any child is all", () => {
    assert.deepEqual(disjoin([a, MATCH_ALL]), MATCH_ALL);
  });

  it("does not wrap a single child", () => {
    assert.equal(disjoin([MATCH_NONE, a]), a);
  });
});

describe("negate", () => {
  it("wraps a match or a group in not", () => {
    assert.deepEqual(negate(a), { kind: "not", child: a });
    assert.deepEqual(negate(conjoin([a, b])), { kind: "not", child: { kind: "and", children: [a, b] } });
  });

  it("cancels a double negation", () => {
    assert.equal(negate(negate(a)), a);
  });

  it("swaps all and none", () => {
    assert.deepEqual(negate(MATCH_ALL), MATCH_NONE);
    assert.deepEqual(negate(MATCH_NONE), MATCH_ALL);
  });
});
