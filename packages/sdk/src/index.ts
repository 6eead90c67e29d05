/**
 * `@veritrail/sdk`: a typed client for the Veritrail API, and verification of its answers that
 * takes nothing on the server's word. Only `fetch`: it runs in Node 20 and in browsers.
 */

export { type AdminAnswer, AdminClient, type AdminClientOptions } from "./admin-client.js";
export {
  type AcceptedRequest,
  AuditClient,
  type AuditClientOptions,
  type BulkOptions,
  type CallOptions,
  gunzipText,
  type LogOptions,
  type SearchPage,
  type WaitOptions,
} from "./audit-client.js";
export { ApiError, type SdkErrorCode, VeritrailError } from "./errors.js";
export { type Answer, retryAfterMs, Transport, type TransportOptions } from "./http.js";
export { Verifier, type VerifierOptions } from "./verify.js";
