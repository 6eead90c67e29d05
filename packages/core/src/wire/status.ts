/*
 * The words of a Pangea answer the SDKs branch on: the envelope's `status` (wire-protocol §3.1,
 * §3.2) and the `code` of each `result.errors` entry (wire-protocol §3.1, the OpenAPI
 * `pangea-validation-errors` enum). Only the strings are here; which HTTP status each status
 * gets is the server's decision, made in one place there.
 */

/**
 * The envelope `status` strings Veritrail sends (wire-protocol §3.2). The SDKs decide success or
 * failure from this string, not from the HTTP code: only `"Success"` is success, and any string
 * they do not know becomes their generic API error. Each member is one the SDKs map, except the
 * two Veritrail adds (marked below), which reach callers as that generic error with its status
 * and summary.
 *
 * @example
 *   const status: ApiStatus = "TreeNotFound";
 */
export type ApiStatus =
  /** The request did what it asked (§3.2). */
  | "Success"
  /** Queued: poll `GET request/<request_id>` (§3.3). */
  | "Accepted"
  /** The body or query is malformed; `result.errors` says where, one {@link ErrorField} each (§3.1). */
  | "ValidationError"
  /**
   * Any authentication or authorisation failure, always with summary "Not authorized to access
   * this resource" and no errors (§3.2).
   */
  | "Unauthorized"
  /** An unknown resource, route or request id (§3.2, §3.3). */
  | "NotFound"
  /** `v1/root` asked for the root of an empty tree, or of a size the tree does not have (§3.2, §4.4). */
  | "TreeNotFound"
  /** `v1/results` asked for an offset past the end of the result set (§3.2, §4.3). */
  | "BadOffset"
  /** No `config_id` was sent and the token's grant covers no configuration of the service (§2.2). */
  | "MissingConfigID"
  /**
   * Veritrail's own: no `config_id` was sent and the token's grant covers several
   * configurations (§2.2). No Pangea SDK knows this string.
   */
  | "AmbiguousConfigID"
  /**
   * Veritrail's own, on its admin API: the record changed between read and write; read it again
   * and retry. No Pangea SDK knows this string.
   */
  | "Conflict"
  /** Rate limited; the client should back off (§3.2). */
  | "TooManyRequests"
  /**
   * The service cannot answer now (shutting down, overloaded). Sent with HTTP 503, which both SDKs
   * turn into their temporarily-unavailable error and retry (§2.3, §3.2).
   */
  | "ServiceNotAvailable"
  /** A failure on the server's side; the summary names the request id (§3.2). */
  | "InternalError";

/** The statuses of a failed request: every {@link ApiStatus} but `"Success"` and `"Accepted"`. */
export type ApiErrorStatus = Exclude<ApiStatus, "Success" | "Accepted">;

/**
 * The `code` of one `result.errors` entry (wire-protocol §3.1): the members of the OpenAPI
 * `pangea-validation-errors` enum that Veritrail reports, and two of Veritrail's own (marked
 * below) for bounds the enum has no word for. Add others from the enum as a check needs them.
 *
 * @example
 *   const code: ValidationCode = "AboveMaxLength";
 */
export type ValidationCode =
  // A required member is missing, or one of a set of alternatives is (or more than one is).
  | "FieldRequired"
  | "MustProvideOne"
  | "MutuallyExclusive"
  // A member of the wrong JSON type.
  | "InvalidString"
  | "InvalidInteger"
  | "InvalidBool"
  | "InvalidObject"
  | "InvalidArray"
  // A member that is not allowed where it is.
  | "UnexpectedProperty"
  | "InvalidPropertyName"
  | "IsReadOnly"
  | "IsDependentOn"
  // A value of the right type but the wrong form: `BadFormat` is also the search query's syntax error.
  | "BadFormat"
  | "BadFormatDateTime"
  | "BadFormatPangeaDuration"
  | "DoesNotMatchPattern"
  | "NotEnumMember"
  | "InvalidConst"
  // A value or a collection outside its bounds.
  | "AboveMaxLength"
  | "BelowMinLength"
  | "AboveMaxItems"
  | "AboveMaxProperties"
  | "BelowMinItems"
  | "NotWithinRange"
  | "ItemNotUnique"
  | "IsTooBig"
  // Well formed, but at odds with what is stored.
  | "DoesNotExist"
  | "ConfigNotExist"
  | "BadState"
  /** Veritrail's own: the body nests deeper than the server reads (limits.ts). */
  | "AboveMaxDepth"
  /** Veritrail's own: the last entry of a capped error list, counting those left out. */
  | "TooManyErrors";

/**
 * One entry of `result.errors` on a failed request (wire-protocol §3.1): what was wrong, in words
 * for people, and where, as a JSON pointer into the request body (RFC 6901; `""` is the whole
 * body). The SDKs also read an optional `path`, which Veritrail does not send.
 *
 * @example
 *   const error: ErrorField = {
 *     code: "AboveMaxLength",
 *     detail: "at most 32 characters",
 *     source: "/event/actor",
 *   };
 */
export interface ErrorField {
  code: ValidationCode;
  detail: string;
  source: string;
}
