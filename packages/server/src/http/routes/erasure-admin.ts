import { isId, parseQuery } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { isActivityConfig } from "../../admin/activity-log.js";
import { nowIso } from "../../clock.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import { MAX_ERASURE_EVENTS, MAX_ERASURE_REASON_LENGTH, MAX_ID_LENGTH } from "../../limits.js";
import type { Services } from "../../services.js";
import type { ConfigRecord } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { authenticatedAdmin, recordAction } from "./admin-context.js";
import { readTimeWindow } from "./search-request.js";

/**
 * Erasure on request (docs/design/erasure.md), `POST v1/admin/erase` with the admin credential:
 * the events of one configuration that a search query matches in a time window, at most
 * `max_events` of them, lose their content. Their leaf hashes stay, so every proof keeps
 * verifying; they show as erased from then on. `dry_run` lists what would be erased. The erasure
 * is recorded in the admin activity log, under the request's id, which every erased record names.
 */
export function registerErasureRoutes(app: FastifyInstance, services: Services): void {
  const { store, directory, clock } = services;

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
    const found = await store.search.searchLeaves({
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
    if (dryRun) {
      const leaves = await store.search.getLeaves(resolved.treeId, found);
      return sendEnvelope(request, reply, "Success", `Would erase ${leaves.length} event(s)`, {
        dry_run: true,
        config_id: config.id,
        count: leaves.length,
        events: leaves.map((leaf) => ({ leaf_index: leaf.leafIndex, hash: leaf.hash.toString("hex") })),
      });
    }
    const erased = await store.erasure.eraseEvents({
      treeId: resolved.treeId,
      schema: config.settings.schema,
      leafIndices: found,
      mark: { erasureId, erasedAt },
    });
    const events = erased.map((leaf) => ({ leaf_index: leaf.leafIndex, hash: leaf.hash.toString("hex") }));
    await recordAction(services, request, admin, {
      action: "erasure",
      target: config.id,
      summary: `Erased the content of ${erased.length} event(s) of configuration ${config.id} (${config.name}): ${reason}`,
      new: {
        erasure_id: erasureId,
        reason,
        query,
        start: body.raw("start") ?? null,
        end: body.raw("end") ?? null,
        count: erased.length,
        leaf_indices: leafRanges(erased.map((leaf) => leaf.leafIndex)),
      },
    });
    return sendEnvelope(request, reply, "Success", `Erased ${erased.length} event(s)`, {
      erasure_id: erasureId,
      config_id: config.id,
      erased_at: erasedAt,
      count: erased.length,
      events,
    });
  });

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
