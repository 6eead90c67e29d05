/**
 * The server's one error class. `status` is the Pangea status string the SDKs branch on
 * (wire-protocol §3.2); `http/errors.ts` is the one place that turns it into an HTTP answer.
 */
export type ApiStatus =
  | "ValidationError"
  | "Unauthorized"
  | "NotFound"
  | "TreeNotFound"
  | "AmbiguousConfigID"
  | "MissingConfigID"
  | "Conflict"
  | "ServiceNotAvailable"
  | "InternalError";

/** One entry of `result.errors`: a validation code from the OpenAPI enum and a JSON pointer. */
export interface ErrorField {
  code: string;
  detail: string;
  source: string;
}

export class ApiError extends Error {
  readonly status: ApiStatus;
  readonly errors: ErrorField[];

  constructor(status: ApiStatus, summary: string, errors: ErrorField[] = [], options?: { cause?: unknown }) {
    super(summary, options);
    this.name = "ApiError";
    this.status = status;
    this.errors = errors;
  }

  /** A `ValidationError` whose summary names the first bad field. */
  static validation(errors: ErrorField[]): ApiError {
    const first = errors[0];
    const summary = first
      ? `Invalid request: ${first.detail} (${first.source || "/"})${errors.length > 1 ? ` and ${errors.length - 1} more` : ""}`
      : "Invalid request";
    return new ApiError("ValidationError", summary, errors);
  }

  /** The answer for every authentication and authorisation failure; it says nothing more on purpose. */
  static unauthorized(): ApiError {
    return new ApiError("Unauthorized", "Not authorized to access this resource");
  }
}

/** Escapes one JSON-pointer reference token (RFC 6901 §3). */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll("~", "~0").replaceAll("/", "~1");
}
