import type { CompactRange, MerkleNode, NodeId } from "@veritrail/core";
import type { ConfigSettings } from "../ingest/event-schema.js";

/*
 * The one storage contract. Each backend (SQLite, PostgreSQL) implements it natively with its
 * own SQL; `test/store-conformance.test.ts` holds both to the same behaviour. It is sized to what
 * the service needs, no more: the service never builds SQL.
 */

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

/** Which endpoints and configurations a token reaches in one service (issue "tokens"). */
export interface ServiceGrant {
  configs: string[] | "all";
  endpoints?: string[];
  /** Per configuration: field → allowed values. Every read (and write) with the token is bound to them. */
  field_restrictions?: Record<string, Record<string, string[]>>;
}

export interface TokenRecord {
  id: string;
  projectId: string;
  name: string;
  /** `admin` manages configurations and tokens; `service` calls the data plane. */
  kind: "admin" | "service";
  /** SHA-256 of the secret: the secret itself is never stored. */
  secretHash: Buffer;
  /** After a rotation the previous secret keeps working until `previousValidUntil`. */
  previousSecretHash?: Buffer | undefined;
  previousValidUntil?: string | undefined;
  expiresAt?: string | undefined;
  revokedAt?: string | undefined;
  grants: { audit?: ServiceGrant };
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

/** The head of one configuration's tree. */
export interface TreeHead {
  /** Internal numeric id, compact in indexes. */
  id: number;
  configId: string;
  /** The public tree name: 64 hex, random, never reused. */
  treeName: string;
  size: number;
  /** Root hash at `size`; undefined for an empty tree. */
  rootHash: Buffer | undefined;
  /** `received_at` of the last leaf, microseconds since the epoch (0 when empty). */
  lastReceivedAt: number;
}

/** One stored event: a leaf of its tree. */
export interface LeafRecord {
  leafIndex: number;
  /** Microseconds since the epoch; strictly increasing within a tree. */
  receivedAt: number;
  /** The envelope hash, which is also the Merkle leaf. */
  hash: Buffer;
  /** The canonical JSON of the envelope, exactly the bytes that were hashed. */
  envelope: string;
}

/** What the sequencer sees of a tree inside the append transaction. */
export interface SequencerHead {
  size: number;
  lastReceivedAt: number;
  /** The tree's right edge at `size`; the sequencer appends to it (the store passes a copy). */
  range: CompactRange;
}

/** What one group commit writes. */
export interface SequencedBatch {
  leaves: LeafRecord[];
  /** Complete subtrees at level ≥ 1 that the batch completed (leaves live in the events). */
  nodes: MerkleNode[];
  size: number;
  rootHash: Buffer;
  lastReceivedAt: number;
  /** Async requests this batch finishes, committed in the same transaction as their events. */
  completedRequests: { id: string; result: string }[];
}

export type AsyncRequestState = "pending" | "done" | "failed";

/** A request answered 202, e.g. `v2/log_async`; its body is stored before the 202 is sent. */
export interface AsyncRequestRecord {
  id: string;
  tokenId: string;
  configId: string;
  endpoint: string;
  state: AsyncRequestState;
  /** The validated work, as JSON. */
  payload: string;
  /** The final `result` of the original call, as JSON, once done. */
  result?: string | undefined;
  /** For `failed`: the error envelope parts, as JSON. */
  error?: string | undefined;
  createdAt: string;
  expiresAt: string;
}

/**
 * Raised inside an append when an async request of the batch is no longer pending (another
 * process finished it after its lease ran out). The transaction is rolled back; the sequencer
 * drops that request and commits the rest of the batch again.
 */
export class AsyncRequestTakenError extends Error {
  readonly requestId: string;

  constructor(requestId: string) {
    super(`async request ${requestId} is no longer pending`);
    this.name = "AsyncRequestTakenError";
    this.requestId = requestId;
  }
}

export interface Store {
  readonly backend: "sqlite" | "postgres";

  /** Applies pending migrations. Idempotent and safe when several processes start at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Runs `fn` while holding a store-wide lock, so that first-start setup happens once even when
   * several processes start together.
   */
  withSetupLock<T>(fn: () => Promise<T>): Promise<T>;

  getFirstProject(): Promise<ProjectRecord | undefined>;
  createProject(project: ProjectRecord): Promise<void>;

  /** Creates a configuration together with its empty tree. */
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

  createToken(token: TokenRecord): Promise<void>;
  /** Replaces a token's mutable fields if the stored `updated_at` is still `expectedUpdatedAt`. */
  updateToken(token: TokenRecord, expectedUpdatedAt: string): Promise<boolean>;
  listTokens(projectId: string): Promise<TokenRecord[]>;
  /** Finds the token whose current or previous secret hashes to `secretHash`. */
  findTokenBySecretHash(secretHash: Buffer): Promise<TokenRecord | undefined>;
  getToken(id: string): Promise<TokenRecord | undefined>;

  getTreeHead(configId: string): Promise<TreeHead | undefined>;
  /**
   * Appends one batch to a tree in one transaction: locks the tree head, gives `sequence` the
   * head and its right edge, and writes what it returns (leaves, subtree hashes, the new head,
   * the root at the new size, completed async requests). MUST NOT resolve before the commit;
   * on any failure nothing is written. `sequence` is pure and may run more than once.
   */
  appendBatch(treeId: number, sequence: (head: SequencerHead) => SequencedBatch): Promise<SequencedBatch>;
  /** The hashes of complete subtrees, keyed by `nodeKey`. Level 0 is the leaf hash. */
  readNodes(treeId: number, nodes: readonly NodeId[]): Promise<Map<string, Buffer>>;
  /** The size at which a batch left the tree with this root, if the server ever returned it. */
  findSizeOfRoot(treeId: number, rootHash: Buffer): Promise<number | undefined>;
  /** One leaf by index. */
  getLeaf(treeId: number, leafIndex: number): Promise<LeafRecord | undefined>;

  createAsyncRequest(request: AsyncRequestRecord): Promise<void>;
  getAsyncRequest(id: string): Promise<AsyncRequestRecord | undefined>;
  /**
   * Leases up to `limit` pending requests to `owner` for `leaseMs`. A request whose lease ran out
   * (its process died) is leased again; each is worked by one owner at a time.
   */
  claimAsyncRequests(owner: string, leaseMs: number, limit: number): Promise<AsyncRequestRecord[]>;
  /** Marks a pending request failed for good; a request already done is left as it is. */
  failAsyncRequest(id: string, error: string): Promise<void>;
  /**
   * Takes or renews the named lease for `owner` until `nowMillis + ms`, if it is free, expired or
   * already `owner`'s; true when `owner` holds it. Across every process on the database at most
   * one owner holds a live lease: work that must run once per tree across a cluster (publishing
   * roots, exports) runs under one.
   */
  tryLease(name: string, owner: string, ms: number, nowMillis: number): Promise<boolean>;
  /** Gives the lease up early, if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
  /** Deletes finished or failed requests whose result expired before `now` (ISO); returns how many. */
  deleteExpiredAsyncRequests(now: string): Promise<number>;
}
