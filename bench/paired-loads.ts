/**
 * Two `v2/log` loads compared on one bench server: each into its own configuration with a token
 * for it alone, in alternating rounds (A B B A …) so that other work on the machine weighs on both
 * alike, each with the server's CPU time per committed event beside its throughput (less disturbed
 * by other processes than wall-clock figures: time the server waits for a core is not counted).
 * The redaction phase (redaction.ts) and the search index's ingest phase (search-ingest.ts) are
 * such comparisons.
 */
import { type LoadResult, runLoad } from "./load.js";
import { BENCH_ADMIN_TOKEN, type BenchServer } from "./server-process.js";

/** An admin API call with the bench's admin token; its `result`, or an error naming the answer. */
export async function adminCall(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { status: string; result: Record<string, unknown> };
  if (answer.status !== "Success") throw new Error(`${path}: ${JSON.stringify(answer).slice(0, 500)}`);
  return answer.result;
}

/** A new configuration made of `document` (as `config/create` takes it), and a token for it alone. */
export async function configWithToken(baseUrl: string, document: Record<string, unknown>): Promise<string> {
  const config = await adminCall(baseUrl, "/v1beta/config/create", document);
  const token = await adminCall(baseUrl, "/v1/admin/token/create", {
    name: document["name"],
    grants: { audit: { configs: [config["id"]] } },
  });
  return token["token"] as string;
}

export interface PairedLoadOptions {
  server: BenchServer;
  /** The token of each side's configuration. */
  tokens: { a: string; b: string };
  /** `v2/log` bodies, sent in turn by every connection, of `batch` events each. */
  bodies: readonly string[];
  batch: number;
  connections: number;
  rounds: number;
  /** Seconds per side per round, and of each side's warm-up before the first round. */
  seconds: number;
  warmup: number;
  /** What went wrong in a load, named after its side. */
  problem(side: "a" | "b", problem: string): void;
}

/** One side's totals over every round. */
export interface PairedSide {
  eventsPerSecond: number;
  /** The server's CPU time per committed event, in µs. */
  cpuUsPerEvent: number;
}

export async function runPairedLoads(options: PairedLoadOptions): Promise<{ a: PairedSide; b: PairedSide }> {
  const { server, tokens, seconds, batch } = options;
  const load = (side: "a" | "b", duration: number): Promise<LoadResult> =>
    runLoad(
      {
        baseUrl: server.baseUrl,
        path: "/v2/log",
        token: tokens[side],
        bodies: options.bodies,
        connections: options.connections,
      },
      duration,
    );
  await load("a", options.warmup);
  await load("b", options.warmup);
  const totals = {
    a: { events: 0, seconds: 0, committed: 0, cpuMs: 0 },
    b: { events: 0, seconds: 0, committed: 0, cpuMs: 0 },
  };
  for (let round = 0; round < options.rounds; round++) {
    const order: Array<"a" | "b"> = round % 2 === 0 ? ["a", "b"] : ["b", "a"];
    for (const side of order) {
      const before = await server.stats();
      const result = await load(side, seconds);
      const after = await server.stats();
      for (const problem of result.problems) options.problem(side, problem);
      totals[side].events += result.requestsPerSecond * seconds * batch;
      totals[side].seconds += seconds;
      totals[side].committed += after.events - before.events;
      totals[side].cpuMs += after.cpuMs - before.cpuMs;
    }
  }
  const side = (t: (typeof totals)["a"]): PairedSide => ({
    eventsPerSecond: t.events / t.seconds,
    cpuUsPerEvent: (t.cpuMs * 1000) / t.committed,
  });
  return { a: side(totals.a), b: side(totals.b) };
}
