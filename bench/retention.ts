/**
 * The retention phase of `npm run bench`, on one backend, on the store alone (no HTTP): one
 * configuration (hot 1d, no warm tier) filled with indexed events received two days ago, in
 * transactions of 1000 through the append path; then the retention job expires all of them
 * while an ingest loop appends new events (1000 per transaction) until it is done. Figures, with
 * a `retention_` (or `pg_retention_`) prefix:
 * - `events_per_s`: events expired per second while ingestion runs;
 * - `append_events_per_s`: its ceiling, the same store appending the same indexed events alone in
 *   the same run (an expiry rewrites an events row and deletes its index rows, as an append
 *   writes them);
 * - `ratio`: the first over the second;
 * - `ingest_during_events_per_s`: what the ingest loop appended per second meanwhile, and
 *   `ingest_during_vs_alone`: that over `append_events_per_s`, the job's effect on ingestion.
 */
import pino from "pino";
import { systemClock } from "../packages/server/src/clock.js";
import { sequenceBatch } from "../packages/server/src/ingest/sequence-batch.js";
import { RetentionJob } from "../packages/server/src/log/retention.js";
import { searchEvents } from "./search-events.js";
import { indexedEntries, openBenchStore } from "./store-fixture.js";

export interface RetentionBenchOptions {
  backend: "sqlite" | "postgres";
  /** Events that expire. */
  events: number;
  /** For PostgreSQL: a URL whose connections use a fresh schema. */
  postgres?: { url: string };
  record(name: string, value: number, unit: string): void;
  progress(message: string): void;
}

const BATCH = 1000;
const TWO_DAYS_MICROS = 2 * 86_400_000_000;

export async function runRetentionBench(options: RetentionBenchOptions): Promise<void> {
  const { backend, record, progress } = options;
  const p = (name: string) => `${backend === "postgres" ? "pg_" : ""}retention_${name}`;
  const { store, config, close } = await openBenchStore(backend, options.postgres?.url, "retention");
  try {
    const settings = { ...config.settings, hot_storage: "1d", warm_storage: "0d" };
    if (!(await store.configs.updateConfig({ ...config, settings }, config.updatedAt)))
      throw new Error("could not set the bench configuration's retention");
    const schema = settings.schema;
    const treeId = (await store.log.getTreeHead(config.id))!.id;
    const next = searchEvents(29);
    const append = (count: number, nowMicros: number) =>
      store.log.appendBatch(treeId, (head) => sequenceBatch(head, [{ entries: entries(count) }], nowMicros));
    const entries = (count: number) => indexedEntries(count, schema, next);

    progress(`retention (${backend}): appending ${options.events} indexed events received two days ago`);
    const appendStart = performance.now();
    const old = systemClock.nowMicros() - TWO_DAYS_MICROS;
    for (let done = 0; done < options.events; done += BATCH)
      await append(Math.min(BATCH, options.events - done), old);
    const appendRate = options.events / ((performance.now() - appendStart) / 1000);

    progress(`retention (${backend}): expiring them while ingestion goes on`);
    const job = new RetentionJob({ store, clock: systemClock, log: pino({ level: "silent" }) });
    let running = true;
    let ingested = 0;
    const start = performance.now();
    const ingest = (async () => {
      while (running) {
        await append(BATCH, systemClock.nowMicros());
        ingested += BATCH;
      }
    })();
    const pass = await job.tick();
    const seconds = (performance.now() - start) / 1000;
    running = false;
    await ingest;
    const ingestSeconds = (performance.now() - start) / 1000;
    const expired = pass?.expired.find((e) => e.configId === config.id)?.count ?? 0;
    if (expired !== options.events) throw new Error(`expired ${expired} of ${options.events} events`);
    const rate = expired / seconds;
    const ingestRate = ingested / ingestSeconds;
    record(p("events_per_s"), rate, "events/s");
    record(p("append_events_per_s"), appendRate, "events/s");
    record(p("ratio"), rate / appendRate, "ratio");
    record(p("ingest_during_events_per_s"), ingestRate, "events/s");
    record(p("ingest_during_vs_alone"), ingestRate / appendRate, "ratio");
  } finally {
    await close();
  }
}
