/*
 * The checkpoint role of the store (docs/design/publishing.md): the signed checkpoints the
 * publisher puts each tree's root on record with, and what each anchor has been handed of them.
 * `store/conformance/checkpoint.ts` holds both backends to it.
 */

/** One published root: a tree's root at `size`, signed as a C2SP checkpoint note. */
export interface CheckpointRecord {
  treeId: number;
  size: number;
  rootHash: Buffer;
  /** When it was published, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (the form of `received_at`). */
  publishedAt: string;
  /** The size of the checkpoint before it, 0 for a tree's first. */
  previousSize: number;
  /** The consistency proof from `previousSize` to `size` in wire form; empty for the first. */
  consistencyProof: string[];
  /** The signed note text, ending in a newline. */
  note: string;
}

/** A tree as the publisher sees it: its head and its latest checkpoint. */
export interface PublishableTree {
  treeId: number;
  treeName: string;
  size: number;
  /** 0 when nothing is published yet. */
  publishedSize: number;
  /** `published_at` of the latest checkpoint, if any. */
  publishedAt: string | undefined;
}

/** What one anchor has been handed of one tree's checkpoints, and how it went. */
export interface AnchorStateRecord {
  anchor: string;
  treeId: number;
  /** Every checkpoint up to this size has been delivered (0: none yet). */
  deliveredSize: number;
  /** Failed attempts since the last success. */
  attempts: number;
  /** Epoch milliseconds before which the anchor is not tried again (0: at once). */
  nextAttemptAt: number;
  lastSuccessAt: string | undefined;
  lastError: string | undefined;
  lastErrorAt: string | undefined;
}

export interface CheckpointStore {
  /** Every tree with its size and its latest checkpoint, by tree id. */
  listTrees(): Promise<PublishableTree[]>;
  /** The tree with this public name. */
  findTree(treeName: string): Promise<PublishableTree | undefined>;
  /**
   * Stores `checkpoint` if the tree's latest stored checkpoint is still at
   * `checkpoint.previousSize` (0: none), in one step, so two publishers that raced (a lease
   * that ran out under a slow one) can never store two checkpoints that do not chain. Returns
   * whether it was stored.
   */
  addCheckpoint(checkpoint: CheckpointRecord): Promise<boolean>;
  /** The tree's checkpoint with the largest size. */
  latestCheckpoint(treeId: number): Promise<CheckpointRecord | undefined>;
  /** The checkpoint published at exactly `size`. */
  checkpointAt(treeId: number, size: number): Promise<CheckpointRecord | undefined>;
  /** The checkpoint with the smallest size ≥ `size`: the first that covers the root at `size`. */
  firstCheckpointCovering(treeId: number, size: number): Promise<CheckpointRecord | undefined>;
  /** Up to `limit` checkpoints with sizes > `size`, ascending. */
  checkpointsAfter(treeId: number, size: number, limit: number): Promise<CheckpointRecord[]>;
  /** How many checkpoints have sizes > `size`. */
  countCheckpointsAfter(treeId: number, size: number): Promise<number>;

  /** Every stored anchor state. */
  listAnchorStates(): Promise<AnchorStateRecord[]>;
  /** Creates or replaces the state of (`anchor`, `treeId`). */
  saveAnchorState(state: AnchorStateRecord): Promise<void>;
}
