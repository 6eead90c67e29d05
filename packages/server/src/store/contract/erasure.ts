import type { EventSchema } from "./config.js";

/*
 * The erasure role of the store (docs/design/erasure.md): an event's content leaves the store on
 * request while its leaf stays. The row of the event keeps its leaf hash (which is also the level-0
 * node of the tree) and its `received_at`; its envelope is replaced by a tombstone that says when
 * and under which request it was erased, and its search index rows are deleted. No hash of the
 * tree changes, so every root and proof stays as it was. `store/conformance/erasure.ts` holds
 * both backends to it.
 */

/** What an erased event still says about itself: when and under which erasure request. */
export interface ErasureMark {
  /** The id of the admin request that erased it (`prq_…`), also the id of its activity record. */
  erasureId: string;
  /** ISO 8601, from the server clock. */
  erasedAt: string;
  /** `expired`: removed by retention once past the searchable tiers (docs/design/retention.md), not on request. */
  reason?: "expired";
}

/** One event an erasure removed: its leaf index and hash, which stay. */
export interface ErasedLeaf {
  leafIndex: number;
  hash: Buffer;
}

/** The erasure of chosen events of one tree. */
export interface EraseRequest {
  treeId: number;
  /** The configuration's schema, from which the event's index rows are known (search-values.ts). */
  schema: EventSchema;
  leafIndices: readonly number[];
  mark: ErasureMark;
}

/** The erasure on request of events that retention already expired (their envelopes live in the cold archive). */
export interface EraseExpiredRequest {
  treeId: number;
  leafIndices: readonly number[];
  mark: ErasureMark;
}

/** The expiry of the next events of one tree by retention (docs/design/retention.md). */
export interface ExpireRequest {
  treeId: number;
  schema: EventSchema;
  /** Every leaf below this index is past the configuration's searchable tiers. */
  belowLeaf: number;
  /** At most this many leaves in this call (a bounded transaction beside ingestion and search). */
  limit: number;
  /** ISO 8601, from the server clock. */
  expiredAt: string;
  /**
   * Per-tenant retention (docs/design/retention.md "Per-tenant overrides"): the events whose
   * `fieldId` (the schema's partitioned field) is one of `values` are left as they are, and the
   * cursor passes them; their partitions expire on their own (`partitionLeaves`, `eraseEvents`).
   */
  keep?: { fieldId: string; values: readonly string[] } | undefined;
}

/** The events of one partition value of one tree that still have their envelope (docs/design/retention.md). */
export interface PartitionLeavesRequest {
  treeId: number;
  schema: EventSchema;
  /** The schema's partitioned field (a `string` field, so it is in the search index). */
  fieldId: string;
  /** The partition value, at most `MAX_PARTITION_VALUE_LENGTH` characters. */
  value: string;
  fromLeaf: number;
  belowLeaf: number;
  limit: number;
}

/** What one expiry call did. */
export interface ExpiredBatch {
  /** The events this call tombstoned (an event erased on request before is skipped, its tombstone kept). */
  expired: ErasedLeaf[];
  /** The tree's retention cursor after the call: every leaf below it has expired or was erased. */
  expiredBelow: number;
}

/** Whether an expiry's `keep` leaves this event to its own partition (retention.md "Per-tenant overrides"). */
export function isKept(
  event: Readonly<Record<string, unknown>> | undefined,
  keep: NonNullable<ExpireRequest["keep"]>,
): boolean {
  const value = event?.[keep.fieldId];
  return typeof value === "string" && keep.values.includes(value);
}

/** The erasure mark of an event removed by retention. */
export function expiryMark(expiredAt: string): ErasureMark {
  return { erasureId: RETENTION_ERASURE_ID, erasedAt: expiredAt, reason: "expired" };
}

/** The erasure id an expired event's tombstone carries: no request removed it. */
export const RETENTION_ERASURE_ID = "retention";

export interface ErasureStore {
  /**
   * Erases the events at `leafIndices` in one transaction: each one's envelope becomes the
   * tombstone of `mark` (`erasedEnvelope`) and its search index rows are deleted; its leaf hash,
   * `received_at` and every subtree hash are left as they are. An index with no event, or whose
   * event is already erased, is skipped (an erasure is never re-dated). Returns the events this
   * call erased, in leaf order. MUST NOT resolve before the commit; on failure nothing changes.
   */
  eraseEvents(request: EraseRequest): Promise<ErasedLeaf[]>;
  /**
   * Retention's use of the same mechanism: in one transaction, reads the tree's retention cursor
   * (0 at first), tombstones the events at leaves `cursor`..`min(belowLeaf, cursor + limit)` - 1
   * with `expiryMark(expiredAt)` exactly as `eraseEvents` does (search rows deleted, hashes kept),
   * except those `keep` names, and moves the cursor to that end. Two callers at once serialise on the cursor, so each event
   * expires once. MUST NOT resolve before the commit; on failure nothing changes.
   */
  expireEvents(request: ExpireRequest): Promise<ExpiredBatch>;
  /**
   * The store's part of erasing archived events (docs/design/erasure.md): in one transaction,
   * replaces the expiry tombstone (`reason: "expired"`) of each leaf at `leafIndices` by the
   * tombstone of `mark`, so the leaf shows as erased on request, not expired. A leaf whose
   * envelope is still there, or that was erased on request already, is left as it is (never
   * re-dated); it has no index rows left to delete. Returns the leaves this call changed, in
   * leaf order. MUST NOT resolve before the commit; on failure nothing changes.
   */
  eraseExpiredEvents(request: EraseExpiredRequest): Promise<ErasedLeaf[]>;
  /** The tree's retention cursor: every leaf below it has been removed by retention (or erased before), except those an expiry's `keep` passed. */
  expiredBelow(treeId: number): Promise<number>;
  /**
   * The leaf indices, ascending and at most `limit`, of the events in `fromLeaf`..`belowLeaf` - 1
   * whose `fieldId` equals `value` exactly and that still have their envelope. Answered from the
   * search index (an erased or expired event has no index rows left), so the cost is the number
   * of leaves answered, however many events of other partitions or already removed lie between.
   */
  partitionLeaves(request: PartitionLeavesRequest): Promise<number[]>;
}

/**
 * The tombstone stored in place of an erased envelope. A canonical envelope always has `event`
 * and `received_at` and never `erased` (ingest/sequence-batch.ts builds every one), so the two
 * cannot be mistaken for each other.
 */
export function erasedEnvelope(mark: ErasureMark): string {
  return JSON.stringify({
    erased: {
      erased_at: mark.erasedAt,
      erasure_id: mark.erasureId,
      ...(mark.reason ? { reason: mark.reason } : {}),
    },
  });
}

const TOMBSTONE_PREFIX = '{"erased":';

/** The erasure mark of a stored envelope text, or undefined for an envelope that is still there. */
export function erasureOf(envelope: string): ErasureMark | undefined {
  if (!envelope.startsWith(TOMBSTONE_PREFIX)) return undefined;
  const parsed = JSON.parse(envelope) as {
    erased: { erased_at: string; erasure_id: string; reason?: "expired" };
  };
  const mark: ErasureMark = { erasureId: parsed.erased.erasure_id, erasedAt: parsed.erased.erased_at };
  if (parsed.erased.reason === "expired") mark.reason = "expired";
  return mark;
}
