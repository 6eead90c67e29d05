import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CompactRange, completeSubtrees, type NodeId, nodeKey } from "@veritrail/core";
import Database from "better-sqlite3";
import { readMigrations } from "../contract/read-migrations.js";
import {
  asyncRequestFromRow,
  configFromRow,
  leafFromRow,
  type Row,
  signingKeyFromRow,
  TOKEN_INSERT_COLUMNS,
  tokenFromRow,
  tokenInsertParams,
  tokenUpdateParams,
  treeFromRow,
} from "../contract/rows.js";
import {
  type AsyncRequestRecord,
  AsyncRequestTakenError,
  type ConfigRecord,
  type ConfigStore,
  type JobStore,
  type LeafRecord,
  type LogStore,
  type NewAsyncRequest,
  type ProjectRecord,
  type SequencedBatch,
  type SequencerHead,
  type SigningKeyRecord,
  type Store,
  type TokenRecord,
  type TokenStore,
  type TreeHead,
} from "../contract/store.js";

/** The schema, as numbered SQL files beside this module (store/contract/read-migrations.ts). */
const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/**
 * The embedded default store: one SQLite file in WAL mode, written by one process. Appends run
 * in one `BEGIN IMMEDIATE` transaction per group commit.
 */
export class SqliteStore implements Store {
  /* Each role is this object until the backend is split per role (store/contract/store.ts). */
  readonly log: LogStore = this;
  readonly configs: ConfigStore = this;
  readonly tokens: TokenStore = this;
  readonly jobs: JobStore = this;
  readonly backend = "sqlite";
  readonly #db: Database.Database;
  /** The right edge of each tree at the size last committed here. */
  readonly #ranges = new Map<number, CompactRange>();
  readonly #statements = new Map<string, Database.Statement>();

  /** Opens (creating if needed) `veritrail.db` in `dataDir`, or an in-memory database for ":memory:". */
  constructor(options: { dataDir: string | ":memory:"; synchronous: "FULL" | "NORMAL" }) {
    let file = ":memory:";
    if (options.dataDir !== ":memory:") {
      mkdirSync(options.dataDir, { recursive: true });
      file = join(options.dataDir, "veritrail.db");
    }
    this.#db = new Database(file);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma(`synchronous = ${options.synchronous}`);
    this.#db.pragma("foreign_keys = ON");
    this.#db.pragma("busy_timeout = 5000");
  }

  #sql(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    );
    const applied = new Set(
      (this.#db.prepare("SELECT version FROM schema_migrations").all() as Row[]).map((r) =>
        Number(r["version"]),
      ),
    );
    for (const { version, sql } of readMigrations(MIGRATIONS_DIR)) {
      if (applied.has(version)) continue;
      this.#db
        .transaction(() => {
          this.#db.exec(sql);
          // The database's clock, in the ISO form earlier versions wrote: the store reads no time.
          this.#db
            .prepare(
              "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            )
            .run(version);
        })
        .immediate();
    }
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #setup: Promise<unknown> = Promise.resolve();

  async withSetupLock<T>(fn: () => Promise<T>): Promise<T> {
    // One process owns a SQLite file, so an in-process queue is the whole lock.
    const run = this.#setup.then(fn, fn);
    this.#setup = run.catch(() => undefined);
    return run;
  }

  async getFirstProject(): Promise<ProjectRecord | undefined> {
    const row = this.#sql("SELECT * FROM projects ORDER BY created_at, id LIMIT 1").get() as Row | undefined;
    return row && { id: String(row["id"]), name: String(row["name"]), createdAt: String(row["created_at"]) };
  }

  async createProject(project: ProjectRecord): Promise<void> {
    this.#sql("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)").run(
      project.id,
      project.name,
      project.createdAt,
    );
  }

