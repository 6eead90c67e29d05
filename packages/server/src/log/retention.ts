import { randomUUID } from "node:crypto";
import { formatReceivedAt, parseDuration } from "@veritrail/core";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { RETENTION_BATCH_EVENTS, RETENTION_LEASE_MS, RETENTION_POLL_MS } from "../limits.js";
import type { ConfigSettings, EventSchema } from "../store/contract/config.js";
import type { LeafRecord } from "../store/contract/log.js";
import type { Store } from "../store/contract/store.js";
import { type ColdArchive, DAY_MICROS, dayOf } from "./cold-archive.js";

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

/** How long archives are kept past the searchable tiers (`cold_storage`), microseconds; undefined when cold storage is off. */
export function coldMicros(settings: ConfigSettings): number | undefined {
  const seconds = settings.cold_storage === undefined ? 0 : parseDuration(settings.cold_storage);
  return seconds > 0 ? seconds * 1_000_000 : undefined;
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
  /** Where events of a configuration with cold storage on go before their envelope is removed. */
  archive?: ColdArchive;
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
  readonly #archive: ColdArchive | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: RetentionJobOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#owner = options.owner ?? `retention-${randomUUID()}`;
    this.#batch = options.batchEvents ?? RETENTION_BATCH_EVENTS;
    this.#archive = options.archive;
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
        const treeId = head.id;
        const schema = config.settings.schema;
        let cursor = await store.erasure.expiredBelow(treeId);
        let count = 0;
        let lost = false;
        const cold = this.#archive ? coldMicros(config.settings) : undefined;
        if (this.#archive && cold !== undefined) {
          // Into the archive a whole UTC day at a time, once all of it is past the tiers: each
          // day's file is written and flushed before any of its envelopes is removed.
          const below = await this.#firstLeafAtOrAfter(treeId, cursor, head.size, dayOf(cutoff));
          while (cursor < below) {
            const first = await store.log.getLeaf(treeId, cursor);
            if (!first) throw new Error(`tree ${treeId} has no leaf ${cursor} below its size ${head.size}`);
            const day = dayOf(first.receivedAt);
            const dayEnd = await this.#firstLeafAtOrAfter(treeId, cursor, below, day + DAY_MICROS);
            if (!(await this.#archive.has(config.id, day))) {
              const dayStart = await this.#firstLeafAtOrAfter(treeId, 0, cursor, day);
              await this.#archive.write(config.id, day, this.#leafBatches(treeId, dayStart, dayEnd));
            }
            const done = await this.#expireUpTo(treeId, schema, cursor, dayEnd);
            count += done.count;
            cursor = done.cursor;
            lost = done.lost;
            if (lost || cursor < dayEnd) break;
          }
          if (!lost) await this.#archive.deleteBefore(config.id, cutoff - cold);
        } else {
          const below = await this.#firstLeafAtOrAfter(treeId, cursor, head.size, cutoff);
          const done = await this.#expireUpTo(treeId, schema, cursor, below);
          count += done.count;
          cursor = done.cursor;
          lost = done.lost;
        }
        if (count > 0 || cursor > 0) {
          pass.expired.push({ configId: config.id, treeId, count, expiredBelow: cursor });
          if (count > 0)
            this.#log.info({ configId: config.id, count, expiredBelow: cursor }, "events expired");
        }
        // The lease went to another process after a stall: it goes on from the cursors.
        if (lost) return pass;
      }
      return pass;
    } finally {
      await store.jobs.releaseLease(RETENTION_LEASE, this.#owner).catch(() => undefined);
    }
  }

  /**
   * Expires the leaves from `cursor` up to `below` in batches, renewing the lease after each.
   * `lost`: the lease went to another process (after a stall), which goes on from the cursor.
   */
  async #expireUpTo(
    treeId: number,
    schema: EventSchema,
    from: number,
    below: number,
  ): Promise<{ cursor: number; count: number; lost: boolean }> {
    const store = this.#store;
    let cursor = from;
    let count = 0;
    while (cursor < below && !this.#stopped) {
      const batch = await store.erasure.expireEvents({
        treeId,
        schema,
        belowLeaf: below,
        limit: this.#batch,
        expiredAt: formatReceivedAt(this.#clock.nowMicros()),
      });
      if (batch.expiredBelow <= cursor) break;
      count += batch.expired.length;
      cursor = batch.expiredBelow;
      if (
        !(await store.jobs.tryLease(
          RETENTION_LEASE,
          this.#owner,
          RETENTION_LEASE_MS,
          this.#clock.nowMillis(),
        ))
      )
        return { cursor, count, lost: true };
    }
    return { cursor, count, lost: false };
  }

  /** The leaves `from`..`to` - 1 in batches, for the archive. */
  async *#leafBatches(treeId: number, from: number, to: number): AsyncGenerator<LeafRecord[]> {
    for (let at = from; at < to; at += this.#batch) {
      const indices = Array.from({ length: Math.min(this.#batch, to - at) }, (_, i) => at + i);
      yield await this.#store.search.getLeaves(treeId, indices);
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
