import {
  conjoin,
  type Envelope,
  type FieldRestrictions,
  MATCH_ALL,
  matchesQuery,
  parseReceivedAt,
  type QueryNode,
  restrictQuery,
} from "@veritrail/core";
import type { Clock } from "../../clock.js";
import { isoAt } from "../../clock.js";
import { MAX_SEARCH_RESULTS } from "../../limits.js";
import { ArchiveUnreadableError, type ColdArchive } from "../../log/cold-archive.js";
import type { ConfigDirectory, ResolvedConfig } from "../../log/config-directory.js";
import { storedEventOf } from "../../log/erased-record.js";
import {
  EVENT_FILE_BATCH,
  type EventFileFormat,
  type EventFileSelection,
  eventFileText,
  leafBatches,
  writeGzipChunks,
} from "../../log/event-file.js";
import {
  coldMicros,
  retentionWindowOf,
  withoutExpiredBatches,
  withoutExpiredLeaves,
} from "../../log/retention.js";
import { erasedEnvelope } from "../../store/contract/erasure.js";
import type { SearchOrderBy } from "../../store/contract/search.js";
import type { AsyncRequestRecord, LeafRecord, Store } from "../../store/contract/store.js";
import { type JobKind, type JobLease, PermanentJobError } from "../job-kind.js";

/** The stored work of a `v1/export` request: what was read and checked before the 202. */
export interface ExportPayload {
  format: EventFileFormat;
  verbose: boolean;
  order: "asc" | "desc";
  orderBy: SearchOrderBy;
  /** The `received_at` window, microseconds, inclusive; absent is open (an export has no default window). */
  startMicros?: number | undefined;
  endMicros?: number | undefined;
  /**
   * The token's field restrictions on the configuration when the export was asked for, as the
   * grant holds them: the export holds only what they allow, and its download is refused once
   * the token's restrictions are no longer these.
   */
  restriction: FieldRestrictions;
  /** A cold export (docs/design/retention.md): the archived events of the window, not the store's. */
  cold?: boolean;
}

/** Reads a stored payload, or fails the request for good: retrying cannot make it readable. */
function readPayload(request: AsyncRequestRecord): ExportPayload {
  try {
    const payload = JSON.parse(request.payload) as ExportPayload;
    if (payload.format !== "csv" && payload.format !== "json") throw new Error(`format ${payload.format}`);
    return payload;
  } catch (error) {
    throw new PermanentJobError("PayloadUnreadable", "The stored request could not be read", {
      cause: error,
    });
  }
}

/**
 * The first leaf index below `size` whose `received_at` satisfies `reached`, which once true
 * stays true (leaves are stamped in strictly increasing order): O(log n) single reads.
 */
