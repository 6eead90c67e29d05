import type { CompactRange, MerkleNode, NodeId } from "@veritrail/core";
import type { SearchRow } from "./search-values.js";

/*
 * The log role of the store: each configuration's Merkle tree, its leaves (the events) and the
 * hashes of its complete subtrees (docs/design/merkle-storage.md). `store/conformance/log.ts`
 * holds both backends to it.
 */

/** The head of one configuration's tree. */
export interface TreeHead {
  /** Internal numeric id, compact in indexes. */
  id: number;
  configId: string;
  /** The public tree name: 64 hex, random, never reused. */
  treeName: string;
  size: number;
  /** Root hash at `size`; undefined for an empty tree. */
  rootHash: Buffer | undefined;
  /** `received_at` of the last leaf, microseconds since the epoch (0 when empty). */
  lastReceivedAt: number;
}

/** One stored event: a leaf of its tree. */
export interface LeafRecord {
  leafIndex: number;
  /** Microseconds since the epoch; strictly increasing within a tree. */
  receivedAt: number;
  /** The envelope hash, which is also the Merkle leaf. */
  hash: Buffer;
  /** The canonical JSON of the envelope, exactly the bytes that were hashed. */
  envelope: string;
}

/** What the sequencer sees of a tree inside the append transaction. */
export interface SequencerHead {
  size: number;
  lastReceivedAt: number;
  /** The tree's right edge at `size`; the sequencer appends to it (the store passes a copy). */
  range: CompactRange;
}

/** What one group commit writes. */
export interface SequencedBatch {
  leaves: LeafRecord[];
  /** Complete subtrees at level ≥ 1 that the batch completed (leaves live in the events). */
  nodes: MerkleNode[];
  size: number;
  rootHash: Buffer;
  lastReceivedAt: number;
  /** Async requests this batch finishes, committed in the same transaction as their events. */
  completedRequests: { id: string; result: string }[];
  /** The search index rows of the batch's events (search.ts), written in the same transaction. */
  searchRows: SearchRow[];
}

export interface LogStore {
  getTreeHead(configId: string): Promise<TreeHead | undefined>;
  /**
   * Appends one batch to a tree in one transaction: locks the tree head, gives `sequence` the
   * head and its right edge, and writes what it returns (leaves, subtree hashes, the new head,
   * the root at the new size, completed async requests). MUST NOT resolve before the commit;
   * on any failure nothing is written. `sequence` is pure and may run more than once.
   */
  appendBatch(treeId: number, sequence: (head: SequencerHead) => SequencedBatch): Promise<SequencedBatch>;
  /** The hashes of complete subtrees, keyed by `nodeKey`. Level 0 is the leaf hash. */
  readNodes(treeId: number, nodes: readonly NodeId[]): Promise<Map<string, Buffer>>;
  /** The size at which a batch left the tree with this root, if the server ever returned it. */
  findSizeOfRoot(treeId: number, rootHash: Buffer): Promise<number | undefined>;
  /** One leaf by index. */
  getLeaf(treeId: number, leafIndex: number): Promise<LeafRecord | undefined>;
}
