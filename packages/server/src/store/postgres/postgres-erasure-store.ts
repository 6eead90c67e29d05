import type pg from "pg";
import {
  type ErasedLeaf,
  type EraseExpiredRequest,
  type EraseRequest,
  type ErasureStore,
  type ExpiredBatch,
  type ExpireRequest,
  erasedEnvelope,
  erasureOf,
  expiryMark,
  isKept,
  type PartitionLeavesRequest,
} from "../contract/erasure.js";
import { searchFieldNumbers } from "../contract/search.js";
import { query, transaction } from "./postgres-pool.js";
import { prefixDecides } from "./postgres-search-store.js";

/**
 * Erasure in PostgreSQL (store/contract/erasure.ts): one transaction that locks the chosen event
 * rows (`FOR UPDATE`, so two erasures of one event cannot both re-date it), replaces their
 * envelopes by the tombstone and deletes their search index rows. Appends to the same tree lock
 * only the tree head and insert new rows, so they go on meanwhile.
 */
export class PostgresErasureStore implements ErasureStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async eraseEvents(request: EraseRequest): Promise<ErasedLeaf[]> {
    const leaves = [...new Set(request.leafIndices)].sort((a, b) => a - b);
    if (leaves.length === 0) return [];
    return transaction(this.#pool, (client) =>
      tombstone(client, request.treeId, leaves, erasedEnvelope(request.mark)),
    );
  }

  async eraseExpiredEvents(request: EraseExpiredRequest): Promise<ErasedLeaf[]> {
    const leaves = [...new Set(request.leafIndices)].sort((a, b) => a - b);
    if (leaves.length === 0) return [];
    return transaction(this.#pool, async (client) => {
      // Locked, so that two erasures of one archived event cannot both claim it.
      const rows = await query(
        client,
        "SELECT leaf_index, hash, envelope FROM events WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[]) ORDER BY leaf_index FOR UPDATE",
        [request.treeId, leaves],
      );
      const changed: ErasedLeaf[] = rows
        .filter((row) => erasureOf(String(row["envelope"]))?.reason === "expired")
        .map((row) => ({ leafIndex: Number(row["leaf_index"]), hash: row["hash"] as Buffer }));
      if (changed.length === 0) return [];
      await client.query(
        "UPDATE events SET envelope = $3 WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[])",
        [request.treeId, changed.map((leaf) => leaf.leafIndex), erasedEnvelope(request.mark)],
      );
      return changed;
    });
  }

  async expireEvents(request: ExpireRequest): Promise<ExpiredBatch> {
    const { treeId } = request;
    return transaction(this.#pool, async (client) => {
      // The cursor row is made once and then locked: a second caller waits here and starts where this one ended.
      await client.query(
        "INSERT INTO retention_cursors (tree_id, expired_below) VALUES ($1, 0) ON CONFLICT (tree_id) DO NOTHING",
        [treeId],
      );
      const [cursor] = await query(
        client,
        "SELECT expired_below FROM retention_cursors WHERE tree_id = $1 FOR UPDATE",
        [treeId],
      );
      const from = Number(cursor?.["expired_below"] ?? 0);
      const to = Math.max(from, Math.min(request.belowLeaf, from + request.limit));
      if (to === from) return { expired: [], expiredBelow: from };
      const leaves = Array.from({ length: to - from }, (_, i) => from + i);
      const expired = await tombstone(
        client,
        treeId,
        leaves,
        erasedEnvelope(expiryMark(request.expiredAt)),
        request.keep,
      );
      await client.query("UPDATE retention_cursors SET expired_below = $2 WHERE tree_id = $1", [treeId, to]);
      return { expired, expiredBelow: to };
    });
  }

  async partitionLeaves(request: PartitionLeavesRequest): Promise<number[]> {
    const fieldNo = searchFieldNumbers(request.schema).get(request.fieldId);
    if (fieldNo === undefined || request.fromLeaf >= request.belowLeaf || request.limit <= 0) return [];
    // The one read of the search index by retention: `search_texts_by_prefix` (tree, field,
    // prefix, leaf) seeks to the value's first leaf in the range; the whole text decides
    // where the prefix cannot (postgres-search-store.ts `prefixDecides`).
    const rows = await query(
      this.#pool,
      prefixDecides(request.value)
        ? "SELECT leaf_index FROM search_texts WHERE tree_id = $1 AND field_no = $2 AND prefix = $3 AND leaf_index >= $4 AND leaf_index < $5 ORDER BY leaf_index LIMIT $6"
        : "SELECT leaf_index FROM search_texts WHERE tree_id = $1 AND field_no = $2 AND prefix = left($3, 256) AND text = $3 AND leaf_index >= $4 AND leaf_index < $5 ORDER BY leaf_index LIMIT $6",
      [request.treeId, fieldNo, request.value, request.fromLeaf, request.belowLeaf, request.limit],
    );
    return rows.map((row) => Number(row["leaf_index"]));
  }

  async expiredBelow(treeId: number): Promise<number> {
    const [row] = await query(this.#pool, "SELECT expired_below FROM retention_cursors WHERE tree_id = $1", [
      treeId,
    ]);
    return row ? Number(row["expired_below"]) : 0;
  }
}

/** Replaces the envelopes at `leaves` by `text` and deletes their index rows, in the caller's transaction. */
async function tombstone(
  client: pg.PoolClient,
  treeId: number,
  leaves: readonly number[],
  text: string,
  keep?: ExpireRequest["keep"],
): Promise<ErasedLeaf[]> {
  const rows = await query(
    client,
    "SELECT leaf_index, hash, envelope FROM events WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[]) ORDER BY leaf_index FOR UPDATE",
    [treeId, leaves],
  );
  const erased: ErasedLeaf[] = rows
    .filter((row) => {
      const envelope = String(row["envelope"]);
      if (erasureOf(envelope)) return false;
      return !keep || !isKept((JSON.parse(envelope) as { event?: Record<string, unknown> }).event, keep);
    })
    .map((row) => ({ leafIndex: Number(row["leaf_index"]), hash: row["hash"] as Buffer }));
  if (erased.length === 0) return [];
  const indices = erased.map((leaf) => leaf.leafIndex);
  await deleteSearchRows(client, treeId, indices);
  await client.query(
    "UPDATE events SET envelope = $3 WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[])",
    [treeId, indices, text],
  );
  return erased;
}

/**
 * Deletes the search index rows of the events at `leafIndices`, the inverse of the append's
 * `searchRowInserts` (postgres-search-store.ts), which any change to the index tables changes with.
 */
export async function deleteSearchRows(
  client: pg.PoolClient,
  treeId: number,
  leafIndices: readonly number[],
): Promise<void> {
  await client.query(
    "WITH t AS (DELETE FROM search_texts WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[])) DELETE FROM search_numbers WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[])",
    [treeId, leafIndices],
  );
}
