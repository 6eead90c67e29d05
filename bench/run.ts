/**
 * `npm run bench`: the ingest throughput of one Veritrail server, and what bounds it.
 *
 * Measured in one run, against the real service in a child process (bench-server.ts) on the
 * embedded SQLite store with its production settings:
 * - `v1/log`, one event per request, 64 concurrent keep-alive connections: events/s, p50/p99
 *   latency. This is the SDKs' `log()` path; every request goes through auth, validation, the
 *   group commit and a durable SQLite commit. Target: ≥ 8,000 events/s with p99 ≤ 25 ms.
 * - `v2/log`, 1000 events per request: events/s. Target: ≥ 50,000 events/s.
 * - Ceilings, each doing one part of the same work with nothing else:
 *   - `POST /bench/echo` on the same server process, with the same bodies and connections:
 *     what HTTP + JSON alone allow;
 *   - raw SQLite inserts of the same rows into the server's events table, in transactions as
 *     large as the server's group commits were, with the same `synchronous` setting;
 *   - raw SHA-256 of the same envelopes.
 *   Each figure is also printed as a ratio to its ceiling (1.0 = no overhead on top of it).
 * - Where the time went in each phase: events per group commit, the mean commit time and the
 *   share of wall time the event loop spent in commits (SQLite commits, fsync included, are
 *   synchronous), the CPU of the server and of the load generator, and the most CPU any other
 *   process took meanwhile (`background_cpu`: above ~0.25 cores the figures are disturbed).
 * - The server's peak RSS over the whole run, and the machine it ran on.
 *
 * Then, when a PostgreSQL database is named (VERITRAIL_BENCH_DATABASE_URL, else the tests'
 * VERITRAIL_TEST_DATABASE_URL), the same loads on the PostgreSQL store, each phase in a fresh
 * schema dropped afterwards, with the database on the same machine:
 * - `v2/log` and `v1/log` on one server process (targets: ≥ 15,000 and ≥ 3,000 events/s);
 * - the `v1/log` load (and the `v2/log` load) spread over 1, 2 and 3 server processes on one
 *   schema, as a cluster runs: appends to the tree are ordered by its locked head row, so the
 *   processes take turns at the lock;
 * - the ceiling: `COPY … FROM STDIN` of the same rows into the server's events table, in batches
 *   as large as the `v2/log` group commits, one transaction each;
 * - the CPU of the PostgreSQL processes during each phase (read from /proc), beside the server's.
 * Their figures carry a `pg_` prefix, and those of the series a `_1proc`/`_2proc`/`_3proc` suffix.
 * Without a URL, one line says these phases were skipped and why.
 *
 * The load generator (autocannon, in this process) shares the CPU with the server, as it would
 * on a small host; the server is warmed up before every measured phase. The server takes its
 * settings from VERITRAIL_* defaults, except VERITRAIL_SQLITE_SYNCHRONOUS,
 * VERITRAIL_MAX_BATCH_EVENTS and VERITRAIL_DATABASE_POOL_SIZE, which are passed through to
 * compare settings.
 *
 * Output: one `name: value unit` line per figure on stdout (progress on stderr); `--json FILE`
 * also writes them as JSON; `--quick` runs a few seconds per phase (a smoke test, not a
 * measurement); `--profile DIR` writes a V8 CPU profile of every server process to DIR when it
 * stops; `--phases ingest,search,proofs,erasure,retention,verify` picks the groups of phases to
 * run (all by default; erasure.ts has the erasure phase, retention.ts the retention phase,
 * verify.ts times client-side verification).
 *
 * The redaction phase (redaction.ts, with the ingest phases or `--phases redaction`) compares
 * bulk ingest with three detectors on `message` to the same ingest without redaction; its
 * figures carry a `redaction_` prefix.
 *
 * The search phases (search.ts) fill one configuration with 1,000,000 events through the store's
 * append path and time queries over HTTP beside the same searches on the store alone, on each
 * backend; their figures carry a `search_` (or `pg_search_`) prefix. With them (or alone, as
 * `--phases search_ingest`), search-ingest.ts compares the service's bulk ingest into an indexed
 * configuration with the same ingest into an unindexed one (`search_service_ingest_`).
 *
 * The proof phases (proofs.ts, `--phases proofs`) build trees of 1,000,000 and 10,000,000 leaves
 * through the store's append path and time proof generation beside the raw SHA-256 rate, `v1/root`
 * for a random size over HTTP beside the store alone, and publishing latency under load; their
 * figures carry a `proofs_` or `publish_` prefix.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../packages/server/src/config.js";
import type { ServerStats } from "./bench-server.js";
import { postgresCopyCeiling, sha256Ceiling, sqliteInsertCeiling } from "./ceilings.js";
import { machineBusyMs, ownCpuMs, postgresCpuMs } from "./cpu.js";
import { runErasureBench } from "./erasure.js";
import { envelopeTexts, makeEvents, v1Body, v2Body } from "./events.js";
import { type LoadOptions, type LoadResult, runLoad } from "./load.js";
import {
  benchDatabase,
  dropActiveSchemas,
  postgresSettings,
  redactedUrl,
  withFreshSchema,
} from "./postgres.js";
import { runProofsBench } from "./proofs.js";
import { runRedactionBench } from "./redaction.js";
import { runRetentionBench } from "./retention.js";
import { runSearchBench } from "./search.js";
import { runSearchIngestBench } from "./search-ingest.js";
import { BENCH_AUDIT_TOKEN, type BenchServer, startBenchServer } from "./server-process.js";
import { runVerifyBench } from "./verify.js";

const V1_CONNECTIONS = 64;
/**
 * Enough for a request to always wait behind the one being processed, so the server never
 * idles; throughput is about the same from 2 to 16 connections, only latency grows.
 */
