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
import { runLoad } from "./load.js";
import { searchEvents } from "./search-events.js";
import { BENCH_ADMIN_TOKEN, startBenchServer } from "./server-process.js";

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

async function admin(baseUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { status: string; result: Record<string, unknown> };
  if (answer.status !== "Success") throw new Error(`${path}: ${JSON.stringify(answer).slice(0, 500)}`);
  return answer.result;
}

/** A configuration with the standard fields, indexed or not, and a token for it alone. */
async function target(baseUrl: string, name: string, indexed: boolean): Promise<string> {
  const fields = STANDARD_SCHEMA.fields.map((f) =>
    indexed || (f.type !== "string" && f.type !== "text") ? f : { ...f, type: "string-unindexed" },
  );
  const config = await admin(baseUrl, "/v1beta/config/create", {
    name,
    schema: { fields, save_malformed: "reject" },
  });
  const token = await admin(baseUrl, "/v1/admin/token/create", {
    name,
    grants: { audit: { configs: [config["id"]] } },
  });
  return token["token"] as string;
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
  const warmup = quick ? 0.5 : 3;
  const batch = quick ? 250 : 1000;
  const bodies = Array.from({ length: BODIES }, (_, i) => body(700 + i, batch));
  const server = await startBenchServer(options.postgresUrl ? { databaseUrl: options.postgresUrl } : {});
  try {
    const tokens = {
      indexed: await target(server.baseUrl, "indexed", true),
      unindexed: await target(server.baseUrl, "unindexed", false),
    };
    const load = (token: string) => ({
      baseUrl: server.baseUrl,
      path: "/v2/log",
      token,
      bodies,
      connections: CONNECTIONS,
    });
    progress(
      `search (${backend}): v2/log into an indexed vs an unindexed configuration, ${rounds} rounds of ${seconds} s each`,
    );
    await runLoad(load(tokens.indexed), warmup);
    await runLoad(load(tokens.unindexed), warmup);
    const totals = {
      indexed: { events: 0, seconds: 0, committed: 0, cpuMs: 0 },
      unindexed: { events: 0, seconds: 0, committed: 0, cpuMs: 0 },
    };
    for (let round = 0; round < rounds; round++) {
      const order: Array<keyof typeof tokens> =
        round % 2 === 0 ? ["indexed", "unindexed"] : ["unindexed", "indexed"];
      for (const which of order) {
        const before = await server.stats();
        const result = await runLoad(load(tokens[which]), seconds);
        const after = await server.stats();
        options.problems.push(...result.problems.map((problem) => `${p(which)}: ${problem}`));
        totals[which].events += result.requestsPerSecond * seconds * batch;
        totals[which].seconds += seconds;
        totals[which].committed += after.events - before.events;
        totals[which].cpuMs += after.cpuMs - before.cpuMs;
      }
    }
    const indexed = totals.indexed.events / totals.indexed.seconds;
    const unindexed = totals.unindexed.events / totals.unindexed.seconds;
    record(p("indexed_events_per_s"), indexed, "events/s");
    record(p("unindexed_events_per_s"), unindexed, "events/s");
    record(p("indexed_vs_unindexed"), indexed / unindexed, "ratio");
    const cpuIndexed = (totals.indexed.cpuMs * 1000) / totals.indexed.committed;
    const cpuUnindexed = (totals.unindexed.cpuMs * 1000) / totals.unindexed.committed;
    record(p("indexed_server_cpu_us_per_event"), cpuIndexed, "us");
    record(p("unindexed_server_cpu_us_per_event"), cpuUnindexed, "us");
    record(p("cpu_indexed_vs_unindexed"), cpuUnindexed / cpuIndexed, "ratio");
  } finally {
    await server.stop();
  }
}
