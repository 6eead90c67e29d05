import type { RedactionRuleSpec } from "@veritrail/core";

/*
 * The configuration role of the store: projects, service configurations and their signing keys,
 * and the secrets the server makes for itself.
 * `store/conformance/config.ts` holds both backends to it.
 */

export type FieldType = "string" | "text" | "string-unindexed" | "integer" | "boolean" | "datetime";

export interface SchemaField {
  id: string;
  name?: string;
  description?: string;
  type: FieldType;
  /** Maximum length in characters, for the string types. */
  size?: number;
  required?: boolean;
  redact?: boolean;
  /** The field whose value names an event's partition (its tenant), for per-tenant retention; at most one, a `string`. */
  partitioned?: boolean;
  ui_default_visible?: boolean;
}

/** One partition's own retention (`v1beta/config/partition_overrides`); an absent key falls back to the configuration's. */
export interface PartitionOverride {
  warm_storage?: string;
  cold_storage?: string;
}

export type SaveMalformed = "reject" | "all" | "unredacted";

export interface EventSchema {
  fields: SchemaField[];
  save_malformed: SaveMalformed;
}

/** What a client-signed event meets when redaction would change it: refused, or stored as signed. */
export type SignedEventPolicy = "reject" | "store_unredacted";

/**
 * Redaction at ingestion of the fields marked `redact`. With `rules`, each rule's matches are
 * rewritten; without (the older form), the whole value becomes `mask`.
 */
export interface RedactionSettings {
  enabled: boolean;
  mask: string;
  rules?: RedactionRuleSpec[];
  /** Absent: `store_unredacted`, what configurations did before there was a choice. */
  signed_events?: SignedEventPolicy;
}

/** Everything a configuration decides, stored as one JSON document beside its id and name. */
export interface ConfigSettings {
  version: 3;
  schema: EventSchema;
  hot_storage: string;
  warm_storage?: string;
  cold_storage?: string;
  /** Server-side Ed25519 signing of events the client did not sign. */
  vault_sign: boolean;
  /** Redaction at ingestion of the fields marked `redact` (docs/design/redaction.md). */
  redaction?: RedactionSettings;
  ui_metadata?: { saved_searches: unknown[] };
  /**
   * Per partition value (of the schema's `partitioned` field), its own warm and cold tiers
   * (docs/design/retention.md "Per-tenant overrides"). Absent or empty: every event has the
   * configuration's tiers.
   */
  partition_overrides?: Record<string, PartitionOverride>;
  /**
   * Values whose override was removed, oldest first (at most `MAX_PARTITION_OVERRIDES`), not
   * shown: the retention job still finds their events by the index, with the configuration's
   * tiers, since its cursor walk passed some of them while they were overridden.
   */
  retired_partitions?: string[];
  /** Set only on the project's admin activity log, which the server alone writes (admin/activity-log.ts). */
  admin_activity?: true;
}

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: string;
}

/** A service configuration: its own schema, policies and Merkle tree. */
export interface ConfigRecord {
  id: string;
  projectId: string;
  name: string;
  settings: ConfigSettings;
  createdAt: string;
  updatedAt: string;
}

/** One version of a configuration's server signing key (Ed25519). */
export interface SigningKeyRecord {
  configId: string;
  version: number;
  /** The public key id carried in signed envelopes as `vault_key_id` (`pvi_…`). */
  keyId: string;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** SPKI PEM. */
  publicKey: string;
  createdAt: string;
}

export interface ConfigStore {
  getFirstProject(): Promise<ProjectRecord | undefined>;
  createProject(project: ProjectRecord): Promise<void>;

  /** Creates a configuration together with its empty tree, in one transaction. */
  createConfig(config: ConfigRecord, treeName: string): Promise<void>;
  /** A live configuration; deleted ones are gone for every reader. */
  getConfig(id: string): Promise<ConfigRecord | undefined>;
  /** The project's live configurations, oldest first. */
  listConfigs(projectId: string): Promise<ConfigRecord[]>;
  /** Replaces name and settings if the stored `updated_at` is still `expectedUpdatedAt`. */
  updateConfig(config: ConfigRecord, expectedUpdatedAt: string): Promise<boolean>;
  /** Deletes a configuration for every reader. Its tree and events are kept: an audit log is not erased. */
  deleteConfig(id: string, deletedAt: string): Promise<boolean>;

  addSigningKey(key: SigningKeyRecord): Promise<void>;
  /** The newest version of a configuration's signing key. */
  getSigningKey(configId: string): Promise<SigningKeyRecord | undefined>;

  /**
   * The server secret `name` (e.g. the key that signs download links): `candidate` is stored
   * when there is none yet, and the stored one is returned, so that every process on the
   * database uses the same secret however many race to make it.
   */
  ensureServerSecret(name: string, candidate: Buffer, createdAt: string): Promise<Buffer>;
}
