// received_at formatting and parsing, wire-protocol §5.1 step 4.
// Where the vectors come from (test-vectors/README.md names the origin of each file):
// - the real Pangea record test-vectors/pangea-log-artifact.json, an in-repo copy of the shared
//   reference/pangea-log-artifact.json (pangea-python's tests/testdata/log_artifact.json): its
//   envelope's received_at, as Pangea's service wrote it;
// - the other expected texts are worked out by hand from the ISO 8601 form; the property test
//   checks the fraction with integer arithmetic independent of the formatter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatReceivedAt, parseReceivedAt, ReceivedAtFormatter } from "./received-at.js";
import { readTestVector } from "./test-support/test-vectors.js";

const artifact = JSON.parse(readTestVector("pangea-log-artifact.json")) as {
  envelope: { received_at: string };
};

describe("received_at formatting (wire-protocol §5.1 step 4)", () => {
  const at = (iso: string, micros: number) => Date.parse(iso) * 1000 + micros;

  it("writes six fractional digits and a Z", () => {
    assert.equal(formatReceivedAt(1_704_164_645_123_456), "2024-01-02T03:04:05.123456Z");
  });

  it("keeps leading zeros of the fraction", () => {
    const cases: Array<[number, string]> = [
      [0, "2024-01-02T03:04:05.000000Z"],
      [1, "2024-01-02T03:04:05.000001Z"],
      [10, "2024-01-02T03:04:05.000010Z"],
      [999, "2024-01-02T03:04:05.000999Z"],
      [1_000, "2024-01-02T03:04:05.001000Z"],
      [10_203, "2024-01-02T03:04:05.010203Z"],
      [999_999, "2024-01-02T03:04:05.999999Z"],
    ];
    for (const [micros, expected] of cases) {
      assert.equal(formatReceivedAt(at("2024-01-02T03:04:05Z", micros)), expected);
    }
  });

  it("formats the epoch itself", () => {
    assert.equal(formatReceivedAt(0), "1970-01-01T00:00:00.000000Z");
  });

  it("round-trips the real artifact's received_at through parseReceivedAt", () => {
    const receivedAt = artifact.envelope.received_at;
    assert.equal(receivedAt, "2023-06-05T17:01:28.026682Z");
    const micros = parseReceivedAt(receivedAt);
    assert.equal(micros, at("2023-06-05T17:01:28Z", 26_682));
    assert.equal(formatReceivedAt(micros), receivedAt);
  });

  it("round-trips any microsecond time up to year 2200 and always matches the six-digit shape", () => {
    const limit = BigInt(Date.UTC(2200, 0, 1)) * 1000n;
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: limit }), (big) => {
        const micros = Number(big);
        const text = formatReceivedAt(micros);
        assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        // The fraction, checked with integer arithmetic independent of the formatter.
        assert.equal(text.slice(20, 26), String(big % 1_000_000n).padStart(6, "0"));
        assert.equal(parseReceivedAt(text), micros);
      }),
      { numRuns: 500 },
    );
  });

  it("parses only the six-digit form: anything else is NaN", () => {
    for (const bad of [
      "2024-01-02T03:04:05.123Z",
      "2024-01-02T03:04:05Z",
      "2024-01-02T03:04:05.123456+00:00",
      "2024-01-02T03:04:05.123456",
      "garbage",
    ]) {
      assert.ok(Number.isNaN(parseReceivedAt(bad)), bad);
    }
  });
});

