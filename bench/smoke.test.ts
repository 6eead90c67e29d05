// `npm run bench -- --quick` as a child process: it starts its server, loads every phase, measures
// its ceilings, stops and cleans up, and reports every figure, on stdout and in --json. Only the
// presence and sign of the figures are checked: throughput depends on the machine, never asserted.
// With VERITRAIL_TEST_DATABASE_URL set, the bench also runs its PostgreSQL phases on that database.
// It takes a minute or more of both cores, so `npm test` leaves it out; `npm run test:bench` runs
// it, as its own CI step. Outside tooling reads the figures by name: keep the names below stable.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { POSTGRES_SKIP_REASON, TEST_DATABASE_URL } from "../packages/server/test/support/test-store.js";
import type { BenchReport } from "./run.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// A quick run takes about 2 minutes on a fast machine and close to 5 on a slow one (a bound of 4
// killed it mid-way through its PostgreSQL phases); the bound is only there to stop a hung run.
const RUN_TIMEOUT_MS = 600_000;

/** Every figure a run reports; each must be a positive number. */
const FIGURES = [
  "echo_v1_requests_per_s",
  "echo_v1_server_cpu",
  "echo_v1_loadgen_cpu",
  "v1_log_events_per_s",
  "v1_log_p50_ms",
  "v1_log_p99_ms",
  "v1_log_events_per_commit",
  "v1_log_commit_ms",
  "v1_log_commit_share",
  "v1_log_server_cpu",
  "v1_log_loadgen_cpu",
  "echo_v2_requests_per_s",
  "echo_v2_server_cpu",
  "echo_v2_loadgen_cpu",
  "v2_log_events_per_s",
  "v2_log_p50_ms",
  "v2_log_p99_ms",
  "v2_log_events_per_commit",
  "v2_log_commit_ms",
  "v2_log_commit_share",
  "v2_log_server_cpu",
  "v2_log_loadgen_cpu",
  "sha256_hashes_per_s",
  "sqlite_v1_batch_rows_per_s",
  "sqlite_v2_batch_rows_per_s",
  "v1_log_vs_echo",
  "v1_log_vs_sqlite",
  "v1_log_vs_sha256",
  "v2_log_vs_echo",
  "v2_log_vs_sqlite",
  "v2_log_vs_sha256",
  "server_peak_rss_mb",
  "erasure_events_per_s",
  "erasure_append_events_per_s",
  "erasure_ratio",
  "retention_events_per_s",
  "retention_append_events_per_s",
  "retention_ratio",
  "retention_ingest_during_events_per_s",
  "retention_ingest_during_vs_alone",
  "redaction_v2_log_events_per_s",
  "redaction_off_v2_log_events_per_s",
  "redaction_v2_log_vs_off",
  "redaction_rules_only_events_per_s",
  "redaction_server_cpu_us_per_event",
  "redaction_off_server_cpu_us_per_event",
  "redaction_cpu_vs_off",
];

/** The figures of the proof and publishing phases (proofs.ts); a quick run builds 20k and 100k leaves. */
const PROOFS_FIGURES = [
  "proofs_sha256_64b_hashes_per_s",
  ...["20k", "100k"].flatMap((size) => [
    `proofs_build_${size}_leaves_per_s`,
    `proofs_membership_${size}_p50_ms`,
    `proofs_membership_${size}_p99_ms`,
    `proofs_consistency_${size}_p50_ms`,
    `proofs_consistency_${size}_p99_ms`,
    `proofs_fold_${size}_us`,
    `proofs_membership_${size}_p50_vs_fold`,
    `proofs_consistency_${size}_p50_vs_fold`,
  ]),
  "proofs_v1_root_100k_p50_ms",
  "proofs_v1_root_100k_p99_ms",
  "proofs_v1_root_store_100k_p50_ms",
  "proofs_v1_root_100k_vs_store",
  "publish_load_events_per_s",
  "publish_probes",
  "publish_latency_p50_ms",
  "publish_latency_p99_ms",
  "publish_poll_ms",
  "publish_trigger_ms",
  "publish_latency_p50_vs_trigger_and_poll",
];

/**
 * The figures of the PostgreSQL phases. The `*_postgres_cpu*` figures are left out: they need the
 * database's processes on this machine, which a remote database does not give.
 */
const PG_FIGURES = [
  ...["pg_v2_log", "pg_v1_log"].flatMap((phase) => [
    `${phase}_events_per_s`,
    `${phase}_p50_ms`,
    `${phase}_p99_ms`,
    `${phase}_events_per_commit`,
    `${phase}_commit_ms`,
    `${phase}_commit_share`,
    `${phase}_server_cpu`,
    `${phase}_loadgen_cpu`,
  ]),
  "pg_copy_batch_rows",
  "pg_copy_rows_per_s",
  "pg_v2_log_vs_copy",
  // The 1-2-3 process series: v1/log on 1, 2 and 3 processes, v2/log on 2 and 3.
  ...[
    ["v1", 1],
    ["v1", 2],
    ["v1", 3],
    ["v2", 2],
    ["v2", 3],
  ].flatMap(([kind, count]) =>
    ["events_per_s", "p99_ms", "events_per_commit", "server_cpu"].map(
      (figure) => `pg_${kind}_log_${figure}_${count}proc`,
    ),
  ),
  "pg_server_peak_rss_mb",
  "pg_erasure_events_per_s",
  "pg_erasure_append_events_per_s",
  "pg_erasure_ratio",
  "pg_retention_events_per_s",
  "pg_retention_append_events_per_s",
  "pg_retention_ratio",
  "pg_retention_ingest_during_events_per_s",
  "pg_retention_ingest_during_vs_alone",
];