const V2_CONNECTIONS = 8;
const V2_BATCH_EVENTS = 1000;
/** Distinct request bodies per endpoint; every connection sends them in turn. */
const V1_BODIES = 512;
const V2_BODIES = 4;

/** Seconds per phase. */
const DURATIONS = {
  full: { warmup: 5, measure: 20, echoWarmup: 3, echo: 10, hash: 2, sqlite: 4 },
  quick: { warmup: 1, measure: 2, echoWarmup: 0.5, echo: 1, hash: 0.3, sqlite: 0.5 },
};
/** Seconds per PostgreSQL phase: the main ones, each point of the 1-2-3 process series, COPY. */
const PG_DURATIONS = {
  full: { warmup: 5, measure: 20, seriesWarmup: 3, series: 10, copy: 5 },
  // A 1000-event v2/log request takes over a second now that every event is indexed, and the
  // eight connections' first requests queue behind each other: every measured phase must last
  // several such rounds, or a slower machine sees no answer inside it.
  quick: { warmup: 1, measure: 4, seriesWarmup: 1, series: 4, copy: 0.5 },
};
/** Server processes on one schema, for the cluster series. */
const PROCESS_COUNTS = [1, 2, 3] as const;

interface Figure {
  value: number;
  unit: string;
}

export interface BenchReport {
  machine: { cpu: string; cores: number; node: string };
  sqliteSynchronous: string;
  /** Where the PostgreSQL phases ran (password redacted), or why they were skipped. */
  postgres: { database: string; version: string; synchronousCommit: string } | { skipped: string };
  quick: boolean;
  figures: Record<string, Figure>;
}

const figures: Record<string, Figure> = {};
const problems: string[] = [];
/** The most CPU other processes used during any measured phase. */
let backgroundCpuCores: number | undefined;

/**
 * Rounds for display: 2 significant digits for ratios and cores, and for times under a
 * millisecond (a membership proof takes tens of µs: rounded to 0.1 ms it read as 0); 0.1 for
 * other ms, MB and events; else whole.
 */
function rounded(value: number, unit: string): number {
  if (unit === "ratio" || unit === "cores") return Number(value.toPrecision(2));
  if (unit === "ms" && value < 1) return Number(value.toPrecision(2));
  if (unit === "ms" || unit === "MB" || unit === "events") return Math.round(value * 10) / 10;
  return Math.round(value);
}

function record(name: string, value: number, unit: string): void {
  const figure = { value: rounded(value, unit), unit };
  figures[name] = figure;
  process.stdout.write(`${name}: ${figure.value} ${unit}\n`);
}

function info(name: string, value: string | number): void {
  process.stdout.write(`${name}: ${value}\n`);
}

function progress(message: string): void {
  process.stderr.write(`# ${message}\n`);
}

