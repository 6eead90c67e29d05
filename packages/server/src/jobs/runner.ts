import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, isoAt } from "../clock.js";
import type { JobSignal } from "../services.js";
import { type AsyncRequestRecord, AsyncRequestTakenError, type JobStore } from "../store/contract/store.js";
import { JobInterruptedError, type JobKind, type JobLease, PermanentJobError } from "./job-kind.js";

/** How many requests one claim takes; they are worked together, so they share group commits. */
const CLAIM_BATCH = 32;
/** Results past their TTL are purged at most this often per process. */
const PURGE_EVERY_MS = 60_000;

/**
 * The delay before attempt `attempts + 1` after a passing fault: exponential from 1 s, capped at
 * a minute, with full jitter so that processes recovering from one outage do not retry in step.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(60_000, 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 16)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Works the requests answered 202 (`v2/log_async`, `v1/export`). Each is leased from the
 * store, so with several processes each request is worked by one at a time, and a request whose
 * process died is leased again when its lease runs out; a job longer than a lease renews it as it
 * goes (`JobLease`), and one cut short by a shutdown is given back at once. A job kind commits its
 * effects and its completion together: a request is done exactly once.
 *
 * A failure is permanent only when the kind says so (`PermanentJobError`: its configuration
 * deleted, its payload unreadable); the request then fails for good with that reason. Any other
 * error is a passing fault: the request is postponed with a growing delay and tried again, for as
 * long as it takes, since its events were acknowledged.
 */
/** Stored data with an expiry that the runner deletes once it has passed, at most once a minute per process. */
export interface ExpiryPurge {
  /** For the log line, e.g. "search result sets". */
  what: string;
  /** Deletes what expired before `now` (ISO); returns how many. */
  run(now: string): Promise<number>;
}

export class JobRunner implements JobSignal {
  readonly #purges: readonly ExpiryPurge[];
  readonly #jobs: JobStore;
  readonly #kinds: Map<string, JobKind>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #owner = randomUUID();
  readonly #leaseMs: number;
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastPurge = Number.NEGATIVE_INFINITY;

  constructor(options: {
    jobs: JobStore;
    kinds: readonly JobKind[];
    clock: Clock;
    log: Logger;
    leaseMs: number;
    pollMs: number;
    /** What expires besides async results (search result sets, say); each is purged on the same beat. */
    purges?: readonly ExpiryPurge[];
  }) {
    this.#jobs = options.jobs;
    this.#purges = [
      { what: "async request results", run: (now) => options.jobs.deleteExpiredAsyncRequests(now) },
      ...(options.purges ?? []),
    ];
    this.#kinds = new Map(options.kinds.map((kind) => [kind.endpoint, kind]));
    this.#clock = options.clock;
    this.#log = options.log;
    this.#leaseMs = options.leaseMs;
    this.#pollMs = options.pollMs;
  }

  /** Polls for work (others' expired leases, postponed requests, requests left from before a restart). */
  start(): void {
    this.#timer = setInterval(() => this.wake(), this.#pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Looks for work now. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#runUntilIdle().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Resolves once the pass under way (if any) has finished: the runner is then idle until woken. */
  async whenIdle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops polling and waits for the work in hand; a request not finished stays leased, then is retaken. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async #runUntilIdle(): Promise<void> {
    try {
      await this.#purgeExpired();
      for (;;) {
        const claimed = await this.#jobs.claimAsyncRequests(
          this.#owner,
          this.#clock.nowMillis(),
          this.#leaseMs,
          CLAIM_BATCH,
        );
        if (claimed.length === 0) return;
        await Promise.all(claimed.map((request) => this.#work(request)));
        if (this.#stopped) return;
      }
    } catch (error) {
      // The store itself is failing (an outage): the next poll tries again.
      this.#log.error({ err: error }, "job runner could not claim requests; it will poll again");
    }
  }

  async #purgeExpired(): Promise<void> {
    const now = this.#clock.nowMillis();
    if (now - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = now;
    for (const purge of this.#purges) {
      const deleted = await purge.run(isoAt(now));
      if (deleted > 0) this.#log.info({ deleted }, `deleted expired ${purge.what}`);
    }
  }

  /** The lease of one claimed request, renewed by the job as it goes (jobs/job-kind.ts). */
  #leaseOf(request: AsyncRequestRecord): JobLease {
    let renewedAt = this.#clock.nowMillis();
    return {
      keep: async () => {
        if (this.#stopped) throw new JobInterruptedError();
        const now = this.#clock.nowMillis();
        if (now - renewedAt < this.#leaseMs / 3) return;
        if (!(await this.#jobs.renewAsyncRequest(request.id, this.#owner, now + this.#leaseMs))) {
          throw new AsyncRequestTakenError(request.id);
        }
        renewedAt = now;
      },
    };
  }

  async #work(request: AsyncRequestRecord): Promise<void> {
    const kind = this.#kinds.get(request.endpoint);
    try {
      if (!kind) throw new PermanentJobError("PayloadUnreadable", `No job kind for ${request.endpoint}`);
      await kind.run(request, this.#leaseOf(request));
    } catch (error) {
      if (error instanceof AsyncRequestTakenError) return; // another process finished it
      if (error instanceof JobInterruptedError) {
        // Given back at once, for any process (this one after a restart) to take again.
        await this.#jobs
          .postponeAsyncRequest(request.id, this.#owner, this.#clock.nowMillis(), "interrupted by a shutdown")
          .catch(() => undefined);
        return;
      }
      if (error instanceof PermanentJobError) {
        this.#log.warn(
          { err: error, requestId: request.id, reason: error.reason },
          "async request failed for good",
        );
        await this.#jobs.failAsyncRequest(
          request.id,
          JSON.stringify({ reason: error.reason, summary: error.message }),
        );
        return;
      }
      const delay = retryDelayMs(request.attempts);
      this.#log.error(
        { err: error, requestId: request.id, attempts: request.attempts, retryInMs: delay },
        "async request hit a passing fault; it will be retried",
      );
      const message = error instanceof Error ? error.message : String(error);
      // If even this fails, the lease runs out and the request is retaken all the same.
      await this.#jobs
        .postponeAsyncRequest(request.id, this.#owner, this.#clock.nowMillis() + delay, message.slice(0, 500))
        .catch(() => undefined);
    }
  }
}