/** Checks that each named figure is in the report as a positive number with a unit. */
function assertFigures(report: BenchReport, names: readonly string[]): void {
  for (const name of names) {
    const figure = report.figures[name];
    assert.ok(figure, `figure ${name} is missing`);
    assert.ok(Number.isFinite(figure.value) && figure.value > 0, `${name} is ${figure.value}`);
    assert.ok(figure.unit.length > 0, `${name} has no unit`);
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the benchmark with `tmp` as its temporary directory. */
function runBench(args: string[], tmp: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=veritrail-source", "--import", "tsx", "bench/run.ts", ...args],
      { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`the benchmark did not finish within ${RUN_TIMEOUT_MS} ms\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The service-level ingest ratio of the search index (search-ingest.ts), with `pg_` on PostgreSQL. */
const SEARCH_INGEST_FIGURES = [
  "indexed_events_per_s",
  "unindexed_events_per_s",
  "indexed_vs_unindexed",
  "indexed_server_cpu_us_per_event",
  "unindexed_server_cpu_us_per_event",
  "cpu_indexed_vs_unindexed",
].map((figure) => `search_service_ingest_${figure}`);

/** The figures of client-side verification (verify.ts): 10,000 records beside their own hashing. */
const VERIFY_FIGURES = [
  "verify_10k_records_ms",
  "verify_records_per_s",
  "verify_sha256_ceiling_records_per_s",
  "verify_ratio_to_sha256",
  "verify_file_stream_10k_ms",
];

describe("npm run bench -- --quick", { timeout: RUN_TIMEOUT_MS + 10_000 }, () => {
  let dir: string;
  let run: Run;
  let report: BenchReport;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "veritrail-bench-smoke-"));
    const jsonFile = join(dir, "bench.json");
    run = await runBench(["--quick", "--json", jsonFile], dir);
    assert.equal(run.code, 0, `the benchmark failed:\n${run.stderr}`);
    report = JSON.parse(readFileSync(jsonFile, "utf8")) as BenchReport;
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports every figure as a positive number, in the JSON file", () => {
    assertFigures(report, FIGURES);
    assertFigures(report, PROOFS_FIGURES);
    assertFigures(report, VERIFY_FIGURES);
    assertFigures(report, SEARCH_INGEST_FIGURES);
    assert.equal(report.quick, true);
  });

  it("reports the PostgreSQL figures, with the database's durability setting", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, () => {
    assertFigures(report, PG_FIGURES);
    assertFigures(
      report,
      SEARCH_INGEST_FIGURES.map((name) => `pg_${name}`),
    );
    assert.ok("synchronousCommit" in report.postgres, JSON.stringify(report.postgres));
    assert.match(run.stdout, /^postgres_synchronous_commit: \S+$/m);
  });

  it("says in one line why it skipped PostgreSQL when no database is named", {
    skip:
      TEST_DATABASE_URL || process.env["VERITRAIL_BENCH_DATABASE_URL"]
        ? "a PostgreSQL database is named, so the bench ran its PostgreSQL phases"
        : false,
  }, () => {
    assert.match(run.stdout, /^postgres: skipped: .*VERITRAIL_TEST_DATABASE_URL.*$/m);
    assert.ok("skipped" in report.postgres);
    assert.deepEqual(
      Object.keys(report.figures).filter((name) => name.startsWith("pg_")),
      [],
    );
  });

  it("prints one `name: value unit` line per figure", () => {
    const lines = new Map<string, string>();
    for (const line of run.stdout.split("\n")) {
      const colon = line.indexOf(": ");
      if (colon > 0) lines.set(line.slice(0, colon), line.slice(colon + 2));
    }
    for (const [name, figure] of Object.entries(report.figures)) {
      assert.equal(lines.get(name), `${figure.value} ${figure.unit}`, `the line of ${name}`);
    }
  });

  it("names the machine and the SQLite synchronous mode", () => {
    assert.ok(report.machine.cpu.length > 0);
    assert.ok(report.machine.cores > 0);
    assert.match(report.sqliteSynchronous, /^(FULL|NORMAL)$/);
    assert.match(run.stdout, /^machine_cpu: .+$/m);
    assert.match(run.stdout, /^machine_cores: \d+ cores$/m);
    assert.match(run.stdout, /^sqlite_synchronous: (FULL|NORMAL)$/m);
  });

  it("sees no failed request", () => {
    assert.doesNotMatch(run.stderr, /^error: /m);
  });

  it("removes the server's data directory and the SQLite ceiling's", () => {
    const left = readdirSync(dir).filter((name) => name.startsWith("veritrail-"));
    assert.deepEqual(left, []);
  });

  it("drops the schema of every PostgreSQL phase", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, async () => {
    const schemas = [...new Set(run.stderr.match(/\bvt_bench_[0-9a-f]{12}\b/g) ?? [])];
    // v2, COPY, v1, then v1 on 1, 2 and 3 processes and v2 on 2 and 3.
    assert.equal(schemas.length, 8, `schemas named by the run: ${schemas.join(", ")}`);
    // The bench's own database: VERITRAIL_BENCH_DATABASE_URL comes first, as in the bench.
    const databaseUrl = process.env["VERITRAIL_BENCH_DATABASE_URL"] || TEST_DATABASE_URL;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ nspname: string }>(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)",
        [schemas],
      );
      assert.deepEqual(rows, []);
    } finally {
      await client.end();
    }
  });
});
