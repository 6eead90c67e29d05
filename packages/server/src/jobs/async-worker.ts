import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { ApiError } from "../errors.js";
import type { LogAsyncPayload } from "../http/audit-routes.js";
import type { Sequencer } from "../ingest/sequencer.js";
import type { ConfigDirectory, ResolvedConfig } from "../log/config-directory.js";
import { AsyncRequestTakenError, type Store } from "../store/store.js";

/**
 * Works the requests answered 202 (`v2/log_async`). Each is leased from the store, so with
 * several processes each request is worked by one at a time, and a request whose process died
 * is leased again when its lease runs out. The events and the request's completion commit in
 * one transaction: a request is done exactly once.
 */
export class AsyncWorker {
  readonly #store: Store;
  readonly #sequencer: Sequencer;
  readonly #directory: ConfigDirectory;
  readonly #log: FastifyBaseLogger;
  readonly #owner = randomUUID();
  readonly #leaseMs: number;
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: {
    store: Store;
    sequencer: Sequencer;
    directory: ConfigDirectory;
    log: FastifyBaseLogger;
    leaseMs?: number;
    pollMs?: number;
  }) {
    this.#store = options.store;
    this.#sequencer = options.sequencer;
    this.#directory = options.directory;
    this.#log = options.log;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#pollMs = options.pollMs ?? 1_000;
  }

  /** Polls for work (others' expired leases, requests left from before a restart). */
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

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async #runUntilIdle(): Promise<void> {
    try {
      await this.#purgeExpired();
      for (;;) {
        const claimed = await this.#store.claimAsyncRequests(this.#owner, this.#leaseMs, 32);
        if (claimed.length === 0) return;
        // Worked together, so they share group commits.
        await Promise.all(
          claimed.map((request) => this.#work(request.id, request.configId, request.payload)),
        );
        if (this.#stopped) return;
      }
    } catch (error) {
      this.#log.error({ err: error }, "async worker could not claim requests");
    }
  }

  /** At most once a minute per process: results past their TTL are deleted, so the table stays bounded. */
  async #purgeExpired(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastPurge < 60_000) return;
    this.#lastPurge = now;
    const deleted = await this.#store.deleteExpiredAsyncRequests(new Date(now).toISOString());
    if (deleted > 0) this.#log.info({ deleted }, "deleted expired async request results");
  }

  #lastPurge = 0;

  async #work(id: string, configId: string, payloadText: string): Promise<void> {
    let resolved: ResolvedConfig;
    let payload: LogAsyncPayload;
    try {
      payload = JSON.parse(payloadText) as LogAsyncPayload;
      resolved = await this.#directory.get(configId);
    } catch (error) {
      // Permanent: the configuration is gone (or the stored payload unreadable). Failing the
      // request answers its poller and lets it be purged once expired; retrying cannot help.
      const summary =
        error instanceof ApiError
          ? "The configuration of this request no longer exists"
          : "The request could not be read";
      this.#log.warn({ err: error, requestId: id }, "async request failed for good");
      await this.#store.failAsyncRequest(id, JSON.stringify({ summary }));
      return;
    }
    try {
      await this.#sequencer.append(resolved.treeId, {
        entries: payload.entries,
        asyncRequest: { id, verbose: payload.verbose },
      });
    } catch (error) {
      if (error instanceof AsyncRequestTakenError) return; // another process finished it
      // Left pending: the lease runs out and the request is tried again.
      this.#log.error({ err: error, requestId: id }, "async request failed; it will be retried");
    }
  }
}
