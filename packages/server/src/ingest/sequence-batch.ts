import { canonicalEnvelope, type Envelope, formatReceivedAt, type MerkleNode, sha256 } from "@veritrail/core";
import type { SearchRow } from "../store/contract/search.js";
import type { LeafRecord, SequencedBatch, SequencerHead } from "../store/contract/store.js";
import type { PreparedEntry } from "./prepared-entry.js";

/** One caller's share of a group commit. */
export interface BatchItem {
  entries: PreparedEntry[];
  /** Set for an async request: its final result is committed with its events. */
  asyncRequest?: { id: string; verbose: boolean };
}

/** A sequenced batch plus the envelopes, kept as objects for the answers. */
export interface SequencedWithEnvelopes extends SequencedBatch {
  envelopes: Envelope[];
}

/**
 * Gives every entry its leaf index and `received_at` and folds it into the tree. Pure: the
 * store calls it inside the append transaction with the locked head, and writes what it returns.
 *
 * `received_at` is strictly increasing within a tree (architecture "Ingestion path"): a clock
 * that stands still or steps back yields the last value plus one microsecond. `format` writes it
 * (the sequencer passes its own `ReceivedAtFormatter`, which reuses the date part within a
 * millisecond).
 */
export function sequenceBatch(
  head: SequencerHead,
  items: readonly BatchItem[],
  nowMicros: number,
  format: (micros: number) => string = formatReceivedAt,
): SequencedWithEnvelopes {
  const leaves: LeafRecord[] = [];
  const nodes: MerkleNode[] = [];
  const envelopes: Envelope[] = [];
  const completedRequests: SequencedBatch["completedRequests"] = [];
  const searchRows: SearchRow[] = [];
  let size = head.size;
  let last = head.lastReceivedAt;
  for (const item of items) {
    const first = leaves.length;
    for (const entry of item.entries) {
      const receivedAt = Math.max(nowMicros, last + 1);
      last = receivedAt;
      const envelope: Envelope = { event: entry.event, received_at: format(receivedAt) };
      if (entry.err !== undefined) envelope.err = entry.err;
      if (entry.redactedBy !== undefined) envelope.redacted_by = entry.redactedBy;
      if (entry.signature !== undefined) envelope.signature = entry.signature;
      if (entry.publicKey !== undefined) envelope.public_key = entry.publicKey;
      const text = canonicalEnvelope(envelope);
      const hash = sha256(text);
      for (const node of head.range.append(hash)) if (node.level > 0) nodes.push(node);
      leaves.push({ leafIndex: size, receivedAt, hash, envelope: text });
      for (const value of entry.search ?? []) searchRows.push({ ...value, leafIndex: size });
      envelopes.push(envelope);
      size += 1;
    }
    if (item.asyncRequest) {
      const results = leaves
        .slice(first)
        .map((leaf, i) => bulkResult(leaf, envelopes[first + i]!, item.asyncRequest!.verbose));
      completedRequests.push({ id: item.asyncRequest.id, result: JSON.stringify({ results }) });
    }
  }
  // Checked on the leaves, not the root: on a non-empty tree the old root would pass for a commit.
  const rootHash = leaves.length > 0 ? head.range.root() : undefined;
  if (!rootHash) throw new Error("sequenceBatch needs at least one entry");
  return { leaves, nodes, size, rootHash, lastReceivedAt: last, completedRequests, searchRows, envelopes };
}

/** One item of a `v2/log` result: the hash, and the envelope when verbose (wire-protocol §4.2). */
export function bulkResult(
  leaf: LeafRecord,
  envelope: Envelope,
  verbose: boolean,
): { hash: string; envelope?: Envelope } {
  const hash = leaf.hash.toString("hex");
  return verbose ? { hash, envelope } : { hash };
}
