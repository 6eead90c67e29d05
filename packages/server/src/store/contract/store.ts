import type { CheckpointStore } from "./checkpoint.js";
import type { ConfigStore } from "./config.js";
import type { ErasureStore } from "./erasure.js";
import type { JobStore } from "./job.js";
import type { LogStore } from "./log.js";
import type { SearchStore } from "./search.js";
import type { SessionStore } from "./session.js";
import type { TokenStore } from "./token.js";

/*
 * The storage contract, split by role. Each backend (SQLite, PostgreSQL) implements every role
 * natively with its own SQL and migrations (`store/sqlite`, `store/postgres`); the conformance
 * suites of `store/conformance/` hold both to the same behaviour. The service never builds SQL.
 * A new kind of data (search indexes, checkpoints, retention) adds a role here instead of
 * widening an old one.
 */

export type { AnchorStateRecord, CheckpointRecord, CheckpointStore, PublishableTree } from "./checkpoint.js";
export type {
  ConfigRecord,
  ConfigSettings,
  ConfigStore,
  EventSchema,
  FieldType,
  ProjectRecord,
  SaveMalformed,
  SchemaField,
  SigningKeyRecord,
} from "./config.js";
export type {
  ErasedLeaf,
  EraseRequest,
  ErasureMark,
  ErasureStore,
  ExpiredBatch,
  ExpireRequest,
} from "./erasure.js";
export {
  type AsyncRequestRecord,
  type AsyncRequestState,
  AsyncRequestTakenError,
  type JobStore,
  type NewAsyncRequest,
} from "./job.js";
export type { LeafRecord, LogStore, SequencedBatch, SequencerHead, TreeHead } from "./log.js";
export type {
  ResultSetRecord,
  SearchOrderBy,
  SearchQuery,
  SearchRow,
  SearchStore,
  SearchValue,
} from "./search.js";
export type { SessionRecord, SessionStore } from "./session.js";
export type { ServiceGrant, TokenRecord, TokenStore } from "./token.js";

export interface Store {
  readonly backend: "sqlite" | "postgres";
  readonly log: LogStore;
  readonly configs: ConfigStore;
  readonly tokens: TokenStore;
  readonly jobs: JobStore;
  readonly search: SearchStore;
  readonly sessions: SessionStore;
  readonly checkpoints: CheckpointStore;
  readonly erasure: ErasureStore;

  /** Applies pending migrations. Idempotent and safe when several processes start at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `fn` while holding a store-wide lock, so that first-start setup happens once even when
   * several processes start together.
   */
  withSetupLock<T>(fn: () => Promise<T>): Promise<T>;
}
