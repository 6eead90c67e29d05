import pg from "pg";
import { NODE_CACHE_ENTRIES } from "../../limits.js";
import { readMigrations } from "../contract/read-migrations.js";
import type {
  CheckpointStore,
  ConfigStore,
  ErasureStore,
  JobStore,
  LogStore,
  SearchStore,
  SessionStore,
  Store,
  TokenStore,
} from "../contract/store.js";
import { PostgresCheckpointStore } from "./postgres-checkpoint-store.js";
import { PostgresConfigStore } from "./postgres-config-store.js";
import { PostgresErasureStore } from "./postgres-erasure-store.js";
import { PostgresJobStore } from "./postgres-job-store.js";
import { PostgresLogStore } from "./postgres-log-store.js";
import { query, transaction, withAdvisoryLock } from "./postgres-pool.js";
import { backfillSearchIndex, PostgresSearchStore } from "./postgres-search-store.js";
import { PostgresSessionStore } from "./postgres-session-store.js";
import { PostgresTokenStore } from "./postgres-token-store.js";

/** The schema, as numbered SQL files beside this module (store/contract/read-migrations.ts). */
const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/** The search index migration: the events stored before it are indexed in its transaction. */
const SEARCH_INDEX_VERSION = 7;

/** Advisory-lock keys (one 64-bit space per database): migrations and first-start setup. */
const MIGRATION_LOCK = 0x7665_7269_0001n;
const SETUP_LOCK = 0x7665_7269_0002n;

/**
 * PostgreSQL store, for several stateless server processes on one database. Every ordering
 * decision goes through the database: an append locks its tree head row (`FOR UPDATE`), async
 * requests are leased with `FOR UPDATE SKIP LOCKED`, setup and migrations take advisory locks.
 * Its roles share one pool.
 *
 * @example
 * const store = new PostgresStore({ connectionString: "postgres://127.0.0.1/veritrail", poolSize: 10 });
 * await store.migrate();
 * await store.log.getTreeHead(configId);
 */
export class PostgresStore implements Store {
  readonly backend = "postgres";
  readonly log: LogStore;
  readonly configs: ConfigStore;
  readonly tokens: TokenStore;
  readonly jobs: JobStore;
  readonly search: SearchStore;
  readonly sessions: SessionStore;
  readonly checkpoints: CheckpointStore;
  readonly erasure: ErasureStore;
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;

  /**
   * @param options.schema a schema to work in, created if missing (e.g. one per test). Without it
   *   the connection's own `search_path` applies, which a URL can set with
   *   `?options=-c%20search_path%3Dname`.
   * @param options.nodeCacheEntries subtree hashes kept in memory for proofs (NODE_CACHE_ENTRIES by
   *   default); tests that damage the database behind a running server set 0.
   */
  constructor(options: {
    connectionString: string;
    schema?: string;
    poolSize?: number;
    nodeCacheEntries?: number;
  }) {
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
    this.log = new PostgresLogStore(this.#pool, options.nodeCacheEntries ?? NODE_CACHE_ENTRIES);
    this.configs = new PostgresConfigStore(this.#pool);
    this.tokens = new PostgresTokenStore(this.#pool);
    this.jobs = new PostgresJobStore(this.#pool);
    this.search = new PostgresSearchStore(this.#pool);
    this.sessions = new PostgresSessionStore(this.#pool);
    this.checkpoints = new PostgresCheckpointStore(this.#pool);
    this.erasure = new PostgresErasureStore(this.#pool);
  }

  async migrate(): Promise<void> {
    await withAdvisoryLock(this.#pool, MIGRATION_LOCK, async () => {
      // The schema name was checked in the constructor; identifiers cannot be bound parameters.
      if (this.#schema !== undefined) await query(this.#pool, `CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      await query(
        this.#pool,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
      );
      const applied = new Set(
        (await query(this.#pool, "SELECT version FROM schema_migrations")).map((r) => Number(r["version"])),
      );
      for (const { version, sql } of readMigrations(MIGRATIONS_DIR)) {
        if (applied.has(version)) continue;
        await transaction(this.#pool, async (client) => {
          await client.query(sql);
          if (version === SEARCH_INDEX_VERSION) await backfillSearchIndex(client);
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
    return withAdvisoryLock(this.#pool, SETUP_LOCK, fn);
  }
}
