import {
  type Envelope,
  isId,
  matchesQuery,
  parseQuery,
  parseReceivedAt,
  type QueryNode,
} from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { isActivityConfig } from "../../admin/activity-log.js";
import { nowIso } from "../../clock.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import {
  ERASURE_LEASE_ATTEMPTS,
  ERASURE_LEASE_RETRY_MS,
  MAX_ERASURE_EVENTS,
  MAX_ERASURE_REASON_LENGTH,
  MAX_ID_LENGTH,
  RETENTION_LEASE_MS,
} from "../../limits.js";
import { ColdArchive, dayOf } from "../../log/cold-archive.js";
import { coldMicros, RETENTION_LEASE } from "../../log/retention.js";
import type { Services } from "../../services.js";
import { type ErasureMark, RETENTION_ERASURE_ID } from "../../store/contract/erasure.js";
import type { ConfigRecord, EventSchema } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { authenticatedAdmin, recordAction } from "./admin-context.js";
import { readTimeWindow } from "./search-request.js";

/**
 * Erasure on request (docs/design/erasure.md), `POST v1/admin/erase` with the admin credential:
 * the events of one configuration that a search query matches in a time window, at most
 * `max_events` of them, lose their content. Their leaf hashes stay, so every proof keeps
 * verifying; they show as erased from then on. `dry_run` lists what would be erased. The erasure
 * is recorded in the admin activity log, under the request's id, which every erased record names.
 *
 * Events already in the cold archive (docs/design/erasure.md, "Archived events") are chosen by
 * the same query over the archived envelopes of the window, counted with the store's in one
 * bound, and erased in their day file too, under the `retention` lease so that no retention
 * pass writes or deletes a day file meanwhile. The order, each step idempotent: the store's
 * envelopes, then each day file (its rename is the commit point), then the store's expiry
 * tombstones of the lines erased, which take the erasure's mark.
 */
