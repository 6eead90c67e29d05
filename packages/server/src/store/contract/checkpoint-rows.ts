import type { AnchorStateRecord, CheckpointRecord, PublishableTree } from "./checkpoint.js";
import type { Row } from "./rows.js";

/*
 * Row → record mapping of the checkpoint role, shared by both stores (as rows.ts is for the
 * others): SQLite hands back numbers and text, PostgreSQL strings for BIGINT.
 */

function optional(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

export function checkpointFromRow(row: Row): CheckpointRecord {
  return {
    treeId: Number(row["tree_id"]),
    size: Number(row["size"]),
    rootHash: row["root_hash"] as Buffer,
    publishedAt: String(row["published_at"]),
    previousSize: Number(row["previous_size"]),
    consistencyProof: JSON.parse(String(row["consistency_proof"])) as string[],
    note: String(row["note"]),
  };
}

/** A row of `trees` joined with its latest checkpoint (`published_size`, `published_at`). */
export function publishableTreeFromRow(row: Row): PublishableTree {
  return {
    treeId: Number(row["id"]),
    treeName: String(row["tree_name"]),
    size: Number(row["size"]),
    publishedSize: Number(row["published_size"] ?? 0),
    publishedAt: optional(row["published_at"]),
  };
}

export function anchorStateFromRow(row: Row): AnchorStateRecord {
  return {
    anchor: String(row["anchor"]),
    treeId: Number(row["tree_id"]),
    deliveredSize: Number(row["delivered_size"]),
    attempts: Number(row["attempts"]),
    nextAttemptAt: Number(row["next_attempt_at"]),
    lastSuccessAt: optional(row["last_success_at"]),
    lastError: optional(row["last_error"]),
    lastErrorAt: optional(row["last_error_at"]),
  };
}

/** The parameters of an anchor state, in the order both stores' upsert binds them. */
export function anchorStateParams(state: AnchorStateRecord): unknown[] {
  return [
    state.anchor,
    state.treeId,
    state.deliveredSize,
    state.attempts,
    state.nextAttemptAt,
    state.lastSuccessAt ?? null,
    state.lastError ?? null,
    state.lastErrorAt ?? null,
  ];
}

/** The parameters of a new checkpoint, in the order both stores' INSERT binds them. */
export function checkpointParams(checkpoint: CheckpointRecord): unknown[] {
  return [
    checkpoint.treeId,
    checkpoint.size,
    checkpoint.rootHash,
    checkpoint.publishedAt,
    checkpoint.previousSize,
    JSON.stringify(checkpoint.consistencyProof),
    checkpoint.note,
  ];
}
