/**
 * Ceilings: the same work as the server's ingest path with everything else taken away, run in
 * the orchestrator while the server is idle. A figure divided by its ceiling says how much of
 * the machine the server's own code costs on top of the unavoidable part.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { PostgresStore } from "../packages/server/src/store/postgres/postgres-store.js";
import { SqliteStore } from "../packages/server/src/store/sqlite/sqlite-store.js";

/** Runs `step` (which does `unitsPerStep` units) until `seconds` have passed; units per second. */
function ratePerSecond(seconds: number, unitsPerStep: number, step: () => void): number {
  const start = performance.now();
  const end = start + seconds * 1000;
  let units = 0;
  let now = start;
  while (now < end) {
    step();
    units += unitsPerStep;
    now = performance.now();
  }
  return units / ((now - start) / 1000);
}

/** SHA-256 of envelope texts with `node:crypto`, as the server hashes each leaf: hashes/s. */
export function sha256Ceiling(texts: readonly string[], seconds: number): number {
  let next = 0;
  const chunk = 1000;
  return ratePerSecond(seconds, chunk, () => {
    for (let i = 0; i < chunk; i++) {
      createHash("sha256").update(texts[next]!, "utf8").digest();
      next = (next + 1) % texts.length;
    }
  });
}

/**
 * Rows of the events table written in transactions of `batchSize` rows, with nothing else in
 * the transaction: rows/s. The table is the server's own (a store is created and migrated in a
 * temporary directory), opened in WAL mode with the server's `synchronous` setting.
 */
export async function sqliteInsertCeiling(options: {
  texts: readonly string[];
  batchSize: number;
  synchronous: "FULL" | "NORMAL";
  seconds: number;
}): Promise<number> {
  const { texts, batchSize, synchronous, seconds } = options;
  const dir = mkdtempSync(join(tmpdir(), "veritrail-bench-sqlite-"));
  try {
    const file = await createEventsTable(dir, synchronous);
    const db = new Database(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${synchronous}`);
      const hashes = texts.map((text) => createHash("sha256").update(text, "utf8").digest());
      const insert = db.prepare(
        "INSERT INTO events (tree_id, leaf_index, received_at, hash, envelope) VALUES (?, ?, ?, ?, ?)",
      );
      let leafIndex = 0;
      const receivedAt = Date.now() * 1000;
      const writeBatch = db.transaction(() => {
        for (let i = 0; i < batchSize; i++) {
          const row = leafIndex % texts.length;
          insert.run(1, leafIndex, receivedAt + leafIndex, hashes[row]!, texts[row]!);
          leafIndex += 1;
        }
      });
      return ratePerSecond(seconds, batchSize, () => writeBatch.immediate());
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like `ratePerSecond`, for an asynchronous step. */
async function ratePerSecondAsync(
  seconds: number,
  unitsPerStep: number,
  step: () => Promise<void>,
): Promise<number> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let units = 0;
  let now = start;
  while (now < end) {
    await step();
    units += unitsPerStep;
    now = performance.now();
  }
  return units / ((now - start) / 1000);
}

/** A value for COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === "\t" ? "\\t" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\\\",
  );
}

/**
 * Rows of the events table loaded with `COPY … FROM STDIN`, `batchSize` rows per COPY (each its
 * own transaction, committed with the database's `synchronous_commit`), nothing else: rows/s.
 * The table is the server's own: `url` names an empty schema (its `search_path`), which a
 * PostgreSQL store migrates first. COPY is the fastest way into a PostgreSQL table, so this
 * bounds what any ingest path can write there.
 */
export async function postgresCopyCeiling(options: {
  url: string;
  texts: readonly string[];
  batchSize: number;
  seconds: number;
}): Promise<number> {
  const { url, texts, batchSize, seconds } = options;
  const store = new PostgresStore({ connectionString: url });
  await store.migrate();
  await store.close();
  // Everything of a row after its leaf index and received_at, escaped once: the hash in bytea's hex
  // form (`\\x…`, its backslash doubled for COPY), then the envelope.
  const tails = texts.map(
    (text) => `\t\\\\x${createHash("sha256").update(text, "utf8").digest("hex")}\t${copyText(text)}\n`,
  );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let leafIndex = 0;
    const receivedAt = Date.now() * 1000;
    return await ratePerSecondAsync(seconds, batchSize, async () => {
      const rows: string[] = [];
      for (let i = 0; i < batchSize; i++) {
        rows.push(`1\t${leafIndex}\t${receivedAt + leafIndex}${tails[leafIndex % texts.length]!}`);
        leafIndex += 1;
      }
      const copy = client.query(
        copyFrom("COPY events (tree_id, leaf_index, received_at, hash, envelope) FROM STDIN"),
      );
      await pipeline(Readable.from([Buffer.from(rows.join(""), "utf8")]), copy);
    });
  } finally {
    await client.end();
  }
}

/** Creates an empty server database in `dir` and returns its file. */
async function createEventsTable(dir: string, synchronous: "FULL" | "NORMAL"): Promise<string> {
  const store = new SqliteStore({ dataDir: dir, synchronous });
  await store.migrate();
  await store.close();
  const file = join(dir, "veritrail.db");
  if (!existsSync(file)) throw new Error(`the store did not create ${file}`);
  return file;
}
