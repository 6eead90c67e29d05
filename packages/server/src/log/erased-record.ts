import { type Envelope, formatReceivedAt } from "@veritrail/core";
import { erasureOf } from "../store/contract/erasure.js";
import type { LeafRecord } from "../store/contract/store.js";

/*
 * How an erased event shows (docs/design/erasure.md): in search answers, result pages and event
 * files it keeps its `hash`, its `leaf_index` and (verbose) its membership proof, has no
 * `envelope`, and says when and under which request it was erased. The official SDKs check the
 * hash against an envelope only when there is one, so a page that mixes erased and kept records
 * verifies: an erased record's membership proof passes and its signature check is "none".
 */

/** The `erased` member of an erased record on the wire. */
export interface ErasedMember {
  erasure_id: string;
  erased_at: string;
}

/** What an erased record carries instead of its envelope, or undefined for a record that is kept. */
export function erasedFieldsOf(leaf: LeafRecord): { leaf_index: number; erased: ErasedMember } | undefined {
  const mark = erasureOf(leaf.envelope);
  if (!mark) return undefined;
  return { leaf_index: leaf.leafIndex, erased: { erasure_id: mark.erasureId, erased_at: mark.erasedAt } };
}

/**
 * The stored event as search and exports read it: the envelope's event and `received_at`, or, for
 * an erased one, no fields at all and the `received_at` its row keeps.
 */
export function storedEventOf(leaf: LeafRecord): { event: Record<string, unknown>; receivedAt: string } {
  if (erasureOf(leaf.envelope)) return { event: {}, receivedAt: formatReceivedAt(leaf.receivedAt) };
  const envelope = JSON.parse(leaf.envelope) as Envelope;
  return { event: envelope.event as Record<string, unknown>, receivedAt: envelope.received_at };
}
