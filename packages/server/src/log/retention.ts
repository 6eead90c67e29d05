import { createHash, randomUUID } from "node:crypto";
import {
  conjoin,
  disjoin,
  formatReceivedAt,
  MATCH_ALL,
  type MatchNode,
  matchesQuery,
  negate,
  parseDuration,
  type QueryNode,
} from "@veritrail/core";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { RETENTION_BATCH_EVENTS, RETENTION_LEASE_MS, RETENTION_POLL_MS } from "../limits.js";
import type { ConfigSettings, EventSchema, PartitionOverride } from "../store/contract/config.js";
import { type ExpireRequest, erasureOf, expiryMark, isKept } from "../store/contract/erasure.js";
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

/** The partitioned field of a schema (at most one, a `string`: admin/config-document.ts). */
function partitionedFieldId(schema: EventSchema): string | undefined {
  return schema.fields.find((field) => field.partitioned === true)?.id;
}

/**
 * The file-name-safe key of a partition value: the first 16 hex digits of its SHA-256. Archive
 * files (`<day>.<key>.jsonl.gz`) and the retention job's partition cursors are named by it.
 */
export function partitionKeyOf(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex").slice(0, 16);
}

/** One partition of a configuration for retention: an overridden value, or the default (`value` undefined). */
export interface RetentionPartition {
  value: string | undefined;
  /** `partitionKeyOf(value)`; undefined for the default partition. */
  key: string | undefined;
  /** Searchable span (hot + warm), microseconds; undefined: kept. */
  searchable: number | undefined;
  /** Cold span, microseconds; undefined: cold storage off. */
  cold: number | undefined;
}

/**
 * The partitions of a configuration with per-tenant overrides: the default first, then one per
 * override in key order. Undefined when it has none (or no partitioned field): then every event
 * has the configuration's own tiers, exactly as without overrides.
 */
export function partitionsOf(
  settings: ConfigSettings,
  options: { retired?: boolean } = {},
): { fieldId: string; partitions: RetentionPartition[] } | undefined {
  const fieldId = partitionedFieldId(settings.schema);
  const overrides: Record<string, PartitionOverride> = {};
  // For the job only: a retired value is a partition with the configuration's own tiers.
  if (options.retired) for (const value of settings.retired_partitions ?? []) overrides[value] = {};
  Object.assign(overrides, settings.partition_overrides ?? {});
  const values = Object.keys(overrides).sort();
  if (fieldId === undefined || values.length === 0) return undefined;
  const partitions: RetentionPartition[] = [
    {
      value: undefined,
      key: undefined,
      searchable: searchableMicros(settings),
      cold: coldMicros(settings),
    },
  ];
  for (const value of values) {
    const own = { ...settings, ...overrides[value] };
    partitions.push({
      value,
      key: partitionKeyOf(value),
      searchable: searchableMicros(own),
      cold: coldMicros(own),
    });
  }
  return { fieldId, partitions };
}

/** The partition an event belongs to: its partitioned field's value if overridden, else the default. */
export function partitionOfEvent(
  partitions: readonly RetentionPartition[],
  fieldId: string,
  event: Readonly<Record<string, unknown>> | undefined,
): RetentionPartition {
  const value = event?.[fieldId];
  return (typeof value === "string" && partitions.find((p) => p.value === value)) || partitions[0]!;
}

/**
 * What search, results and export may answer at `nowMicros` (docs/design/retention.md): a window
 * start (the earliest cutoff of any partition; undefined: no bound) and a residual predicate to
 * AND to the query the store gets, which keeps each partition's events within its own tiers.
 * Without overrides the predicate is `all` and the start is `retentionCutoffMicros`.
 */
export function retentionWindowOf(
  settings: ConfigSettings,
  nowMicros: number,
): { startMicros: number | undefined; where: QueryNode } {
  const partitioned = partitionsOf(settings);
  if (!partitioned) return { startMicros: retentionCutoffMicros(settings, nowMicros), where: MATCH_ALL };
  const { fieldId, partitions } = partitioned;
  const cutoffs = partitions.map((p) => (p.searchable === undefined ? undefined : nowMicros - p.searchable));
  const startMicros = cutoffs.some((c) => c === undefined) ? undefined : Math.min(...(cutoffs as number[]));
  if (cutoffs.every((c) => c === startMicros)) return { startMicros, where: MATCH_ALL };
  const equals = (value: string): MatchNode => ({
    kind: "match",
    field: fieldId,
    fieldType: "string",
    op: "exact",
    value,
  });
  const atOrAfter = (cutoff: number | undefined): QueryNode =>
    cutoff === undefined || cutoff === startMicros
      ? MATCH_ALL
      : negate({
          kind: "match",
          field: "received_at",
          fieldType: "datetime",
          op: "lt",
          value: formatReceivedAt(cutoff),
        });
  const overridden = partitions.slice(1);
  const where = disjoin([
    conjoin([...overridden.map((p) => negate(equals(p.value!))), atOrAfter(cutoffs[0])]),
    ...overridden.map((p, i) => conjoin([equals(p.value!), atOrAfter(cutoffs[i + 1])])),
  ]);
  return { startMicros, where };
}

