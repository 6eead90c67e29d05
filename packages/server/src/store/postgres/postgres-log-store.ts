import { CompactRange, completeSubtrees, type NodeId, nodeKey } from "@veritrail/core";
import type pg from "pg";
import { NodeCache } from "../contract/node-cache.js";
import { leafFromRow, type Row, treeFromRow } from "../contract/rows.js";
import {
  AsyncRequestTakenError,
  type LeafRecord,
  type LogStore,
  type SequencedBatch,
  type SequencerHead,
  type TreeHead,
} from "../contract/store.js";
import { query, transaction } from "./postgres-pool.js";
import { searchRowArrays, searchRowInserts } from "./postgres-search-store.js";

/**
 * Each configuration's Merkle tree in PostgreSQL. An append locks its tree head row
 * (`FOR UPDATE`), which orders appends across every process on the database, and writes the
 * whole batch in one statement. The right edge of each tree is kept at the size this process
 * last committed; when another process has appended since, it is read again.
 */
export class PostgresLogStore implements LogStore {
  readonly #pool: pg.Pool;
  /** The right edge of each tree at the size last seen committed by this process. */
  readonly #ranges = new Map<number, CompactRange>();
  /** Subtree hashes already read: they never change once stored, whichever process stored them. */
  readonly #nodes: NodeCache;

  constructor(pool: pg.Pool, nodeCacheEntries: number) {
    this.#nodes = new NodeCache(nodeCacheEntries);
    this.#pool = pool;
  }

  async getTreeHead(configId: string): Promise<TreeHead | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM trees WHERE config_id = $1", [configId]);
    return row && treeFromRow(row);
  }

  async appendBatch(
    treeId: number,
    sequence: (head: SequencerHead) => SequencedBatch,
  ): Promise<SequencedBatch> {
    const { batch, range } = await transaction(this.#pool, async (client) => {
      // The row lock on the tree head is the sequencer across processes.
      const head = (
        await client.query("SELECT size, last_received_at FROM trees WHERE id = $1 FOR UPDATE", [treeId])
      ).rows[0] as Row | undefined;
      if (!head) throw new Error(`no tree ${treeId}`);
      const size = Number(head["size"]);
      const range = (await this.#rangeAt(client, treeId, size)).clone();
      const batch = sequence({ size, lastReceivedAt: Number(head["last_received_at"]), range });
      // One statement for every write of the batch: each round trip is spent holding the tree lock,
      // which every process appending to this tree waits on. Data-modifying CTEs all run, once.
      await client.query(
        // The search rows' six arrays follow as $12..$17 (postgres-search-store.ts).
        "WITH " +
          searchRowInserts(12) +
          `, new_events AS (
           INSERT INTO events (tree_id, leaf_index, received_at, hash, envelope)
           SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bytea[], $5::text[])
         ), new_nodes AS (
           INSERT INTO merkle_nodes (tree_id, level, idx, hash)
           SELECT $1, * FROM unnest($6::smallint[], $7::bigint[], $8::bytea[])
         ), new_root AS (
           INSERT INTO tree_roots (tree_id, root_hash, size) VALUES ($1, $9, $10) ON CONFLICT DO NOTHING
         )
         UPDATE trees SET size = $10, root_hash = $9, last_received_at = $11 WHERE id = $1`,
        [
          treeId,
          batch.leaves.map((l) => l.leafIndex),
          batch.leaves.map((l) => l.receivedAt),
          batch.leaves.map((l) => l.hash),
          batch.leaves.map((l) => l.envelope),
          batch.nodes.map((n) => n.level),
          batch.nodes.map((n) => n.index),
          batch.nodes.map((n) => n.hash),
          batch.rootHash,
          batch.size,
          batch.lastReceivedAt,
          ...searchRowArrays(batch.searchRows),
        ],
      );
      for (const request of batch.completedRequests) {
        const done = await client.query(
          `UPDATE async_requests SET state = 'done', result = $2, payload = '', owner = NULL, lease_until = NULL
           WHERE id = $1 AND state = 'pending'`,
          [request.id, request.result],
        );
        // Exactly once: a request another process already finished rolls this batch back.
        if (done.rowCount !== 1) throw new AsyncRequestTakenError(request.id);
      }
      return { batch, range };
    });
    // Only after the commit: a batch rolled back leaves the cached edge at the committed size.
    this.#ranges.set(treeId, range);
    return batch;
  }

  /** The right edge at `size`: cached when this process saw that size, else read (another process appended). */
  async #rangeAt(client: pg.PoolClient, treeId: number, size: number): Promise<CompactRange> {
    const cached = this.#ranges.get(treeId);
    if (cached && cached.size === size) return cached;
    const ids = completeSubtrees(0, size);
    const hashes = await readNodesWith(client, treeId, ids);
    const range = new CompactRange(
      size,
      ids.map((id) => hashes.get(nodeKey(id))!),
    );
    this.#ranges.set(treeId, range);
    return range;
  }

  async readNodes(treeId: number, nodes: readonly NodeId[]): Promise<Map<string, Buffer>> {
    const { found, missing } = this.#nodes.lookup(treeId, nodes);
    if (missing.length === 0) return found;
    const read = await readNodesWith(this.#pool, treeId, missing);
    this.#nodes.remember(treeId, missing, read);
    for (const [key, hash] of read) found.set(key, hash);
    return found;
  }

  async findSizeOfRoot(treeId: number, rootHash: Buffer): Promise<number | undefined> {
    const [row] = await query(
      this.#pool,
      "SELECT size FROM tree_roots WHERE tree_id = $1 AND root_hash = $2",
      [treeId, rootHash],
    );
    return row ? Number(row["size"]) : undefined;
  }

  async getLeaf(treeId: number, leafIndex: number): Promise<LeafRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM events WHERE tree_id = $1 AND leaf_index = $2", [
      treeId,
      leafIndex,
    ]);
    return row && leafFromRow(row);
  }
}

/** One round trip for any set of subtrees: leaves come from `events`, inner nodes from `merkle_nodes`. */
async function readNodesWith(
  db: pg.Pool | pg.PoolClient,
  treeId: number,
  nodes: readonly NodeId[],
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (nodes.length === 0) return out;
  const rows = await query(
    db,
    // Scalar subqueries, not joins: PostgreSQL runs each as one primary-key lookup per node
    // whatever its statistics say. As joins, on a tree loaded faster than autovacuum analyses
    // it, the planner hashed every node and event of the tree instead: ~400 ms for the 300
    // nodes of 20 membership proofs at 200,000 events, against ~2 ms now.
    `SELECT q.level, q.idx,
       CASE WHEN q.level = 0
         THEN (SELECT e.hash FROM events e WHERE e.tree_id = $1 AND e.leaf_index = q.idx)
         ELSE (SELECT n.hash FROM merkle_nodes n WHERE n.tree_id = $1 AND n.level = q.level AND n.idx = q.idx)
       END AS hash
     FROM unnest($2::smallint[], $3::bigint[]) AS q(level, idx)`,
    [treeId, nodes.map((n) => n.level), nodes.map((n) => n.index)],
  );
  for (const row of rows) {
    if (row["hash"]) out.set(`${Number(row["level"])}:${Number(row["idx"])}`, row["hash"] as Buffer);
  }
  return out;
}
