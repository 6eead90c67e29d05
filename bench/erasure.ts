/**
 * The erasure phase of `npm run bench`, on one backend, on the store alone (no HTTP): one
 * configuration filled with indexed events (search-events.ts) in transactions of 1000 through the
 * append path, then erased 1000 events per `eraseEvents` call, every tenth leaf (one person's
 * events are scattered through a log). Figures, with a `erasure_` (or `pg_erasure_`) prefix:
 * - `events_per_s`: events erased per second;
 * - `append_events_per_s`: its ceiling, the same store appending 1000 indexed events per
 *   transaction in the same run (each writes an events row and its index rows per event, as an
 *   erasure rewrites one and deletes the other);
 * - `ratio`: the first over the second.
 */
import { sequenceBatch } from "../packages/server/src/ingest/sequence-batch.js";
import { searchEvents } from "./search-events.js";
import { indexedEntries, openBenchStore } from "./store-fixture.js";

export interface ErasureBenchOptions {
  backend: "sqlite" | "postgres";
  /** Events in the configuration; a tenth of them are erased. */
  events: number;
  /** For PostgreSQL: a URL whose connections use a fresh schema. */
  postgres?: { url: string };
  record(name: string, value: number, unit: string): void;
  progress(message: string): void;
}

const BATCH = 1000;

export async function runErasureBench(options: ErasureBenchOptions): Promise<void> {
  const { backend, record, progress } = options;
  const p = (name: string) => `${backend === "postgres" ? "pg_" : ""}erasure_${name}`;
  const { store, config, close } = await openBenchStore(backend, options.postgres?.url, "erasure");
  try {
    const schema = config.settings.schema;
    const treeId = (await store.log.getTreeHead(config.id))!.id;
    const next = searchEvents(23);

    progress(`erasure (${backend}): appending ${options.events} indexed events`);
    const appendStart = performance.now();
    for (let done = 0; done < options.events; done += BATCH) {
      const entries = indexedEntries(Math.min(BATCH, options.events - done), schema, next);
      await store.log.appendBatch(treeId, (head) => sequenceBatch(head, [{ entries }], Date.now() * 1000));
    }
    const appendRate = options.events / ((performance.now() - appendStart) / 1000);

    progress(`erasure (${backend}): erasing every tenth event, ${BATCH} per call`);
    const chosen = Array.from({ length: Math.floor(options.events / 10) }, (_, i) => i * 10);
    let erased = 0;
    const eraseStart = performance.now();
    for (let i = 0; i < chosen.length; i += BATCH) {
      const done = await store.erasure.eraseEvents({
        treeId,
        schema,
        leafIndices: chosen.slice(i, i + BATCH),
        mark: { erasureId: `prq_${String(i).padStart(32, "a")}`, erasedAt: new Date().toISOString() },
      });
      erased += done.length;
    }
    const eraseRate = erased / ((performance.now() - eraseStart) / 1000);
    if (erased !== chosen.length) throw new Error(`erased ${erased} of ${chosen.length} events`);
    record(p("events_per_s"), eraseRate, "events/s");
    record(p("append_events_per_s"), appendRate, "events/s");
    record(p("ratio"), eraseRate / appendRate, "ratio");
  } finally {
    await close();
  }
}