export function registerErasureRoutes(app: FastifyInstance, services: Services): void {
  const { store, directory, clock } = services;
  const archive = new ColdArchive(services.config.archiveDir);

  app.post("/v1/admin/erase", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", [
      "config_id",
      "query",
      "start",
      "end",
      "max_events",
      "reason",
      "dry_run",
    ]);
    const config = await readConfig(body, admin.projectId);
    const query = body.raw("query");
    let parsed: ReturnType<typeof parseQuery> | undefined;
    if (query === undefined || query === null) {
      if (body.isObject)
        body.errors.push({ code: "FieldRequired", detail: "query is required", source: "/query" });
    } else if (typeof query !== "string") {
      body.errors.push({ code: "InvalidString", detail: "query must be a string", source: "/query" });
    } else if (config) {
      parsed = parseQuery(query, config.settings.schema);
      if (!parsed.ok) {
        const { code, detail, source } = parsed.error;
        body.errors.push({ code, detail, source });
      }
    }
    const { startMicros, endMicros } = readTimeWindow(body, clock.nowMicros());
    const maxEvents = body.integer("max_events", { min: 1, max: MAX_ERASURE_EVENTS }) ?? MAX_ERASURE_EVENTS;
    const reason = body.string("reason", {
      max: MAX_ERASURE_REASON_LENGTH,
      pattern: /\S/,
      patternText: "a non-empty reason",
    });
    if (body.isObject && !body.has("reason")) {
      body.errors.push({
        code: "FieldRequired",
        detail: "reason is required: the reference of the erasure request it answers",
        source: "/reason",
      });
    }
    const dryRun = body.boolean("dry_run") ?? false;
    body.throwIfInvalid();
    if (!config || !parsed?.ok) throw new Error("an erasure that did not validate passed validation");

    const resolved = await directory.get(config.id);
    const { leaves: found } = await store.search.searchLeaves({
      treeId: resolved.treeId,
      schema: config.settings.schema,
      fieldNumbers: resolved.fieldNumbers,
      where: parsed.ast,
      startMicros,
      endMicros,
      order: "asc",
      orderBy: { kind: "received_at" },
      limit: maxEvents + 1,
    });
    // Whole or not at all: an erasure never stops part way through what its query chose.
    if (found.length > maxEvents) {
      throw ApiError.validation([
        {
          code: "AboveMaxItems",
          detail: `the query matches more than ${maxEvents} events in the window; narrow it or raise max_events (at most ${MAX_ERASURE_EVENTS})`,
          source: "/max_events",
        },
      ]);
    }
    const erasureId = request.veritrail.requestId;
    const erasedAt = nowIso(clock);
    const mark: ErasureMark = { erasureId, erasedAt };
    const days = await archive.daysOf(
      config.id,
      startMicros === undefined ? undefined : dayOf(startMicros),
      endMicros === undefined ? undefined : dayOf(endMicros),
    );
    // The archive is read and rewritten only under the retention lease: no retention pass writes
    // or deletes a day file meanwhile, and no other erasure rewrites one.
    const owner = `erasure-${erasureId}`;
    // With cold storage on, a pass may be writing a day file from envelopes read before this
    // erasure: the lease makes the erasure wait for its rename, then rewrite the file.
    const leased = !dryRun && (days.length > 0 || coldMicros(config.settings) !== undefined);
    if (leased) await takeLease(owner);
    try {
      const archived =
        days.length === 0
          ? { matches: [], earlier: [] }
          : await findArchived(config.id, config.settings.schema, parsed.ast, {
              startMicros,
              endMicros,
              limit: maxEvents + 1,
            });
      const hashes = new Map(archived.matches.map((line) => [line.leafIndex, line.hash]));
      const chosen = [...new Set([...found, ...hashes.keys()])].sort((a, b) => a - b);
      // Whole or not at all: an erasure never stops part way through what its query chose.
      if (chosen.length > maxEvents) {
        throw ApiError.validation([
          {
            code: "AboveMaxItems",
            detail: `the query matches more than ${maxEvents} events in the window; narrow it or raise max_events (at most ${MAX_ERASURE_EVENTS})`,
            source: "/max_events",
          },
        ]);
      }
      if (dryRun) {
        for (const leaf of await store.search.getLeaves(resolved.treeId, found))
          hashes.set(leaf.leafIndex, leaf.hash.toString("hex"));
        const listed = chosen.filter((leafIndex) => hashes.has(leafIndex));
        return sendEnvelope(request, reply, "Success", `Would erase ${listed.length} event(s)`, {
          dry_run: true,
          config_id: config.id,
          count: listed.length,
          events: listed.map((leafIndex) => ({ leaf_index: leafIndex, hash: hashes.get(leafIndex)! })),
        });
      }
      // 1. The envelopes still in the store (an event archived but not yet expired has one too).
      const erased = await store.erasure.eraseEvents({
        treeId: resolved.treeId,
        schema: config.settings.schema,
        leafIndices: chosen,
        mark,
      });
      // 2. Each day file holding a chosen event with its envelope: rewritten, renamed into place.
      const fromArchive: { leafIndex: number; hash: string }[] = [];
      const byDay = new Map<number, Map<number, { erasure_id: string; erased_at: string }>>();
      for (const line of archived.matches) {
        const marks = byDay.get(line.dayMicros) ?? new Map();
        marks.set(line.leafIndex, { erasure_id: erasureId, erased_at: erasedAt });
        byDay.set(line.dayMicros, marks);
      }
      for (const [dayMicros, marks] of byDay) {
        await keepLease(owner);
        fromArchive.push(...(await archive.eraseLines(config.id, dayMicros, marks)));
      }
      // 3. Their expiry tombstones say erased, under this request, instead of expired.
      await store.erasure.eraseExpiredEvents({
        treeId: resolved.treeId,
        leafIndices: fromArchive.map((line) => line.leafIndex),
        mark,
      });
      // A day file an earlier erasure rewrote before it could mark the store (a crash between
      // the two) is finished here, under that erasure's own mark; it is not counted again.
      for (const earlier of groupByMark(archived.earlier)) {
        await store.erasure.eraseExpiredEvents({ treeId: resolved.treeId, ...earlier });
      }
      const all = new Map(erased.map((leaf) => [leaf.leafIndex, leaf.hash.toString("hex")]));
      for (const line of fromArchive) all.set(line.leafIndex, line.hash);
      const events = [...all.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([leafIndex, hash]) => ({ leaf_index: leafIndex, hash }));
      await recordAction(services, request, admin, {
        action: "erasure",
        target: config.id,
        summary: `Erased the content of ${events.length} event(s) of configuration ${config.id} (${config.name}): ${reason}`,
        new: {
          erasure_id: erasureId,
          reason,
          query,
          start: body.raw("start") ?? null,
          end: body.raw("end") ?? null,
          count: events.length,
          archived_count: fromArchive.length,
          leaf_indices: leafRanges(events.map((event) => event.leaf_index)),
        },
      });
      return sendEnvelope(request, reply, "Success", `Erased ${events.length} event(s)`, {
        erasure_id: erasureId,
        config_id: config.id,
        erased_at: erasedAt,
        count: events.length,
        archived_count: fromArchive.length,
        events,
      });
    } finally {
      if (leased) await store.jobs.releaseLease(RETENTION_LEASE, owner).catch(() => undefined);
    }
  });

  /** Takes the retention lease for `owner`, waiting a little for a pass to end; `Conflict` otherwise. */
  async function takeLease(owner: string): Promise<void> {
    for (let attempt = 0; attempt < ERASURE_LEASE_ATTEMPTS; attempt++) {
      if (await store.jobs.tryLease(RETENTION_LEASE, owner, RETENTION_LEASE_MS, clock.nowMillis())) return;
      await new Promise((resolve) => setTimeout(resolve, ERASURE_LEASE_RETRY_MS));
    }
    throw new ApiError(
      "Conflict",
      "The retention job is writing this log's cold archive: nothing was erased; retry the erasure shortly",
    );
  }

  /** Renews the lease between day files; if it went to another process, stops (a retry finishes). */
  async function keepLease(owner: string): Promise<void> {
    if (await store.jobs.tryLease(RETENTION_LEASE, owner, RETENTION_LEASE_MS, clock.nowMillis())) return;
    throw new ApiError(
      "Conflict",
      "The erasure lost the archive's lease part way through: retry it to finish (what is done is not done twice)",
    );
  }

  /**
   * The archived events of the window that `where` matches, read day file by day file (at most
   * `limit` of them), and the lines of the window erased earlier on request (at most
   * `MAX_ERASURE_EVENTS`), whose store tombstone a crashed erasure may have left saying expired.
   */
  async function findArchived(
    configId: string,
    schema: EventSchema,
    where: QueryNode,
    window: { startMicros: number | undefined; endMicros: number | undefined; limit: number },
  ): Promise<{
    matches: { leafIndex: number; hash: string; dayMicros: number }[];
    earlier: { leafIndex: number; erasure_id: string; erased_at: string }[];
  }> {
    const matches: { leafIndex: number; hash: string; dayMicros: number }[] = [];
    const earlier: { leafIndex: number; erasure_id: string; erased_at: string }[] = [];
    const { startMicros, endMicros } = window;
    for await (const lines of archive.readDays(configId, { startMicros, endMicros, order: "asc" })) {
      for (const line of lines) {
        if (!line.envelope) {
          if (
            line.erased &&
            line.erased.erasure_id !== RETENTION_ERASURE_ID &&
            earlier.length < MAX_ERASURE_EVENTS
          )
            earlier.push({ leafIndex: line.leafIndex, ...line.erased });
          continue;
        }
        const receivedAtText = String(line.envelope["received_at"]);
        const receivedAt = parseReceivedAt(receivedAtText);
        if (startMicros !== undefined && receivedAt < startMicros) continue;
        if (endMicros !== undefined && receivedAt > endMicros) continue;
        const event = line.envelope["event"] as Envelope["event"];
        if (!matchesQuery(where, { event, receivedAt: receivedAtText }, schema)) continue;
        matches.push({ leafIndex: line.leafIndex, hash: line.hash, dayMicros: dayOf(receivedAt) });
        if (matches.length >= window.limit) return { matches, earlier };
      }
    }
    return { matches, earlier };
  }
  /** The live configuration of the admin's project that `config_id` names, problems recorded on `body`. */
  async function readConfig(body: BodyReader, projectId: string): Promise<ConfigRecord | undefined> {
    const id = body.string("config_id", { max: MAX_ID_LENGTH });
    if (body.isObject && !body.has("config_id")) {
      body.errors.push({ code: "FieldRequired", detail: "config_id is required", source: "/config_id" });
      return undefined;
    }
    if (id === undefined) return undefined;
    const config = isId("pci", id) ? await store.configs.getConfig(id) : undefined;
    if (!config || config.projectId !== projectId) {
      body.errors.push({
        code: "ConfigNotExist",
        detail: "no configuration of this project has this id",
        source: "/config_id",
      });
      return undefined;
    }
    if (isActivityConfig(config)) {
      body.errors.push({
        code: "BadState",
        detail: "the admin activity log records who did what and is not erased",
        source: "/config_id",
      });
      return undefined;
    }
    return config;
  }
}

/** Earlier erasures' lines grouped by their mark, for `eraseExpiredEvents`. */
function groupByMark(
  lines: readonly { leafIndex: number; erasure_id: string; erased_at: string }[],
): { leafIndices: number[]; mark: ErasureMark }[] {
  const groups = new Map<string, { leafIndices: number[]; mark: ErasureMark }>();
  for (const line of lines) {
    const key = `${line.erasure_id} ${line.erased_at}`;
    const group = groups.get(key) ?? {
      leafIndices: [],
      mark: { erasureId: line.erasure_id, erasedAt: line.erased_at },
    };
    group.leafIndices.push(line.leafIndex);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Leaf indices in ascending order as compact ranges: `[3, 4, 5, 9]` → `"3-5,9"`. */
export function leafRanges(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(i === j ? String(indices[i]) : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
