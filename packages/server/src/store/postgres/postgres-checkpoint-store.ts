import type pg from "pg";
import type {
  AnchorStateRecord,
  CheckpointRecord,
  CheckpointStore,
  PublishableTree,
} from "../contract/checkpoint.js";
import {
  anchorStateFromRow,
  anchorStateParams,
  checkpointFromRow,
  checkpointParams,
  publishableTreeFromRow,
} from "../contract/checkpoint-rows.js";
import { query, transaction } from "./postgres-pool.js";

/** Each tree with its latest checkpoint's size and time (none: NULL). */
const TREES_WITH_LATEST = `SELECT t.id, t.tree_name, t.size, c.size AS published_size, c.published_at
  FROM trees t LEFT JOIN checkpoints c
    ON c.tree_id = t.id AND c.size = (SELECT MAX(size) FROM checkpoints WHERE tree_id = t.id)`;

/** The first key of the transaction advisory lock that orders checkpoint writes per tree. */
const CHECKPOINT_LOCK = 0x7672_0010;

/**
 * The signed checkpoints and anchor states in PostgreSQL (store/contract/checkpoint.ts). A
 * checkpoint is stored under a transaction advisory lock of its tree, so that the check that the
 * latest is still the one it chains from and the insert are one step across every process.
 */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async listTrees(): Promise<PublishableTree[]> {
    return (await query(this.#pool, `${TREES_WITH_LATEST} ORDER BY t.id`)).map(publishableTreeFromRow);
  }

  async findTree(treeName: string): Promise<PublishableTree | undefined> {
    const [row] = await query(this.#pool, `${TREES_WITH_LATEST} WHERE t.tree_name = $1`, [treeName]);
    return row && publishableTreeFromRow(row);
  }

  async addCheckpoint(checkpoint: CheckpointRecord): Promise<boolean> {
    return transaction(this.#pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [CHECKPOINT_LOCK, checkpoint.treeId]);
      const [row] = await query(
        client,
        "SELECT COALESCE(MAX(size), 0) AS size FROM checkpoints WHERE tree_id = $1",
        [checkpoint.treeId],
      );
      if (Number(row!["size"]) !== checkpoint.previousSize || checkpoint.size <= checkpoint.previousSize) {
        return false;
      }
      await client.query(
        `INSERT INTO checkpoints (tree_id, size, root_hash, published_at, previous_size, consistency_proof, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        checkpointParams(checkpoint),
      );
      return true;
    });
  }

  async latestCheckpoint(treeId: number): Promise<CheckpointRecord | undefined> {
    const [row] = await query(
      this.#pool,
      "SELECT * FROM checkpoints WHERE tree_id = $1 ORDER BY size DESC LIMIT 1",
      [treeId],
    );
    return row && checkpointFromRow(row);
  }

  async checkpointAt(treeId: number, size: number): Promise<CheckpointRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM checkpoints WHERE tree_id = $1 AND size = $2", [
      treeId,
      size,
    ]);
    return row && checkpointFromRow(row);
  }

  async firstCheckpointCovering(treeId: number, size: number): Promise<CheckpointRecord | undefined> {
    const [row] = await query(
      this.#pool,
      "SELECT * FROM checkpoints WHERE tree_id = $1 AND size >= $2 ORDER BY size LIMIT 1",
      [treeId, size],
    );
    return row && checkpointFromRow(row);
  }

  async checkpointsAfter(treeId: number, size: number, limit: number): Promise<CheckpointRecord[]> {
    const rows = await query(
      this.#pool,
      "SELECT * FROM checkpoints WHERE tree_id = $1 AND size > $2 ORDER BY size LIMIT $3",
      [treeId, size, limit],
    );
    return rows.map(checkpointFromRow);
  }

  async countCheckpointsAfter(treeId: number, size: number): Promise<number> {
    const [row] = await query(
      this.#pool,
      "SELECT COUNT(*) AS n FROM checkpoints WHERE tree_id = $1 AND size > $2",
      [treeId, size],
    );
    return Number(row!["n"]);
  }

  async listAnchorStates(): Promise<AnchorStateRecord[]> {
    return (await query(this.#pool, "SELECT * FROM anchor_states ORDER BY anchor, tree_id")).map(
      anchorStateFromRow,
    );
  }

  async saveAnchorState(state: AnchorStateRecord): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO anchor_states
         (anchor, tree_id, delivered_size, attempts, next_attempt_at, last_success_at, last_error, last_error_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (anchor, tree_id) DO UPDATE SET
         delivered_size = excluded.delivered_size, attempts = excluded.attempts,
         next_attempt_at = excluded.next_attempt_at, last_success_at = excluded.last_success_at,
         last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
      anchorStateParams(state),
    );
  }
}
