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
  /** Marks a pending request failed for good; a request already done is left as it is. */
  failAsyncRequest(id: string, error: string): Promise<void>;
  /** Deletes finished or failed requests whose result expired before `now` (ISO); returns how many. */
  deleteExpiredAsyncRequests(now: string): Promise<number>;
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
