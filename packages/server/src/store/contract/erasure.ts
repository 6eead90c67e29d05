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

export interface ErasureStore {
  /**
   * Erases the events at `leafIndices` in one transaction: each one's envelope becomes the
   * tombstone of `mark` (`erasedEnvelope`) and its search index rows are deleted; its leaf hash,
   * `received_at` and every subtree hash are left as they are. An index with no event, or whose
   * event is already erased, is skipped (an erasure is never re-dated). Returns the events this
   * call erased, in leaf order. MUST NOT resolve before the commit; on failure nothing changes.
   */
  eraseEvents(request: EraseRequest): Promise<ErasedLeaf[]>;
}

/**
 * The tombstone stored in place of an erased envelope. A canonical envelope always has `event`
 * and `received_at` and never `erased` (ingest/sequence-batch.ts builds every one), so the two
 * cannot be mistaken for each other.
 */
export function erasedEnvelope(mark: ErasureMark): string {
  return JSON.stringify({ erased: { erased_at: mark.erasedAt, erasure_id: mark.erasureId } });
}

const TOMBSTONE_PREFIX = '{"erased":';

/** The erasure mark of a stored envelope text, or undefined for an envelope that is still there. */
export function erasureOf(envelope: string): ErasureMark | undefined {
  if (!envelope.startsWith(TOMBSTONE_PREFIX)) return undefined;
  const parsed = JSON.parse(envelope) as { erased: { erased_at: string; erasure_id: string } };
  return { erasureId: parsed.erased.erasure_id, erasedAt: parsed.erased.erased_at };
}
