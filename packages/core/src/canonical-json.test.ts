// Canonical JSON (RFC 8785 / JCS) as wire-protocol §5.2 asks for it.
// Where the vectors come from:
// - the key-sorting example is the one printed in RFC 8785 §3.2.3;
// - the number forms are ECMAScript Number::toString results (RFC 8785 §3.2.2.3 and its
//   Appendix B), written out literally here rather than recomputed with JSON.stringify;
// - the BMP-vs-astral key case is the ordering difference wire-protocol §5.2 warns about
//   (JCS sorts by UTF-16 code unit, Python's json.dumps by code point).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalize } from "./canonical-json.js";
import { CoreError } from "./errors.js";

const isCode = (code: string) => (e: unknown) => e instanceof CoreError && e.code === code;

describe("canonicalize: object members", () => {
  it("sorts keys whatever order they were inserted in", () => {
    assert.equal(canonicalize({ b: 1, c: 3, a: 2 }), '{"a":2,"b":1,"c":3}');
  });

  it("sorts integer-like keys as strings, not as numbers", () => {
    // Object.keys lists "9" before "10"; JCS compares the strings, so "10" < "9".
    assert.equal(canonicalize({ 9: "nine", 10: "ten", a: "a" }), '{"10":"ten","9":"nine","a":"a"}');
  });

  it("orders a key outside the BMP before a BMP key above U+E000 (UTF-16 code units, not code points)", () => {
    // "\u{1F600}" is the surrogate pair D83D DE00; D83D < E000, so it sorts first under JCS.
    // Sorting by code point (as Python does) would put U+E000 first.
    const out = canonicalize({ "\uE000": "private use", "\u{1F600}": "grinning face", a: "ascii" });
    assert.equal(out, '{"a":"ascii","\u{1F600}":"grinning face","\uE000":"private use"}');
  });

  it("reproduces the sorting example of RFC 8785 §3.2.3", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const expected =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    assert.equal(canonicalize(input), expected);
  });

  it("leaves out members whose value is undefined", () => {
    assert.equal(canonicalize({ a: undefined, b: 1, c: undefined }), '{"b":1}');
    assert.equal(canonicalize({ only: undefined }), "{}");
  });

  it("writes undefined array items as null, as JSON.stringify does", () => {
    assert.equal(canonicalize([1, undefined, 2]), "[1,null,2]");
  });

  it("writes the holes of a sparse array as null, as JSON.stringify does", () => {
    const sparse: unknown[] = [];
    sparse[1] = 1;
    assert.equal(canonicalize(sparse), "[null,1]");
    assert.equal(canonicalize(new Array(2)), "[null,null]");
  });

  it("rejects objects that are not plain JSON objects, such as a Date or a Map", () => {
    for (const value of [new Date(0), new Map(), { nested: new Date(0) }]) {
      assert.throws(
        () => canonicalize(value),
        (e: unknown) => e instanceof CoreError && e.code === "ERR_CANONICAL_JSON",
      );
    }
  });
});

describe("canonicalize: structure and whitespace", () => {
  it("sorts keys at every depth of nested arrays and objects and keeps array order", () => {
    const value = { z: [3, { y: 1, x: [true, false, null] }, []], a: {}, m: { d: { c: "deep", b: [2, 1] } } };
    assert.equal(
      canonicalize(value),
      '{"a":{},"m":{"d":{"b":[2,1],"c":"deep"}},"z":[3,{"x":[true,false,null],"y":1},[]]}',
    );
  });

  it("emits no whitespace between tokens", () => {
    const out = canonicalize({ list: [1, 2, { k: "v w" }], flag: true });
    assert.equal(out, '{"flag":true,"list":[1,2,{"k":"v w"}]}');
    // The only space is inside the string value.
    assert.equal(out.replace('"v w"', "").match(/\s/), null);
  });

  it("serialises the scalars true, false and null", () => {
    assert.equal(canonicalize(true), "true");
    assert.equal(canonicalize(false), "false");
    assert.equal(canonicalize(null), "null");
  });
});

describe("canonicalize: strings", () => {
  it("keeps non-ASCII characters unescaped (UTF-8 on the wire)", () => {
    assert.equal(canonicalize("é 日本 \u{1F600} \u2028"), '"é 日本 \u{1F600} \u2028"');
    assert.equal(canonicalize({ clé: "valeur" }), '{"clé":"valeur"}');
  });

  it("escapes quotes, backslashes and control characters the JCS way", () => {
    assert.equal(canonicalize('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(canonicalize("\n\t\b\f\r"), '"\\n\\t\\b\\f\\r"');
    assert.equal(canonicalize("\u0001\u001f"), '"\\u0001\\u001f"');
    assert.equal(canonicalize("\u007f"), '"\u007f"');
  });
});

describe("canonicalize: numbers in ECMAScript form", () => {
  const cases: Array<[number, string]> = [
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [1.0, "1"],
    [-3, "-3"],
    [1.5, "1.5"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e20, "100000000000000000000"],
    [1e21, "1e+21"],
    [1e-6, "0.000001"],
    [1e-7, "1e-7"],
    [-1.25e-10, "-1.25e-10"],
    [2 ** 53, "9007199254740992"],
    [5e-324, "5e-324"],
    [Number.MAX_VALUE, "1.7976931348623157e+308"],
    [123456789012345680000, "123456789012345680000"],
  ];
  for (const [input, expected] of cases) {
    it(`writes ${Object.is(input, -0) ? "-0" : String(input)} as ${expected}`, () => {
      assert.equal(canonicalize(input), expected);
      assert.equal(canonicalize({ n: input }), `{"n":${expected}}`);
    });
  }
});

describe("canonicalize: values JSON cannot represent", () => {
  const bad: Array<[string, unknown]> = [
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["a bigint", 10n],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["undefined at the top level", undefined],
    ["NaN nested in an object inside an array", { a: [{ b: Number.NaN }] }],
    ["a bigint as an object member", { a: 1n }],
    ["a function as an array item", [1, () => 2]],
  ];
  for (const [name, value] of bad) {
    it(`throws ERR_CANONICAL_JSON for ${name}`, () => {
      assert.throws(() => canonicalize(value), isCode("ERR_CANONICAL_JSON"));
    });
  }
});

describe("canonicalize: properties over random JSON", () => {
  it("is idempotent: canonicalising the parsed output gives the same text", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        assert.equal(canonicalize(JSON.parse(once)), once);
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on the insertion order of keys", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        assert.equal(canonicalize(reversed), canonicalize(record));
      }),
      { numRuns: 200 },
    );
  });

  it("lists keys in UTF-16 code unit order, compared unit by unit", () => {
    // An explicit code-unit comparison, independent of Array.prototype.sort's default.
    const byCodeUnits = (a: string, b: string): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const d = a.charCodeAt(i) - b.charCodeAt(i);
        if (d !== 0) return d;
      }
      return a.length - b.length;
    };
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary" }), fc.integer()), (record) => {
        const keys = Object.keys(record).sort(byCodeUnits);
        const expected = `{${keys.map((k) => `${JSON.stringify(k)}:${record[k]}`).join(",")}}`;
        assert.equal(canonicalize(record), expected);
      }),
      { numRuns: 200 },
    );
  });
});
