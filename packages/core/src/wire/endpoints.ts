/**
 * The data-plane endpoints of the audit service, as token grants name them: the server checks
 * grants against this list and the console offers it in Manage Endpoint Access.
 */
export const AUDIT_ENDPOINTS = [
  "v1/log",
  "v2/log",
  "v2/log_async",
  "v1/root",
  "v1/search",
  "v1/results",
  "v1/export",
  "v1/download_results",
  "v1/log_stream",
  "v1/schema",
] as const;

export type AuditEndpoint = (typeof AUDIT_ENDPOINTS)[number];
