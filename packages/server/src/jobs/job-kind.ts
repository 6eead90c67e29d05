import type { AsyncRequestRecord } from "../store/contract/store.js";

/** Why a job can never succeed, recorded in its result so that its poller learns which. */
export type PermanentFailureReason = "ConfigurationDeleted" | "PayloadUnreadable";

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
 * One kind of background job, named by the endpoint that accepted it. `run` MUST commit the
 * job's completion in the same transaction as its effects (so a job is done exactly once), and
 * throws `PermanentJobError` when retrying cannot help.
 */
export interface JobKind {
  readonly endpoint: string;
  run(request: AsyncRequestRecord): Promise<void>;
}
