import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_JSON_DEPTH, MAX_JSON_OBJECT_KEYS, MAX_JSON_VALUES } from "../limits.js";
import { checkJsonShape } from "./json-shape.js";

/** `depth` objects, each the only value of key `k` of the one around it. */
function chain(depth: number, key = "k"): unknown {
  let value: unknown = {};
  for (let i = 1; i < depth; i++) value = { [key]: value };
  return value;
}

describe("checkJsonShape", () => {
  it("accepts scalars, empty containers and a body nested exactly to the bound", () => {
    for (const body of [null, 1, "s", true, {}, [], chain(MAX_JSON_DEPTH)]) {
      assert.equal(checkJsonShape(body), undefined);
    }
  });

  it("answers AboveMaxDepth with the pointer of the first container past the bound", () => {
    const problem = checkJsonShape(chain(MAX_JSON_DEPTH + 1));
    assert.equal(problem?.code, "AboveMaxDepth");
    assert.equal(problem?.source, "/k".repeat(MAX_JSON_DEPTH));
  });

  it("walks 100,000 levels without recursing", () => {
    const problem = checkJsonShape(JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`));
    assert.equal(problem?.code, "AboveMaxDepth");
    assert.equal(problem?.source, "/0".repeat(MAX_JSON_DEPTH));
  });

  it("escapes the reference tokens of the pointer (RFC 6901)", () => {
    assert.equal(checkJsonShape(chain(MAX_JSON_DEPTH + 1, "a/b~"))?.source, "/a~1b~0".repeat(MAX_JSON_DEPTH));
  });

  it("answers AboveMaxProperties at an object with one member too many, not at an array that long", () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_JSON_OBJECT_KEYS + 1 }, (_, i) => [`f${i}`, i]));
    assert.deepEqual(
      { ...checkJsonShape({ event: wide }), detail: "" },
      { code: "AboveMaxProperties", detail: "", source: "/event" },
    );
    assert.equal(checkJsonShape({ events: new Array(MAX_JSON_OBJECT_KEYS + 1).fill(0) }), undefined);
  });

  it("answers IsTooBig at the container whose members carry the count past the bound", () => {
    // The body, `a` and `b` count 3; so `b` may hold MAX - 3 values and not one more.
    assert.equal(checkJsonShape({ a: { b: new Array(MAX_JSON_VALUES - 3).fill(0) } }), undefined);
    const problem = checkJsonShape({ a: { b: new Array(MAX_JSON_VALUES - 2).fill(0) } });
    assert.equal(problem?.code, "IsTooBig");
    assert.equal(problem?.source, "/a/b");
  });
});
