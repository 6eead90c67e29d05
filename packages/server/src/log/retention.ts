import { randomUUID } from "node:crypto";
import { formatReceivedAt, parseDuration } from "@veritrail/core";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { RETENTION_BATCH_EVENTS, RETENTION_LEASE_MS, RETENTION_POLL_MS } from "../limits.js";
import type { ConfigSettings } from "../store/contract/config.js";
import type { Store } from "../store/contract/store.js";

/*
 * Retention (docs/design/retention.md): once an event is older than its configuration's
 * searchable tiers (hot + warm), its envelope leaves the store by the erasure role's mechanism
 * (`ErasureStore.expireEvents`): a tombstone marked `expired` replaces it and its search rows
 * are deleted, while its leaf hash and every node hash stay, so every root, checkpoint and proof
 * keeps verifying. Search never answers past the cutoff (`retentionCutoffMicros`).
 */

/** The lease under which one process at a time runs the retention pass. */
export const RETENTION_LEASE = "retention";

/**
 * How long a configuration's events stay searchable, in microseconds: hot + warm. Undefined when
 * `warm_storage` was never set: such a configuration (the default) keeps its events, since
 * deleting audit data is never done by default. `warm_storage: 0d` means no warm tier: events
 * go once past hot.
 */
export function searchableMicros(settings: ConfigSettings): number | undefined {
  if (settings.warm_storage === undefined) return undefined;
  return (parseDuration(settings.hot_storage) + parseDuration(settings.warm_storage)) * 1_000_000;
}

/** The first `received_at` (microseconds) still searchable at `nowMicros`, or undefined when events are kept. */
export function retentionCutoffMicros(settings: ConfigSettings, nowMicros: number): number | undefined {
  const micros = searchableMicros(settings);
  return micros === undefined ? undefined : nowMicros - micros;
}

/** What one pass removed, per configuration that had anything due. */
export interface RetentionPass {
  expired: { configId: string; treeId: number; count: number; expiredBelow: number }[];
}

export interface RetentionJobOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** The lease owner; random per job by default. */
  owner?: string;
  /** Events per expiry transaction (RETENTION_BATCH_EVENTS by default). */
  batchEvents?: number;
}

/**
 * The retention job. `tick()` is one pass under the named lease `retention`: with several
 * processes on one database only the lease holder works, and even two holders (a lease that ran
 * out under a slow one) cannot expire an event twice, since each batch starts from the tree's
 * cursor, locked in its transaction. Each batch is its own transaction of at most
 * `batchEvents` events, and the lease is renewed after each.
 * `start()` runs `tick()` every `RETENTION_POLL_MS`; tests drive `tick()` on a `FakeClock`.
 */
export class RetentionJob {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #owner: string;
  readonly #batch: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: RetentionJobOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#owner = options.owner ?? `retention-${randomUUID()}`;
    this.#batch = options.batchEvents ?? RETENTION_BATCH_EVENTS;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running || this.#stopped) return;
      this.#running = this.tick()
        .catch((error: unknown) =>
          this.#log.error({ err: error }, "retention pass failed; it will try again"),
        )
        .finally(() => {
          this.#running = undefined;
        });
    }, RETENTION_POLL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over every configuration; undefined when another process holds the lease. */
  async tick(): Promise<RetentionPass | undefined> {
    const store = this.#store;
    if (
      !(await store.jobs.tryLease(RETENTION_LEASE, this.#owner, RETENTION_LEASE_MS, this.#clock.nowMillis()))
    )
      return undefined;
    const pass: RetentionPass = { expired: [] };
    try {
      const project = await store.configs.getFirstProject();
      const configs = project ? await store.configs.listConfigs(project.id) : [];
      for (const config of configs) {
        if (this.#stopped) break;
        const cutoff = retentionCutoffMicros(config.settings, this.#clock.nowMicros());
        if (cutoff === undefined) continue;
        const head = await store.log.getTreeHead(config.id);
        if (!head) continue;
        let cursor = await store.erasure.expiredBelow(head.id);
        const below = await this.#firstLeafAtOrAfter(head.id, cursor, head.size, cutoff);
        let count = 0;
        while (cursor < below && !this.#stopped) {
          const batch = await store.erasure.expireEvents({
            treeId: head.id,
            schema: config.settings.schema,
            belowLeaf: below,
            limit: this.#batch,
            expiredAt: formatReceivedAt(this.#clock.nowMicros()),
          });
          if (batch.expiredBelow <= cursor) break;
          count += batch.expired.length;
          cursor = batch.expiredBelow;
          // Renewed after each batch; lost (another process took over after a stall): stop here.
          if (
            !(await store.jobs.tryLease(
              RETENTION_LEASE,
              this.#owner,
              RETENTION_LEASE_MS,
              this.#clock.nowMillis(),
            ))
          )
            return pass;
        }
        if (count > 0 || cursor > 0) {
          pass.expired.push({ configId: config.id, treeId: head.id, count, expiredBelow: cursor });
          if (count > 0)
            this.#log.info({ configId: config.id, count, expiredBelow: cursor }, "events expired");
        }
      }
      return pass;
    } finally {
      await store.jobs.releaseLease(RETENTION_LEASE, this.#owner).catch(() => undefined);
    }
  }

  /** The first leaf in `low`..`size` received at or after `cutoff` (received_at rises with the leaf index). */
  async #firstLeafAtOrAfter(treeId: number, low: number, size: number, cutoff: number): Promise<number> {
    let high = size;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const leaf = await this.#store.log.getLeaf(treeId, mid);
      if (!leaf) throw new Error(`tree ${treeId} has no leaf ${mid} below its size ${size}`);
      if (leaf.receivedAt >= cutoff) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
