/** The audit endpoints a grant can name (the server's `AUDIT_ENDPOINTS`, auth/resolve-config.ts). */
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
