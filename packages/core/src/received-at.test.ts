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
import { formatReceivedAt, parseReceivedAt } from "./received-at.js";
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
