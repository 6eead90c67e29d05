/*
 * The job role of the store: requests answered 202 and worked in the background, and named
 * leases for work that runs once across a cluster (docs/design/cluster.md).
 * `store/conformance/job.ts` holds both backends to it.
 */

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
  /** How many times a worker has claimed it; a passing fault postpones it with a growing delay. */
  attempts: number;
  /** The passing fault of the last attempt, if it had one. */
  lastError?: string | undefined;
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

/**
 * The file a finished `v1/export` left (docs/design/exports.md): the gzip bytes are stored in
 * numbered chunks, so that any process on the database can serve the download, and they are
 * deleted with their request when its result expires.
 */
export interface ExportFileRecord {
  requestId: string;
  /**
   * The attempt (the request's `attempts` at the claim) whose chunks are the file. A process that
   * lost its lease may still be writing chunks of its own attempt; they are never read.
   */
  attempt: number;
  format: "csv" | "json";
  /** How many chunks, numbered from 0, and their total bytes. */
  chunks: number;
  bytes: number;
  /** How many events the file holds. */
  events: number;
  /** The token's field restrictions for the configuration the export was made under, as JSON. */
  restriction: string;
  createdAt: string;
}

/** What an endpoint stores before it answers 202; the store starts its attempts at 0. */
export type NewAsyncRequest = Omit<AsyncRequestRecord, "attempts" | "lastError">;

export interface JobStore {
  createAsyncRequest(request: NewAsyncRequest): Promise<void>;
  getAsyncRequest(id: string): Promise<AsyncRequestRecord | undefined>;
  /**
   * Leases up to `limit` pending requests to `owner` until `nowMillis + leaseMs`. A request whose
   * lease ran out (its process died, or it was postponed until then) is leased again; each is
   * worked by one owner at a time. Each claim counts one attempt.
   */
  claimAsyncRequests(
    owner: string,
    nowMillis: number,
    leaseMs: number,
    limit: number,
  ): Promise<AsyncRequestRecord[]>;
  /**
   * Gives a pending request back after a passing fault: no owner may claim it before
   * `untilMillis`; `lastError` says why, for operators. Only `owner`, holding it, can postpone it.
   */
  postponeAsyncRequest(id: string, owner: string, untilMillis: number, lastError: string): Promise<void>;
  /**
   * Extends `owner`'s lease of a pending request to `untilMillis`, for work longer than one lease
   * (an export). False when `owner` no longer holds it (its lease ran out and another claimed it,
   * or it is finished): the work MUST then stop.
   */
  renewAsyncRequest(id: string, owner: string, untilMillis: number): Promise<boolean>;
  /** Marks a pending request failed for good; a request already done is left as it is. */
  failAsyncRequest(id: string, error: string): Promise<void>;
  /**
   * Deletes finished or failed requests whose result expired before `now` (ISO), with their
   * export files; returns how many requests.
   */
  deleteExpiredAsyncRequests(now: string): Promise<number>;
  /** Stores chunk `seq` of the export file that attempt `attempt` of request `requestId` writes. */
  writeExportChunk(requestId: string, attempt: number, seq: number, data: Buffer): Promise<void>;
  /**
   * In one transaction: marks the pending export request done with `result`, records `file` as
   * its file and deletes the chunks other attempts wrote. Throws `AsyncRequestTakenError` (and
   * writes nothing) when the request is no longer pending: it is finished exactly once.
   */
  finishExport(file: ExportFileRecord, result: string): Promise<void>;
  /** Deletes the chunks one attempt wrote (it lost its request to another). */
  discardExportChunks(requestId: string, attempt: number): Promise<void>;
  /** The file of a finished export; none before it is finished or after its request expired. */
  getExportFile(requestId: string): Promise<ExportFileRecord | undefined>;
  /** One chunk of a finished export's file (`attempt` from `getExportFile`). */
  readExportChunk(requestId: string, attempt: number, seq: number): Promise<Buffer | undefined>;
  /**
   * Takes or renews the named lease for `owner` until `nowMillis + ms`, if it is free, expired or
   * already `owner`'s; true when `owner` holds it. Across every process on the database at most
   * one owner holds a live lease: work that must run once per tree across a cluster (publishing
   * roots, exports) runs under one.
   */
  tryLease(name: string, owner: string, ms: number, nowMillis: number): Promise<boolean>;
  /** Gives the lease up early, if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
}
