/*
 * The admin API's wire shapes: configurations (`v1beta/config…`) and tokens
 * (`v1/admin/token/…`), as the server answers them and the SDK and CLI read them.
 */

export interface SchemaFieldView {
  id: string;
  name?: string;
  description?: string;
  type: string;
  size?: number;
  required?: boolean;
  redact?: boolean;
  /** The field whose value names an event's partition (its tenant), for per-tenant retention. */
  partitioned?: boolean;
  ui_default_visible?: boolean;
}

/** One partition's own tiers; an absent key falls back to the configuration's. */
export interface PartitionOverrideView {
  warm_storage?: string;
  cold_storage?: string;
}

export interface SchemaView {
  fields: SchemaFieldView[];
  save_malformed: string;
}

/** A configuration's redaction at ingest (docs/design/redaction.md). */
export interface RedactionView {
  enabled: boolean;
  mask: string;
  rules?: Array<{
    name: string;
    detector?: string;
    pattern?: string;
    flags?: string;
    action: string;
    label?: string;
  }>;
  signed_events?: string;
}

export interface ConfigView {
  id: string;
  name: string;
  version: number;
  created_at: string;
  updated_at: string;
  tree_name: string;
  schema: SchemaView;
  hot_storage: string;
  warm_storage?: string;
  cold_storage?: string;
  vault_sign: boolean;
  vault_key_id?: string;
  redaction?: RedactionView;
  ui_metadata?: { saved_searches: unknown[] };
  /** Per value of the schema's `partitioned` field, its own tiers (absent when there are none). */
  partition_overrides?: Record<string, PartitionOverrideView>;
}

/**
 * The body of `v1beta/config/partition_overrides`: each key given is set (replacing that
 * partition's override whole); a key mapped to `null` removes its override. Keys not named keep
 * theirs. The answer is the updated configuration (`ConfigView`).
 *
 * @example { id: "pci_…", overrides: { acme: { warm_storage: "90d", cold_storage: "16month" }, globex: null } }
 */
export interface PartitionOverridesRequest {
  id: string;
  overrides: Record<string, PartitionOverrideView | null>;
}

export interface ConfigList {
  count: number;
  last?: string;
  items: ConfigView[];
}

export interface SigningKeyView {
  id: string;
  vault_key_id: string;
  vault_key_version: number;
  public_key: string;
}

/** The settings a create or update body may carry. */
export interface ConfigChanges {
  name?: string;
  schema?: unknown;
  hot_storage?: string;
  warm_storage?: string;
  cold_storage?: string;
  vault_sign?: boolean;
  redaction?: { enabled: boolean; mask: string; rules?: unknown[]; signed_events?: string };
}

export interface AuditGrant {
  configs: string[] | "all";
  endpoints?: string[];
  field_restrictions?: Record<string, Record<string, string[]>>;
}

export interface Grants {
  audit?: AuditGrant;
}

/** A service token calls the data plane within its grants; an admin credential manages the project. */
export type TokenKind = "service" | "admin";

export interface TokenView {
  id: string;
  /** Absent from servers older than admin credential management, which list service tokens only. */
  kind?: TokenKind;
  /** Where it came from: `environment` (VERITRAIL_ADMIN_TOKEN…), `generated` at first start, or `api`. */
  origin?: string;
  status?: "active" | "revoked" | "expired";
  name: string;
  expires_at: string | null;
  grants: Grants;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  previous_secret_valid_until: string | null;
}

export interface TokenList {
  count: number;
  items: TokenView[];
}

/** The answer to create: the only one, with rotate's, that carries the secret. */
export interface CreatedToken {
  id: string;
  token: string;
  kind?: TokenKind;
  name: string;
  expires_at: string | null;
  grants: Grants;
  created_at: string;
}

export interface RotatedToken extends TokenView {
  token: string;
}

/**
 * The console's session document (`v1/session/create`, `v1/session`; docs/design/console-sessions.md):
 * who signed in, until when, the CSRF token its posts carry, and the configurations it reaches.
 * `endpoints` and `field_restrictions` are a service token's grant, absent for an admin credential.
 */
export interface SessionView {
  kind: TokenKind;
  token_id: string;
  name: string;
  expires_at: string;
  csrf_token: string;
  configs: { id: string; name: string }[];
  /** The grant's endpoints; null when it names none (every endpoint). */
  endpoints?: string[] | null;
  field_restrictions?: Record<string, Record<string, string[]>>;
}
