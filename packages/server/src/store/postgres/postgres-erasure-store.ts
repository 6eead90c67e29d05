import type pg from "pg";
import {
  type ErasedLeaf,
  type EraseRequest,
  type ErasureStore,
  erasedEnvelope,
  erasureOf,
} from "../contract/erasure.js";
import { query, transaction } from "./postgres-pool.js";

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
    const { treeId, mark } = request;
    const leaves = [...new Set(request.leafIndices)].sort((a, b) => a - b);
    if (leaves.length === 0) return [];
    return transaction(this.#pool, async (client) => {
      const rows = await query(
        client,
        "SELECT leaf_index, hash, envelope FROM events WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[]) ORDER BY leaf_index FOR UPDATE",
        [treeId, leaves],
      );
      const erased: ErasedLeaf[] = rows
        .filter((row) => !erasureOf(String(row["envelope"])))
        .map((row) => ({ leafIndex: Number(row["leaf_index"]), hash: row["hash"] as Buffer }));
      if (erased.length === 0) return [];
      const indices = erased.map((leaf) => leaf.leafIndex);
      await deleteSearchRows(client, treeId, indices);
      await client.query(
        "UPDATE events SET envelope = $3 WHERE tree_id = $1 AND leaf_index = ANY($2::bigint[])",
        [treeId, indices, erasedEnvelope(mark)],
      );
      return erased;
    });
  }
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
