import {
  type ErasedLeaf,
  type EraseRequest,
  type ErasureStore,
  erasedEnvelope,
  erasureOf,
} from "../contract/erasure.js";
import type { Row } from "../contract/rows.js";
import { type SearchRow, searchFieldNumbers, searchValuesOf } from "../contract/search.js";
import type { StatementCache } from "./statement-cache.js";

/**
 * Erasure in SQLite (store/contract/erasure.ts): one `BEGIN IMMEDIATE` transaction that replaces
 * the envelopes by their tombstone and deletes their search index rows.
 */
export class SqliteErasureStore implements ErasureStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async eraseEvents(request: EraseRequest): Promise<ErasedLeaf[]> {
    const { treeId, schema, mark } = request;
    const numbers = searchFieldNumbers(schema);
    const tombstone = erasedEnvelope(mark);
    const erased: ErasedLeaf[] = [];
    const leaves = [...new Set(request.leafIndices)].sort((a, b) => a - b);
    this.#sql.db
      .transaction(() => {
        const read = this.#sql.prepare(
          "SELECT hash, envelope FROM events WHERE tree_id = ? AND leaf_index = ?",
        );
        const write = this.#sql.prepare(
          "UPDATE events SET envelope = ? WHERE tree_id = ? AND leaf_index = ?",
        );
        for (const leafIndex of leaves) {
          const row = read.get(treeId, leafIndex) as Row | undefined;
          if (!row) continue;
          const envelope = String(row["envelope"]);
          if (erasureOf(envelope)) continue;
          const event = (JSON.parse(envelope) as { event?: Record<string, string | number | boolean> }).event;
          const rows = searchValuesOf(event ?? {}, schema, numbers).map((v) => ({ ...v, leafIndex }));
          deleteSearchRows(this.#sql, treeId, leafIndex, rows);
          write.run(tombstone, treeId, leafIndex);
          erased.push({ leafIndex, hash: row["hash"] as Buffer });
        }
      })
      .immediate();
    return erased;
  }
}

/**
 * Deletes the search index rows of one event, the inverse of `writeSearchRows`
 * (sqlite-search-store.ts), which any change to the index tables changes with. `rows` are the
 * event's rows as ingest wrote them: the contentless trigram table can only delete a row when
 * given the text it indexed.
 */
export function deleteSearchRows(
  sql: StatementCache,
  treeId: number,
  leafIndex: number,
  rows: readonly SearchRow[],
): void {
  sql.prepare("DELETE FROM search_values WHERE tree_id = ? AND leaf_index = ?").run(treeId, leafIndex);
  const remove = sql.prepare(
    "INSERT INTO search_trigrams (search_trigrams, rowid, text) VALUES ('delete', ((? << 44) | (? << 8)) | ?, ?)",
  );
  for (const row of rows) {
    if (row.text !== undefined) remove.run(treeId, leafIndex, row.fieldNo, row.text);
  }
}