async function firstIndexWhere(
  store: Store,
  treeId: number,
  size: number,
  reached: (receivedAtMicros: number) => boolean,
): Promise<number> {
  let low = 0;
  let high = size;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const leaf = await store.log.getLeaf(treeId, mid);
    if (!leaf) throw new Error(`tree ${treeId} has no leaf ${mid} below its size ${size}`);
    if (reached(leaf.receivedAt)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The leaves of the window in `received_at` order (which is leaf order), `EVENT_FILE_BATCH` at a
 * time, keeping the lease between batches. The window is a range of leaf indices, found by
 * binary search, so an export of any size reads each event once and holds one batch.
 */
async function* windowBatches(
  store: Store,
  treeId: number,
  size: number,
  payload: ExportPayload,
  lease: JobLease,
): AsyncGenerator<LeafRecord[]> {
  const { startMicros, endMicros } = payload;
  const from =
    startMicros === undefined ? 0 : await firstIndexWhere(store, treeId, size, (t) => t >= startMicros);
  const to =
    endMicros === undefined ? size : await firstIndexWhere(store, treeId, size, (t) => t > endMicros);
  const count = Math.max(0, to - from);
  for (let done = 0; done < count; done += EVENT_FILE_BATCH) {
    const n = Math.min(EVENT_FILE_BATCH, count - done);
    const indices =
      payload.order === "asc"
        ? Array.from({ length: n }, (_, i) => from + done + i)
        : Array.from({ length: n }, (_, i) => to - 1 - done - i);
    // A leaf missing from a damaged store is left out, not a reason to fail the whole export:
    // the file's leaf indices then show the gap, which a verifier reports (docs/design/exports.md).
    yield await store.search.getLeaves(treeId, indices);
    await lease.keep();
  }
}

/**
 * The archived events of the window (a cold export), in leaf order per `order`, one archive batch
 * at a time: each line becomes the leaf record it was archived from (its envelope, or the
 * tombstone of its erasure), with the line's own hash, so a damaged archive fails verification
 * rather than being patched from the store. An erased line carries no `received_at`; the store's
 * row, which keeps it, gives the time by which the window filters it.
 */
async function* archiveBatches(
  store: Store,
  archive: ColdArchive,
  treeId: number,
  configId: string,
  payload: ExportPayload,
  lease: JobLease,
): AsyncGenerator<LeafRecord[]> {
  const { startMicros, endMicros } = payload;
  const days = archive.readDays(configId, { startMicros, endMicros, order: payload.order });
  for await (const lines of days) {
    const erased = lines.filter((line) => line.envelope === undefined).map((line) => line.leafIndex);
    const stored = new Map(
      erased.length === 0
        ? []
        : (await store.search.getLeaves(treeId, erased)).map((leaf) => [leaf.leafIndex, leaf.receivedAt]),
    );
    const leaves: LeafRecord[] = [];
    for (const line of lines) {
      const receivedAt = line.envelope
        ? parseReceivedAt(String(line.envelope["received_at"]))
        : stored.get(line.leafIndex);
      if (receivedAt === undefined || !Number.isSafeInteger(receivedAt)) {
        throw new ArchiveUnreadableError(`the archived event at leaf ${line.leafIndex} has no received_at`);
      }
      if (startMicros !== undefined && receivedAt < startMicros) continue;
      if (endMicros !== undefined && receivedAt > endMicros) continue;
      leaves.push({
        leafIndex: line.leafIndex,
        receivedAt,
        hash: Buffer.from(line.hash, "hex"),
        envelope: line.envelope
          ? JSON.stringify(line.envelope)
          : erasedEnvelope({ erasureId: line.erased!.erasure_id, erasedAt: line.erased!.erased_at }),
      });
    }
    yield leaves;
    await lease.keep();
  }
}

/** Keeps only the leaves whose stored event `where` matches (the token's restrictions). */
async function* restricted(
  batches: AsyncIterable<LeafRecord[]>,
  where: QueryNode,
  resolved: ResolvedConfig,
): AsyncGenerator<LeafRecord[]> {
  const schema = resolved.config.settings.schema;
  for await (const leaves of batches) {
    yield leaves.filter((leaf) => {
      const { event, receivedAt } = storedEventOf(leaf);
      return matchesQuery(where, { event: event as Envelope["event"], receivedAt }, schema);
    });
  }
}

/** A cold export of a configuration without cold storage: no archived events. */
async function* noBatches(): AsyncGenerator<LeafRecord[]> {}

/** Passes batches through, keeping the lease between them. */
async function* keeping(batches: AsyncIterable<LeafRecord[]>, lease: JobLease): AsyncGenerator<LeafRecord[]> {
  for await (const leaves of batches) {
    yield leaves;
    await lease.keep();
  }
}

/**
 * `v1/export` (wire-protocol §4.5, docs/design/exports.md): writes the configuration's events
 * in the window, as the token may read them, to a gzip file stored in chunks in the database,
 * so that any process serves its download. The request is marked done (result `{}`) in the
 * same transaction that records the file; a retaken request starts its file again under its
 * new attempt number, and chunks of an attempt that lost are never read.
 *
 * - Ordered by `received_at` (the default), the window is a range of leaves read in batches:
 *   any size, constant memory. The token's restrictions filter each batch with core's
 *   `matchesQuery`, the reference every backend's search is held to.
 * - Ordered by a schema field, the search index orders the window (restrictions ANDed into the
 *   query), and such an export holds at most `MAX_SEARCH_RESULTS` events; more fails it with
 *   `ExportTooLarge`.
 * - Proofs (`verbose`, JSON only) are against the root at the tree's size when the job read it.
 * - A cold export (`cold`) reads the configuration's cold archive (`archiveBatches`), day file by
 *   day file, filtered by the restrictions as above; its proofs come from the tree, which keeps
 *   every hash. With cold storage off (or no archive given) its file is empty.
 */
export function exportJob(deps: {
  store: Store;
  directory: ConfigDirectory;
  clock: Clock;
  /** The cold archive that cold exports read (docs/design/retention.md). */
  archive?: ColdArchive | undefined;
}): JobKind {
  const { store, directory, clock, archive } = deps;
  return {
    endpoint: "v1/export",
    async run(request: AsyncRequestRecord, lease: JobLease): Promise<void> {
      const accepted = readPayload(request);
      const resolved = await directory.find(request.configId);
      if (!resolved) {
        throw new PermanentJobError(
          "ConfigurationDeleted",
          "The configuration of this request no longer exists",
        );
      }
      const { treeId } = resolved;
      const schema = resolved.config.settings.schema;
      const asWritten = restrictQuery(MATCH_ALL, schema, { token: accepted.restriction });
      const rewritten = resolved.redactor ? resolved.redactor.rewriteQuery(asWritten) : asWritten;
      // Each partition's events within its own tiers as of now, not as of the 202 (retention.md).
      // A cold export reads the archive, which holds only what is past the tiers: no clamp.
      const kept = accepted.cold
        ? { startMicros: undefined, where: MATCH_ALL }
        : retentionWindowOf(resolved.config.settings, clock.nowMicros());
      const where = conjoin([rewritten, kept.where]);
      const payload: ExportPayload = {
        ...accepted,
        startMicros:
          kept.startMicros === undefined
            ? accepted.startMicros
            : Math.max(accepted.startMicros ?? kept.startMicros, kept.startMicros),
      };

      let size: number;
      let batches: AsyncIterable<LeafRecord[]>;
      if (payload.cold) {
        size = (await store.log.getTreeHead(request.configId))?.size ?? 0;
        batches =
          archive && coldMicros(resolved.config.settings) !== undefined
            ? archiveBatches(store, archive, treeId, request.configId, payload, lease)
            : noBatches();
        if (where.kind !== "all") batches = restricted(batches, where, resolved);
      } else if (payload.orderBy.kind === "received_at") {
        size = (await store.log.getTreeHead(request.configId))?.size ?? 0;
        batches = windowBatches(store, treeId, size, payload, lease);
        if (where.kind !== "all") batches = restricted(batches, where, resolved);
        if (kept.where.kind !== "all") batches = withoutExpiredBatches(batches);
      } else {
        const { leaves: found } = await store.search.searchLeaves({
          treeId,
          schema,
          fieldNumbers: resolved.fieldNumbers,
          where,
          startMicros: payload.startMicros,
          endMicros: payload.endMicros,
          order: payload.order,
          orderBy: payload.orderBy,
          limit: MAX_SEARCH_RESULTS + 1,
        });
        const leaves = kept.where.kind === "all" ? found : await withoutExpiredLeaves(store, treeId, found);
        if (leaves.length > MAX_SEARCH_RESULTS) {
          throw new PermanentJobError(
            "ExportTooLarge",
            `An export ordered by ${payload.orderBy.fieldId} holds at most ${MAX_SEARCH_RESULTS} events and this one has more: order it by received_at, or narrow start and end`,
          );
        }
        // Read after the search, so every event found has a proof against the root at this size.
        size = (await store.log.getTreeHead(request.configId))?.size ?? 0;
        batches = keeping(leafBatches(store, treeId, leaves), lease);
      }

      // Only a window that nothing filters is a whole range of leaves (log/event-file.ts); the
      // archive holds what has been archived so far, so a cold export is a selection.
      const selection: EventFileSelection =
        !payload.cold && payload.orderBy.kind === "received_at" && where.kind === "all" ? "range" : "matches";
      const tally = { events: 0 };
      const text = eventFileText(
        store,
        {
          tree: resolved,
          schema,
          format: payload.format,
          selection,
          tally,
          proveAt: payload.verbose && payload.format === "json" ? size : undefined,
        },
        batches,
      );
      const attempt = request.attempts;
      try {
        const { chunks, bytes } = await writeGzipChunks(text, (seq, data) =>
          store.jobs.writeExportChunk(request.id, attempt, seq, data),
        );
        await store.jobs.finishExport(
          {
            requestId: request.id,
            attempt,
            format: payload.format,
            chunks,
            bytes,
            events: tally.events,
            restriction: JSON.stringify(payload.restriction),
            createdAt: isoAt(clock.nowMillis()),
          },
          "{}",
        );
      } catch (error) {
        // This attempt's chunks are of no use to anyone now; a later attempt writes its own.
        await store.jobs.discardExportChunks(request.id, attempt).catch(() => undefined);
        if (error instanceof ArchiveUnreadableError) {
          // Reading it again gives the same lines: fail the request, saying which.
          throw new PermanentJobError("ArchiveUnreadable", error.message, { cause: error });
        }
        throw error;
      }
    },
  };
}
