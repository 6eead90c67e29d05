// The status and validation-code unions, wire-protocol §3.1–§3.2. These are types only, so the
// checks are made by the compiler (`tsc -p tsconfig.test.json`); the runtime assertions only
// confirm the module loads and the values used here are what they say.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApiErrorStatus, ApiStatus, ErrorField, ValidationCode } from "./status.js";

describe("wire status types", () => {
  it("name the statuses search will answer with, and keep success out of the error statuses", () => {
    const badOffset: ApiErrorStatus = "BadOffset";
    const success: ApiStatus = "Success";
    // @ts-expect-error "Success" is not the status of a failed request
    const notAnError: ApiErrorStatus = "Success";
    // @ts-expect-error the SDKs' statuses are case-sensitive
    const lowerCase: ApiStatus = "success";
    assert.deepEqual(
      [badOffset, success, notAnError, lowerCase],
      ["BadOffset", "Success", "Success", "success"],
    );
  });

  it("type an ErrorField's code as an OpenAPI validation code, not a free string", () => {
    const error: ErrorField = { code: "BadFormat", detail: "syntax error", source: "/query" };
    // @ts-expect-error BadOffset is a status, not a validation code
    const notACode: ValidationCode = "BadOffset";
    assert.equal(error.code, "BadFormat");
    assert.equal(notACode, "BadOffset");
  });
});
