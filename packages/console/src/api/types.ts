/*
 * The shapes of the answers the console reads, as the server's routes render them
 * (packages/server/src/http/routes, admin/*-document.ts). The SDK package will own these.
 */

export interface SessionInfo {
  kind: "admin" | "service";
  token_id: string;
  name: string;
  expires_at: string;
  csrf_token: string;
  configs: { id: string; name: string }[];
  endpoints?: string[] | null;
  field_restrictions?: Record<string, Record<string, string[]>>;
}

export type FieldType = "string" | "string-unindexed" | "text" | "integer" | "boolean" | "datetime";

export interface SchemaField {
  id: string;
  name?: string;
  description?: string;
  type: FieldType;
  size?: number;
  required?: boolean;
  redact?: boolean;
  ui_default_visible?: boolean;
}

export interface Schema {
  tamper_proofing?: boolean;
  save_malformed?: string;
  fields: SchemaField[];
}

export interface ConfigView {
  id: string;
  name: string;
  description?: string;
  tree_name?: string;
  schema?: { fields: SchemaField[]; save_malformed?: string };
  hot_storage?: string;
  warm_storage?: string;
  cold_storage?: string;
  query_result_retention?: string;
  redact_service_config_id?: string | null;
  vault_sign?: boolean;
  vault_key_id?: string | null;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface AuditGrant {
  configs: string[] | "all";
  endpoints?: string[];
  field_restrictions?: Record<string, Record<string, string[]>>;
}

export interface TokenView {
  id: string;
  name: string;
  kind: "service" | "admin";
  status: "active" | "revoked" | "expired";
  expires_at: string | null;
  grants: { audit?: AuditGrant };
  created_at: string;
  updated_at?: string;
  previous_secret_valid_until?: string | null;
  revoked_at?: string | null;
  origin?: string;
  [key: string]: unknown;
}

export interface CreatedToken extends TokenView {
  token: string;
}

export interface Root {
  tree_name: string;
  size: number;
  root_hash: string;
  published_at?: string;
  consistency_proof?: string[];
}

export interface SearchEvent {
  envelope: {
    event: Record<string, string | number | boolean>;
    received_at: string;
    signature?: string;
    public_key?: string;
    err?: { field: string; error: string; value?: string }[];
  };
  hash: string;
  leaf_index?: number;
  membership_proof?: string;
  published?: boolean;
  imported?: boolean;
  valid_signature?: boolean;
}

export interface SearchPage {
  id?: string;
  expires_at?: string;
  count: number;
  events: SearchEvent[];
  root?: Root;
  unpublished_root?: Root;
}

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
