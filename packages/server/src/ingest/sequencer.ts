import { ReceivedAtFormatter } from "@veritrail/core";
import { AsyncRequestTakenError, type Store } from "../store/contract/store.js";
import { type BatchItem, type SequencedWithEnvelopes, sequenceBatch } from "./sequence-batch.js";

/** What one caller gets back once its events are committed. */
export interface AppendOutcome {
  batch: SequencedWithEnvelopes;
  /** Where this caller's entries sit in `batch.leaves`. */
  offset: number;
  count: number;
}

/**
 * Raised when a tree's queue already holds `maxQueuedEvents`: the server is behind, and taking
 * more would only grow memory and latency. Answered 503 with Retry-After (the SDKs retry it).
 */
export class OverloadError extends Error {
  constructor(queued: number) {
    super(`${queued} events are already waiting to be committed to this tree`);
    this.name = "OverloadError";
  }
}

interface Pending {
  item: BatchItem;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: appends to one tree are queued, and whatever has queued while the previous
 * commit ran goes into the next transaction together. `append` MUST NOT resolve before its
 * batch is committed; if the commit fails, every caller in it is rejected and nothing is stored.
 *
 * Order and leaf indices come from the store's locked tree head, not from this queue, so several
 * processes may append to one tree (PostgreSQL); this queue only batches within one process.
 */
export class Sequencer {
  readonly #store: Store;
  readonly #nowMicros: () => number;
  /** This sequencer's own formatter: it reuses the date part of `received_at` within a millisecond. */
  readonly #receivedAt = new ReceivedAtFormatter();
  readonly #formatReceivedAt = (micros: number): string => this.#receivedAt.format(micros);
  readonly #maxBatchEvents: number;
  readonly #maxQueuedEvents: number;
  /** Events queued per tree, not yet taken into a commit. */
  readonly #queuedEvents = new Map<number, number>();
  readonly #queues = new Map<number, Pending[]>();
  readonly #running = new Map<number, Promise<void>>();
  #closed = false;

  constructor(options: {
    store: Store;
    nowMicros: () => number;
    maxBatchEvents: number;
    /** Most events that may wait for one tree; more are refused with `OverloadError`. */
    maxQueuedEvents?: number;
  }) {
    this.#store = options.store;
    this.#nowMicros = options.nowMicros;
    this.#maxBatchEvents = options.maxBatchEvents;
    this.#maxQueuedEvents = options.maxQueuedEvents ?? Number.POSITIVE_INFINITY;
  }

  append(treeId: number, item: BatchItem): Promise<AppendOutcome> {
    if (this.#closed) return Promise.reject(new Error("the sequencer is closed"));
    const queued = this.#queuedEvents.get(treeId) ?? 0;
    // One request is always taken, however large, so a big batch cannot be refused forever. Async
    // requests are exempt: they are already accepted, and the worker takes only a few at a time.
    if (queued > 0 && !item.asyncRequest && queued + item.entries.length > this.#maxQueuedEvents) {
      return Promise.reject(new OverloadError(queued));
    }
    this.#count(treeId, item.entries.length);
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(treeId);
      if (!queue) {
        queue = [];
        this.#queues.set(treeId, queue);
      }
      queue.push({ item, resolve, reject });
      if (!this.#running.has(treeId)) {
        // setImmediate lets every request already parsed in this turn of the event loop join the batch.
        const run = new Promise<void>((done) => setImmediate(() => this.#drainTree(treeId).finally(done)));
        this.#running.set(treeId, run);
      }
    });
  }

  /** Stops taking appends and waits until every queued batch is committed. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  async #drainTree(treeId: number): Promise<void> {
    try {
      const queue = this.#queues.get(treeId)!;
      while (queue.length > 0) {
        const taken = this.#take(treeId, queue);
        try {
          const items = taken.map((p) => p.item);
          const batch = (await this.#store.log.appendBatch(treeId, (head) =>
            sequenceBatch(head, items, this.#nowMicros(), this.#formatReceivedAt),
          )) as SequencedWithEnvelopes;
          let offset = 0;
          for (const pending of taken) {
            pending.resolve({ batch, offset, count: pending.item.entries.length });
            offset += pending.item.entries.length;
          }
        } catch (error) {
          if (error instanceof AsyncRequestTakenError) {
            // Someone else finished that request: it alone fails; the others commit again at once.
            const stale = taken.filter((p) => p.item.asyncRequest?.id === error.requestId);
            if (stale.length > 0) {
              for (const pending of stale) pending.reject(error);
              const again = taken.filter((p) => !stale.includes(p));
              this.#count(
                treeId,
                again.reduce((sum, p) => sum + p.item.entries.length, 0),
              );
              queue.unshift(...again);
              continue;
            }
          }
          for (const pending of taken) pending.reject(error);
        }
      }
    } finally {
      this.#running.delete(treeId);
      this.#queues.delete(treeId);
      this.#queuedEvents.delete(treeId);
    }
  }

  #take(treeId: number, queue: Pending[]): Pending[] {
    let events = 0;
    let count = 0;
    while (count < queue.length) {
      const size = queue[count]!.item.entries.length;
      if (count > 0 && events + size > this.#maxBatchEvents) break;
      events += size;
      count += 1;
    }
    this.#count(treeId, -events);
    return queue.splice(0, count);
  }

  /** Keeps the number of events waiting for a tree, which bounds its queue. */
  #count(treeId: number, delta: number): void {
    this.#queuedEvents.set(treeId, (this.#queuedEvents.get(treeId) ?? 0) + delta);
  }
}
