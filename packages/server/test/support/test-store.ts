import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/store.js";

/** Which backend the integration tests run on: `VERITRAIL_TEST_STORE=postgres` or SQLite (default). */
export function testStoreKind(): "sqlite" | "postgres" {
  return process.env["VERITRAIL_TEST_STORE"] === "postgres" ? "postgres" : "sqlite";
}

/** A new, empty store of the selected kind. */
export async function openTestStore(dataDir: string): Promise<Store> {
  if (testStoreKind() === "postgres") throw new Error("PostgreSQL test stores arrive with the PostgreSQL backend");
  return new SqliteStore({ dataDir, synchronous: "NORMAL" });
}
