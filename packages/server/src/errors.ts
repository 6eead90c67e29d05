import type { ApiErrorStatus, ErrorField } from "@veritrail/core";
import { MAX_ECHO_LENGTH, MAX_ERROR_DETAIL_LENGTH, MAX_ERRORS_PER_ANSWER } from "./limits.js";

/**
 * The server's one error class. `status` is the Pangea status string the SDKs branch on
 * (wire-protocol §3.2) and `errors` the `result.errors` entries, each with a typed validation
 * code; both unions live in `@veritrail/core` (wire/status.ts), shared with the SDK and console.
 * `http/error-map.ts` is the one place that turns an error into an HTTP answer.
 */
export type { ErrorField, ValidationCode } from "@veritrail/core";
export type ApiStatus = ApiErrorStatus;

export class ApiError extends Error {
  readonly status: ApiStatus;
  /** What the answer lists: at most `MAX_ERRORS_PER_ANSWER` entries and one that counts the rest. */
  readonly errors: ErrorField[];

  /**
   * `uncheckedFrom` is the pointer where checking stopped because the list was already full:
   * the count of problems left out is then a lower bound, and the answer says so.
   */
  constructor(
    status: ApiStatus,
    summary: string,
    errors: readonly ErrorField[] = [],
    options?: { cause?: unknown; uncheckedFrom?: string },
  ) {
    super(summary, options);
    this.name = "ApiError";
    this.status = status;
    this.errors = boundErrors(errors, options?.uncheckedFrom);
  }

  /** A `ValidationError` whose summary names the first bad field. */
  static validation(errors: readonly ErrorField[], options?: { uncheckedFrom?: string }): ApiError {
    const shown = boundErrors(errors.slice(0, 1));
    const first = shown[0];
    const summary = first
      ? `Invalid request: ${first.detail} (${first.source || "/"})${errors.length > 1 ? ` and ${errors.length - 1} more` : ""}`
      : "Invalid request";
    return new ApiError("ValidationError", summary, errors, options);
  }

  /** The answer for every authentication and authorisation failure; it says nothing more on purpose. */
  static unauthorized(): ApiError {
    return new ApiError("Unauthorized", "Not authorized to access this resource");
  }
}

/**
 * The errors an answer lists. A request with thousands of problems (20,000 unknown fields, say)
 * must not get an answer larger than itself that echoes every key back: the list stops at
 * `MAX_ERRORS_PER_ANSWER` and a last entry counts the rest; caller text in `detail` and in each
 * token of `source` is cut to a bounded length. The code never changes.
 */
export function boundErrors(errors: readonly ErrorField[], uncheckedFrom?: string): ErrorField[] {
  const shown = errors.slice(0, MAX_ERRORS_PER_ANSWER).map((e) => ({
    code: e.code,
    detail: clip(e.detail, MAX_ERROR_DETAIL_LENGTH),
    source: clipPointer(e.source),
  }));
  const leftOut = errors.length - shown.length;
  if (leftOut > 0) {
    const where = uncheckedFrom === undefined ? undefined : clipPointer(uncheckedFrom);
    shown.push({
      code: "TooManyErrors",
      detail:
        where === undefined
          ? `${leftOut} more problem(s) were left out of this answer`
          : `${leftOut} more problem(s) were left out of this answer, and nothing from ${where} on was checked`,
      source: where ?? "",
    });
  }
  return shown;
}

/**
 * Caller text as an answer may quote it: at most `max` UTF-16 units and an ellipsis, never
 * ending in half a surrogate pair.
 */
export function clip(text: string, max = MAX_ECHO_LENGTH): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** A JSON pointer with each long reference token clipped, never ending inside an escape (`~0`, `~1`). */
function clipPointer(pointer: string): string {
  if (pointer.length <= MAX_ECHO_LENGTH) return pointer;
  return pointer
    .split("/")
    .map((token) => {
      if (token.length <= MAX_ECHO_LENGTH) return token;
      const cut = clip(token);
      return cut.endsWith("~…") ? `${cut.slice(0, -2)}…` : cut;
    })
    .join("/");
}

/** Escapes one JSON-pointer reference token (RFC 6901 §3). */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll("~", "~0").replaceAll("/", "~1");
}
