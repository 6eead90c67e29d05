/**
 * What the search index costs the service's bulk ingest (issue 8 §6), on one backend: `v2/log`,
 * 1000 events per request (250 in a quick run), 8 connections, into a configuration with the
 * standard schema (every field indexed) and, as the ratio's base, into one with the same fields
 * whose string and text fields are `string-unindexed`, so that its events get no index rows but
 * their timestamp's. Both on one server in the same run, the loads alternating in short rounds
 * (A B B A …) so that other work on the machine weighs on both alike; the events are the search
 * phases' (search-events.ts). Beside the throughput ratio, the server's CPU time per committed
 * event for each, whose ratio is what a CPU-bound server on an otherwise idle machine would see.
 *
 * search.ts measures the same cost at the store (appendBatch alone, without HTTP, validation or
 * hashing), where the index is a far larger share of the work: read the two ratios together.
 */
import { STANDARD_SCHEMA } from "../packages/server/src/ingest/event-schema.js";
import { configWithToken, runPairedLoads } from "./paired-loads.js";
import { searchEvents } from "./search-events.js";
import { startBenchServer } from "./server-process.js";

export interface SearchIngestBenchOptions {
  backend: "sqlite" | "postgres";
  quick: boolean;
  /** For PostgreSQL: a URL whose connections use a fresh schema. */
  postgresUrl?: string;
  record(name: string, value: number, unit: string): void;
  progress(message: string): void;
  /** Problems of the loads, for the run to report and fail on. */
  problems: string[];
}

const CONNECTIONS = 8;
const BODIES = 4;

/** The standard fields, indexed or with every string and text field `string-unindexed`. */
function schemaOf(indexed: boolean) {
  const fields = STANDARD_SCHEMA.fields.map((f) =>
    indexed || (f.type !== "string" && f.type !== "text") ? f : { ...f, type: "string-unindexed" },
  );
  return { fields, save_malformed: "reject" };
}

/** `count` generated events as one `v2/log` body. */
function body(seed: number, count: number): string {
  const next = searchEvents(seed);
  return JSON.stringify({ events: Array.from({ length: count }, () => ({ event: next() })) });
}

export async function runSearchIngestBench(options: SearchIngestBenchOptions): Promise<void> {
  const { backend, quick, record, progress } = options;
  const p = (name: string) => `${backend === "postgres" ? "pg_" : ""}search_service_ingest_${name}`;
  const rounds = quick ? 1 : 6;
  const seconds = quick ? 4 : 5;
  const batch = quick ? 250 : 1000;
  const server = await startBenchServer(options.postgresUrl ? { databaseUrl: options.postgresUrl } : {});
  try {
    const tokens = {
      a: await configWithToken(server.baseUrl, { name: "indexed", schema: schemaOf(true) }),
      b: await configWithToken(server.baseUrl, { name: "unindexed", schema: schemaOf(false) }),
    };
    progress(
      `search (${backend}): v2/log into an indexed vs an unindexed configuration, ${rounds} rounds of ${seconds} s each`,
    );
    const { a: indexed, b: unindexed } = await runPairedLoads({
      server,
      tokens,
      bodies: Array.from({ length: BODIES }, (_, i) => body(700 + i, batch)),
      batch,
      connections: CONNECTIONS,
      rounds,
      seconds,
      warmup: quick ? 0.5 : 3,
      problem: (side, problem) =>
        options.problems.push(`${p(side === "a" ? "indexed" : "unindexed")}: ${problem}`),
    });
    record(p("indexed_events_per_s"), indexed.eventsPerSecond, "events/s");
    record(p("unindexed_events_per_s"), unindexed.eventsPerSecond, "events/s");
    record(p("indexed_vs_unindexed"), indexed.eventsPerSecond / unindexed.eventsPerSecond, "ratio");
    record(p("indexed_server_cpu_us_per_event"), indexed.cpuUsPerEvent, "us");
    record(p("unindexed_server_cpu_us_per_event"), unindexed.cpuUsPerEvent, "us");
    record(p("cpu_indexed_vs_unindexed"), unindexed.cpuUsPerEvent / indexed.cpuUsPerEvent, "ratio");
  } finally {
    await server.stop();
  }
}
