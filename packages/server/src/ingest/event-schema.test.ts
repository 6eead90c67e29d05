// validateEvent against the standard schema (wire-protocol §6) and a custom one: types, sizes in
// code points, nulls dropped, objects stored as canonical JSON text (§5.1 step 1), date-times as
// clients send them, and one error with its JSON pointer for each problem.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ErrorField } from "../errors.js";
import { type EventSchema, isDateTime, STANDARD_SCHEMA, validateEvent } from "./event-schema.js";

const CUSTOM: EventSchema = {
  save_malformed: "reject",
  fields: [
    { id: "message", type: "text", size: 100, required: true },
    { id: "field_int", type: "integer", required: true },
    { id: "field_bool", type: "boolean" },
    { id: "field_str_short", type: "string", size: 3 },
    { id: "field_unindexed", type: "string-unindexed" },
    { id: "field_time", type: "datetime", size: 40 },
  ],
};

/** The accepted event, failing the test with the errors otherwise. */
function accepted(raw: unknown, schema: EventSchema = STANDARD_SCHEMA): Record<string, unknown> {
  const { event, errors } = validateEvent(raw, schema, "/event");
  assert.deepEqual(errors, []);
  assert.ok(event);
  return event;
}

/** The errors as `{code, source}`, checking each has a detail. */
function rejected(raw: unknown, schema: EventSchema = STANDARD_SCHEMA, pointer = "/event") {
  const { event, errors } = validateEvent(raw, schema, pointer);
  assert.equal(event, undefined);
  assert.ok(errors.length > 0);
  return errors.map((e: ErrorField) => {
    assert.ok(e.detail.length > 0);
    return { code: e.code, source: e.source };
  });
}

