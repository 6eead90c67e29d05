/**
 * The proof and publishing phases of `npm run bench` (issue 10 §6), on the SQLite store:
 * - trees of 1,000,000 and 10,000,000 leaves (20,000 and 100,000 with `--quick`) built through the
 *   store's own append path (`appendBatch`, as the sequencer commits, without HTTP or search
 *   index rows, to keep the run short); the build rate;
 * - membership and consistency proof generation (`log/proofs.ts` on the store, random leaf or old
 *   size, at the full size): p50 and p99. Target ≤ 1 ms p50. Beside them, the ceiling: the time
 *   of the log2(n) SHA-256 of 64 bytes that verifying such a proof costs, from the raw SHA-256 rate
 *   measured in this run (`proofs_sha256_64b_hashes_per_s`);
 * - `v1/root` for a random `tree_size` over HTTP against the service on the largest tree: p50, and
 *   as its ceiling the same root and consistency proof computed on the store alone, in this process;
 * - publishing latency under load: with the default publishing settings, `v2/log` load on a fresh
 *   server while probe events are logged one at a time; the latency is from a probe's
 *   acknowledgement to a search seeing it `published` (covered by a signed checkpoint). p50 and
 *   p99, beside the bound the design gives at that load: the trigger (`everyEvents` at the
 *   measured rate, or the interval, whichever is shorter) plus one poll (`PUBLISH_POLL_MS`).
 * Figures carry a `proofs_` or `publish_` prefix.
 */
import { createHash, randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrap } from "../packages/server/src/bootstrap.js";
import { loadConfig } from "../packages/server/src/config.js";
import { PUBLISH_POLL_MS } from "../packages/server/src/limits.js";
import { consistencyProof, membershipProof, rootAt } from "../packages/server/src/log/proofs.js";
import { sequenceEvents } from "../packages/server/src/store/conformance/fixtures.js";
import { SqliteStore } from "../packages/server/src/store/sqlite/sqlite-store.js";
import { makeEvents, v2Body } from "./events.js";
import { runLoad } from "./load.js";
import { BENCH_ADMIN_TOKEN, BENCH_AUDIT_TOKEN, startBenchServer } from "./server-process.js";

export interface ProofsBenchOptions {
  quick: boolean;
  record(name: string, value: number, unit: string): void;
  progress(message: string): void;
}

const BATCH = 10_000;

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

async function sample(count: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(20, count); i++) await fn(); // warm statements and caches
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return percentiles(samples);
}

/** SHA-256 of 64-byte inputs (one inner node), hashes/s. */
function sha256Rate(seconds: number): number {
  const input = Buffer.alloc(64, 7);
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 1000; i++) createHash("sha256").update(input).digest();
    count += 1000;
  }
  return count / ((performance.now() - start) / 1000);
}

