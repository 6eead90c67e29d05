import type { ServerConfig } from "../config.js";
import { SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/** The store the configuration asks for: PostgreSQL for a `postgres://` URL, else embedded SQLite. */
export async function openStore(config: ServerConfig): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    throw new Error("PostgreSQL is not available in this build");
  }
  return new SqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}
