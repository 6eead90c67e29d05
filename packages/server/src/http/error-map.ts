import type { ApiStatus } from "@veritrail/core";
import type { FastifyError } from "fastify";
import { ApiError, type ErrorField } from "../errors.js";
import { OverloadError } from "../ingest/sequencer.js";

/*
 * The one place that turns a status string or a thrown error into an HTTP answer. The SDKs
 * branch on the status string (wire-protocol §3.2); the HTTP code matters to them for 202 (poll)
 * and 5xx (retry), so each status has exactly one code here.
 */

/** Pangea status → HTTP status. */
export const HTTP_STATUS: Readonly<Record<ApiStatus, number>> = {
  Success: 200,
  Accepted: 202,
  ValidationError: 400,
  AmbiguousConfigID: 400,
  MissingConfigID: 400,
  BadOffset: 400,
  Unauthorized: 401,
  NotFound: 404,
  TreeNotFound: 404,
  Conflict: 409,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceNotAvailable: 503,
};

/** What an error answers: the envelope's status, summary and result, and the HTTP code and headers. */
export interface ErrorAnswer {
  status: ApiStatus;
  summary: string;
  result: { errors: ErrorField[] } | null;
  httpStatus: number;
  headers?: Record<string, string>;
  /** True for a fault of the server's own, which is logged with the request id. */
  internal?: boolean;
}

function validation(detail: string, code: ErrorField["code"], httpStatus = 400): ErrorAnswer {
  return {
    status: "ValidationError",
    summary: detail,
    result: { errors: [{ code, detail, source: "" }] },
    httpStatus,
  };
}

/**
 * Maps anything a route or hook threw to its answer: an `ApiError` as it says; the sequencer's
 * pushback as a 503 the SDKs retry, with `Retry-After`; the errors Fastify raises while reading a
 * body (all the client's fault) as a `ValidationError`; anything else as `InternalError`.
 */
export function answerFor(error: unknown, limits: { maxBodyBytes: number }, requestId: string): ErrorAnswer {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      summary: error.message,
      result: { errors: error.errors },
      httpStatus: HTTP_STATUS[error.status],
    };
  }
  if (error instanceof OverloadError) {
    return {
      status: "ServiceNotAvailable",
      summary: `The server is busy (${error.message}); retry`,
      result: null,
      httpStatus: 503,
      headers: { "retry-after": "1" },
    };
  }
  const code = (error as FastifyError | undefined)?.code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return validation(`the body is larger than ${limits.maxBodyBytes} bytes`, "IsTooBig", 413);
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return validation("the body must be JSON sent with Content-Type: application/json", "BadFormat", 415);
  }
  if (
    code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
    code === "FST_ERR_CTP_EMPTY_JSON_BODY" ||
    code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH" ||
    error instanceof SyntaxError
  ) {
    return validation(`the body is not valid JSON: ${(error as Error).message}`, "BadFormat");
  }
  return {
    status: "InternalError",
    summary: `Internal error; quote request id ${requestId}`,
    result: null,
    httpStatus: 500,
    internal: true,
  };
}
