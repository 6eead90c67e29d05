import type { ErrorField, ResponseEnvelope } from "@veritrail/core";

/** Stable codes for every failure the SDK reports. Callers branch on these, never on messages. */
export type SdkErrorCode =
  /** The server answered with a Pangea envelope whose status is not Success: see {@link ApiError}. */
  | "ERR_API"
  /** The server could not be reached (DNS, refused connection, reset). */
  | "ERR_NETWORK"
  /** No answer within the client's `timeoutMs`. */
  | "ERR_TIMEOUT"
  /** The answer was not a Pangea envelope (another service on that address, or a proxy's page). */
  | "ERR_NOT_ENVELOPE"
  /** A request answered 202 was still pending when the wait for it ended. */
  | "ERR_STILL_PENDING"
  /** A call made with arguments the API cannot take, refused before anything was sent. */
  | "ERR_ARGUMENT"
  /** A file or page that is not in the shape verification reads. */
  | "ERR_FORMAT";

/** The one error class of `@veritrail/sdk`; `code` is stable, `message` is for people. */
export class VeritrailError extends Error {
  readonly code: SdkErrorCode;

  constructor(code: SdkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VeritrailError";
    this.code = code;
  }
}

/**
 * A Pangea envelope that is not Success (wire-protocol §3): its `status` string (e.g.
 * "ValidationError", "Unauthorized", "TreeNotFound"), `summary`, the HTTP status, and
 * `errors`, one per bad field with the JSON pointer of that field in `source`.
 *
 * @example
 *   try { await client.log({ message: "" }); }
 *   catch (e) { if (e instanceof ApiError && e.status === "ValidationError") e.errors[0]?.source; }
 */
export class ApiError extends VeritrailError {
  readonly status: string;
  readonly summary: string;
  readonly httpStatus: number;
  readonly requestId: string;
  readonly errors: readonly ErrorField[];
  readonly envelope: ResponseEnvelope;

  constructor(envelope: ResponseEnvelope, httpStatus: number) {
    super("ERR_API", `${envelope.status}: ${envelope.summary}`);
    this.name = "ApiError";
    this.status = envelope.status;
    this.summary = envelope.summary;
    this.httpStatus = httpStatus;
    this.requestId = envelope.request_id;
    this.envelope = envelope;
    const result = envelope.result as { errors?: unknown } | null;
    this.errors = Array.isArray(result?.errors) ? (result.errors as ErrorField[]) : [];
  }
}
