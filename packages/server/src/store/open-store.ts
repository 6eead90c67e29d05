import type { ServerConfig } from "../config.js";
import type { Store } from "./contract/store.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";

/** The store the configuration asks for: PostgreSQL for a `postgres://` URL, else embedded SQLite. */
export async function openStore(config: ServerConfig): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    return new PostgresStore({ connectionString: config.databaseUrl, poolSize: config.databasePoolSize });
  }
  return new SqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}
