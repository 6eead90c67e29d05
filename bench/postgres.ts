/**
 * The PostgreSQL side of the benchmark: which database to use, and a fresh schema per phase so
 * that every phase starts from an empty store and leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Where the PostgreSQL phases run, or why they do not. */
export type BenchDatabase = { url: string; source: string } | { skipped: string };

/** `VERITRAIL_BENCH_DATABASE_URL`, else `VERITRAIL_TEST_DATABASE_URL` (the tests' database). */
export function benchDatabase(env: NodeJS.ProcessEnv = process.env): BenchDatabase {
  for (const source of ["VERITRAIL_BENCH_DATABASE_URL", "VERITRAIL_TEST_DATABASE_URL"]) {
    const url = env[source];
    if (url) return { url, source };
  }
  return {
    skipped:
      "neither VERITRAIL_BENCH_DATABASE_URL nor VERITRAIL_TEST_DATABASE_URL is set " +
      "(e.g. VERITRAIL_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)",
  };
}

/** The URL without its password, for printing. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/** The same database with `search_path` set to `schema`, as a server process takes it. */
export function schemaUrl(url: string, schema: string): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has("options")) {
    throw new Error("the PostgreSQL URL of the benchmark must not set `options` (it sets search_path)");
  }
  parsed.searchParams.set("options", `-c search_path=${schema}`);
  return parsed.toString();
}

/** One SQL statement on a short-lived connection. */
export async function adminQuery<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The server's version and its `synchronous_commit` (durability of every acknowledged commit). */
export async function postgresSettings(url: string): Promise<{ version: string; synchronousCommit: string }> {
  const [row] = await adminQuery<{ version: string; synchronous_commit: string }>(
    url,
    "SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS synchronous_commit",
  );
  return { version: row!.version, synchronousCommit: row!.synchronous_commit };
}

/** Schemas created and not yet dropped: name → the database URL. */
const activeSchemas = new Map<string, string>();

async function dropSchema(name: string): Promise<void> {
  const url = activeSchemas.get(name);
  if (url === undefined) return;
  activeSchemas.delete(name);
  await adminQuery(url, `DROP SCHEMA IF EXISTS ${name} CASCADE`);
}

/**
 * Runs `fn` with an empty schema of its own (its name, and a URL whose connections use it),
 * and drops the schema afterwards, also when `fn` fails.
 */
export async function withFreshSchema<T>(
  url: string,
  fn: (schema: { name: string; url: string }) => Promise<T>,
): Promise<T> {
  const name = `vt_bench_${randomBytes(6).toString("hex")}`;
  await adminQuery(url, `CREATE SCHEMA ${name}`);
  activeSchemas.set(name, url);
  try {
    return await fn({ name, url: schemaUrl(url, name) });
  } finally {
    await dropSchema(name);
  }
}

/** Drops the schemas of phases still running (on an interrupt, once their servers stopped). */
export async function dropActiveSchemas(): Promise<void> {
  await Promise.allSettled([...activeSchemas.keys()].map(dropSchema));
}
