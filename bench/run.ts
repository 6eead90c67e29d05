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
 * The load generator (autocannon, in this process) shares the CPU with the server, as it would
 * on a small host; the server is warmed up before every measured phase. The server takes its
 * settings from VERITRAIL_* defaults, except VERITRAIL_SQLITE_SYNCHRONOUS and
 * VERITRAIL_MAX_BATCH_EVENTS, which are passed through to compare settings.
 *
 * Output: one `name: value unit` line per figure on stdout (progress on stderr); `--json FILE`
 * also writes them as JSON; `--quick` runs a few seconds per phase (a smoke test, not a
 * measurement); `--profile DIR` writes a V8 CPU profile of the server to DIR when it stops.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../packages/server/src/config.js";
import { sha256Ceiling, sqliteInsertCeiling } from "./ceilings.js";
import { machineBusyMs, ownCpuMs } from "./cpu.js";
import { envelopeTexts, makeEvents, v1Body, v2Body } from "./events.js";
import { type LoadOptions, type LoadResult, runLoad } from "./load.js";
import { BENCH_AUDIT_TOKEN, type BenchServer, startBenchServer } from "./server-process.js";

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

interface Figure {
  value: number;
  unit: string;
}

export interface BenchReport {
  machine: { cpu: string; cores: number; node: string };
  sqliteSynchronous: string;
  quick: boolean;
  figures: Record<string, Figure>;
}

const figures: Record<string, Figure> = {};
const problems: string[] = [];
/** The most CPU other processes used during any measured phase. */
let backgroundCpuCores: number | undefined;

/** Rounds for display: 2 significant digits for ratios and cores, 0.1 for ms/MB/events, else whole. */
function rounded(value: number, unit: string): number {
  if (unit === "ratio" || unit === "cores") return Number(value.toPrecision(2));
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
  /** CPU-seconds per second: 1.0 is one core kept busy. */
  serverCpuCores: number;
  loadgenCpuCores: number;
  /** CPU used by other processes on the machine; undefined where it cannot be read. */
  backgroundCpuCores: number | undefined;
  /** Mean events per group commit (0 for a phase that commits nothing). */
  eventsPerCommit: number;
  /** Mean wall time of one commit: sequencing, inserts, COMMIT with its fsync. */
  commitMs: number;
  /** Share of the wall time the server's event loop spent inside commits (they are synchronous). */
  commitShare: number;
}

/** Warms up, then measures; the load's problems are collected. */
async function phase(
  server: BenchServer,
  label: string,
  load: LoadOptions,
  warmupSeconds: number,
  seconds: number,
): Promise<PhaseResult> {
  progress(`${label}: ${load.connections} connections, warm-up ${warmupSeconds} s, measuring ${seconds} s`);
  await runLoad(load, warmupSeconds);
  const before = {
    server: await server.stats(),
    own: ownCpuMs(),
    machine: machineBusyMs(),
    at: performance.now(),
  };
  const result = await runLoad(load, seconds);
  const after = {
    server: await server.stats(),
    own: ownCpuMs(),
    machine: machineBusyMs(),
    at: performance.now(),
  };
  for (const problem of result.problems) problems.push(`${label}: ${problem}`);

  const wallMs = after.at - before.at;
  const serverCpuMs = after.server.cpuMs - before.server.cpuMs;
  const loadgenCpuMs = after.own - before.own;
  const commits = after.server.commits - before.server.commits;
  const commitMs = after.server.commitMs - before.server.commitMs;
  const backgroundCpuCores =
    before.machine === undefined || after.machine === undefined
      ? undefined
      : Math.max(0, after.machine - before.machine - serverCpuMs - loadgenCpuMs) / wallMs;
  return {
    ...result,
    serverCpuCores: serverCpuMs / wallMs,
    loadgenCpuCores: loadgenCpuMs / wallMs,
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
  if (result.backgroundCpuCores !== undefined) {
    backgroundCpuCores = Math.max(backgroundCpuCores ?? 0, result.backgroundCpuCores);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      profile: { type: "string" },
    },
  });
  const quick = values.quick;
  const seconds = quick ? DURATIONS.quick : DURATIONS.full;

  // Test data first, so that building it is not measured.
  const v1Events = makeEvents(V1_BODIES, 1);
  const v1Bodies = v1Events.map(v1Body);
  const v2Events = makeEvents(V2_BODIES * V2_BATCH_EVENTS, 2);
  const v2Bodies = Array.from({ length: V2_BODIES }, (_, i) =>
    v2Body(v2Events.slice(i * V2_BATCH_EVENTS, (i + 1) * V2_BATCH_EVENTS)),
  );
  const envelopes = envelopeTexts(v2Events);

  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
  };
  info("machine_cpu", machine.cpu);
  info("machine_cores", `${machine.cores} cores`);
  info("node_version", machine.node);

  progress("starting the server");
  const server = await startBenchServer(values.profile ? { cpuProfileDir: values.profile } : {});
  const stopping = () => {
    void server.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopping);
  process.once("SIGTERM", stopping);
  let sqliteSynchronous: "FULL" | "NORMAL";
  try {
    sqliteSynchronous = loadConfig(server.env).sqliteSynchronous;
    info("sqlite_synchronous", sqliteSynchronous);
    await checkOnce(server, "/bench/echo", v1Bodies[0]!);
    await checkOnce(server, "/v1/log", v1Bodies[0]!);
    await checkOnce(server, "/v2/log", v2Bodies[0]!);

    const v1Load = { baseUrl: server.baseUrl, token: BENCH_AUDIT_TOKEN, connections: V1_CONNECTIONS };
    const v2Load = { baseUrl: server.baseUrl, token: BENCH_AUDIT_TOKEN, connections: V2_CONNECTIONS };

    const echoV1 = await phase(
      server,
      "echo (v1 bodies)",
      { ...v1Load, path: "/bench/echo", bodies: v1Bodies },
      seconds.echoWarmup,
      seconds.echo,
    );
    record("echo_v1_requests_per_s", echoV1.requestsPerSecond, "requests/s");
    recordPhase("echo_v1", echoV1, { commits: false });

    const v1 = await phase(
      server,
      "v1/log",
      { ...v1Load, path: "/v1/log", bodies: v1Bodies },
      seconds.warmup,
      seconds.measure,
    );
    record("v1_log_events_per_s", v1.requestsPerSecond, "events/s");
    recordPhase("v1_log", v1, { commits: true });

    const echoV2 = await phase(
      server,
      "echo (v2 bodies)",
      { ...v2Load, path: "/bench/echo", bodies: v2Bodies },
      seconds.echoWarmup,
      seconds.echo,
    );
    record("echo_v2_requests_per_s", echoV2.requestsPerSecond, "requests/s");
    recordPhase("echo_v2", echoV2, { commits: false });

    const v2 = await phase(
      server,
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
    await server.stop();
  }

  if (values.json) {
    const report: BenchReport = { machine, sqliteSynchronous, quick, figures };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (!quick) {
    const v1Rate = figures["v1_log_events_per_s"]!.value;
    const v1P99 = figures["v1_log_p99_ms"]!.value;
    const v2Rate = figures["v2_log_events_per_s"]!.value;
    const v1Met = v1Rate >= 8000 && v1P99 <= 25;
    progress(`target v1/log >= 8000 events/s with p99 <= 25 ms: ${v1Met ? "met" : "missed"}`);
    progress(`target v2/log >= 50000 events/s: ${v2Rate >= 50_000 ? "met" : "missed"}`);
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
