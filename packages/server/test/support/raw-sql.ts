import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { Store } from "../../src/store/contract/store.js";
import type { TestServer } from "./test-server.js";
import { schemaOfStore, TEST_DATABASE_URL } from "./test-store.js";

/**
 * Runs one statement on a test server's database past its store, as someone with access to the
 * database would (tamper tests). `sql` uses `?` placeholders on both backends; its values are bound.
 * Returns the rows it selected.
 */
export async function rawSql(
  server: TestServer,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const { store } = server.service;
  if (store.backend === "sqlite") {
    const db = new Database(join(server.config.dataDir, "veritrail.db"));
    try {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    } finally {
      db.close();
    }
  }
  return postgresStoreSql(store, sql, params);
}

/**
 * Runs one statement on a PostgreSQL test store's schema past the store, on a connection of its
 * own (so also what no transaction may hold, such as `VACUUM`). `?` placeholders, as {@link rawSql}.
 */
export async function postgresStoreSql(
  store: Store,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const schema = schemaOfStore.get(store);
  if (!schema || !TEST_DATABASE_URL) throw new Error("not a PostgreSQL test store");
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query("SELECT set_config('search_path', $1, false)", [schema]);
    let n = 0;
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows;
  } finally {
    await client.end();
  }
}