/** Sends one request before loading, so a misconfiguration fails loudly and not as 64 000 errors. */
async function checkOnce(server: BenchServer, path: string, body: string): Promise<void> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_AUDIT_TOKEN}` },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
}

/** One measured load phase, and where the time went meanwhile. */
interface PhaseResult extends LoadResult {
  /** CPU-seconds per second: 1.0 is one core kept busy. Summed over the server processes. */
  serverCpuCores: number;
  loadgenCpuCores: number;
  /** The PostgreSQL processes', in a PostgreSQL phase where they are visible; else undefined. */
  postgresCpuCores: number | undefined;
  /** CPU used by other processes on the machine; undefined where it cannot be read. */
  backgroundCpuCores: number | undefined;
  /** Mean events per group commit (0 for a phase that commits nothing). */
  eventsPerCommit: number;
  /** Mean wall time of one commit: sequencing, inserts, COMMIT with its fsync. */
  commitMs: number;
  /**
   * Share of the wall time spent inside commits (per process, summed). On SQLite the event loop
   * is blocked meanwhile (commits are synchronous); on PostgreSQL it is the time a commit was
   * under way, waiting on the database included.
   */
  commitShare: number;
}

/** Running totals of all the servers of a phase. */
async function totalStats(servers: readonly BenchServer[]): Promise<ServerStats> {
  const all = await Promise.all(servers.map((server) => server.stats()));
  return all.reduce((sum, stats) => ({
    commits: sum.commits + stats.commits,
    events: sum.events + stats.events,
    commitMs: sum.commitMs + stats.commitMs,
    cpuMs: sum.cpuMs + stats.cpuMs,
  }));
}

/** Warms up, then measures; the load's problems are collected. */
async function phase(
  servers: readonly BenchServer[],
  label: string,
  load: LoadOptions,
  warmupSeconds: number,
  seconds: number,
  options: { postgres: boolean } = { postgres: false },
): Promise<PhaseResult> {
  progress(`${label}: ${load.connections} connections, warm-up ${warmupSeconds} s, measuring ${seconds} s`);
  await runLoad(load, warmupSeconds);
  const sample = async () => ({
    server: await totalStats(servers),
    own: ownCpuMs(),
    machine: machineBusyMs(),
    postgres: options.postgres ? postgresCpuMs() : undefined,
    at: performance.now(),
  });
  const before = await sample();
  const result = await runLoad(load, seconds);
  const after = await sample();
  for (const problem of result.problems) problems.push(`${label}: ${problem}`);

  const wallMs = after.at - before.at;
  const serverCpuMs = after.server.cpuMs - before.server.cpuMs;
  const loadgenCpuMs = after.own - before.own;
  const postgresMs =
    before.postgres === undefined || after.postgres === undefined
      ? undefined
      : after.postgres - before.postgres;
  const commits = after.server.commits - before.server.commits;
  const commitMs = after.server.commitMs - before.server.commitMs;
  const backgroundCpuCores =
    before.machine === undefined || after.machine === undefined
      ? undefined
      : Math.max(0, after.machine - before.machine - serverCpuMs - loadgenCpuMs - (postgresMs ?? 0)) / wallMs;
  return {
    ...result,
    serverCpuCores: serverCpuMs / wallMs,
    loadgenCpuCores: loadgenCpuMs / wallMs,
    postgresCpuCores: postgresMs === undefined ? undefined : postgresMs / wallMs,
    backgroundCpuCores,
    eventsPerCommit: commits > 0 ? (after.server.events - before.server.events) / commits : 0,
    commitMs: commits > 0 ? commitMs / commits : 0,
    commitShare: commitMs / wallMs,
  };
}

/** The figures every phase reports, under `prefix`. */
function recordPhase(prefix: string, result: PhaseResult, options: { commits: boolean }): void {
  if (options.commits) {
    record(`${prefix}_p50_ms`, result.p50Ms, "ms");
    record(`${prefix}_p99_ms`, result.p99Ms, "ms");
    record(`${prefix}_events_per_commit`, result.eventsPerCommit, "events");
    record(`${prefix}_commit_ms`, result.commitMs, "ms");
    record(`${prefix}_commit_share`, result.commitShare, "ratio");
  }
  record(`${prefix}_server_cpu`, result.serverCpuCores, "cores");
  record(`${prefix}_loadgen_cpu`, result.loadgenCpuCores, "cores");
  if (result.postgresCpuCores !== undefined)
    record(`${prefix}_postgres_cpu`, result.postgresCpuCores, "cores");
  noteBackground(result);
}

function noteBackground(result: PhaseResult): void {
  if (result.backgroundCpuCores !== undefined) {
    backgroundCpuCores = Math.max(backgroundCpuCores ?? 0, result.backgroundCpuCores);
  }
}

/** The bench's test data, built before any clock starts. */
interface Traffic {
  v1Bodies: string[];
  v2Bodies: string[];
  /** The envelopes of the v2 events, as the server would hash and store them. */
  envelopes: string[];
}

function makeTraffic(): Traffic {
  const v1Events = makeEvents(V1_BODIES, 1);
  const v2Events = makeEvents(V2_BODIES * V2_BATCH_EVENTS, 2);
  return {
    v1Bodies: v1Events.map(v1Body),
    v2Bodies: Array.from({ length: V2_BODIES }, (_, i) =>
      v2Body(v2Events.slice(i * V2_BATCH_EVENTS, (i + 1) * V2_BATCH_EVENTS)),
    ),
    envelopes: envelopeTexts(v2Events),
  };
}

/** Server processes running now, stopped on SIGINT/SIGTERM. */
const running = new Set<BenchServer>();

async function startServer(options: Parameters<typeof startBenchServer>[0]): Promise<BenchServer> {
  const server = await startBenchServer(options);
  running.add(server);
  return server;
}

async function stopServer(server: BenchServer): Promise<void> {
  await server.stop();
  running.delete(server);
}

/** The SQLite phases: one server process, its ceilings. Returns the server's SQLite setting. */
async function sqlitePhases(
  traffic: Traffic,
  quick: boolean,
  profileDir: string | undefined,
): Promise<"FULL" | "NORMAL"> {
  const seconds = quick ? DURATIONS.quick : DURATIONS.full;
  const { v1Bodies, v2Bodies, envelopes } = traffic;
  progress("starting the server (SQLite)");
  const server = await startServer(profileDir ? { cpuProfileDir: profileDir } : {});
  try {
    const sqliteSynchronous = loadConfig(server.env).sqliteSynchronous;
    info("sqlite_synchronous", sqliteSynchronous);
    await checkOnce(server, "/bench/echo", v1Bodies[0]!);
    await checkOnce(server, "/v1/log", v1Bodies[0]!);
    await checkOnce(server, "/v2/log", v2Bodies[0]!);

    const v1Load = { baseUrl: server.baseUrl, token: BENCH_AUDIT_TOKEN, connections: V1_CONNECTIONS };
    const v2Load = { baseUrl: server.baseUrl, token: BENCH_AUDIT_TOKEN, connections: V2_CONNECTIONS };

    const echoV1 = await phase(
      [server],
      "echo (v1 bodies)",
      { ...v1Load, path: "/bench/echo", bodies: v1Bodies },
      seconds.echoWarmup,
      seconds.echo,
    );
    record("echo_v1_requests_per_s", echoV1.requestsPerSecond, "requests/s");
    recordPhase("echo_v1", echoV1, { commits: false });

    const v1 = await phase(
      [server],
      "v1/log",
      { ...v1Load, path: "/v1/log", bodies: v1Bodies },
      seconds.warmup,
      seconds.measure,
    );
    record("v1_log_events_per_s", v1.requestsPerSecond, "events/s");
    recordPhase("v1_log", v1, { commits: true });

    const echoV2 = await phase(
      [server],
      "echo (v2 bodies)",
      { ...v2Load, path: "/bench/echo", bodies: v2Bodies },
      seconds.echoWarmup,
      seconds.echo,
    );
    record("echo_v2_requests_per_s", echoV2.requestsPerSecond, "requests/s");
    recordPhase("echo_v2", echoV2, { commits: false });

    const v2 = await phase(
      [server],
      "v2/log",
      { ...v2Load, path: "/v2/log", bodies: v2Bodies },
      seconds.warmup,
      seconds.measure,
    );
    const v2EventsPerSecond = v2.requestsPerSecond * V2_BATCH_EVENTS;
    record("v2_log_events_per_s", v2EventsPerSecond, "events/s");
    recordPhase("v2_log", v2, { commits: true });

    progress("ceilings: SHA-256 and SQLite inserts (the server is idle)");
    const hashes = sha256Ceiling(envelopes, seconds.hash);
    record("sha256_hashes_per_s", hashes, "hashes/s");
    const sqliteV1 = await sqliteInsertCeiling({
      texts: envelopes,
      batchSize: Math.max(1, Math.round(v1.eventsPerCommit)),
      synchronous: sqliteSynchronous,
      seconds: seconds.sqlite,
    });
    record("sqlite_v1_batch_rows_per_s", sqliteV1, "rows/s");
    const sqliteV2 = await sqliteInsertCeiling({
      texts: envelopes,
      batchSize: Math.max(1, Math.round(v2.eventsPerCommit)),
      synchronous: sqliteSynchronous,
      seconds: seconds.sqlite,
    });
    record("sqlite_v2_batch_rows_per_s", sqliteV2, "rows/s");

    record("v1_log_vs_echo", v1.requestsPerSecond / echoV1.requestsPerSecond, "ratio");
    record("v1_log_vs_sqlite", v1.requestsPerSecond / sqliteV1, "ratio");
    record("v1_log_vs_sha256", v1.requestsPerSecond / hashes, "ratio");
    record("v2_log_vs_echo", v2.requestsPerSecond / echoV2.requestsPerSecond, "ratio");
    record("v2_log_vs_sqlite", v2EventsPerSecond / sqliteV2, "ratio");
    record("v2_log_vs_sha256", v2EventsPerSecond / hashes, "ratio");

    record("server_peak_rss_mb", server.peakRssBytes() / (1024 * 1024), "MB");
    return sqliteSynchronous;
  } finally {
    await stopServer(server);
  }
}

/** The peak RSS of any PostgreSQL-backed server process so far, in bytes. */
let pgPeakRssBytes = 0;

/**
 * Runs `fn` against `count` server processes sharing a fresh schema, dropped afterwards. The
 * first one migrates and bootstraps the schema; the others start together once it is ready.
 */
async function withPostgresServers<T>(
  databaseUrl: string,
  count: number,
  profileDir: string | undefined,
  fn: (servers: readonly BenchServer[]) => Promise<T>,
): Promise<T> {
  return withFreshSchema(databaseUrl, async (schema) => {
    progress(`schema ${schema.name}: ${count} server process${count > 1 ? "es" : ""}`);
    const options = { databaseUrl: schema.url, ...(profileDir ? { cpuProfileDir: profileDir } : {}) };
    const servers: BenchServer[] = [];
    try {
      servers.push(await startServer(options));
      const more = await Promise.allSettled(Array.from({ length: count - 1 }, () => startServer(options)));
      for (const started of more) {
        if (started.status === "rejected") throw started.reason;
        servers.push(started.value);
      }
      return await fn(servers);
    } finally {
      for (const server of servers) {
        pgPeakRssBytes = Math.max(pgPeakRssBytes, server.peakRssBytes());
      }
      await Promise.all(servers.map(stopServer));
    }
  });
}

/** The two loads of the PostgreSQL phases, as on SQLite. */
type LoadKind = "v1" | "v2";
const LOADS = {
  v1: { path: "/v1/log", connections: V1_CONNECTIONS, eventsPerRequest: 1 },
  v2: { path: "/v2/log", connections: V2_CONNECTIONS, eventsPerRequest: V2_BATCH_EVENTS },
} as const;

/** One load on `count` server processes sharing a fresh schema: warm-up, then measured. */
async function postgresPhase(
  databaseUrl: string,
  traffic: Traffic,
  kind: LoadKind,
  count: number,
  durations: { warmup: number; measure: number },
  profileDir: string | undefined,
): Promise<PhaseResult> {
  const { path, connections } = LOADS[kind];
  const bodies = kind === "v1" ? traffic.v1Bodies : traffic.v2Bodies;
  progress(`PostgreSQL: ${path.slice(1)} on ${count} server process${count > 1 ? "es" : ""}`);
  return withPostgresServers(databaseUrl, count, profileDir, async (servers) => {
    for (const server of servers) await checkOnce(server, path, bodies[0]!);
    const load = {
      baseUrl: servers.map((server) => server.baseUrl),
      token: BENCH_AUDIT_TOKEN,
      path,
      bodies,
      connections,
    };
    return phase(servers, `pg ${path.slice(1)} × ${count}`, load, durations.warmup, durations.measure, {
      postgres: true,
    });
  });
}

/** The PostgreSQL phases: one process, the COPY ceiling, the 1-2-3 process series. */
async function postgresPhases(
  databaseUrl: string,
  traffic: Traffic,
  quick: boolean,
  profileDir: string | undefined,
): Promise<void> {
  const seconds = quick ? PG_DURATIONS.quick : PG_DURATIONS.full;
  const main = { warmup: seconds.warmup, measure: seconds.measure };

  const v2 = await postgresPhase(databaseUrl, traffic, "v2", 1, main, profileDir);
  const v2EventsPerSecond = v2.requestsPerSecond * V2_BATCH_EVENTS;
  record("pg_v2_log_events_per_s", v2EventsPerSecond, "events/s");
  recordPhase("pg_v2_log", v2, { commits: true });

  const copyBatch = Math.max(1, Math.round(v2.eventsPerCommit));
  progress(`PostgreSQL: COPY ceiling, ${copyBatch} rows per transaction (no server runs)`);
  const copy = await withFreshSchema(databaseUrl, (schema) => {
    progress(`schema ${schema.name}: COPY`);
    return postgresCopyCeiling({
      url: schema.url,
      texts: traffic.envelopes,
      batchSize: copyBatch,
      seconds: seconds.copy,
    });
  });
  record("pg_copy_batch_rows", copyBatch, "rows");
  record("pg_copy_rows_per_s", copy, "rows/s");
  record("pg_v2_log_vs_copy", v2EventsPerSecond / copy, "ratio");

  const v1 = await postgresPhase(databaseUrl, traffic, "v1", 1, main, profileDir);
  record("pg_v1_log_events_per_s", v1.requestsPerSecond, "events/s");
  recordPhase("pg_v1_log", v1, { commits: true });

  // The same loads spread over 1, 2 and 3 processes on one schema (bulk from 2: 1 is above).
  const series = { warmup: seconds.seriesWarmup, measure: seconds.series };
  const points: [LoadKind, number][] = [
    ...PROCESS_COUNTS.map((count): [LoadKind, number] => ["v1", count]),
    ...PROCESS_COUNTS.filter((count) => count > 1).map((count): [LoadKind, number] => ["v2", count]),
  ];
  for (const [kind, count] of points) {
    const result = await postgresPhase(databaseUrl, traffic, kind, count, series, profileDir);
    const name = `pg_${kind}_log`;
    const suffix = `${count}proc`;
    record(
      `${name}_events_per_s_${suffix}`,
      result.requestsPerSecond * LOADS[kind].eventsPerRequest,
      "events/s",
    );
    record(`${name}_p99_ms_${suffix}`, result.p99Ms, "ms");
    record(`${name}_events_per_commit_${suffix}`, result.eventsPerCommit, "events");
    record(`${name}_server_cpu_${suffix}`, result.serverCpuCores, "cores");
    if (result.postgresCpuCores !== undefined) {
      record(`${name}_postgres_cpu_${suffix}`, result.postgresCpuCores, "cores");
    }
    noteBackground(result);
  }
  record("pg_server_peak_rss_mb", pgPeakRssBytes / (1024 * 1024), "MB");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      profile: { type: "string" },
      phases: { type: "string", default: "ingest,search,proofs,erasure,retention,verify" },
    },
  });
  const quick = values.quick;
  const phases = new Set(values.phases.split(","));
  const search = {
    events: quick ? 20_000 : 1_000_000,
    ratioEvents: quick ? 4000 : 100_000,
    repeats: quick ? 5 : 50,
    record,
    progress,
  };

  // Test data first, so that building it is not measured.
  const traffic = makeTraffic();

  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
  };
  info("machine_cpu", machine.cpu);
  info("machine_cores", `${machine.cores} cores`);
  info("node_version", machine.node);

  const stopping = () => {
    void Promise.allSettled([...running].map((server) => server.stop()))
      .then(dropActiveSchemas)
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", stopping);
  process.once("SIGTERM", stopping);
  let sqliteSynchronous: "FULL" | "NORMAL";
  let postgres: BenchReport["postgres"];
  try {
    sqliteSynchronous = phases.has("ingest")
      ? await sqlitePhases(traffic, quick, values.profile)
      : (loadConfig(process.env).sqliteSynchronous as "FULL" | "NORMAL");
    // Redaction is an ingest figure: it runs with the ingest phases, or alone as `--phases redaction`.
    if (phases.has("ingest") || phases.has("redaction")) {
      await runRedactionBench({ quick, record, progress, problems });
    }
    if (phases.has("search")) await runSearchBench({ ...search, backend: "sqlite" });
    const searchIngest = phases.has("search") || phases.has("search_ingest");
    if (searchIngest) await runSearchIngestBench({ backend: "sqlite", quick, record, progress, problems });
    if (phases.has("proofs")) await runProofsBench({ quick, record, progress });
    const erasure = { events: quick ? 10_000 : 200_000, record, progress };
    if (phases.has("erasure")) await runErasureBench({ ...erasure, backend: "sqlite" });
    if (phases.has("verify"))
      await runVerifyBench({ records: 10_000, seconds: quick ? 1 : 3, record, progress });
    if (phases.has("retention")) await runRetentionBench({ ...erasure, backend: "sqlite" });

    const database = benchDatabase();
    if ("skipped" in database) {
      postgres = { skipped: database.skipped };
      info("postgres", `skipped: ${database.skipped}`);
    } else {
      const settings = await postgresSettings(database.url);
      postgres = { database: redactedUrl(database.url), ...settings };
      info("postgres", `${postgres.database} (from ${database.source})`);
      info("postgres_version", settings.version);
      info("postgres_synchronous_commit", settings.synchronousCommit);
      if (phases.has("ingest")) await postgresPhases(database.url, traffic, quick, values.profile);
      if (phases.has("search")) {
        await withFreshSchema(database.url, (schema) =>
          runSearchBench({
            ...search,
            backend: "postgres",
            postgres: { url: schema.url, schema: schema.name },
          }),
        );
      }
      if (searchIngest) {
        await withFreshSchema(database.url, (schema) =>
          runSearchIngestBench({
            backend: "postgres",
            postgresUrl: schema.url,
            quick,
            record,
            progress,
            problems,
          }),
        );
      }
      if (phases.has("erasure")) {
        await withFreshSchema(database.url, (schema) =>
          runErasureBench({ ...erasure, backend: "postgres", postgres: { url: schema.url } }),
        );
      }
      if (phases.has("retention")) {
        await withFreshSchema(database.url, (schema) =>
          runRetentionBench({ ...erasure, backend: "postgres", postgres: { url: schema.url } }),
        );
      }
    }

    if (backgroundCpuCores !== undefined) {
      record("background_cpu", backgroundCpuCores, "cores");
      if (backgroundCpuCores > 0.25) {
        progress(
          `other processes used up to ${backgroundCpuCores.toFixed(2)} cores: the figures are disturbed`,
        );
      }
    }
  } finally {
    process.off("SIGINT", stopping);
    process.off("SIGTERM", stopping);
    await Promise.allSettled([...running].map(stopServer));
  }

  if (values.json) {
    const report: BenchReport = { machine, sqliteSynchronous, postgres, quick, figures };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (!quick && phases.has("ingest")) {
    const v1Rate = figures["v1_log_events_per_s"]!.value;
    const v1P99 = figures["v1_log_p99_ms"]!.value;
    const v2Rate = figures["v2_log_events_per_s"]!.value;
    const v1Met = v1Rate >= 8000 && v1P99 <= 25;
    progress(`target v1/log >= 8000 events/s with p99 <= 25 ms: ${v1Met ? "met" : "missed"}`);
    progress(`target v2/log >= 50000 events/s: ${v2Rate >= 50_000 ? "met" : "missed"}`);
    const pgV1 = figures["pg_v1_log_events_per_s"];
    const pgV2 = figures["pg_v2_log_events_per_s"];
    if (pgV1 && pgV2) {
      progress(`target PostgreSQL v1/log >= 3000 events/s: ${pgV1.value >= 3000 ? "met" : "missed"}`);
      progress(`target PostgreSQL v2/log >= 15000 events/s: ${pgV2.value >= 15_000 ? "met" : "missed"}`);
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`error: ${problem}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
