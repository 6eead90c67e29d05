import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { NODE_CACHE_ENTRIES } from "../../limits.js";
import { readMigrations } from "../contract/read-migrations.js";
import type { Row } from "../contract/rows.js";
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
import { SqliteCheckpointStore } from "./sqlite-checkpoint-store.js";
import { SqliteConfigStore } from "./sqlite-config-store.js";
import { SqliteErasureStore } from "./sqlite-erasure-store.js";
import { SqliteJobStore } from "./sqlite-job-store.js";
import { SqliteLogStore } from "./sqlite-log-store.js";
import { backfillSearchIndex, SqliteSearchStore } from "./sqlite-search-store.js";
import { SqliteSessionStore } from "./sqlite-session-store.js";
import { SqliteTokenStore } from "./sqlite-token-store.js";
import { StatementCache } from "./statement-cache.js";

/** The schema, as numbered SQL files beside this module (store/contract/read-migrations.ts). */
const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/** The search index migration: the events stored before it are indexed in its transaction. */
const SEARCH_INDEX_VERSION = 7;

/**
 * The embedded default store: one SQLite file in WAL mode, written by one process. Its roles share
 * one connection and one statement cache; appends run in one `BEGIN IMMEDIATE` transaction per
 * group commit.
 *
 * @example
 * const store = new SqliteStore({ dataDir: "./data", synchronous: "FULL" });
 * await store.migrate();
 * await store.log.getTreeHead(configId);
 */
export class SqliteStore implements Store {
  readonly backend = "sqlite";
  readonly log: LogStore;
  readonly configs: ConfigStore;
  readonly tokens: TokenStore;
  readonly jobs: JobStore;
  readonly search: SearchStore;
  readonly sessions: SessionStore;
  readonly checkpoints: CheckpointStore;
  readonly erasure: ErasureStore;
  readonly #db: Database.Database;
  readonly #statements: StatementCache;

  /** Opens (creating if needed) `veritrail.db` in `dataDir`, or an in-memory database for ":memory:". */
  /**
   * @param options.searchRareTermMatches how many matches make a contains term rare enough to be
   *   checked as a set (sqlite-search-store.ts); tests set 0 to hold the other path to the answers.
   * @param options.nodeCacheEntries subtree hashes kept in memory for proofs (NODE_CACHE_ENTRIES by
   *   default); tests that damage the database behind a running server set 0.
   */
  constructor(options: {
    dataDir: string | ":memory:";
    synchronous: "FULL" | "NORMAL";
    searchRareTermMatches?: number;
    nodeCacheEntries?: number;
  }) {
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
    const statements = new StatementCache(this.#db);
    this.log = new SqliteLogStore(statements, options.nodeCacheEntries ?? NODE_CACHE_ENTRIES);
    this.configs = new SqliteConfigStore(statements);
    this.tokens = new SqliteTokenStore(statements);
    this.jobs = new SqliteJobStore(statements);
    this.search = new SqliteSearchStore(statements, options.searchRareTermMatches);
    this.sessions = new SqliteSessionStore(statements);
    this.checkpoints = new SqliteCheckpointStore(statements);
    this.erasure = new SqliteErasureStore(statements);
    this.#statements = statements;
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
          if (version === SEARCH_INDEX_VERSION) backfillSearchIndex(this.#statements);
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
}