  async createConfig(config: ConfigRecord, treeName: string): Promise<void> {
    this.#db.transaction(() => {
      this.#sql(
        "INSERT INTO configs (id, project_id, name, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(
        config.id,
        config.projectId,
        config.name,
        JSON.stringify(config.settings),
        config.createdAt,
        config.updatedAt,
      );
      this.#sql("INSERT INTO trees (config_id, tree_name) VALUES (?, ?)").run(config.id, treeName);
    })();
  }

  async getConfig(id: string): Promise<ConfigRecord | undefined> {
    const row = this.#sql("SELECT * FROM configs WHERE id = ? AND deleted_at IS NULL").get(id) as
      | Row
      | undefined;
    return row && configFromRow(row);
  }

  async listConfigs(projectId: string): Promise<ConfigRecord[]> {
    const rows = this.#sql(
      "SELECT * FROM configs WHERE project_id = ? AND deleted_at IS NULL ORDER BY created_at, id",
    ).all(projectId) as Row[];
    return rows.map(configFromRow);
  }

  async updateConfig(config: ConfigRecord, expectedUpdatedAt: string): Promise<boolean> {
    const { changes } = this.#sql(
      "UPDATE configs SET name = ?, settings = ?, updated_at = ? WHERE id = ? AND updated_at = ? AND deleted_at IS NULL",
    ).run(config.name, JSON.stringify(config.settings), config.updatedAt, config.id, expectedUpdatedAt);
    return changes === 1;
  }

  async deleteConfig(id: string, deletedAt: string): Promise<boolean> {
    const { changes } = this.#sql(
      "UPDATE configs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
    ).run(deletedAt, id);
    return changes === 1;
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#sql(
      "INSERT INTO signing_keys (config_id, version, key_id, private_key, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(key.configId, key.version, key.keyId, key.privateKey, key.publicKey, key.createdAt);
  }

  async getSigningKey(configId: string): Promise<SigningKeyRecord | undefined> {
    const row = this.#sql("SELECT * FROM signing_keys WHERE config_id = ? ORDER BY version DESC LIMIT 1").get(
      configId,
    ) as Row | undefined;
    return row && signingKeyFromRow(row);
  }

  async updateToken(token: TokenRecord, expectedUpdatedAt: string): Promise<boolean> {
    const { changes } = this.#sql(
      `UPDATE tokens SET name = ?, secret_hash = ?, previous_secret_hash = ?, previous_valid_until = ?,
         expires_at = ?, revoked_at = ?, grants = ?, updated_at = ?
       WHERE id = ? AND updated_at = ?`,
    ).run(...tokenUpdateParams(token), token.id, expectedUpdatedAt);
    return changes === 1;
  }

  async listTokens(projectId: string): Promise<TokenRecord[]> {
    const rows = this.#sql("SELECT * FROM tokens WHERE project_id = ? ORDER BY created_at, id").all(
      projectId,
    ) as Row[];
    return rows.map(tokenFromRow);
  }

  async createToken(token: TokenRecord): Promise<void> {
    this.#sql(`INSERT INTO tokens (${TOKEN_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      ...tokenInsertParams(token),
    );
  }

  async findTokenBySecretHash(secretHash: Buffer): Promise<TokenRecord | undefined> {
    const row = this.#sql("SELECT * FROM tokens WHERE secret_hash = ? OR previous_secret_hash = ?").get(
      secretHash,
      secretHash,
    ) as Row | undefined;
    return row && tokenFromRow(row);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = this.#sql("SELECT * FROM tokens WHERE id = ?").get(id) as Row | undefined;
    return row && tokenFromRow(row);
  }

  async getTreeHead(configId: string): Promise<TreeHead | undefined> {
    const row = this.#sql("SELECT * FROM trees WHERE config_id = ?").get(configId) as Row | undefined;
    return row && treeFromRow(row);
  }

  async appendBatch(
    treeId: number,
    sequence: (head: SequencerHead) => SequencedBatch,
  ): Promise<SequencedBatch> {
    let committed: { batch: SequencedBatch; range: CompactRange } | undefined;
    this.#db
      .transaction(() => {
        const row = this.#sql("SELECT size, last_received_at FROM trees WHERE id = ?").get(treeId) as
          | Row
          | undefined;
        if (!row) throw new Error(`no tree ${treeId}`);
        const size = Number(row["size"]);
        const range = this.#rangeAt(treeId, size).clone();
        const batch = sequence({ size, lastReceivedAt: Number(row["last_received_at"]), range });
        const insertEvent = this.#sql(
          "INSERT INTO events (tree_id, leaf_index, received_at, hash, envelope) VALUES (?, ?, ?, ?, ?)",
        );
        for (const leaf of batch.leaves) {
          insertEvent.run(treeId, leaf.leafIndex, leaf.receivedAt, leaf.hash, leaf.envelope);
        }
        const insertNode = this.#sql(
          "INSERT INTO merkle_nodes (tree_id, level, idx, hash) VALUES (?, ?, ?, ?)",
        );
        for (const node of batch.nodes) insertNode.run(treeId, node.level, node.index, node.hash);
        this.#sql("UPDATE trees SET size = ?, root_hash = ?, last_received_at = ? WHERE id = ?").run(
          batch.size,
          batch.rootHash,
          batch.lastReceivedAt,
          treeId,
        );
        this.#sql("INSERT OR IGNORE INTO tree_roots (tree_id, root_hash, size) VALUES (?, ?, ?)").run(
          treeId,
          batch.rootHash,
          batch.size,
        );
        const complete = this.#sql(
          `UPDATE async_requests SET state = 'done', result = ?, payload = '', owner = NULL, lease_until = NULL
         WHERE id = ? AND state = 'pending'`,
        );
        for (const request of batch.completedRequests) {
          // Exactly once: a request another worker already finished rolls this batch back.
          if (complete.run(request.result, request.id).changes !== 1) {
            throw new AsyncRequestTakenError(request.id);
          }
        }
        committed = { batch, range };
      })
      .immediate();
    if (!committed) throw new Error("append transaction did not run");
    this.#ranges.set(treeId, committed.range);
    return committed.batch;
  }

  /** The tree's right edge at `size`: from the cache when it is current, else from stored subtrees. */
  #rangeAt(treeId: number, size: number): CompactRange {
    const cached = this.#ranges.get(treeId);
    if (cached && cached.size === size) return cached;
    const ids = completeSubtrees(0, size);
    const hashes = this.#readNodesSync(treeId, ids);
    const range = new CompactRange(
      size,
      ids.map((id) => hashes.get(nodeKey(id))!),
    );
    this.#ranges.set(treeId, range);
    return range;
  }

  #readNodesSync(treeId: number, nodes: readonly NodeId[]): Map<string, Buffer> {
    const leaf = this.#sql("SELECT hash FROM events WHERE tree_id = ? AND leaf_index = ?");
    const inner = this.#sql("SELECT hash FROM merkle_nodes WHERE tree_id = ? AND level = ? AND idx = ?");
    const out = new Map<string, Buffer>();
    for (const node of nodes) {
      const key = nodeKey(node);
      if (out.has(key)) continue;
      const row = (
        node.level === 0 ? leaf.get(treeId, node.index) : inner.get(treeId, node.level, node.index)
      ) as Row | undefined;
      if (row) out.set(key, row["hash"] as Buffer);
    }
    return out;
  }

  async readNodes(treeId: number, nodes: readonly NodeId[]): Promise<Map<string, Buffer>> {
    return this.#readNodesSync(treeId, nodes);
  }

  async findSizeOfRoot(treeId: number, rootHash: Buffer): Promise<number | undefined> {
    const row = this.#sql("SELECT size FROM tree_roots WHERE tree_id = ? AND root_hash = ?").get(
      treeId,
      rootHash,
    ) as Row | undefined;
    return row ? Number(row["size"]) : undefined;
  }

  async getLeaf(treeId: number, leafIndex: number): Promise<LeafRecord | undefined> {
    const row = this.#sql("SELECT * FROM events WHERE tree_id = ? AND leaf_index = ?").get(
      treeId,
      leafIndex,
    ) as Row | undefined;
    return row && leafFromRow(row);
  }

  async createAsyncRequest(request: NewAsyncRequest): Promise<void> {
    this.#sql(
      `INSERT INTO async_requests (id, token_id, config_id, endpoint, state, payload, result, error, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      request.id,
      request.tokenId,
      request.configId,
      request.endpoint,
      request.state,
      request.payload,
      request.result ?? null,
      request.error ?? null,
      request.createdAt,
      request.expiresAt,
    );
  }

  async getAsyncRequest(id: string): Promise<AsyncRequestRecord | undefined> {
    const row = this.#sql("SELECT * FROM async_requests WHERE id = ?").get(id) as Row | undefined;
    return row && asyncRequestFromRow(row);
  }

  async claimAsyncRequests(
    owner: string,
    nowMillis: number,
    leaseMs: number,
    limit: number,
  ): Promise<AsyncRequestRecord[]> {
    const now = nowMillis;
    const rows = this.#sql(
      `UPDATE async_requests SET owner = ?, lease_until = ?, attempts = attempts + 1
       WHERE id IN (SELECT id FROM async_requests
                    WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < ?)
                    ORDER BY created_at LIMIT ?)
       RETURNING *`,
    ).all(owner, now + leaseMs, now, limit) as Row[];
    return rows.map(asyncRequestFromRow);
  }

  async tryLease(name: string, owner: string, ms: number, nowMillis: number): Promise<boolean> {
    const row = this.#sql(
      `INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE leases.until < ? OR leases.owner = excluded.owner
       RETURNING owner`,
    ).get(name, owner, nowMillis + ms, nowMillis);
    return row !== undefined;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#sql("DELETE FROM leases WHERE name = ? AND owner = ?").run(name, owner);
  }

  async deleteExpiredAsyncRequests(now: string): Promise<number> {
    return this.#sql("DELETE FROM async_requests WHERE state <> 'pending' AND expires_at < ?").run(now)
      .changes;
  }

  async failAsyncRequest(id: string, error: string): Promise<void> {
    this.#sql(
      "UPDATE async_requests SET state = 'failed', error = ?, payload = '', owner = NULL, lease_until = NULL WHERE id = ? AND state = 'pending'",
    ).run(error, id);
  }

  async postponeAsyncRequest(
    id: string,
    owner: string,
    untilMillis: number,
    lastError: string,
  ): Promise<void> {
    this.#sql(
      "UPDATE async_requests SET owner = NULL, lease_until = ?, last_error = ? WHERE id = ? AND owner = ? AND state = 'pending'",
    ).run(untilMillis, lastError, id, owner);
  }
}
