import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ApiError, call, setCsrfToken } from "./client.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  setCsrfToken(undefined);
});

/** Answers every fetch with this envelope and records the requests. */
function answer(status: number, envelope: unknown): RequestInit[] {
  const seen: RequestInit[] = [];
  globalThis.fetch = async (_url, init) => {
    seen.push(init ?? {});
    return new Response(JSON.stringify(envelope), {
      status,
      headers: { "content-type": "application/json" },
    });
  };
  return seen;
}

describe("the console's fetch layer", () => {
  it("answers the result of a Success envelope, sending the CSRF token on a POST", async () => {
    const seen = answer(200, { status: "Success", summary: "ok", result: { id: "pci_x" } });
    setCsrfToken("csrf-1");
    assert.deepEqual(await call("/v1beta/config", { id: "pci_x" }), { id: "pci_x" });
    const headers = seen[0]!.headers as Record<string, string>;
    assert.equal(headers["x-csrf-token"], "csrf-1");
    assert.equal(seen[0]!.credentials, "same-origin");
    assert.equal(seen[0]!.body, '{"id":"pci_x"}');
  });

  it("turns any other envelope into an ApiError whose pointers land on their fields", async () => {
    answer(400, {
      status: "ValidationError",
      summary: "Invalid request",
      result: {
        errors: [
          { code: "DoesNotMatchPattern", detail: "lower-case snake case", source: "/schema/fields/2/id" },
          { code: "FieldRequired", detail: "name is required", source: "/name" },
        ],
      },
    });
    const error = await call("/v1beta/config/create", {}).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "ValidationError");
    assert.equal(error.httpStatus, 400);
    assert.equal(error.message, "Invalid request");
    assert.equal(error.fieldError("/schema/fields/2/id"), "lower-case snake case");
    assert.equal(error.fieldError("/schema"), "lower-case snake case");
    assert.equal(error.fieldError("/name"), "name is required");
    assert.equal(error.fieldError("/hot_storage"), undefined);
  });

  it("reports an answer that is not JSON as an InternalError with its HTTP status", async () => {
    globalThis.fetch = async () => new Response("<html>", { status: 502 });
    const error = await call("/v1/search", {}).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "InternalError");
    assert.equal(error.httpStatus, 502);
  });
});
