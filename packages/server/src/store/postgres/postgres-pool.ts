import type pg from "pg";
import type { Row } from "../contract/rows.js";

/*
 * What the PostgreSQL roles share: one pool per store, and these helpers over it. A role runs a
 * single statement on the pool (any free connection) and several in `transaction`, which holds
 * one connection from BEGIN to COMMIT.
 */

/** The rows of one statement; `sql` MUST be a constant, its values passed as `params`. */
export async function query(
  db: pg.Pool | pg.PoolClient,
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  return (await db.query(sql, params)).rows as Row[];
}

/** How many rows one statement wrote. */
export async function rowCount(db: pg.Pool | pg.PoolClient, sql: string, params: unknown[]): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0;
}

/**
 * Runs `fn` in one transaction on one connection: committed if it resolves, rolled back if it
 * throws. `settings`, constant `SET LOCAL` statements (no parameters), go with the `BEGIN` in one
 * round trip and last until the transaction ends.
 */
export async function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  settings?: string,
): Promise<T> {
  const client = await pool.connect();
  try {
    // biome-ignore lint/style/useTemplate: SQL is joined from constant fragments, never interpolated into a template (test/store-conformance.test.ts).
    await client.query(settings === undefined ? "BEGIN" : "BEGIN; " + settings);
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

/**
 * Runs `fn` while holding the session advisory lock `key`, across every process on the database.
 * The lock holds a connection of its own for the whole run, so `fn` MUST NOT need every
 * connection of the pool.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, key: bigint, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
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
