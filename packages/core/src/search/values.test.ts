// Typed values of query terms (values.ts). Expected instants were worked out by hand from the
// inputs and checked against `Date.prototype.toISOString` where Date can represent them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { readBoolean, readDatetime, readInteger } from "./values.js";

describe("readInteger", () => {
  it("reads optional-minus decimal integers, leading zeros included", () => {
    assert.equal(readInteger("5"), 5);
    assert.equal(readInteger("-5"), -5);
    assert.equal(readInteger("007"), 7);
    assert.equal(readInteger("9007199254740991"), Number.MAX_SAFE_INTEGER);
    assert.equal(readInteger("-9007199254740991"), -Number.MAX_SAFE_INTEGER);
  });

  it("reads -0 as 0, so ASTs compare equal", () => {
    assert.ok(Object.is(readInteger("-0"), 0));
  });

  it("refuses anything else, and integers past 2^53", () => {
    for (const text of ["", "-", "+5", "5.0", "5e3", "0x10", " 5", "5 ", "abc", "٥", "9007199254740992"]) {
      assert.equal(readInteger(text), undefined, text);
    }
  });

  it("gives back every safe integer it is shown", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        assert.equal(readInteger(String(n)), n);
      }),
    );
  });
});

describe("readBoolean", () => {
  it("reads true and false in lower case only", () => {
    assert.equal(readBoolean("true"), true);
    assert.equal(readBoolean("false"), false);
    for (const text of ["True", "FALSE", "1", "0", "yes", ""])
      assert.equal(readBoolean(text), undefined, text);
  });
});

describe("readDatetime", () => {
  it("normalises RFC 3339 and the server's laxer forms to received_at's form in UTC", () => {
    const cases: Array<[string, string]> = [
      ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000000Z"],
      ["2024-05-01T12:00:00.000Z", "2024-05-01T12:00:00.000000Z"],
      ["2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123456Z"],
      ["2024-05-01t12:00:00z", "2024-05-01T12:00:00.000000Z"],
      ["2024-05-01 12:00", "2024-05-01T12:00:00.000000Z"],
      ["2024-05-01T12:00:00", "2024-05-01T12:00:00.000000Z"], // no zone: UTC
      ["2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000000Z"],
      ["2024-05-01T12:00:00-0130", "2024-05-01T13:30:00.000000Z"],
      ["2024-05-01T00:30:00+01:00", "2024-04-30T23:30:00.000000Z"],
      ["2024-05-01", "2024-05-01T00:00:00.000000Z"],
      ["2024-02-29", "2024-02-29T00:00:00.000000Z"],
      ["2000-02-29", "2000-02-29T00:00:00.000000Z"],
      ["0000-01-01", "0000-01-01T00:00:00.000000Z"],
      ["0099-06-15T00:00:00Z", "0099-06-15T00:00:00.000000Z"], // not 1999
      ["9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"],
    ];
    for (const [text, expected] of cases) assert.equal(readDatetime(text, "down"), expected, text);
  });

  it("rounds a seventh to ninth fractional digit down, or up when asked, carrying into the seconds", () => {
    assert.equal(readDatetime("2024-05-01T12:00:00.123456789Z", "down"), "2024-05-01T12:00:00.123456Z");
    assert.equal(readDatetime("2024-05-01T12:00:00.123456789Z", "up"), "2024-05-01T12:00:00.123457Z");
    assert.equal(readDatetime("2024-05-01T12:00:00.123456000Z", "up"), "2024-05-01T12:00:00.123456Z");
    assert.equal(readDatetime("2024-12-31T23:59:59.9999991Z", "up"), "2025-01-01T00:00:00.000000Z");
  });

  it("refuses impossible dates and times, other forms, and instants outside years 0000 to 9999", () => {
    for (const text of [
      "",
      "yesterday",
      "7d",
      "2024-5-1",
      "2024-05",
      "2024-13-01",
      "2024-00-10",
      "2024-02-30",
      "2023-02-29",
      "1900-02-29",
      "2024-04-31",
      "2024-05-01T24:00:00Z",
      "2024-05-01T23:60:00Z",
      "2024-05-01T23:59:60Z",
      "2024-05-01T12:00:00.Z",
      "2024-05-01T12:00:00.1234567890Z",
      "2024-05-01T12:00:00+24:00",
      "2024-05-01T12:00:00+02:60",
      "2024-05-01T12",
      "2024-05-01T12:00:00 Z",
      "0000-01-01T00:00:00+00:01",
      "9999-12-31T23:59:59-00:01",
      "+002024-05-01",
    ]) {
      assert.equal(readDatetime(text, "down"), undefined, text);
    }
  });

  it("refuses a rounding up that would carry past 9999", () => {
    assert.equal(readDatetime("9999-12-31T23:59:59.9999999Z", "down"), "9999-12-31T23:59:59.999999Z");
    assert.equal(readDatetime("9999-12-31T23:59:59.9999999Z", "up"), undefined);
  });

  it("agrees with Date on every instant Date can print", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z") }),
        (d) => {
          if (Number.isNaN(d.getTime())) return;
          const iso = d.toISOString();
          assert.equal(readDatetime(iso, "down"), `${iso.slice(0, 23)}000Z`);
        },
      ),
    );
  });
});
