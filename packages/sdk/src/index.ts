/**
 * `@veritrail/sdk`: a typed client for the Veritrail API, and verification of its answers that
 * takes nothing on the server's word. Only `fetch`: it runs in Node 20 and in browsers.
 */

// Verification lives in core (pure, browser-safe); the SDK hands it on so one import serves.
export {
  type Check,
  type CheckStatus,
  checkConsistency,
  checkEnvelopeHash,
  checkEventSignature,
  checkMembership,
  type FileReport,
  FileStreamSplitter,
  FileVerifier,
  noteOpener,
  type RecordChecks,
  type RecordReport,
  type RootTrust,
  verifyFile,
  verifyRecord,
} from "@veritrail/core";
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
