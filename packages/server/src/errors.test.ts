import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, boundErrors, clip, type ErrorField } from "./errors.js";
import { MAX_ECHO_LENGTH, MAX_ERROR_DETAIL_LENGTH, MAX_ERRORS_PER_ANSWER } from "./limits.js";

const error = (i: number): ErrorField => ({ code: "UnexpectedProperty", detail: `f${i}`, source: `/f${i}` });

describe("boundErrors", () => {
  it("keeps a short list as it is", () => {
    const errors = Array.from({ length: MAX_ERRORS_PER_ANSWER }, (_, i) => error(i));
    assert.deepEqual(boundErrors(errors), errors);
  });

  it("keeps the first MAX_ERRORS_PER_ANSWER and counts the rest in a last TooManyErrors", () => {
    const errors = Array.from({ length: 20_000 }, (_, i) => error(i));
    const bounded = boundErrors(errors);
    assert.equal(bounded.length, MAX_ERRORS_PER_ANSWER + 1);
    assert.deepEqual(bounded.slice(0, -1), errors.slice(0, MAX_ERRORS_PER_ANSWER));
    assert.deepEqual(bounded.at(-1), {
      code: "TooManyErrors",
      detail: `${20_000 - MAX_ERRORS_PER_ANSWER} more problem(s) were left out of this answer`,
      source: "",
    });
  });

  it("says where checking stopped when it did", () => {
    const bounded = boundErrors(
      Array.from({ length: MAX_ERRORS_PER_ANSWER + 3 }, (_, i) => error(i)),
      "/events/7",
    );
    assert.deepEqual(bounded.at(-1), {
      code: "TooManyErrors",
      detail: "3 more problem(s) were left out of this answer, and nothing from /events/7 on was checked",
      source: "/events/7",
    });
  });

  it("cuts each long pointer token and a long detail, keeping the code", () => {
    const long = "n".repeat(10_000);
    const [bounded] = boundErrors([
      { code: "InvalidPropertyName", detail: long, source: `/events/0/${long}/x` },
    ]);
    assert.deepEqual(bounded, {
      code: "InvalidPropertyName",
      detail: `${"n".repeat(MAX_ERROR_DETAIL_LENGTH)}…`,
      source: `/events/0/${"n".repeat(MAX_ECHO_LENGTH)}…/x`,
    });
  });

  it("never cuts a pointer token inside an escape, nor text inside a surrogate pair", () => {
    const [bounded] = boundErrors([
      { code: "BadFormat", detail: "d", source: `/${"a".repeat(MAX_ECHO_LENGTH - 1)}~1b` },
    ]);
    assert.equal(bounded?.source, `/${"a".repeat(MAX_ECHO_LENGTH - 1)}…`);
    assert.equal(clip(`${"a".repeat(MAX_ECHO_LENGTH - 1)}😀`), `${"a".repeat(MAX_ECHO_LENGTH - 1)}…`);
    assert.equal(clip("short"), "short");
  });
});

describe("ApiError.validation", () => {
  it("bounds its errors and its summary, and counts every problem in the summary", () => {
    const errors: ErrorField[] = [
      { code: "UnexpectedProperty", detail: "d", source: `/${"k".repeat(100_000)}` },
      ...Array.from({ length: 500 }, (_, i) => error(i)),
    ];
    const thrown = ApiError.validation(errors);
    assert.equal(thrown.errors.length, MAX_ERRORS_PER_ANSWER + 1);
    assert.ok(thrown.message.length < 200, thrown.message);
    assert.match(thrown.message, /and 500 more$/);
  });
});