/**
 * Whether a stored leaf is still within its tiers under `window` (`retentionWindowOf`): what a
 * page of an older result set checks, since its events may have passed their tiers since.
 */
export function isWithinRetention(
  window: { startMicros: number | undefined; where: QueryNode },
  schema: EventSchema,
  leaf: Pick<LeafRecord, "envelope" | "receivedAt">,
): boolean {
  if (window.startMicros !== undefined && leaf.receivedAt < window.startMicros) return false;
  if (window.where.kind === "all") return true;
  const envelope = JSON.parse(leaf.envelope) as { event?: Record<string, never>; received_at?: string };
  if (envelope.event === undefined) return true; // a tombstone: its erasure says what it is
  return matchesQuery(
    window.where,
    { event: envelope.event, receivedAt: envelope.received_at ?? formatReceivedAt(leaf.receivedAt) },
    schema,
  );
}

/**
 * `leafIndices` without the events retention already removed, in the same order. Needed with
 * overrides only (`retentionWindowOf(...).where` not `all`): the expired events of a partition
 * shorter than the default lie inside the window, and a tombstone has no partitioned field, so
 * the default partition's clause would take it. Reads the leaves in bounded batches.
 */
export async function withoutExpiredLeaves(
  store: Store,
  treeId: number,
  leafIndices: readonly number[],
): Promise<number[]> {
  const kept: number[] = [];
  for (let at = 0; at < leafIndices.length; at += RETENTION_BATCH_EVENTS) {
    const leaves = await store.search.getLeaves(treeId, leafIndices.slice(at, at + RETENTION_BATCH_EVENTS));
    const expired = new Set(
      leaves.filter((leaf) => erasureOf(leaf.envelope)?.reason === "expired").map((leaf) => leaf.leafIndex),
    );
    for (const index of leafIndices.slice(at, at + RETENTION_BATCH_EVENTS))
      if (!expired.has(index)) kept.push(index);
  }
  return kept;
}