describe("validateEvent", () => {
  describe("types", () => {
    it("accepts each standard field as a string and keeps it byte for byte", () => {
      const event = {
        message: "  spaced\u00a0message\n",
        actor: "Ünïcödé",
        action: "login",
        status: "ok",
        source: "10.0.0.1",
        target: "",
        tenant_id: "t1",
        new: "123",
        old: "true",
        timestamp: "2024-01-02T03:04:05.000Z",
      };
      assert.deepEqual(accepted(event), event);
    });

    it("answers InvalidObject at the pointer for anything but an object", () => {
      for (const raw of ["message", 1, true, null, [], [{ message: "m" }]]) {
        assert.deepEqual(rejected(raw), [{ code: "InvalidObject", source: "/event" }]);
      }
    });

    it("answers InvalidString for a number or boolean in a string field", () => {
      assert.deepEqual(rejected({ message: "m", actor: 7 }), [
        { code: "InvalidString", source: "/event/actor" },
      ]);
      assert.deepEqual(rejected({ message: false }), [{ code: "InvalidString", source: "/event/message" }]);
      assert.deepEqual(rejected({ message: "m", timestamp: 1 }), [
        { code: "InvalidString", source: "/event/timestamp" },
      ]);
      assert.deepEqual(rejected({ message: "m", timestamp: { at: "2024-01-01T00:00:00Z" } }), [
        { code: "InvalidString", source: "/event/timestamp" },
      ]);
    });

    it("keeps integers and booleans of a custom schema as JSON numbers and booleans", () => {
      assert.deepEqual(accepted({ message: "m", field_int: 0, field_bool: false }, CUSTOM), {
        message: "m",
        field_int: 0,
        field_bool: false,
      });
      assert.deepEqual(
        accepted({ message: "m", field_int: -(2 ** 53 - 1) }, CUSTOM).field_int,
        -(2 ** 53 - 1),
      );
    });

    it("answers InvalidInteger for fractions, unsafe integers, strings and booleans in an integer field", () => {
      for (const value of [1.5, 2 ** 53, "42", true, {}]) {
        assert.deepEqual(rejected({ message: "m", field_int: value }, CUSTOM), [
          { code: "InvalidInteger", source: "/event/field_int" },
        ]);
      }
    });

    it("answers InvalidBool for anything but true and false in a boolean field", () => {
      for (const value of ["true", 1, 0, {}]) {
        assert.deepEqual(rejected({ message: "m", field_int: 1, field_bool: value }, CUSTOM), [
          { code: "InvalidBool", source: "/event/field_bool" },
        ]);
      }
    });

    it("answers UnexpectedProperty for a field outside the schema, with an escaped pointer", () => {
      assert.deepEqual(rejected({ message: "m", bogus: 1, "a/b~c": "x", received_at: "x" }), [
        { code: "UnexpectedProperty", source: "/event/bogus" },
        { code: "UnexpectedProperty", source: "/event/a~1b~0c" },
        { code: "UnexpectedProperty", source: "/event/received_at" },
      ]);
      assert.deepEqual(rejected({ message: "m", field_int: 1, actor: "standard" }, CUSTOM), [
        { code: "UnexpectedProperty", source: "/event/actor" },
      ]);
    });

    it("answers UnexpectedProperty for Object member names rather than reading them", () => {
      const raw = JSON.parse('{"message":"m","__proto__":"x","constructor":"y","toString":"z"}');
      assert.deepEqual(rejected(raw), [
        { code: "UnexpectedProperty", source: "/event/__proto__" },
        { code: "UnexpectedProperty", source: "/event/constructor" },
        { code: "UnexpectedProperty", source: "/event/toString" },
      ]);
    });

    it("reports every problem at once, under the pointer it is given", () => {
      assert.deepEqual(
        rejected({ actor: 1, action: "x".repeat(33), bogus: true }, STANDARD_SCHEMA, "/events/4/event"),
        [
          { code: "InvalidString", source: "/events/4/event/actor" },
          { code: "AboveMaxLength", source: "/events/4/event/action" },
          { code: "UnexpectedProperty", source: "/events/4/event/bogus" },
          { code: "FieldRequired", source: "/events/4/event/message" },
        ],
      );
    });
  });

  describe("sizes", () => {
    it("accepts each standard field at its documented size and rejects one character more", () => {
      const sizes: [string, number][] = [
        ["message", 32766],
        ["actor", 128],
        ["action", 32],
        ["status", 32],
        ["source", 128],
        ["target", 128],
        ["tenant_id", 128],
        ["new", 32766],
        ["old", 32766],
      ];
      for (const [field, size] of sizes) {
        const base = field === "message" ? {} : { message: "m" };
        assert.equal(accepted({ ...base, [field]: "x".repeat(size) })[field], "x".repeat(size));
        assert.deepEqual(rejected({ ...base, [field]: "x".repeat(size + 1) }), [
          { code: "AboveMaxLength", source: `/event/${field}` },
        ]);
      }
    });

    it("counts code points, not UTF-16 units", () => {
      // Each emoji is one code point and two UTF-16 units.
      assert.equal(
        accepted({ message: "m", field_int: 1, field_str_short: "😀😀😀" }, CUSTOM).field_str_short,
        "😀😀😀",
      );
      assert.deepEqual(rejected({ message: "m", field_int: 1, field_str_short: "😀😀😀😀" }, CUSTOM), [
        { code: "AboveMaxLength", source: "/event/field_str_short" },
      ]);
      assert.deepEqual(rejected({ message: "m", field_int: 1, field_str_short: "abcd" }, CUSTOM), [
        { code: "AboveMaxLength", source: "/event/field_str_short" },
      ]);
      assert.equal(accepted({ message: "😀".repeat(32766) }).message, "😀".repeat(32766));
      assert.deepEqual(rejected({ message: "😀".repeat(32767) }), [
        { code: "AboveMaxLength", source: "/event/message" },
      ]);
    });

    it("measures an object by its canonical JSON text", () => {
      // {"a":"x"} is 9 characters.
      const schema: EventSchema = {
        save_malformed: "reject",
        fields: [{ id: "message", type: "text", size: 9 }],
      };
      assert.equal(accepted({ message: { a: "x" } }, schema).message, '{"a":"x"}');
      assert.deepEqual(rejected({ message: { a: "xy" } }, schema), [
        { code: "AboveMaxLength", source: "/event/message" },
      ]);
    });

    it("leaves a field without size unbounded by the schema", () => {
      const long = "u".repeat(100_000);
      assert.equal(
        accepted({ message: "m", field_int: 1, field_unindexed: long }, CUSTOM).field_unindexed,
        long,
      );
    });
  });

  describe("normalisation", () => {
    it("drops null fields instead of storing them", () => {
      assert.deepEqual(accepted({ message: "m", actor: null, new: null }), { message: "m" });
      assert.deepEqual(accepted({ message: "m", field_int: 1, field_bool: null, field_time: null }, CUSTOM), {
        message: "m",
        field_int: 1,
      });
    });

    it("stores objects and arrays in string fields as canonical JSON text", () => {
      const event = accepted({
        message: { z: 1, a: { y: [3, { c: null, b: true }], x: "é\u2028" } },
        new: ["b", "a"],
        old: {},
      });
      assert.deepEqual(event, {
        message: '{"a":{"x":"é\u2028","y":[3,{"b":true,"c":null}]},"z":1}',
        new: '["b","a"]',
        old: "{}",
      });
    });

    it("does not change its input", () => {
      const raw = { message: { b: 1, a: 2 }, actor: null };
      const copy = structuredClone(raw);
      accepted(raw);
      assert.deepEqual(raw, copy);
    });
  });

  describe("date-times", () => {
    const valid = [
      "2024-01-02T03:04:05Z",
      "2024-01-02T03:04:05.123456Z",
      "2024-01-02T03:04:05.123456789Z",
      "2024-01-02T03:04:05+05:30",
      "2024-01-02T03:04:05-0800",
      "2024-01-02t03:04:05z",
      "2024-02-29T00:00:00Z",
      "2000-02-29T23:59:59Z",
      // Naive times as Python sends them: no zone, or a space for the T.
      "2026-11-29T02:10:32.051922",
      "2026-11-29T02:10:32",
      "2024-01-02 03:04:05",
    ];
    for (const value of valid) {
      it(`accepts ${value} and stores it unchanged`, () => {
        assert.ok(isDateTime(value));
        assert.equal(accepted({ message: "m", timestamp: value }).timestamp, value);
      });
    }

    const invalid = [
      "",
      "yesterday",
      "2024-01-02",
      "03:04:05",
      "2024-1-2T03:04:05Z",
      "2024-01-02T03:04:05ZZ",
      "2024-01-02T03:04:05 UTC",
      "2024-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2024-04-31T00:00:00",
      "2024-00-10T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-01-00T00:00:00Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01T00:60:00Z",
      "2024-01-01T00:00:61Z",
      "2024-01-01T00:00:00+25:00",
    ];
    for (const value of invalid) {
      it(`rejects ${JSON.stringify(value)} with BadFormatDateTime`, () => {
        assert.equal(isDateTime(value), false);
        assert.deepEqual(rejected({ message: "m", timestamp: value }), [
          { code: "BadFormatDateTime", source: "/event/timestamp" },
        ]);
      });
    }

    it("checks a custom datetime field the same way, and its size first", () => {
      assert.equal(
        accepted({ message: "m", field_int: 1, field_time: "2024-01-02T03:04:05Z" }, CUSTOM).field_time,
        "2024-01-02T03:04:05Z",
      );
      assert.deepEqual(rejected({ message: "m", field_int: 1, field_time: "2024-02-30T03:04:05Z" }, CUSTOM), [
        { code: "BadFormatDateTime", source: "/event/field_time" },
      ]);
      assert.deepEqual(
        rejected(
          { message: "m", field_int: 1, field_time: `2024-01-02T03:04:05.${"1".repeat(30)}Z` },
          CUSTOM,
        ),
        [{ code: "AboveMaxLength", source: "/event/field_time" }],
      );
    });
  });

  describe("required fields", () => {
    it("answers FieldRequired when message is missing or null", () => {
      assert.deepEqual(rejected({}), [{ code: "FieldRequired", source: "/event/message" }]);
      assert.deepEqual(rejected({ message: null, actor: "a" }), [
        { code: "FieldRequired", source: "/event/message" },
      ]);
    });

    it("answers exactly one BelowMinLength for an empty message", () => {
      assert.deepEqual(rejected({ message: "" }), [{ code: "BelowMinLength", source: "/event/message" }]);
    });

    it("does not add FieldRequired on top of a required field's own error", () => {
      assert.deepEqual(rejected({ message: 5 }), [{ code: "InvalidString", source: "/event/message" }]);
      assert.deepEqual(rejected({ message: "m", field_int: "1" }, CUSTOM), [
        { code: "InvalidInteger", source: "/event/field_int" },
      ]);
    });

    it("requires every required field of a custom schema, and accepts falsy values in them", () => {
      assert.deepEqual(rejected({ message: "m" }, CUSTOM), [
        { code: "FieldRequired", source: "/event/field_int" },
      ]);
      assert.deepEqual(rejected({}, CUSTOM), [
        { code: "FieldRequired", source: "/event/message" },
        { code: "FieldRequired", source: "/event/field_int" },
      ]);
      assert.deepEqual(accepted({ message: "m", field_int: 0 }, CUSTOM), { message: "m", field_int: 0 });
    });

    it("accepts an empty optional string", () => {
      assert.deepEqual(accepted({ message: "m", actor: "" }), { message: "m", actor: "" });
    });
  });
});
