import type { AsyncRequestRecord } from "../store/contract/store.js";

/** Why a job can never succeed, recorded in its result so that its poller learns which. */
export type PermanentFailureReason =
  | "ConfigurationDeleted"
  | "PayloadUnreadable"
  | "ExportTooLarge"
  | "ArchiveUnreadable";

/**
 * Raised by a job kind when trying again cannot help: the job fails for good. Every other error
 * is taken as a passing fault (a database outage, a lost connection) and the job is tried again.
 */
export class PermanentJobError extends Error {
  readonly reason: PermanentFailureReason;

  constructor(reason: PermanentFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentJobError";
    this.reason = reason;
  }
}

/**
 * The hold a job has on its request while it works (the runner leased it for one lease period).
 * A job that may outlast a lease (an export) calls `keep` between steps.
 */
export interface JobLease {
  /**
   * Renews the lease once a third of it has passed since it was taken or last renewed (cheap to
   * call often). Throws `AsyncRequestTakenError` when the request is no longer this process's
   * (another took it over, or finished it) and `JobInterruptedError` when the runner is
   * stopping: the job MUST then stop, and the request is worked again from the start.
   */
  keep(): Promise<void>;
}

/** Raised by `JobLease.keep` while the runner stops: the request is given back, to be worked again. */
export class JobInterruptedError extends Error {
  constructor() {
    super("the job runner is stopping");
    this.name = "JobInterruptedError";
  }
}

/**
 * One kind of background job, named by the endpoint that accepted it. `run` MUST commit the
 * job's completion in the same transaction as its effects (so a job is done exactly once), and
 * throws `PermanentJobError` when retrying cannot help.
 */
export interface JobKind {
  readonly endpoint: string;
  run(request: AsyncRequestRecord, lease: JobLease): Promise<void>;
}