/** Passes each batch on without the events retention already removed (see `withoutExpiredLeaves`). */
export async function* withoutExpiredBatches(
  batches: AsyncIterable<LeafRecord[]>,
): AsyncGenerator<LeafRecord[]> {
  for await (const leaves of batches)
    yield leaves.filter((leaf) => erasureOf(leaf.envelope)?.reason !== "expired");
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
        const partitioned = partitionsOf(config.settings, { retired: true });
        if (partitioned) {
          const head = await store.log.getTreeHead(config.id);
          if (!head) continue;
          const done = await this.#expirePartitioned(
            config.id,
            head.id,
            head.size,
            config.settings,
            partitioned,
          );
          if (done.count > 0 || done.cursor > 0) {
            pass.expired.push({
              configId: config.id,
              treeId: head.id,
              count: done.count,
              expiredBelow: done.cursor,
            });
            if (done.count > 0)
              this.#log.info(
                { configId: config.id, count: done.count, expiredBelow: done.cursor },
                "events expired",
              );
          }
          if (done.lost) return pass;
          continue;
        }
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
   * One configuration with per-tenant overrides (docs/design/retention.md "Per-tenant
   * overrides"). The default partition is the tree's prefix walk, as without overrides, except
   * that it passes (keeps) the events of overridden partitions; each overridden partition then
   * expires on its own from the search index on the partitioned field, which holds only events
   * that still have their envelope, so each lookup costs what it finds. With cold storage on, a
   * partition's day is archived (its own file) before any of its events of that day is removed.
   */
  async #expirePartitioned(
    configId: string,
    treeId: number,
    size: number,
    settings: ConfigSettings,
    partitioned: { fieldId: string; partitions: RetentionPartition[] },
  ): Promise<{ cursor: number; count: number; lost: boolean }> {
    const store = this.#store;
    const schema = settings.schema;
    const { fieldId, partitions } = partitioned;
    const [byDefault, ...overridden] = partitions as [RetentionPartition, ...RetentionPartition[]];
    const keep = { fieldId, values: overridden.map((p) => p.value!) };
    const now = this.#clock.nowMicros();
    let cursor = await store.erasure.expiredBelow(treeId);
    let count = 0;
    if (byDefault.searchable !== undefined) {
      const cutoff = now - byDefault.searchable;
      const cold = this.#archive ? byDefault.cold : undefined;
      if (this.#archive && cold !== undefined) {
        const below = await this.#firstLeafAtOrAfter(treeId, cursor, size, dayOf(cutoff));
        while (cursor < below) {
          const first = await store.log.getLeaf(treeId, cursor);
          if (!first) throw new Error(`tree ${treeId} has no leaf ${cursor} below its size ${size}`);
          const day = dayOf(first.receivedAt);
          const dayEnd = await this.#firstLeafAtOrAfter(treeId, cursor, below, day + DAY_MICROS);
          if (!(await this.#archive.has(configId, day))) {
            const dayStart = await this.#firstLeafAtOrAfter(treeId, 0, cursor, day);
            const ofDefault = (leaf: LeafRecord) => {
              const mark = erasureOf(leaf.envelope);
              if (mark) return mark.reason !== "expired";
              return !isKept((JSON.parse(leaf.envelope) as { event?: Record<string, unknown> }).event, keep);
            };
            await this.#archive.write(
              configId,
              day,
              filtered(this.#leafBatches(treeId, dayStart, dayEnd), ofDefault),
            );
          }
          const done = await this.#expireUpTo(treeId, schema, cursor, dayEnd, keep);
          count += done.count;
          cursor = done.cursor;
          if (done.lost) return { cursor, count, lost: true };
          if (cursor < dayEnd) break;
        }
        await this.#archive.deleteBefore(configId, cutoff - cold);
      } else {
        const below = await this.#firstLeafAtOrAfter(treeId, cursor, size, cutoff);
        const done = await this.#expireUpTo(treeId, schema, cursor, below, keep);
        count += done.count;
        cursor = done.cursor;
        if (done.lost) return { cursor, count, lost: true };
      }
    }
    for (const partition of overridden) {
      if (this.#stopped || partition.searchable === undefined) continue;
      const value = partition.value!;
      const key = partition.key!;
      const cutoff = now - partition.searchable;
      const cold = this.#archive ? partition.cold : undefined;
      const lookup = (fromLeaf: number, belowLeaf: number, limit: number) =>
        store.erasure.partitionLeaves({ treeId, schema, fieldId, value, fromLeaf, belowLeaf, limit });
      if (this.#archive && cold !== undefined) {
        const below = await this.#firstLeafAtOrAfter(treeId, 0, size, dayOf(cutoff));
        for (;;) {
          const [next] = await lookup(0, below, 1);
          if (next === undefined) break;
          const first = await store.log.getLeaf(treeId, next);
          if (!first) throw new Error(`tree ${treeId} has no leaf ${next} below its size ${size}`);
          const day = dayOf(first.receivedAt);
          const dayEnd = await this.#firstLeafAtOrAfter(treeId, next, below, day + DAY_MICROS);
          if (!(await this.#archive.has(configId, day, key))) {
            const archive = this.#archive;
            const batches = async function* (self: RetentionJob) {
              for (let from = next; ; ) {
                const leaves = await lookup(from, dayEnd, self.#batch);
                if (leaves.length === 0) return;
                yield await store.search.getLeaves(treeId, leaves);
                from = leaves[leaves.length - 1]! + 1;
              }
            };
            await archive.write(configId, day, batches(this), key);
          }
          const done = await this.#expirePartitionUpTo(treeId, schema, lookup, dayEnd);
          count += done.count;
          if (done.lost) return { cursor, count, lost: true };
          if (!done.finished) break;
        }
        await this.#archive.deleteBefore(configId, cutoff - cold, key);
      } else {
        const below = await this.#firstLeafAtOrAfter(treeId, 0, size, cutoff);
        const done = await this.#expirePartitionUpTo(treeId, schema, lookup, below);
        count += done.count;
        if (done.lost) return { cursor, count, lost: true };
      }
    }
    return { cursor, count, lost: false };
  }

  /**
   * Expires one overridden partition's events below `below`, found in batches from the search
   * index, renewing the lease after each. `finished`: none is left below `below`.
   */
  async #expirePartitionUpTo(
    treeId: number,
    schema: EventSchema,
    lookup: (fromLeaf: number, belowLeaf: number, limit: number) => Promise<number[]>,
    below: number,
  ): Promise<{ count: number; lost: boolean; finished: boolean }> {
    let count = 0;
    while (!this.#stopped) {
      const leaves = await lookup(0, below, this.#batch);
      if (leaves.length === 0) return { count, lost: false, finished: true };
      // eraseEvents skips an event already erased: a second pass at once expires nothing twice.
      const erased = await this.#store.erasure.eraseEvents({
        treeId,
        schema,
        leafIndices: leaves,
        mark: expiryMark(formatReceivedAt(this.#clock.nowMicros())),
      });
      count += erased.length;
      if (!(await this.#renewLease())) return { count, lost: true, finished: false };
      if (leaves.length < this.#batch) return { count, lost: false, finished: true };
      // An erasure deletes the index rows with the envelope, so the next lookup finds new leaves;
      // none erased means the index and the events disagree: stop rather than spin.
      if (erased.length === 0) break;
    }
    return { count, lost: false, finished: false };
  }

  async #renewLease(): Promise<boolean> {
    return this.#store.jobs.tryLease(
      RETENTION_LEASE,
      this.#owner,
      RETENTION_LEASE_MS,
      this.#clock.nowMillis(),
    );
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
    keep?: ExpireRequest["keep"],
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
        keep,
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

/** Passes each batch on with only the leaves `keep` accepts. */
async function* filtered(
  batches: AsyncIterable<LeafRecord[]>,
  keep: (leaf: LeafRecord) => boolean,
): AsyncGenerator<LeafRecord[]> {
  for await (const leaves of batches) yield leaves.filter(keep);
}
