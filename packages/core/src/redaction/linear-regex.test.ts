// Custom redaction patterns on the linear-time matcher (issue 11 §2, §4 "a catastrophic regex
// refused or cut off without stalling ingestion"). The reference for what a pattern matches is
// JavaScript's own RegExp with the `g` flag, on inputs where it finishes quickly; fast-check
// draws the texts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compilePattern } from "./linear-regex.js";

function spansOf(source: string, flags: string, text: string): Array<[number, number]> {
  const compiled = compilePattern(source, flags);
  assert.ok(compiled.ok, compiled.ok ? "" : compiled.problem.detail);
  const found = compiled.pattern.findAll(text);
  assert.equal(found.complete, true);
  return found.spans;
}

function nativeSpans(source: string, flags: string, text: string): Array<[number, number]> {
  return [...text.matchAll(new RegExp(source, `${flags}g`))].map((m) => [m.index, m.index + m[0].length]);
}

describe("compilePattern and findAll", () => {
  const agreeing: Array<[string, string, string]> = [
    ["ORD-\\d{6}", "", "x ORD-123456 ORD-12345 ORD-654321y"],
    ["[A-Z]{2}\\d{2,4}", "", "AB12 ABC1234 ab12 XY99999"],
    ["colou?r", "i", "Color COLOUR colr"],
    ["a.*b", "", "a--b--b\na-b"],
    ["a.*?b", "", "a--b--b a-b"],
    ["a.*b", "s", "a\nb"],
    ["^id=\\w+$", "m", "id=1\nnope id=2\nid=three"],
    ["\\bcat\\b", "", "cat concat cat's bobcat"],
    ["(?:ab|a)(?:c|bcd)", "", "abcd abc"],
    ["(?<user>[a-z]+)@corp", "", "bob@corp, al@corp"],
    ["[^\\s,]+@x", "", "a@x, b c@x"],
    ["\\x41\\u0042[\\d-]+", "", "AB12-3 AB-"],
    ["a{2,}", "", "a aa aaaaa"],
    ["(a|b)+c", "", "ababc abc c"],
    ["x\\Bz|\\.", "", "xz x z a.b"],
  ];
  for (const [source, flags, text] of agreeing) {
    it(`matches /${source}/${flags} as JavaScript does`, () => {
      assert.deepEqual(spansOf(source, flags, text), nativeSpans(source, flags, text));
    });
  }

  it("agrees with JavaScript on drawn texts", () => {
    const patterns: Array<[string, string]> = [
      ["a+b?", ""],
      ["(ab|a)*c", ""],
      ["[ab]{1,3}?c", ""],
      ["\\bab", "i"],
      ["b(a|ab)+$", "m"],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.stringMatching(/^[abcAB \n]{0,30}$/),
        ([source, flags], text) => {
          assert.deepEqual(spansOf(source, flags, text), nativeSpans(source, flags, text));
        },
      ),
      { numRuns: 500 },
    );
  });

  const refused: Array<[string, string, RegExp]> = [
    ["(\\w)\\1", "", /backreference/],
    ["(?<n>a)\\k<n>", "", /backreference/],
    ["foo(?=bar)", "", /lookahead/],
    ["(?<!x)y", "", /lookbehind/],
    ["\\p{L}", "", /property|unknown escape/],
    ["a*", "", /empty/],
    ["x|", "", /empty/],
    ["\\b", "", /empty/],
    ["abc", "g", /flag g/],
    ["abc", "u", /flag u/],
    ["a{1,1000}", "", /at most/],
    ["(", "", /valid JavaScript/],
    ["a**", "", /valid JavaScript|nothing to repeat/],
    ["\\q", "", /unknown escape/],
    ["(?:(?:(?:a{100}){100}))", "", /at most|over/],
  ];
  for (const [source, flags, reason] of refused) {
    it(`refuses /${source}/${flags}`, () => {
      const compiled = compilePattern(source, flags);
      assert.equal(compiled.ok, false);
      if (!compiled.ok) assert.match(compiled.problem.detail, reason);
    });
  }

  it("runs catastrophic patterns in linear steps instead of backtracking", () => {
    // Each takes a JavaScript RegExp exponential time on this text (not run here, for that reason).
    const text = `${"a".repeat(30_000)}!`;
    for (const source of ["(a+)+$", "(a|aa)+$", "(a*)*b", "(?:a|a)*c", "^(\\w+\\s?)+$"]) {
      const compiled = compilePattern(source);
      assert.ok(compiled.ok, source);
      const found = compiled.pattern.findAll(text);
      // A single scan: at most (instructions × (characters + 1)) steps per start that survives;
      // the budget of twice that is what bounds it, and the scan must finish within it.
      assert.equal(found.complete, true, source);
      assert.deepEqual(found.spans, [], source);
      assert.ok(
        found.steps <= 2 * compiled.pattern.size * (text.length + 1),
        `${source}: ${found.steps} steps`,
      );
    }
  });

  it("stops at its step budget and says so, rather than run on", () => {
    // A greedy branch outlives the preferred short match, so every match rescans the rest of the
    // text: quadratic, which the budget cuts off.
    const compiled = compilePattern("a[^x]*x|ab");
    assert.ok(compiled.ok);
    const text = "ab".repeat(20_000);
    const found = compiled.pattern.findAll(text);
    assert.equal(found.complete, false);
    assert.ok(found.spans.length < 20_000);
    assert.ok(found.steps <= 2 * compiled.pattern.size * (text.length + 1) + compiled.pattern.size * 2);
    // With a budget big enough the same search completes and agrees with JavaScript.
    const small = "ab".repeat(50);
    assert.deepEqual(
      compiled.pattern.findAll(small, Number.POSITIVE_INFINITY).spans,
      nativeSpans("a[^x]*x|ab", "", small),
    );
  });
});
