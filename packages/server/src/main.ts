import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { Authenticator } from "./auth/authenticator.js";
import { bootstrap, describeBootstrap } from "./bootstrap.js";
import { type Clock, systemClock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import { createApp } from "./http/app.js";
import { Sequencer } from "./ingest/sequencer.js";
import { logAsyncJob } from "./jobs/kinds/log-async.js";
import { JobRunner } from "./jobs/runner.js";
import { ConfigDirectory } from "./log/config-directory.js";
import type { Store } from "./store/contract/store.js";
import { openStore } from "./store/open-store.js";

/** A running service: its HTTP app and what must be closed, in order, on shutdown. */
export interface Service {
  app: FastifyInstance;
  store: Store;
  /** Stops accepting, finishes in-flight requests and batches, closes the database. */
  close(): Promise<void>;
}

/**
 * Wires a service from a validated configuration and an open store. The store is passed in,
 * so tests run the same wiring against SQLite in memory or a PostgreSQL test database.
 */
export function createService(options: { config: ServerConfig; store: Store; clock?: Clock }): Service {
  const { config, store } = options;
  const clock = options.clock ?? systemClock;
  const nowMillis = () => clock.nowMillis();
  const log = pino({ level: config.logLevel, redact: ["req.headers.authorization"] });
  const sequencer = new Sequencer({
    store,
    nowMicros: () => clock.nowMicros(),
    maxBatchEvents: config.maxBatchEvents,
    maxQueuedEvents: config.maxQueuedEvents,
  });
  const authenticator = new Authenticator({ store, cacheMs: config.authCacheMs, nowMillis });
  const directory = new ConfigDirectory({ store, cacheMs: config.authCacheMs, nowMillis });
  const jobs = new JobRunner({
    jobs: store.jobs,
    kinds: [logAsyncJob({ sequencer, directory })],
    clock,
    log,
    leaseMs: config.asyncLeaseMs,
    pollMs: config.asyncPollMs,
  });
  const app = createApp({ config, store, sequencer, authenticator, directory, clock, jobs }, log);
  jobs.start();
  return {
    app,
    store,
    async close() {
      await app.close();
      await jobs.stop();
      await sequencer.close();
      await store.close();
    },
  };
}

/** `veritrail serve`: opens the store, migrates, runs first-start setup, listens. */
export async function startServer(config: ServerConfig): Promise<Service> {
  const store = await openStore(config);
  await store.migrate();
  const report = await bootstrap(store, config, () => new Date().toISOString());
  const service = createService({ config, store });
  await service.app.listen({ host: config.host, port: config.port });
  if (report) process.stdout.write(`${describeBootstrap(report, config.publicUrl)}\n`);
  service.app.log.info(
    {
      url: config.publicUrl,
      backend: store.backend,
      dataDir: store.backend === "sqlite" ? config.dataDir : undefined,
    },
    "veritrail is serving",
  );
  return service;
}
