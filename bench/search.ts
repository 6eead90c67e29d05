/**
 * The search phases of `npm run bench`, on one backend: one configuration filled with 1,000,000
 * events of skewed, realistic content (search-events.ts) through the store's own append path
 * (sequenceBatch and appendBatch, as the server commits them, without HTTP to keep the run
 * short; on PostgreSQL then `VACUUM ANALYZE`d, as autovacuum would soon be), then, over HTTP
 * against the real service in a child process, p50 and p99 of:
 * - `exact`: `actor=…` (one actor of 500: ~2,000 matches);
 * - `rare`: `message:<rare word>` (a word of rank 4,000 of 5,000: about 230 matches);
 * - `common`: `message:<most common word>` (one word in nine, so in ~60% of messages; the count
 *   stops at 10,000);
 * - `newest20_day`: the empty query in a one-day window, newest 20;
 * - `tenant_*`: a tenant's reads (one tenant of 50, ~20,000 events), as a token restricted to it
 *   makes them: its newest 20, `action=login` (~4,000 matches), the rare and the common term;
 * - `results_page`: `v1/results` at offset 5,000 of the common-term result set.
 * Beside each, its ceiling: the same search issued to the store directly in this process (the
 * SQL alone, without HTTP, auth, proofs or JSON), and for the rare term an unindexed `LIKE` scan
 * of the envelopes (what the index saves). Also: bulk ingest with every search index as a ratio
 * to ingest without index rows (same events, same store, same run), the store's bytes per event
 * beside the canonical envelope's, and export throughput in events/s.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type FieldRestrictions,
  normalizeEvent,
  parseQuery,
  restrictQuery,
  type SearchSchema,
} from "@veritrail/core";
import Database from "better-sqlite3";
import pg from "pg";
import { bootstrap } from "../packages/server/src/bootstrap.js";
import { loadConfig } from "../packages/server/src/config.js";
import type { PreparedEntry } from "../packages/server/src/ingest/prepared-entry.js";
import { sequenceBatch } from "../packages/server/src/ingest/sequence-batch.js";
import { newTreeName } from "../packages/server/src/log/tree-name.js";
import {
  type SearchQuery,
  searchFieldNumbers,
  searchValuesOf,
} from "../packages/server/src/store/contract/search.js";
import type { Store } from "../packages/server/src/store/contract/store.js";
import { PostgresStore } from "../packages/server/src/store/postgres/postgres-store.js";
import { SqliteStore } from "../packages/server/src/store/sqlite/sqlite-store.js";
import { adminQuery } from "./postgres.js";
import { searchEvents, word } from "./search-events.js";
import { BENCH_ADMIN_TOKEN, BENCH_AUDIT_TOKEN, startBenchServer } from "./server-process.js";

export interface SearchBenchOptions {
  backend: "sqlite" | "postgres";
  /** Events in the searched configuration (1,000,000; fewer in a quick run). */
  events: number;
  /** Events in each of the two trees of the ingest ratio. */
  ratioEvents: number;
  /** Timed requests per query. */
  repeats: number;
  /** For PostgreSQL: a URL whose connections use a fresh schema, and that schema's name. */
  postgres?: { url: string; schema: string };
  record(name: string, value: number, unit: string): void;
  progress(message: string): void;
}

const BATCH = 4000;
/** Requests of each query before any is timed (fewer for a query that takes long). */
const WARMUP_REPEATS = 30;
const DAY_MICROS = 86_400_000_000;
/** The events' received_at spans this many days, ending now. */
const SPAN_DAYS = 30;

interface Timing {
  p50: number;
  p99: number;
}

