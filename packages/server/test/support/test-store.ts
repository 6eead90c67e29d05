import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Store } from "../../src/store/contract/store.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

/*
 * Test stores. `VERITRAIL_TEST_DATABASE_URL` names a PostgreSQL database for tests; when it is set
 * and unreachable, the PostgreSQL tests fail. Only without it are they skipped, saying so.
 * `VERITRAIL_TEST_STORE=postgres` runs the integration tests on PostgreSQL instead of SQLite.
 */

export const TEST_DATABASE_URL = process.env["VERITRAIL_TEST_DATABASE_URL"] || undefined;

export const POSTGRES_SKIP_REASON =
  "PostgreSQL tests skipped: VERITRAIL_TEST_DATABASE_URL is not set (CI sets it to postgres://postgres@127.0.0.1:5432/test)";

/** Which backend the integration tests run on: `VERITRAIL_TEST_STORE=postgres` or SQLite (default). */
export function testStoreKind(): "sqlite" | "postgres" {
  return process.env["VERITRAIL_TEST_STORE"] === "postgres" ? "postgres" : "sqlite";
}

/** A schema name no other test uses. */
function freshSchema(): string {
  return `vt_test_${randomBytes(6).toString("hex")}`;
}

/** Drops a test schema and everything in it. */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL schema each test store works in, for tests that reach past the store (tamper tests). */
export const schemaOfStore = new WeakMap<Store, string>();

/**
 * A new, empty store of the given kind; `close` also removes what the store wrote.
 * `nodeCacheEntries: 0` is for tests that damage the database behind the running server: with
 * the cache, the server would go on proving from the subtree hashes it read before.
 */
export async function openTestStore(
  dataDir: string,
  kind: "sqlite" | "postgres" = testStoreKind(),
  options: { nodeCacheEntries?: number } = {},
): Promise<Store> {
  if (kind === "sqlite") return new SqliteStore({ dataDir, synchronous: "NORMAL", ...options });
  if (!TEST_DATABASE_URL) throw new Error("VERITRAIL_TEST_STORE=postgres needs VERITRAIL_TEST_DATABASE_URL");
  const schema = freshSchema();
  const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 8, ...options });
  schemaOfStore.set(store, schema);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await dropSchema(schema);
  };
  return store;
}

/**
 * A new, empty store of the given kind in a place of its own (a temporary folder, a new schema),
 * which `close` removes: what the conformance suites open for each case.
 */
export async function openFreshTestStore(kind: "sqlite" | "postgres"): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), "veritrail-store-"));
  const store = await openTestStore(dataDir, kind);
  const close = store.close.bind(store);
  store.close = async () => {
    try {
      await close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  return store;
}

/** A PostgreSQL store on a schema shared by several stores (several "processes" on one database). */
export function openSharedPostgresStore(schema: string): PostgresStore {
  if (!TEST_DATABASE_URL) throw new Error("needs VERITRAIL_TEST_DATABASE_URL");
  return new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
}

/** Runs `run` on a new, migrated store of `kind`, and removes the store after. */
export async function withFreshStore(
  kind: "sqlite" | "postgres",
  run: (store: Store) => Promise<void>,
): Promise<void> {
  const store = await openFreshTestStore(kind);
  try {
    await store.migrate();
    await run(store);
  } finally {
    await store.close();
  }
}

/**
 * Runs `race` on three stores that share one database, as three processes would: on SQLite one
 * store three times (one process owns the file), on PostgreSQL three stores with their own pools
 * on one fresh schema. The schema and the file are removed after.
 */
export async function withThreeStores(
  kind: "sqlite" | "postgres",
  race: (stores: readonly Store[]) => Promise<void>,
): Promise<void> {
  if (kind === "sqlite") return withFreshStore("sqlite", (store) => race([store, store, store]));
  const schema = freshSchema();
  const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
  try {
    await stores[0]!.migrate();
    await race(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(schema);
  }
}

export { dropSchema, freshSchema };
