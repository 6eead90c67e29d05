import type { Envelope } from "../envelope.js";
import type { ErrorField } from "./status.js";

/*
 * The data-plane wire shapes (wire-protocol §4), as the server answers them and the SDK reads
 * them: one declaration for both, so that neither keeps a copy of the other's.
 */

/** Every answer of the server, success or error (wire-protocol §3.1). */
export interface ResponseEnvelope<T = unknown> {
  request_id: string;
  request_time: string;
  response_time: string;
  status: string;
  summary: string;
  result: T;
}

/** `result` of an error answer that names its fields. */
export interface ErrorResult {
  errors: ErrorField[];
}

/** `result` of a 202 answer (wire-protocol §3.3). */
export interface AcceptedResult {
  ttl_mins: number;
  retry_counter: number;
  location: string;
}

/** One event as `v1/log` and `v2/log` take it. */
export interface LogEntry {
  event: Record<string, unknown>;
  signature?: string;
  public_key?: string;
}

/** `result` of `v1/log` (wire-protocol §4.1); `unpublished_root` is a plain hex string here. */
export interface LogResult {
  hash: string;
  envelope?: Envelope;
  unpublished_root?: string;
  membership_proof?: string;
  consistency_proof?: string[];
}

/** `result` of `v2/log` and of a finished `v2/log_async` (wire-protocol §4.2). */
export interface LogBulkResult {
  results: { hash: string; envelope?: Envelope }[];
}

/** The latest published root, or the root at a size (`v1/root`, search `root`). */
export interface PublishedRoot {
  tree_name: string;
  size: number;
  root_hash: string;
  url?: string;
  published_at: string;
  consistency_proof?: string[];
}

/** The root of the whole tree when records lie above the published size. */
export interface UnpublishedRoot {
  tree_name: string;
  size: number;
  root_hash: string;
}

/** One record of a search page or of a file (wire-protocol §4.3). */
export interface SearchEvent {
  /** Absent on an erased record (docs/design/erasure.md), which carries `erased` instead. */
  envelope?: Envelope;
  hash: string;
  /**
   * When and under which request the record's envelope was erased; its hash and proof stay.
   * `reason: "expired"`: removed by retention past the searchable tiers (erasure id `retention`),
   * not on request (docs/design/retention.md).
   */
  erased?: { erasure_id: string; erased_at: string; reason?: "expired" };
  membership_proof?: string;
  published?: boolean;
  leaf_index?: number;
  imported?: boolean;
  valid_signature?: boolean;
}

export type SearchOrder = "asc" | "desc";

/** A `v1/search` request. */
export interface SearchRequest {
  query: string;
  limit?: number;
  max_results?: number;
  order?: SearchOrder;
  order_by?: string;
  start?: string;
  end?: string;
  search_restriction?: Record<string, string[]>;
  verbose?: boolean;
  return_context?: boolean;
  config_id?: string;
}

/** `result` of `v1/search`. */
export interface SearchResult {
  id: string;
  expires_at: string;
  count: number;
  events: SearchEvent[];
  root?: PublishedRoot;
  unpublished_root?: UnpublishedRoot;
}

/** `result` of `v1/results`. */
export interface ResultsResult {
  count: number;
  events: SearchEvent[];
  root?: PublishedRoot;
  unpublished_root?: UnpublishedRoot;
}

/** `result` of `v1/root` (the `data` wrapper is the SDKs', wire-protocol §4.4). */
export interface RootResult {
  data: PublishedRoot;
}

export type EventFileFormat = "csv" | "json";

/** A `v1/export` request. */
export interface ExportRequest {
  format?: EventFileFormat;
  start?: string;
  end?: string;
  order?: SearchOrder;
  order_by?: string;
  verbose?: boolean;
  config_id?: string;
  /**
   * A Veritrail extension: export the configuration's cold archive instead of its searchable
   * tiers: the events archived for the UTC days the window overlaps, each record verifiable
   * against the tree as any other (docs/design/retention.md, "Cold export"). Default false.
   */
  cold?: boolean;
}

/** `result` of `v1/download_results`. */
export interface DownloadResult {
  dest_url: string;
  expires_at: string;
}

/** One field of `v1/schema`'s answer. */
export interface SchemaField {
  id: string;
  name?: string;
  description?: string;
  type: string;
  size?: number;
  required: boolean;
  redact: boolean;
  ui_default_visible?: boolean;
}

/** `result` of `v1/schema`. */
export interface SchemaResult {
  tamper_proofing: boolean;
  client_signable: boolean;
  save_malformed: string;
  fields: SchemaField[];
}

/*
 * The verifiable JSON file: a download with `format: json` or a JSON export. `checkpoints` are
 * ascending by size; `consistency` links each consecutive pair and, when `unpublished_root` is
 * there, the last checkpoint to it. A `published: true` record is proved against `root`, any
 * other against `unpublished_root`.
 */

/** A signed checkpoint as a file carries it. */
export interface FileCheckpoint {
  size: number;
  published_at?: string;
  /** The signed note text (C2SP signed-note, tlog-checkpoint body). */
  note: string;
}

/** A consistency proof between two sizes, in `v1/root`'s encoding. */
export interface FileConsistency {
  from_size: number;
  to_size: number;
  consistency_proof: string[];
}

/** One record of a file. */
export interface FileEvent extends SearchEvent {
  /** Why no proof could be computed for this record, when none is given. */
  proof_error?: string;
}

/** The whole file. */
export interface VerifiableFile {
  tree_name?: string;
  /**
   * What the records are: `range`, every leaf of one range of the tree (an export ordered by
   * `received_at` that no restriction filters), so a missing leaf index is a failure; or
   * `matches`, the records a search or a token's restriction selected, whose leaf indices need
   * not be contiguous, so that none is missing cannot be checked from the file. A file without
   * it is held to `range`.
   */
  selection?: "range" | "matches";
  checkpoints?: FileCheckpoint[];
  consistency?: FileConsistency[];
  root?: PublishedRoot;
  unpublished_root?: UnpublishedRoot;
  events: FileEvent[];
  count?: number;
}