function percentiles(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Repeats `fn` up to `repeats` times, or for at most `budgetMs` (a slow query gets fewer samples). */
async function timed(repeats: number, fn: () => Promise<unknown>, budgetMs = 15_000): Promise<Timing> {
  await fn(); // warm caches and statements once
  const samples: number[] = [];
  const until = performance.now() + budgetMs;
  for (let i = 0; i < repeats && (i < 3 || performance.now() < until); i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return percentiles(samples);
}

/** Appends `count` generated events to a tree through the store's commit path; with or without index rows. */
async function fill(
  store: Store,
  treeId: number,
  schema: SearchSchema,
  count: number,
  options: { seed: number; index: boolean; startMicros: number; spanMicros: number },
): Promise<{ seconds: number; envelopeBytes: number }> {
  const numbers = searchFieldNumbers(schema);
  const next = searchEvents(options.seed);
  const batches = Math.ceil(count / BATCH);
  let envelopeBytes = 0;
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    const entries: PreparedEntry[] = [];
    for (let i = 0; i < Math.min(BATCH, count - b * BATCH); i++) {
      const event = normalizeEvent({ ...next() });
      const entry: PreparedEntry = { event };
      if (options.index) entry.search = searchValuesOf(event, schema, numbers);
      entries.push(entry);
    }
    const now = options.startMicros + Math.floor((b * options.spanMicros) / batches);
    const batch = await store.log.appendBatch(treeId, (head) => sequenceBatch(head, [{ entries }], now));
    for (const leaf of batch.leaves) envelopeBytes += Buffer.byteLength(leaf.envelope);
  }
  return { seconds: (performance.now() - start) / 1000, envelopeBytes };
}

/** A new configuration with the default schema in the bench project, and its tree. */
async function newConfig(store: Store, template: string, name: string) {
  const base = (await store.configs.getConfig(template))!;
  const id = `pci_${name.padEnd(32, "a").slice(0, 32)}`;
  await store.configs.createConfig({ ...base, id, name }, newTreeName());
  return (await store.log.getTreeHead(id))!;
}

/** Seconds to `VACUUM ANALYZE` the tables of the schema that `url`'s connections use. */
async function vacuumAnalyze(url: string): Promise<number> {
  const start = performance.now();
  await adminQuery(url, "VACUUM ANALYZE events, search_texts, search_numbers");
  return (performance.now() - start) / 1000;
}

async function storeBytes(options: SearchBenchOptions, dataDir: string): Promise<number> {
  if (options.backend === "sqlite") {
    return readdirSync(dataDir)
      .filter((name) => name.startsWith("veritrail.db"))
      .reduce((sum, name) => sum + statSync(join(dataDir, name)).size, 0);
  }
  const client = new pg.Client({ connectionString: options.postgres!.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
      [options.postgres!.schema],
    );
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

/**
 * The bytes of the search index alone: the value and trigram tables with their indexes, and the
 * index of the events by time that windows use. On SQLite the pages of those b-trees (`dbstat`),
 * on PostgreSQL the relations' sizes.
 */
async function searchIndexBytes(options: SearchBenchOptions, dataDir: string): Promise<number> {
  if (options.backend === "sqlite") {
    const db = new Database(join(dataDir, "veritrail.db"), { readonly: true });
    try {
      const row = db
        .prepare(
          "SELECT COALESCE(SUM(pgsize), 0) AS bytes FROM dbstat WHERE name LIKE 'search\\_%' ESCAPE '\\' OR name = 'events_by_received_at'",
        )
        .get() as { bytes: number };
      return row.bytes;
    } finally {
      db.close();
    }
  }
  const [row] = await adminQuery<{ bytes: string }>(
    options.postgres!.url,
    "SELECT pg_total_relation_size('search_texts') + pg_total_relation_size('search_numbers') + pg_relation_size('events_by_received_at') AS bytes",
  );
  return Number(row!.bytes);
}

/** An answer's parts the bench reads; anything else it ignores. */
interface Answer {
  status: number;
  json: { request_id: string; result: { id: string; count: number } };
}

async function post(baseUrl: string, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_AUDIT_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer["json"] };
}

export async function runSearchBench(options: SearchBenchOptions): Promise<void> {
  const { backend, record, progress } = options;
  const p = (name: string) => `${backend === "postgres" ? "pg_" : ""}search_${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), "veritrail-search-bench-"));
  const env = {
    VERITRAIL_DATA_DIR: dataDir,
    VERITRAIL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    VERITRAIL_INIT_AUDIT_TOKEN: BENCH_AUDIT_TOKEN,
    ...(options.postgres ? { VERITRAIL_DATABASE_URL: options.postgres.url } : {}),
  };
  const open = (): Store =>
    backend === "sqlite"
      ? new SqliteStore({ dataDir, synchronous: "NORMAL" })
      : new PostgresStore({ connectionString: options.postgres!.url, poolSize: 4 });
  try {
    // 1. Fill one configuration through the append path, and measure what its indexes cost.
    const store = open();
    await store.migrate();
    const report = await bootstrap(store, loadConfig(env), () => new Date().toISOString());
    const configId = report!.configId;
    const config = (await store.configs.getConfig(configId))!;
    const schema = config.settings.schema;
    const head = (await store.log.getTreeHead(configId))!;
    const nowMicros = Date.now() * 1000;
    const span = SPAN_DAYS * DAY_MICROS;
    progress(`search (${backend}): appending ${options.events} events through the store`);
    const filled = await fill(store, head.id, schema, options.events, {
      seed: 7,
      index: true,
      startMicros: nowMicros - span,
      spanMicros: span,
    });
    record(p("build_events_per_s"), options.events / filled.seconds, "events/s");

    progress(`search (${backend}): ingest ratio, ${options.ratioEvents} events with and without index rows`);
    const withTree = await newConfig(store, configId, "ratiowith");
    const withoutTree = await newConfig(store, configId, "ratiowithout");
    const fillOptions = { seed: 11, startMicros: nowMicros - span, spanMicros: span };
    const without = await fill(store, withoutTree.id, schema, options.ratioEvents, {
      ...fillOptions,
      index: false,
    });
    const withIndex = await fill(store, withTree.id, schema, options.ratioEvents, {
      ...fillOptions,
      index: true,
    });
    record(p("ingest_with_indexes_events_per_s"), options.ratioEvents / withIndex.seconds, "events/s");
    record(p("ingest_without_indexes_events_per_s"), options.ratioEvents / without.seconds, "events/s");
    record(p("ingest_indexed_vs_unindexed"), without.seconds / withIndex.seconds, "ratio");
    // What the trigram index alone allows: the same texts into a bare trigram index, nothing else.
    const trigramSeconds = await trigramCeiling(options, dataDir, options.ratioEvents);
    record(p("trigram_insert_ceiling_events_per_s"), options.ratioEvents / trigramSeconds, "events/s");
    record(p("ingest_indexed_vs_trigram_ceiling"), trigramSeconds / withIndex.seconds, "ratio");
    await store.close();
    if (options.postgres) {
      // What autovacuum does within minutes of a bulk load, done at once: statistics for the
      // planner, and the visibility map that lets an index answer alone (without it, every
      // entry an index-only scan reads costs a heap fetch, as on a table loaded a moment ago).
      progress("search (postgres): VACUUM ANALYZE after the load");
      record(p("vacuum_analyze_s"), await vacuumAnalyze(options.postgres.url), "s");
    }

    const totalEvents = options.events + 2 * options.ratioEvents;
    const totalEnvelope = filled.envelopeBytes + without.envelopeBytes + withIndex.envelopeBytes;
    const bytes = await storeBytes(options, dataDir);
    record(p("store_bytes_per_event"), bytes / totalEvents, "bytes");
    record(p("envelope_bytes_per_event"), totalEnvelope / totalEvents, "bytes");
    record(p("store_vs_envelope"), bytes / totalEnvelope, "ratio");
    // The floor under the storage target: what the store holds besides its search index.
    const unindexed = bytes - (await searchIndexBytes(options, dataDir));
    record(p("store_without_search_index_bytes_per_event"), unindexed / totalEvents, "bytes");
    record(p("store_without_search_index_vs_envelope"), unindexed / totalEnvelope, "ratio");

    // 2. The queries, over HTTP against the service, and against the store alone.
    const rare = word(4000);
    const common = word(0);
    const dayEnd = new Date((nowMicros - 10 * DAY_MICROS) / 1000);
    const dayStart = new Date(dayEnd.getTime() - 86_400_000);
    // A tenant's reads, as a token restricted to it makes them: its field restriction is ANDed to
    // every query exactly as a request's `search_restriction` is (core restrict.ts).
    const tenant = { tenant_id: ["tenant7"] };
    const queries: { name: string; body: Record<string, unknown> }[] = [
      { name: "exact", body: { query: "actor=user123@example.com" } },
      { name: "rare", body: { query: `message:${rare}` } },
      { name: "common", body: { query: `message:${common}` } },
      { name: "newest20_day", body: { query: "", start: dayStart.toISOString(), end: dayEnd.toISOString() } },
      { name: "tenant_newest20", body: { query: "", search_restriction: tenant } },
      { name: "tenant_exact", body: { query: "action=login", search_restriction: tenant } },
      { name: "tenant_rare", body: { query: `message:${rare}`, search_restriction: tenant } },
      { name: "tenant_common", body: { query: `message:${common}`, search_restriction: tenant } },
    ];
    const server = await startBenchServer({
      dataDir,
      ...(options.postgres ? { databaseUrl: options.postgres.url } : {}),
    });
    const direct = open();
    try {
      const base = { limit: 20, order: "desc", order_by: "received_at", start: "60d", verbose: true };
      // The server compiles its code as it runs: timed on a fresh process, the first query
      // measured its warm-up too (SQLite exact 9.1 ms, against 5.6 after this warm-up).
      progress(`search (${backend}): warming the server up with every query`);
      for (const { body } of queries) {
        await timed(WARMUP_REPEATS, () => post(server.baseUrl, "/v1/search", { ...base, ...body }), 2000);
      }
      for (const { name, body } of queries) {
        const check = await post(server.baseUrl, "/v1/search", { ...base, ...body });
        if (check.status !== 200)
          throw new Error(`search ${name} answered ${check.status}: ${JSON.stringify(check.json)}`);
        record(p(`${name}_count`), check.json.result.count, "events");
        const http = await timed(options.repeats, () =>
          post(server.baseUrl, "/v1/search", { ...base, ...body }),
        );
        record(p(`${name}_p50_ms`), http.p50, "ms");
        record(p(`${name}_p99_ms`), http.p99, "ms");

        const parsed = parseQuery(String(body["query"]), schema);
        if (!parsed.ok) throw new Error(`bad bench query ${name}`);
        const query: SearchQuery = {
          treeId: head.id,
          schema,
          fieldNumbers: searchFieldNumbers(schema),
          where: restrictQuery(parsed.ast, schema, {
            request: body["search_restriction"] as FieldRestrictions | undefined,
          }),
          startMicros: body["start"] ? Date.parse(String(body["start"])) * 1000 : nowMicros - 60 * DAY_MICROS,
          endMicros: body["end"] ? Date.parse(String(body["end"])) * 1000 : undefined,
          order: "desc",
          orderBy: { kind: "received_at" },
          limit: 10_000,
        };
        const sql = await timed(options.repeats, () => direct.search.searchLeaves(query));
        record(p(`${name}_store_p50_ms`), sql.p50, "ms");
        record(p(`${name}_store_p99_ms`), sql.p99, "ms");
        record(p(`${name}_http_vs_store`), http.p50 / Math.max(sql.p50, 0.001), "ratio");
      }

      const made = await post(server.baseUrl, "/v1/search", { ...base, query: `message:${common}` });
      const id = made.json.result.id;
      const page = await timed(options.repeats, () =>
        post(server.baseUrl, "/v1/results", { id, limit: 20, offset: 5000 }),
      );
      record(p("results_page_p50_ms"), page.p50, "ms");
      record(p("results_page_p99_ms"), page.p99, "ms");

      // What the index saves: the rare term found by scanning every envelope of the tree.
      const like = await timed(Math.max(3, Math.floor(options.repeats / 10)), () =>
        unindexedScan(options, dataDir, head.id, rare),
      );
      record(p("rare_like_scan_p50_ms"), like.p50, "ms");

      // Export throughput: every event of the configuration, streamed into a file.
      const started = performance.now();
      const accepted = await post(server.baseUrl, "/v1/export", {
        format: "json",
        start: "60d",
        verbose: false,
      });
      if (accepted.status === 202) {
        const requestId = accepted.json.request_id;
        for (;;) {
          const polled = await fetch(`${server.baseUrl}/request/${requestId}`, {
            headers: { authorization: `Bearer ${BENCH_AUDIT_TOKEN}` },
          });
          if (polled.status !== 202) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        record(p("export_events_per_s"), options.events / ((performance.now() - started) / 1000), "events/s");
      } else {
        progress(`search (${backend}): export answered ${accepted.status}; no export figure`);
      }
    } finally {
      await direct.close();
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Seconds to put the string and text values of `count` generated events (one row per value, as
 * the store's index holds them) into a bare trigram index, in transactions of one batch: on
 * SQLite a contentless FTS5 `trigram` table in a database of its own, on PostgreSQL a table with
 * a GIN `gin_trgm_ops` index. The bound on what indexed ingest can reach.
 */
async function trigramCeiling(options: SearchBenchOptions, dataDir: string, count: number): Promise<number> {
  const next = searchEvents(11);
  const batches: string[][] = [];
  for (let done = 0; done < count; done += BATCH) {
    const texts: string[] = [];
    for (let i = 0; i < Math.min(BATCH, count - done); i++) texts.push(...Object.values(next()));
    batches.push(texts);
  }
  if (options.backend === "sqlite") {
    const db = new Database(join(dataDir, "trigram-ceiling.db"));
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec("CREATE VIRTUAL TABLE t USING fts5(text, content='', tokenize='trigram case_sensitive 1')");
      const insert = db.prepare("INSERT INTO t (text) VALUES (?)");
      const write = db.transaction((texts: string[]) => {
        for (const text of texts) insert.run(text);
      });
      const start = performance.now();
      for (const texts of batches) write(texts);
      return (performance.now() - start) / 1000;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: options.postgres!.url });
  await client.connect();
  try {
    await client.query("CREATE TABLE trigram_ceiling (text TEXT NOT NULL)");
    await client.query("CREATE INDEX ON trigram_ceiling USING gin (text public.gin_trgm_ops)");
    const start = performance.now();
    for (const texts of batches) {
      await client.query("BEGIN");
      await client.query("INSERT INTO trigram_ceiling (text) SELECT unnest($1::text[])", [texts]);
      await client.query("COMMIT");
    }
    const seconds = (performance.now() - start) / 1000;
    await client.query("DROP TABLE trigram_ceiling");
    return seconds;
  } finally {
    await client.end();
  }
}

/** `LIKE '%term%'` over the envelopes of a tree, newest 20: the search without its index. */
async function unindexedScan(options: SearchBenchOptions, dataDir: string, treeId: number, term: string) {
  if (options.backend === "sqlite") {
    const db = new Database(join(dataDir, "veritrail.db"), { readonly: true });
    try {
      return db
        .prepare(
          "SELECT leaf_index FROM events WHERE tree_id = ? AND envelope LIKE ? ORDER BY leaf_index DESC LIMIT 20",
        )
        .all(treeId, `%${term}%`);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: options.postgres!.url });
  await client.connect();
  try {
    return (
      await client.query(
        "SELECT leaf_index FROM events WHERE tree_id = $1 AND envelope LIKE $2 ORDER BY leaf_index DESC LIMIT 20",
        [treeId, `%${term}%`],
      )
    ).rows;
  } finally {
    await client.end();
  }
}
