import type { CheckpointRecord } from "../../store/contract/checkpoint.js";

/** Where checkpoints go so that someone other than the server holds them (docs/design/publishing.md). */
export interface Anchor {
  /** Stable and unique among the configured anchors: the key of its stored state. */
  readonly name: string;
  readonly kind: "directory" | "webhook" | "audit-log";
  /** Hands one checkpoint over; resolves once the other side has it, throws otherwise. */
  deliver(tree: { treeName: string }, checkpoint: CheckpointRecord): Promise<void>;
}

/** What a delivered checkpoint looks like outside: the JSON of the verifiable file's `checkpoints`. */
export function checkpointJson(tree: { treeName: string }, checkpoint: CheckpointRecord) {
  return {
    tree_name: tree.treeName,
    size: checkpoint.size,
    root_hash: checkpoint.rootHash.toString("hex"),
    published_at: checkpoint.publishedAt,
    note: checkpoint.note,
  };
}
