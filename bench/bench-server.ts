/**
 * The server under test, run as a child process of `bench/run.ts` so that its CPU time and
 * memory are its own and the load generator cannot share its event loop.
 *
 * It is the production service (`createService` over the store `openStore` picks, configured by
 * `loadConfig` from VERITRAIL_* variables and bootstrapped like a first start) plus two routes
 * that exist only here, registered on `service.app` before listening:
 * - `POST /bench/echo` answers the parsed body as JSON: the cost of HTTP, JSON parsing and
 *   serialisation with no audit work, i.e. the ceiling the audit routes are compared against;
 * - `GET /bench/stats` counts group commits, the events they wrote and the time they took (on
 *   SQLite they hold the event loop, commits being synchronous; on PostgreSQL they wait on the
 *   database with the event loop free), and the process's CPU time: the orchestrator turns
 *   differences of these into where the server's time went during a phase.
 *
 * Once listening it prints one line `{"ready":true,"port":N}` on stdout. It shuts down cleanly
 * on SIGTERM/SIGINT, or when its stdin closes (the orchestrator died).
 */
import { bootstrap } from "../packages/server/src/bootstrap.js";
import { loadConfig } from "../packages/server/src/config.js";
import { createService } from "../packages/server/src/main.js";
import { openStore } from "../packages/server/src/store/open-store.js";

/** The body of `GET /bench/stats`: running totals since start. */
export interface ServerStats {
  commits: number;
  events: number;
  /** Wall time spent inside `appendBatch` (head lock, sequencing, inserts, COMMIT and its fsync). */
  commitMs: number;
  /** CPU time of the whole process (user + system, all threads). */
  cpuMs: number;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const store = await openStore(config);
  await store.migrate();
  await bootstrap(store, config, () => new Date().toISOString());

  // Counts commits by wrapping the store's one write path; the service itself is unchanged.
  const stats: ServerStats = { commits: 0, events: 0, commitMs: 0, cpuMs: 0 };
  const appendBatch = store.log.appendBatch.bind(store.log);
  store.log.appendBatch = async (treeId, sequence) => {
    const start = performance.now();
    const batch = await appendBatch(treeId, sequence);
    stats.commitMs += performance.now() - start;
    stats.commits += 1;
    stats.events += batch.leaves.length;
    return batch;
  };

  const service = createService({ config, store });
  service.app.post("/bench/echo", async (request) => request.body);
  service.app.get("/bench/stats", async (): Promise<ServerStats> => {
    const cpu = process.cpuUsage();
    return { ...stats, cpuMs: (cpu.user + cpu.system) / 1000 };
  });
  await service.app.listen({ host: config.host, port: config.port });

  const address = service.app.server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  process.stdout.write(`${JSON.stringify({ ready: true, port: address.port })}\n`);

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`bench server: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.stdin.on("end", shutdown);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
