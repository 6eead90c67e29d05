import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, VeritrailError } from "./errors.js";
import { retryAfterMs, Transport } from "./http.js";

function envelope(status: string, result: unknown = null, id = "prq_a") {
  return JSON.stringify({
    request_id: id,
    request_time: "2026-01-01T00:00:00.000Z",
    response_time: "2026-01-01T00:00:00.000Z",
    status,
    summary: `${status} summary`,
    result,
  });
}

/** A fetch that answers each call with the next of `answers`, recording what it was sent. */
function scripted(answers: (() => Response)[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    calls.push({ url: String(url), init });
    const next = answers[calls.length - 1];
    if (!next) throw new Error("no more answers");
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

describe("Transport", () => {
  it("retries a 503 after its Retry-After and names the failed attempts' request ids", async () => {
    const { calls, fetch } = scripted([
      () =>
        new Response(envelope("ServiceNotAvailable"), {
          status: 503,
          headers: { "retry-after": "2", "x-request-id": "prq_1" },
        }),
      () =>
        new Response(envelope("ServiceNotAvailable"), { status: 503, headers: { "x-request-id": "prq_2" } }),
      () => new Response(envelope("Success", { ok: 1 }), { status: 200 }),
    ]);
    const waits: number[] = [];
    const transport = new Transport({
      baseUrl: "http://server.test/audit",
      fetch,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0,
    });
    const answer = await transport.call<{ ok: number }>({
      method: "POST",
      path: "v1/log",
      token: "t",
      body: {},
    });
    assert.deepEqual(answer.result, { ok: 1 });
    assert.equal(calls.length, 3);
    assert.equal(calls[0]!.url, "http://server.test/audit/v1/log");
    // Retry-After (2 s) is longer than the first backoff (500 ms); the second waits the backoff, 1 s.
    assert.deepEqual(waits, [2000, 1000]);
    const headers = calls.map(
      (c) => (c.init.headers as Record<string, string>)["x-pangea-retried-request-ids"],
    );
    assert.deepEqual(headers, [undefined, "prq_1", "prq_1,prq_2"]);
    assert.equal((calls[0]!.init.headers as Record<string, string>)["authorization"], "Bearer t");
  });

  it("gives up after its retries and throws the last answer's status", async () => {
    const { calls, fetch } = scripted(
      Array.from({ length: 4 }, () => () => new Response(envelope("InternalError"), { status: 500 })),
    );
    const waits: number[] = [];
    const transport = new Transport({
      baseUrl: "http://server.test",
      fetch,
      retries: 3,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
    });
    const error = await transport.call({ method: "POST", path: "v1/log", body: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "InternalError");
    assert.equal(error.httpStatus, 500);
    assert.equal(calls.length, 4);
    // Backoff 500·2^n, less 12.5% jitter at random 0.5.
    assert.deepEqual(waits, [437.5, 875, 1750]);
  });

  it("does not retry a 4xx and carries result.errors with their pointers", async () => {
    const errors = [{ code: "FieldRequired", detail: "message is required", source: "/event/message" }];
    const { calls, fetch } = scripted([
      () => new Response(envelope("ValidationError", { errors }), { status: 400 }),
    ]);
    const transport = new Transport({ baseUrl: "http://server.test", fetch });
    const error = await transport.call({ method: "POST", path: "v1/log", body: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, "ERR_API");
    assert.equal(error.status, "ValidationError");
    assert.deepEqual(error.errors, errors);
    assert.equal(calls.length, 1);
  });

  it("caps a long Retry-After at maxRetryDelayMs and reads an HTTP date", async () => {
    const transport = new Transport({ baseUrl: "http://x.test", maxRetryDelayMs: 5000, random: () => 0 });
    assert.equal(transport.retryDelay(0, 60_000), 5000);
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", Date.parse("2026-01-01T00:00:00Z")), 10_000);
    assert.equal(retryAfterMs("soon", 0), undefined);
  });

  it("reports an answer that is not an envelope, and a server that cannot be reached", async () => {
    const { fetch } = scripted([
      () => new Response("<html>proxy</html>", { status: 404, statusText: "Not Found" }),
    ]);
    const transport = new Transport({ baseUrl: "http://server.test", fetch });
    const error = await transport.call({ method: "POST", path: "v1/log", body: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof VeritrailError);
    assert.equal(error.code, "ERR_NOT_ENVELOPE");
    const down = new Transport({ baseUrl: "http://127.0.0.1:9", retries: 0 });
    const refused = await down.call({ method: "POST", path: "v1/log", body: {} }).catch((e: unknown) => e);
    assert.ok(refused instanceof VeritrailError);
    assert.equal(refused.code, "ERR_NETWORK");
  });

  it("refuses a base URL that is not http(s)", () => {
    assert.throws(
      () => new Transport({ baseUrl: "ftp://x" }),
      (e: unknown) => e instanceof VeritrailError && e.code === "ERR_ARGUMENT",
    );
  });
});
