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
import type { Row } from "../contract/rows.js";
import type { StatementCache } from "./statement-cache.js";

/** Each tree with its latest checkpoint's size and time (none: NULL). */
const TREES_WITH_LATEST = `SELECT t.id, t.tree_name, t.size, c.size AS published_size, c.published_at
  FROM trees t LEFT JOIN checkpoints c
    ON c.tree_id = t.id AND c.size = (SELECT MAX(size) FROM checkpoints WHERE tree_id = t.id)`;

/** The signed checkpoints and anchor states in SQLite (store/contract/checkpoint.ts). */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async listTrees(): Promise<PublishableTree[]> {
    const rows = this.#sql.prepare(`${TREES_WITH_LATEST} ORDER BY t.id`).all() as Row[];
    return rows.map(publishableTreeFromRow);
  }

  async findTree(treeName: string): Promise<PublishableTree | undefined> {
    const row = this.#sql.prepare(`${TREES_WITH_LATEST} WHERE t.tree_name = ?`).get(treeName) as
      | Row
      | undefined;
    return row && publishableTreeFromRow(row);
  }

  async addCheckpoint(checkpoint: CheckpointRecord): Promise<boolean> {
    let stored = false;
    this.#sql.db
      .transaction(() => {
        const row = this.#sql
          .prepare("SELECT COALESCE(MAX(size), 0) AS size FROM checkpoints WHERE tree_id = ?")
          .get(checkpoint.treeId) as Row;
        if (Number(row["size"]) !== checkpoint.previousSize || checkpoint.size <= checkpoint.previousSize)
          return;
        this.#sql
          .prepare(
            `INSERT INTO checkpoints (tree_id, size, root_hash, published_at, previous_size, consistency_proof, note)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(...checkpointParams(checkpoint));
        stored = true;
      })
      .immediate();
    return stored;
  }

  async latestCheckpoint(treeId: number): Promise<CheckpointRecord | undefined> {
    const row = this.#sql
      .prepare("SELECT * FROM checkpoints WHERE tree_id = ? ORDER BY size DESC LIMIT 1")
      .get(treeId) as Row | undefined;
    return row && checkpointFromRow(row);
  }

  async checkpointAt(treeId: number, size: number): Promise<CheckpointRecord | undefined> {
    const row = this.#sql
      .prepare("SELECT * FROM checkpoints WHERE tree_id = ? AND size = ?")
      .get(treeId, size) as Row | undefined;
    return row && checkpointFromRow(row);
  }

  async firstCheckpointCovering(treeId: number, size: number): Promise<CheckpointRecord | undefined> {
    const row = this.#sql
      .prepare("SELECT * FROM checkpoints WHERE tree_id = ? AND size >= ? ORDER BY size LIMIT 1")
      .get(treeId, size) as Row | undefined;
    return row && checkpointFromRow(row);
  }

  async checkpointsAfter(treeId: number, size: number, limit: number): Promise<CheckpointRecord[]> {
    const rows = this.#sql
      .prepare("SELECT * FROM checkpoints WHERE tree_id = ? AND size > ? ORDER BY size LIMIT ?")
      .all(treeId, size, limit) as Row[];
    return rows.map(checkpointFromRow);
  }

  async countCheckpointsAfter(treeId: number, size: number): Promise<number> {
    const row = this.#sql
      .prepare("SELECT COUNT(*) AS n FROM checkpoints WHERE tree_id = ? AND size > ?")
      .get(treeId, size) as Row;
    return Number(row["n"]);
  }

  async listAnchorStates(): Promise<AnchorStateRecord[]> {
    const rows = this.#sql.prepare("SELECT * FROM anchor_states ORDER BY anchor, tree_id").all() as Row[];
    return rows.map(anchorStateFromRow);
  }

  async saveAnchorState(state: AnchorStateRecord): Promise<void> {
    this.#sql
      .prepare(
        `INSERT INTO anchor_states
           (anchor, tree_id, delivered_size, attempts, next_attempt_at, last_success_at, last_error, last_error_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (anchor, tree_id) DO UPDATE SET
           delivered_size = excluded.delivered_size, attempts = excluded.attempts,
           next_attempt_at = excluded.next_attempt_at, last_success_at = excluded.last_success_at,
           last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
      )
      .run(...anchorStateParams(state));
  }
}