describe("ReceivedAtFormatter", () => {
  const at = (iso: string, micros: number) => Date.parse(iso) * 1000 + micros;

  /** Formats each time with one formatter and checks it against the stateless function. */
  function assertSameAsFunction(formatter: ReceivedAtFormatter, times: readonly number[]): void {
    for (const micros of times)
      assert.equal(formatter.format(micros), formatReceivedAt(micros), String(micros));
  }

  it("gives the texts of the examples above", () => {
    const formatter = new ReceivedAtFormatter();
    assert.equal(formatter.format(1_704_164_645_123_456), "2024-01-02T03:04:05.123456Z");
    assert.equal(formatter.format(1_704_164_645_123_457), "2024-01-02T03:04:05.123457Z");
    assert.equal(formatter.format(0), "1970-01-01T00:00:00.000000Z");
  });

  it("gives the new date part when consecutive times cross a millisecond, a second, or a year", () => {
    const formatter = new ReceivedAtFormatter();
    const cases: Array<[number, string]> = [
      [at("2024-01-02T03:04:05Z", 998), "2024-01-02T03:04:05.000998Z"],
      [at("2024-01-02T03:04:05Z", 999), "2024-01-02T03:04:05.000999Z"],
      [at("2024-01-02T03:04:05Z", 1_000), "2024-01-02T03:04:05.001000Z"],
      [at("2024-01-02T03:04:05Z", 1_001), "2024-01-02T03:04:05.001001Z"],
      [at("2024-01-02T03:04:05Z", 999_998), "2024-01-02T03:04:05.999998Z"],
      [at("2024-01-02T03:04:05Z", 999_999), "2024-01-02T03:04:05.999999Z"],
      [at("2024-01-02T03:04:06Z", 0), "2024-01-02T03:04:06.000000Z"],
      [at("2024-01-02T03:04:06Z", 1), "2024-01-02T03:04:06.000001Z"],
      [at("2023-12-31T23:59:59Z", 999_999), "2023-12-31T23:59:59.999999Z"],
      [at("2024-01-01T00:00:00Z", 0), "2024-01-01T00:00:00.000000Z"],
      // Back into the millisecond before: the memo is replaced, never reused for another millisecond.
      [at("2023-12-31T23:59:59Z", 999_999), "2023-12-31T23:59:59.999999Z"],
    ];
    for (const [micros, expected] of cases) {
      assert.equal(formatter.format(micros), expected);
      assert.equal(formatReceivedAt(micros), expected);
    }
  });

  it("matches formatReceivedAt at the edges: epoch, before it, leap day, and the largest safe integer", () => {
    assertSameAsFunction(new ReceivedAtFormatter(), [
      0,
      1,
      999,
      1_000,
      -1,
      -999,
      -1_000,
      -1_001,
      at("2024-02-29T23:59:59Z", 999_999),
      at("2024-03-01T00:00:00Z", 0),
      at("9999-12-31T23:59:59Z", 999_999),
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER - 1,
      0,
    ]);
    assert.equal(new ReceivedAtFormatter().format(-1), "1969-12-31T23:59:59.999999Z");
  });

  it("matches formatReceivedAt over random times, one formatter for the whole run", () => {
    const formatter = new ReceivedAtFormatter();
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger(), { maxLength: 20 }), (times) =>
        assertSameAsFunction(formatter, times),
      ),
      { numRuns: 300 },
    );
  });

  it("matches formatReceivedAt over random runs of nearby times that share and cross milliseconds", () => {
    const formatter = new ReceivedAtFormatter();
    const start = fc.bigInt({ min: 0n, max: BigInt(Date.UTC(2200, 0, 1)) * 1000n }).map(Number);
    // Steps of up to ±2 ms around a start, so consecutive times often fall in one millisecond.
    const steps = fc.array(fc.integer({ min: -2_000, max: 2_000 }), { minLength: 1, maxLength: 50 });
    fc.assert(
      fc.property(start, steps, (first, deltas) => {
        const times = [first];
        for (const delta of deltas) times.push(times.at(-1)! + delta);
        assertSameAsFunction(formatter, times);
      }),
      { numRuns: 300 },
    );
  });

  it("throws as formatReceivedAt does for a time Date cannot show, and keeps no memo of it", () => {
    const formatter = new ReceivedAtFormatter();
    const tooLate = (8.64e15 + 1) * 1000; // one millisecond past the largest Date
    assert.equal(formatter.format(5_000), "1970-01-01T00:00:00.005000Z");
    assert.throws(() => formatReceivedAt(tooLate), RangeError);
    assert.throws(() => formatter.format(tooLate), RangeError);
    assert.throws(() => formatter.format(tooLate), RangeError);
    assert.throws(() => formatter.format(Number.NaN), RangeError);
    assert.equal(formatter.format(5_001), "1970-01-01T00:00:00.005001Z");
  });

  it("keeps its memo to itself: two formatters used in turn each give the right text", () => {
    const a = new ReceivedAtFormatter();
    const b = new ReceivedAtFormatter();
    assert.equal(a.format(at("2024-01-02T03:04:05Z", 1)), "2024-01-02T03:04:05.000001Z");
    assert.equal(b.format(at("2030-06-07T08:09:10Z", 2)), "2030-06-07T08:09:10.000002Z");
    assert.equal(a.format(at("2024-01-02T03:04:05Z", 3)), "2024-01-02T03:04:05.000003Z");
    assert.equal(b.format(at("2030-06-07T08:09:10Z", 4)), "2030-06-07T08:09:10.000004Z");
  });
});
