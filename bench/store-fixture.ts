/**
 * What the store-alone bench phases (erasure.ts, retention.ts) share: a store of one backend with
 * the default project bootstrapped in a temporary data directory, and indexed events made as the
 * ingest path makes them, for `appendBatch`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeEvent } from "@veritrail/core";
import { bootstrap } from "../packages/server/src/bootstrap.js";
import { loadConfig } from "../packages/server/src/config.js";
import type { PreparedEntry } from "../packages/server/src/ingest/prepared-entry.js";
import { searchFieldNumbers, searchValuesOf } from "../packages/server/src/store/contract/search.js";
import type { ConfigRecord, EventSchema, Store } from "../packages/server/src/store/contract/store.js";
import { PostgresStore } from "../packages/server/src/store/postgres/postgres-store.js";
import { SqliteStore } from "../packages/server/src/store/sqlite/sqlite-store.js";
import type { SearchBenchEvent } from "./search-events.js";

export interface BenchStore {
  store: Store;
  /** The default configuration that bootstrap made. */
  config: ConfigRecord;
  /** Closes the store and removes the data directory. */
  close(): Promise<void>;
}

/** A migrated, bootstrapped store; on PostgreSQL, `postgresUrl` names a fresh schema. */
export async function openBenchStore(
  backend: "sqlite" | "postgres",
  postgresUrl: string | undefined,
  name: string,
): Promise<BenchStore> {
  const dataDir = mkdtempSync(join(tmpdir(), `veritrail-${name}-bench-`));
  const store: Store =
    backend === "sqlite"
      ? new SqliteStore({ dataDir, synchronous: "NORMAL" })
      : new PostgresStore({ connectionString: postgresUrl!, poolSize: 4 });
  const close = async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await store.migrate();
    const report = await bootstrap(store, loadConfig({ VERITRAIL_DATA_DIR: dataDir }), () =>
      new Date().toISOString(),
    );
    return { store, config: (await store.configs.getConfig(report!.configId))!, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `count` events from `next`, each with the search rows the ingest path writes for it. */
export function indexedEntries(
  count: number,
  schema: EventSchema,
  next: () => SearchBenchEvent,
): PreparedEntry[] {
  const numbers = searchFieldNumbers(schema);
  return Array.from({ length: count }, () => {
    const event = normalizeEvent({ ...next() });
    return { event, search: searchValuesOf(event, schema, numbers) };
  });
}
