import { AsyncRequestTakenError, type Store } from "../store/store.js";
import { type BatchItem, type SequencedWithEnvelopes, sequenceBatch } from "./sequence-batch.js";

/** What one caller gets back once its events are committed. */
export interface AppendOutcome {
  batch: SequencedWithEnvelopes;
  /** Where this caller's entries sit in `batch.leaves`. */
  offset: number;
  count: number;
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
  readonly #maxBatchEvents: number;
  readonly #queues = new Map<number, Pending[]>();
  readonly #running = new Map<number, Promise<void>>();
  #closed = false;

  constructor(options: { store: Store; nowMicros: () => number; maxBatchEvents: number }) {
    this.#store = options.store;
    this.#nowMicros = options.nowMicros;
    this.#maxBatchEvents = options.maxBatchEvents;
  }

  append(treeId: number, item: BatchItem): Promise<AppendOutcome> {
    if (this.#closed) return Promise.reject(new Error("the sequencer is closed"));
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
        const taken = this.#take(queue);
        try {
          const items = taken.map((p) => p.item);
          const batch = (await this.#store.appendBatch(treeId, (head) =>
            sequenceBatch(head, items, this.#nowMicros()),
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
              queue.unshift(...taken.filter((p) => !stale.includes(p)));
              continue;
            }
          }
          for (const pending of taken) pending.reject(error);
        }
      }
    } finally {
      this.#running.delete(treeId);
      this.#queues.delete(treeId);
    }
  }

  #take(queue: Pending[]): Pending[] {
    let events = 0;
    let count = 0;
    while (count < queue.length) {
      const size = queue[count]!.item.entries.length;
      if (count > 0 && events + size > this.#maxBatchEvents) break;
      events += size;
      count += 1;
    }
    return queue.splice(0, count);
  }
}
