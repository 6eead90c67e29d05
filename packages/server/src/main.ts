import { IdGenerator } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { type DestinationStream, type Logger, pino } from "pino";
import { type AdminActivity, AdminActivityLog } from "./admin/activity-log.js";
import { Authenticator } from "./auth/authenticator.js";
import { bootstrap, describeBootstrap } from "./bootstrap.js";
import { type Clock, nowIso, systemClock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import { createApp } from "./http/app.js";
import { Sequencer } from "./ingest/sequencer.js";
import { exportJob } from "./jobs/kinds/export.js";
import { logAsyncJob } from "./jobs/kinds/log-async.js";
import { JobRunner, retryDelayMs } from "./jobs/runner.js";
import { ColdArchive } from "./log/cold-archive.js";
import { ConfigDirectory } from "./log/config-directory.js";
import { RetentionJob } from "./log/retention.js";
import { createPublishing, type Publishing } from "./publish/setup.js";
import type { Store } from "./store/contract/store.js";
import { openStore } from "./store/open-store.js";

/** A running service: its HTTP app and what must be closed, in order, on shutdown. */
export interface Service {
  app: FastifyInstance;
  store: Store;
  /** Writes admin actions to the activity log (admin/activity-log.ts). */
  activity: AdminActivityLog;
  /** The background job runner; `whenIdle()` waits out the pass under way. */
  jobs: Pick<JobRunner, "wake" | "whenIdle">;
  /** Signed checkpoints and their anchors (publish/); tests drive `publisher.publishNow()`. */
  publishing: Publishing;
  /** The retention job (log/retention.ts); tests drive `retention.tick()`. */
  retention: RetentionJob;
  /** Stops accepting, finishes in-flight requests and batches, closes the database. */
  close(): Promise<void>;
}

/**
 * Wires a service from a validated configuration and an open store. The store is passed in,
 * so tests run the same wiring against SQLite in memory or a PostgreSQL test database.
 */
export function createService(options: {
  config: ServerConfig;
  store: Store;
  clock?: Clock;
  log?: Logger;
}): Service {
  const { config, store } = options;
  const clock = options.clock ?? systemClock;
  const nowMillis = () => clock.nowMillis();
  const log = options.log ?? createLogger(config);
  const sequencer = new Sequencer({
    store,
    nowMicros: () => clock.nowMicros(),
    maxBatchEvents: config.maxBatchEvents,
    maxQueuedEvents: config.maxQueuedEvents,
  });
  const authenticator = new Authenticator({ store, cacheMs: config.authCacheMs, nowMillis });
  const directory = new ConfigDirectory({ store, cacheMs: config.authCacheMs, nowMillis });
  // One archive for retention, which writes it, and the cold exports, which read it.
  const archive = new ColdArchive(config.archiveDir);
  const jobs = new JobRunner({
    jobs: store.jobs,
    kinds: [logAsyncJob({ sequencer, directory }), exportJob({ store, directory, clock, archive })],
    clock,
    log,
    leaseMs: config.asyncLeaseMs,
    pollMs: config.asyncPollMs,
    purges: [{ what: "search result sets", run: (now) => store.search.deleteExpiredResultSets(now) }],
  });
  const ids = new IdGenerator();
  const publishing = createPublishing({ config, store, clock, log, retryDelay: (n) => retryDelayMs(n) });
  const activity = new AdminActivityLog({ store, sequencer, directory, clock, ids, log });
  const app = createApp(
    {
      config,
      store,
      sequencer,
      authenticator,
      directory,
      clock,
      ids,
      jobs,
      publishing: publishing.view,
      activity,
    },
    log,
  );
  const retention = new RetentionJob({ store, clock, log, archive });
  jobs.start();
  retention.start();
  publishing.publisher.start();
  publishing.anchors.start();
  return {
    app,
    store,
    activity,
    jobs,
    publishing,
    retention,
    async close() {
      await app.close();
      await retention.stop();
      await publishing.publisher.stop();
      await publishing.anchors.stop();
      await jobs.stop();
      await sequencer.close();
      await store.close();
    },
  };
}

/** The service's logger: JSON lines at the configured level, to stdout unless told otherwise. */
export function createLogger(config: ServerConfig, destination?: DestinationStream): Logger {
  return pino({ level: config.logLevel, redact: ["req.headers.authorization"] }, destination);
}

/** What tests and embedders may hand `startServer` instead of what the configuration names. */
export interface StartOptions {
  /** A store to serve, not yet migrated; otherwise the one the configuration names. */
  store?: Store;
  /** Where the log lines go (stdout by default). */
  logDestination?: DestinationStream;
  /** Where the first-start message goes (stdout by default). */
  print?: (text: string) => void;
  /** The clock of start-up and of the service (the system's by default). */
  clock?: Clock;
}

/**
 * `veritrail serve`: opens the store, migrates, runs start-up setup (which may revoke an admin
 * credential an earlier `VERITRAIL_ADMIN_TOKEN` made, saying so in the log), listens.
 */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<Service> {
  const store = options.store ?? (await openStore(config));
  const log = createLogger(config, options.logDestination);
  await store.migrate();
  const clock = options.clock ?? systemClock;
  const done: AdminActivity[] = [];
  const report = await bootstrap(store, config, () => nowIso(clock), log, done);
  const service = createService({ config, store, clock, log });
  // Start-up's own admin actions, recorded before the first request is served.
  for (const activity of done) await service.activity.record(activity);
  await service.app.listen({ host: config.host, port: config.port });
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  if (report) print(`${describeBootstrap(report, config.publicUrl)}\n`);
  const verifierKey = await service.publishing.view.verifierKey();
  print(`checkpoint verifier key: ${verifierKey}\n`);
  service.app.log.info(
    {
      url: config.publicUrl,
      backend: store.backend,
      dataDir: store.backend === "sqlite" ? config.dataDir : undefined,
      verifierKey,
    },
    "veritrail is serving",
  );
  return service;
}
