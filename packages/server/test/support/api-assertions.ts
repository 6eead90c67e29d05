import assert from "node:assert/strict";
import { postJson, type TestServer } from "./test-server.js";

/** The parsed answer of one HTTP call, as `postJson` gives it. */
export type ApiResponse = Awaited<ReturnType<typeof postJson>>;

/** Any HTTP call whose answer is JSON, parsed like `postJson` does. */
export async function fetchApi(url: string, init: RequestInit = {}): Promise<ApiResponse> {
  const response = await fetch(url, init);
  const body = (await response.json()) as ApiResponse["body"];
  return { status: response.status, headers: response.headers, body };
}

/** The six top-level keys of every answer (wire-protocol §3.1), sorted. */
export const ENVELOPE_KEYS = ["request_id", "request_time", "response_time", "result", "status", "summary"];

/** `received_at` and `published_at`: six fractional digits and a `Z` (wire-protocol §5.1 step 4). */
export const RECEIVED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

const REQUEST_ID = /^prq_[a-z2-7]{32}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Checks the envelope contract: exactly the six keys, string fields, `x-request-id` = `request_id`. */
export function assertEnvelope(response: { headers: Headers; body: Record<string, unknown> }): void {
  const { body } = response;
  assert.deepEqual(Object.keys(body).sort(), ENVELOPE_KEYS);
  assert.match(String(body["request_id"]), REQUEST_ID);
  assert.match(String(body["request_time"]), ISO_TIME);
  assert.match(String(body["response_time"]), ISO_TIME);
  assert.equal(typeof body["status"], "string");
  assert.equal(typeof body["summary"], "string");
  assert.ok(body["summary"] !== "", "summary is not empty");
  assert.equal(response.headers.get("x-request-id"), body["request_id"]);
}

/** One expected entry of `result.errors`; `detail` is only checked to be a non-empty string. */
export interface ExpectedError {
  code: string;
  source: string;
}

const bySourceThenCode = (a: ExpectedError, b: ExpectedError) =>
  a.source.localeCompare(b.source) || a.code.localeCompare(b.code);

/**
 * Checks an error answer: the envelope, the HTTP code, the status string and exactly the
 * expected `result.errors` (order-insensitive: the order fields are read in is not a contract).
 */
export function assertApiError(
  response: ApiResponse,
  expected: { http: number; status: string; errors: ExpectedError[] },
): void {
  assertEnvelope(response);
  assert.equal(response.body.status, expected.status, `status of ${JSON.stringify(response.body)}`);
  assert.equal(response.status, expected.http, `HTTP status of ${JSON.stringify(response.body)}`);
  const result = response.body.result as { errors: { code: string; detail: string; source: string }[] };
  assert.deepEqual(Object.keys(result), ["errors"]);
  for (const error of result.errors) {
    assert.deepEqual(Object.keys(error).sort(), ["code", "detail", "source"]);
    assert.equal(typeof error.detail, "string");
    assert.ok(error.detail.length > 0, "every error has a detail");
  }
  assert.deepEqual(
    result.errors.map(({ code, source }) => ({ code, source })).sort(bySourceThenCode),
    [...expected.errors].sort(bySourceThenCode),
  );
}

/** A `ValidationError` answer (HTTP 400 unless given) with exactly these errors. */
export function assertValidationError(response: ApiResponse, errors: ExpectedError[], http = 400): void {
  assertApiError(response, { http, status: "ValidationError", errors });
}

/** The bad-token answer the Node SDK tests check (wire-protocol §3.2). */
export function assertUnauthorized(response: ApiResponse): void {
  assertApiError(response, { http: 401, status: "Unauthorized", errors: [] });
  assert.equal(response.body["summary"], "Not authorized to access this resource");
}

/** The size of the default configuration's tree per `v1/root`: 0 when it answers `TreeNotFound`. */
export async function treeSize(server: TestServer): Promise<number> {
  const response = await postJson(`${server.url}/v1/root`, {}, server.auditToken);
  assertEnvelope(response);
  if (response.body.status === "TreeNotFound") {
    assert.equal(response.status, 404);
    return 0;
  }
  assert.equal(response.body.status, "Success");
  return response.body.result.data.size as number;
}

/** Logs one valid event with `v1/log` and checks it was taken. */
export async function logOne(server: TestServer, message = "still serving"): Promise<string> {
  const response = await postJson(`${server.url}/v1/log`, { event: { message } }, server.auditToken);
  assertEnvelope(response);
  assert.equal(response.body.status, "Success");
  assert.equal(response.status, 200);
  return response.body.result.hash as string;
}