/** A label for a size: 1m, 10m, 20k. */
function label(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}m` : `${size / 1000}k`;
}

/** What this bench reads of an answer. */
interface Answer {
  status: number;
  json: { result?: { events?: { published?: boolean }[] } };
}

async function post(baseUrl: string, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_AUDIT_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer["json"] };
}

export async function runProofsBench(options: ProofsBenchOptions): Promise<void> {
  const { quick, record, progress } = options;
  const sizes = quick ? [20_000, 100_000] : [1_000_000, 10_000_000];
  const samples = quick ? 200 : 2000;

  const hashRate = sha256Rate(quick ? 0.3 : 2);
  record("proofs_sha256_64b_hashes_per_s", hashRate, "hashes/s");

  const dataDir = mkdtempSync(join(tmpdir(), "veritrail-proofs-bench-"));
  const env = {
    VERITRAIL_DATA_DIR: dataDir,
    VERITRAIL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    VERITRAIL_INIT_AUDIT_TOKEN: BENCH_AUDIT_TOKEN,
  };
  let handedOver = false;
  try {
    const store = new SqliteStore({ dataDir, synchronous: "NORMAL" });
    await store.migrate();
    const report = await bootstrap(store, loadConfig(env), () => new Date().toISOString());
    const head = (await store.log.getTreeHead(report!.configId))!;
    const treeId = head.id;
    let size = 0;
    const nowMicros = Date.now() * 1000 - 86_400_000_000;
    let buildMs = 0;
    for (const target of sizes) {
      progress(`proofs: appending up to ${target} leaves through the store`);
      const started = performance.now();
      while (size < target) {
        const n = Math.min(BATCH, target - size);
        const batch = await store.log.appendBatch(treeId, (h) =>
          sequenceEvents(h, n, { tag: `p${size}`, nowMicros: nowMicros + size }),
        );
        size = batch.size;
      }
      buildMs += performance.now() - started;
      const key = label(target);
      record(`proofs_build_${key}_leaves_per_s`, target / (buildMs / 1000), "leaves/s");

      const membership = await sample(samples, () =>
        membershipProof(store, treeId, randomInt(target), target),
      );
      const consistency = await sample(samples, () =>
        consistencyProof(store, treeId, 1 + randomInt(target - 1), target),
      );
      // Verifying either proof folds about log2(n) pairs: the hashing it cannot do without.
      const foldMs = (Math.ceil(Math.log2(target)) / hashRate) * 1000;
      record(`proofs_membership_${key}_p50_ms`, membership.p50, "ms");
      record(`proofs_membership_${key}_p99_ms`, membership.p99, "ms");
      record(`proofs_consistency_${key}_p50_ms`, consistency.p50, "ms");
      record(`proofs_consistency_${key}_p99_ms`, consistency.p99, "ms");
      record(`proofs_fold_${key}_us`, foldMs * 1000, "µs");
      record(`proofs_membership_${key}_p50_vs_fold`, membership.p50 / foldMs, "ratio");
      record(`proofs_consistency_${key}_p50_vs_fold`, consistency.p50 / foldMs, "ratio");
    }
    const largest = sizes.at(-1)!;
    const key = label(largest);
    // The ceiling of v1/root: its root and consistency proof on the store alone, in this process.
    const direct = await sample(samples, async () => {
      const n = 2 + randomInt(largest - 1);
      await rootAt(store, treeId, n);
      await consistencyProof(store, treeId, n - 1, n);
    });
    await store.close();

    progress(`proofs: v1/root for random sizes over HTTP on the ${largest}-leaf tree`);
    const server = await startBenchServer({ dataDir });
    handedOver = true; // the server removes the data directory when it stops
    try {
      const check = await post(server.baseUrl, "/v1/root", { tree_size: largest });
      if (check.status !== 200)
        throw new Error(`v1/root answered ${check.status}: ${JSON.stringify(check.json)}`);
      const http = await sample(quick ? 100 : 1000, async () => {
        const answer = await post(server.baseUrl, "/v1/root", { tree_size: 1 + randomInt(largest) });
        if (answer.status !== 200) throw new Error(`v1/root answered ${answer.status}`);
      });
      record(`proofs_v1_root_${key}_p50_ms`, http.p50, "ms");
      record(`proofs_v1_root_${key}_p99_ms`, http.p99, "ms");
      record(`proofs_v1_root_store_${key}_p50_ms`, direct.p50, "ms");
      record(`proofs_v1_root_${key}_vs_store`, http.p50 / direct.p50, "ratio");
    } finally {
      await server.stop();
    }
  } finally {
    if (!handedOver) rmSync(dataDir, { recursive: true, force: true });
  }

  await publishingLatency(options);
}

/** Probes logged one at a time under `v2/log` load; how long until each is published. */
async function publishingLatency(options: ProofsBenchOptions): Promise<void> {
  const { quick, record, progress } = options;
  const seconds = quick ? 4 : 20;
  const server = await startBenchServer();
  try {
    const events = makeEvents(4 * 1000, 5);
    const bodies = Array.from({ length: 4 }, (_, i) => v2Body(events.slice(i * 1000, (i + 1) * 1000)));
    progress(`publishing: v2/log load for ${seconds} s with probes`);
    const load = runLoad(
      { baseUrl: server.baseUrl, token: BENCH_AUDIT_TOKEN, path: "/v2/log", bodies, connections: 4 },
      seconds,
    );
    const latencies: number[] = [];
    const until = performance.now() + (seconds - 1.5) * 1000;
    for (let i = 0; performance.now() < until; i++) {
      const message = `publish-probe-${process.pid}-${i}`;
      const logged = await post(server.baseUrl, "/v1/log", { event: { message } });
      if (logged.status !== 200) throw new Error(`v1/log answered ${logged.status}`);
      const acknowledged = performance.now();
      for (;;) {
        const found = await post(server.baseUrl, "/v1/search", { query: `message:${message}`, limit: 1 });
        if (found.json.result?.events?.[0]?.published === true) break;
        if (performance.now() - acknowledged > 60_000)
          throw new Error(`probe ${i} was not published in 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      latencies.push(performance.now() - acknowledged);
    }
    const result = await load;
    if (latencies.length === 0) throw new Error("no publishing probe finished");
    const { p50, p99 } = percentiles(latencies);
    record("publish_load_events_per_s", result.requestsPerSecond * 1000, "events/s");
    record("publish_probes", latencies.length, "events");
    record("publish_latency_p50_ms", p50, "ms");
    record("publish_latency_p99_ms", p99, "ms");
    // The design's bound: a tree is due after `everyEvents` new events or `intervalMs`, whichever
    // comes first, and is seen due within one poll. At this load that is the trigger below.
    const { intervalMs, everyEvents } = loadConfig({}).publish;
    const eventsPerSecond = result.requestsPerSecond * 1000;
    const triggerMs = Math.min(intervalMs, (everyEvents / Math.max(1, eventsPerSecond)) * 1000);
    record("publish_poll_ms", PUBLISH_POLL_MS, "ms");
    record("publish_trigger_ms", triggerMs, "ms");
    record("publish_latency_p50_vs_trigger_and_poll", p50 / (triggerMs + PUBLISH_POLL_MS), "ratio");
  } finally {
    await server.stop();
  }
}
