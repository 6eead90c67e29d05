import type { EventSchema } from "../contract/config.js";
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
import type { Row } from "../contract/rows.js";
import { type SearchRow, searchFieldNumbers, searchValuesOf } from "../contract/search.js";
import type { StatementCache } from "./statement-cache.js";

/**
 * Erasure in SQLite (store/contract/erasure.ts): one `BEGIN IMMEDIATE` transaction that replaces
 * the envelopes by their tombstone and deletes their search index rows. Retention's expiry is the
 * same step over the next leaves of the tree's cursor, which moves in the same transaction.
 */
export class SqliteErasureStore implements ErasureStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async eraseEvents(request: EraseRequest): Promise<ErasedLeaf[]> {
    const leaves = [...new Set(request.leafIndices)].sort((a, b) => a - b);
    return this.#sql.db
      .transaction(() =>
        this.#tombstone(request.treeId, request.schema, leaves, erasedEnvelope(request.mark)),
      )
      .immediate();
  }

  async eraseExpiredEvents(request: EraseExpiredRequest): Promise<ErasedLeaf[]> {
    const leaves = [...new Set(request.leafIndices)].sort((a, b) => a - b);
    const tombstone = erasedEnvelope(request.mark);
    return this.#sql.db
      .transaction(() => {
        const read = this.#sql.prepare(
          "SELECT hash, envelope FROM events WHERE tree_id = ? AND leaf_index = ?",
        );
        const write = this.#sql.prepare(
          "UPDATE events SET envelope = ? WHERE tree_id = ? AND leaf_index = ?",
        );
        const changed: ErasedLeaf[] = [];
        for (const leafIndex of leaves) {
          const row = read.get(request.treeId, leafIndex) as Row | undefined;
          if (!row || erasureOf(String(row["envelope"]))?.reason !== "expired") continue;
          write.run(tombstone, request.treeId, leafIndex);
          changed.push({ leafIndex, hash: row["hash"] as Buffer });
        }
        return changed;
      })
      .immediate();
  }

  async expireEvents(request: ExpireRequest): Promise<ExpiredBatch> {
    const { treeId, schema } = request;
    return this.#sql.db
      .transaction((): ExpiredBatch => {
        const from = this.#cursor(treeId);
        const to = Math.max(from, Math.min(request.belowLeaf, from + request.limit));
        if (to === from) return { expired: [], expiredBelow: from };
        const leaves = Array.from({ length: to - from }, (_, i) => from + i);
        const expired = this.#tombstone(
          treeId,
          schema,
          leaves,
          erasedEnvelope(expiryMark(request.expiredAt)),
          request.keep,
        );
        this.#sql
          .prepare(
            "INSERT INTO retention_cursors (tree_id, expired_below) VALUES (?, ?) ON CONFLICT (tree_id) DO UPDATE SET expired_below = excluded.expired_below",
          )
          .run(treeId, to);
        return { expired, expiredBelow: to };
      })
      .immediate();
  }

  async expiredBelow(treeId: number): Promise<number> {
    return this.#cursor(treeId);
  }

  async partitionLeaves(request: PartitionLeavesRequest): Promise<number[]> {
    const fieldNo = searchFieldNumbers(request.schema).get(request.fieldId);
    if (fieldNo === undefined || request.fromLeaf >= request.belowLeaf || request.limit <= 0) return [];
    // The one read of the search index by retention: the primary key (tree, field, value, leaf)
    // seeks to the value's first leaf in the range. A value of at most 256 characters is stored
    // whole (cut = 0), so equality is exact.
    const rows = this.#sql
      .prepare(
        "SELECT leaf_index FROM search_values WHERE tree_id = ? AND field_no = ? AND value = ? AND cut = 0 AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index LIMIT ?",
      )
      .all(
        request.treeId,
        fieldNo,
        request.value,
        request.fromLeaf,
        request.belowLeaf,
        request.limit,
      ) as Row[];
    return rows.map((row) => Number(row["leaf_index"]));
  }

  #cursor(treeId: number): number {
    const row = this.#sql
      .prepare("SELECT expired_below FROM retention_cursors WHERE tree_id = ?")
      .get(treeId) as Row | undefined;
    return row ? Number(row["expired_below"]) : 0;
  }

  /** Replaces the envelopes at `leaves` (ascending) by `tombstone` and deletes their index rows; inside a transaction. */
  #tombstone(
    treeId: number,
    schema: EventSchema,
    leaves: readonly number[],
    tombstone: string,
    keep?: ExpireRequest["keep"],
  ): ErasedLeaf[] {
    const numbers = searchFieldNumbers(schema);
    const erased: ErasedLeaf[] = [];
    const read = this.#sql.prepare("SELECT hash, envelope FROM events WHERE tree_id = ? AND leaf_index = ?");
    const write = this.#sql.prepare("UPDATE events SET envelope = ? WHERE tree_id = ? AND leaf_index = ?");
    const rows: SearchRow[] = [];
    for (const leafIndex of leaves) {
      const row = read.get(treeId, leafIndex) as Row | undefined;
      if (!row) continue;
      const envelope = String(row["envelope"]);
      if (erasureOf(envelope)) continue;
      const event = (JSON.parse(envelope) as { event?: Record<string, string | number | boolean> }).event;
      if (keep && isKept(event, keep)) continue;
      for (const value of searchValuesOf(event ?? {}, schema, numbers)) rows.push({ ...value, leafIndex });
      write.run(tombstone, treeId, leafIndex);
      erased.push({ leafIndex, hash: row["hash"] as Buffer });
    }
    deleteSearchRows(
      this.#sql,
      treeId,
      erased.map((leaf) => leaf.leafIndex),
      rows,
    );
    return erased;
  }
}

/**
 * Deletes the search index rows of the events at `leafIndices`, the inverse of
 * `writeSearchRows` (sqlite-search-store.ts), which any change to the index tables changes with;
 * the caller runs it inside its transaction. `rows` are those events' rows as ingest wrote them:
 * the contentless trigram table can only delete a row when given the text it indexed. As for
 * the inserts, one statement per table from a JSON array, and the trigram deletions in rowid
 * order, so that FTS5 keeps them pending in memory instead of flushing a segment for each.
 */
export function deleteSearchRows(
  sql: StatementCache,
  treeId: number,
  leafIndices: readonly number[],
  rows: readonly SearchRow[],
): void {
  if (leafIndices.length === 0) return;
  // The index by leaf: the primary key starts with the field, so it would scan the whole tree.
  sql
    .prepare(
      "DELETE FROM search_values INDEXED BY search_values_by_leaf WHERE tree_id = ? AND leaf_index IN (SELECT value FROM json_each(?))",
    )
    .run(treeId, JSON.stringify(leafIndices));
  const trigrams = rows
    .filter((row) => row.text !== undefined)
    .sort((a, b) => a.leafIndex - b.leafIndex || a.fieldNo - b.fieldNo)
    .map((row) => [row.leafIndex, row.fieldNo, row.text]);
  if (trigrams.length === 0) return;
  sql
    .prepare(
      "INSERT INTO search_trigrams (search_trigrams, rowid, text)" +
        " SELECT 'delete', ((? << 44) | ((r.value ->> 0) << 8)) | (r.value ->> 1), r.value ->> 2 FROM json_each(?) r" +
        " ORDER BY 2",
    )
    .run(treeId, JSON.stringify(trigrams));
}
