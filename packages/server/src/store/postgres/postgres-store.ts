import { CompactRange, completeSubtrees, type NodeId, nodeKey } from "@veritrail/core";
import pg from "pg";
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

/** Advisory-lock keys (one 64-bit space per database): migrations and first-start setup. */
const MIGRATION_LOCK = 0x7665_7269_0001n;
const SETUP_LOCK = 0x7665_7269_0002n;

/**
 * PostgreSQL store, for several stateless server processes on one database. Every ordering
 * decision goes through the database: an append locks its tree head row (`FOR UPDATE`), async
 * requests are leased with `FOR UPDATE SKIP LOCKED`, setup and migrations take advisory locks.
 */
export class PostgresStore implements Store {
  /* Each role is this object until the backend is split per role (store/contract/store.ts). */
  readonly log: LogStore = this;
  readonly configs: ConfigStore = this;
  readonly tokens: TokenStore = this;
  readonly jobs: JobStore = this;
  readonly backend = "postgres";
  readonly #pool: pg.Pool;
  /** The right edge of each tree at the size last seen committed by this process. */
  readonly #ranges = new Map<number, CompactRange>();

  /**
   * @param options.schema a schema to work in, created if missing (e.g. one per test). Without it
   *   the connection's own `search_path` applies, which a URL can set with
   *   `?options=-c%20search_path%3Dname`.
   */
  constructor(options: { connectionString: string; schema?: string; poolSize?: number }) {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error(`bad schema name "${options.schema}"`);
    }
    this.#schema = options.schema;
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      // At least 2: an advisory lock holds one connection while the work it guards needs another.
      max: Math.max(2, options.poolSize ?? 10),
      // The schema name was checked above; identifiers cannot be bound parameters.
      ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
    });
    this.#pool.on("error", () => {
      // An idle client lost its connection; the pool replaces it on the next checkout.
    });
  }

  readonly #schema: string | undefined;

  async #query(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query(sql, params)).rows as Row[];
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async #withAdvisoryLock<T>(key: bigint, fn: () => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [key.toString()]);
      try {
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [key.toString()]);
      }
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<void> {
    await this.#withAdvisoryLock(MIGRATION_LOCK, async () => {
      if (this.#schema !== undefined) await this.#query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      await this.#query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
      );
      const applied = new Set(
        (await this.#query("SELECT version FROM schema_migrations")).map((r) => Number(r["version"])),
      );
      for (const { version, sql } of readMigrations(MIGRATIONS_DIR)) {
        if (applied.has(version)) continue;
        await this.#transaction(async (client) => {
          await client.query(sql);
          // The database's clock, in the ISO form earlier versions wrote: the store reads no time.
          await client.query(
            `INSERT INTO schema_migrations (version, applied_at)
             VALUES ($1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
            [version],
          );
        });
      }
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async withSetupLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#withAdvisoryLock(SETUP_LOCK, fn);
  }

  async getFirstProject(): Promise<ProjectRecord | undefined> {
    const [row] = await this.#query("SELECT * FROM projects ORDER BY created_at, id LIMIT 1");
    return row && { id: String(row["id"]), name: String(row["name"]), createdAt: String(row["created_at"]) };
  }

  async createProject(project: ProjectRecord): Promise<void> {
    await this.#query("INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)", [
      project.id,
      project.name,
      project.createdAt,
    ]);
  }

  async createConfig(config: ConfigRecord, treeName: string): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query(
        "INSERT INTO configs (id, project_id, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [
          config.id,
          config.projectId,
          config.name,
          JSON.stringify(config.settings),
          config.createdAt,
          config.updatedAt,
        ],
      );
      await client.query("INSERT INTO trees (config_id, tree_name) VALUES ($1, $2)", [config.id, treeName]);
    });
  }

  async getConfig(id: string): Promise<ConfigRecord | undefined> {
    const [row] = await this.#query("SELECT * FROM configs WHERE id = $1 AND deleted_at IS NULL", [id]);
    return row && configFromRow(row);
  }

  async listConfigs(projectId: string): Promise<ConfigRecord[]> {
    return (
      await this.#query(
        "SELECT * FROM configs WHERE project_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
        [projectId],
      )
    ).map(configFromRow);
  }

  async updateConfig(config: ConfigRecord, expectedUpdatedAt: string): Promise<boolean> {
    const result = await this.#pool.query(
      `UPDATE configs SET name = $1, settings = $2, updated_at = $3
       WHERE id = $4 AND updated_at = $5 AND deleted_at IS NULL`,
      [config.name, JSON.stringify(config.settings), config.updatedAt, config.id, expectedUpdatedAt],
    );
    return result.rowCount === 1;
  }

  async deleteConfig(id: string, deletedAt: string): Promise<boolean> {
    const result = await this.#pool.query(
      "UPDATE configs SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
      [deletedAt, id],
    );
    return result.rowCount === 1;
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.#query(
      `INSERT INTO signing_keys (config_id, version, key_id, private_key, public_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [key.configId, key.version, key.keyId, key.privateKey, key.publicKey, key.createdAt],
    );
  }

  async getSigningKey(configId: string): Promise<SigningKeyRecord | undefined> {
    const [row] = await this.#query(
      "SELECT * FROM signing_keys WHERE config_id = $1 ORDER BY version DESC LIMIT 1",
      [configId],
    );
    return row && signingKeyFromRow(row);
  }

  async updateToken(token: TokenRecord, expectedUpdatedAt: string): Promise<boolean> {
    const result = await this.#pool.query(
      `UPDATE tokens SET name = $1, secret_hash = $2, previous_secret_hash = $3, previous_valid_until = $4,
         expires_at = $5, revoked_at = $6, grants = $7, updated_at = $8
       WHERE id = $9 AND updated_at = $10`,
      [...tokenUpdateParams(token), token.id, expectedUpdatedAt],
    );
    return result.rowCount === 1;
  }

  async listTokens(projectId: string): Promise<TokenRecord[]> {
    return (
      await this.#query("SELECT * FROM tokens WHERE project_id = $1 ORDER BY created_at, id", [projectId])
    ).map(tokenFromRow);
  }

  async createToken(token: TokenRecord): Promise<void> {
    await this.#query(
      `INSERT INTO tokens (${TOKEN_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      tokenInsertParams(token),
    );
  }

  async findTokenBySecretHash(secretHash: Buffer): Promise<TokenRecord | undefined> {
    const [row] = await this.#query(
      "SELECT * FROM tokens WHERE secret_hash = $1 OR previous_secret_hash = $1",
      [secretHash],
    );
    return row && tokenFromRow(row);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const [row] = await this.#query("SELECT * FROM tokens WHERE id = $1", [id]);
    return row && tokenFromRow(row);
  }

  async getTreeHead(configId: string): Promise<TreeHead | undefined> {
    const [row] = await this.#query("SELECT * FROM trees WHERE config_id = $1", [configId]);
    return row && treeFromRow(row);
  }

  async appendBatch(
    treeId: number,
    sequence: (head: SequencerHead) => SequencedBatch,
  ): Promise<SequencedBatch> {
    const { batch, range } = await this.#transaction(async (client) => {
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
        `WITH new_events AS (
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
    return readNodesWith(this.#pool, treeId, nodes);
  }

  async findSizeOfRoot(treeId: number, rootHash: Buffer): Promise<number | undefined> {
    const [row] = await this.#query("SELECT size FROM tree_roots WHERE tree_id = $1 AND root_hash = $2", [
      treeId,
      rootHash,
    ]);
    return row ? Number(row["size"]) : undefined;
  }

  async getLeaf(treeId: number, leafIndex: number): Promise<LeafRecord | undefined> {
    const [row] = await this.#query("SELECT * FROM events WHERE tree_id = $1 AND leaf_index = $2", [
      treeId,
      leafIndex,
    ]);
    return row && leafFromRow(row);
  }

  async createAsyncRequest(request: NewAsyncRequest): Promise<void> {
    await this.#query(
      `INSERT INTO async_requests (id, token_id, config_id, endpoint, state, payload, result, error, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
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
      ],
    );
  }

  async getAsyncRequest(id: string): Promise<AsyncRequestRecord | undefined> {
    const [row] = await this.#query("SELECT * FROM async_requests WHERE id = $1", [id]);
    return row && asyncRequestFromRow(row);
  }

  async claimAsyncRequests(
    owner: string,
    nowMillis: number,
    leaseMs: number,
    limit: number,
  ): Promise<AsyncRequestRecord[]> {
    const now = nowMillis;
    const rows = await this.#query(
      `UPDATE async_requests SET owner = $1, lease_until = $2, attempts = attempts + 1
       WHERE id IN (SELECT id FROM async_requests
                    WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < $3)
                    ORDER BY created_at LIMIT $4
                    FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, now + leaseMs, now, limit],
    );
    return rows.map(asyncRequestFromRow);
  }

  async tryLease(name: string, owner: string, ms: number, nowMillis: number): Promise<boolean> {
    const rows = await this.#query(
      `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE leases.until < $4 OR leases.owner = excluded.owner
       RETURNING owner`,
      [name, owner, nowMillis + ms, nowMillis],
    );
    return rows.length === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#query("DELETE FROM leases WHERE name = $1 AND owner = $2", [name, owner]);
  }

  async deleteExpiredAsyncRequests(now: string): Promise<number> {
    const result = await this.#pool.query(
      "DELETE FROM async_requests WHERE state <> 'pending' AND expires_at < $1",
      [now],
    );
    return result.rowCount ?? 0;
  }

  async postponeAsyncRequest(
    id: string,
    owner: string,
    untilMillis: number,
    lastError: string,
  ): Promise<void> {
    await this.#query(
      "UPDATE async_requests SET owner = NULL, lease_until = $3, last_error = $4 WHERE id = $1 AND owner = $2 AND state = 'pending'",
      [id, owner, untilMillis, lastError],
    );
  }

  async failAsyncRequest(id: string, error: string): Promise<void> {
    await this.#query(
      "UPDATE async_requests SET state = 'failed', error = $2, payload = '', owner = NULL, lease_until = NULL WHERE id = $1 AND state = 'pending'",
      [id, error],
    );
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
  const { rows } = await db.query(
    `SELECT q.level, q.idx, COALESCE(n.hash, e.hash) AS hash
     FROM unnest($2::smallint[], $3::bigint[]) AS q(level, idx)
     LEFT JOIN merkle_nodes n ON q.level > 0 AND n.tree_id = $1 AND n.level = q.level AND n.idx = q.idx
     LEFT JOIN events e ON q.level = 0 AND e.tree_id = $1 AND e.leaf_index = q.idx`,
    [treeId, nodes.map((n) => n.level), nodes.map((n) => n.index)],
  );
  for (const row of rows as Row[]) {
    if (row["hash"]) out.set(`${Number(row["level"])}:${Number(row["idx"])}`, row["hash"] as Buffer);
  }
  return out;
}
