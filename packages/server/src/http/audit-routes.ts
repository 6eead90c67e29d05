import { formatReceivedAt, isId } from "@veritrail/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type AuditEndpoint, resolveConfig } from "../auth/resolve-config.js";
import { ApiError } from "../errors.js";
import type { PreparedEntry } from "../ingest/prepared-entry.js";
import { type IngestPolicy, readEntry } from "../ingest/read-entry.js";
import { bulkResult } from "../ingest/sequence-batch.js";
import type { ResolvedConfig } from "../log/config-directory.js";
import { consistencyProof, membershipProof, rootAt } from "../log/proofs.js";
import type { TokenRecord } from "../store/store.js";
import type { AppServices } from "./app.js";
import { sendEnvelope } from "./envelope.js";
import { BodyReader } from "./request-body.js";

/** Most events in one `v2/log` or `v2/log_async` request (OpenAPI `AuditLogRequestV2`). */
export const MAX_BULK_EVENTS = 1000;

const HEX64 = /^[0-9a-f]{64}$/;

/** The async-job payload of `v2/log_async`: what was validated before the 202. */
export interface LogAsyncPayload {
  entries: PreparedEntry[];
  verbose: boolean;
}

/**
 * The data plane of the audit service. Handlers stay thin: authenticate, resolve the one
 * configuration, read the body through guards, call the log, shape the answer.
 */
export function registerAuditRoutes(app: FastifyInstance, services: AppServices): void {
  const { store, sequencer, directory, authenticator, config } = services;

  async function authorize(
    request: FastifyRequest,
    endpoint: AuditEndpoint,
    body: BodyReader,
  ): Promise<{ token: TokenRecord; resolved: ResolvedConfig }> {
    const token = await authenticator.authenticate(request.headers.authorization);
    const projectConfigIds = await directory.projectConfigIds(token.projectId);
    const configId = resolveConfig(token, endpoint, body.raw("config_id"), projectConfigIds);
    return { token, resolved: await directory.get(configId) };
  }

  function acceptedResult(id: string): { ttl_mins: number; retry_counter: number; location: string } {
    return {
      ttl_mins: config.asyncResultTtlMinutes,
      retry_counter: 0,
      location: `${config.publicUrl}/request/${id}`,
    };
  }

  /** How this configuration takes in events from this token. */
  function policyFor(token: TokenRecord, resolved: ResolvedConfig): IngestPolicy {
    return {
      settings: resolved.config.settings,
      signer: resolved.signer,
      restrictions: token.grants.audit?.field_restrictions?.[resolved.config.id],
    };
  }

  /** Reads `events` of a bulk request: 1 to 1000 entries, each checked against the schema. */
  function readBulk(body: BodyReader, policy: IngestPolicy): PreparedEntry[] {
    const events = body.raw("events");
    const entries: PreparedEntry[] = [];
    // A body that is not an object already has its one error; "events is required" would be noise.
    if (!body.isObject) return entries;
    if (events === undefined) {
      body.errors.push({ code: "FieldRequired", detail: "events is required", source: "/events" });
    } else if (!Array.isArray(events)) {
      body.errors.push({ code: "InvalidArray", detail: "events must be an array", source: "/events" });
    } else if (events.length === 0) {
      body.errors.push({
        code: "BelowMinItems",
        detail: "events needs at least one event",
        source: "/events",
      });
    } else if (events.length > MAX_BULK_EVENTS) {
      body.errors.push({
        code: "AboveMaxItems",
        detail: `events holds at most ${MAX_BULK_EVENTS} events, got ${events.length}`,
        source: "/events",
      });
    } else {
      events.forEach((item, i) => {
        const reader = new BodyReader(
          item,
          `/events/${i}`,
          ["event", "signature", "public_key"],
          body.errors,
        );
        const entry = readEntry(reader, policy);
        if (entry) entries.push(entry);
      });
    }
    return entries;
  }

  app.post("/v1/log", async (request, reply) => {
    const body = new BodyReader(request.body, "", [
      "event",
      "verbose",
      "signature",
      "public_key",
      "prev_root",
      "config_id",
    ]);
    const { token, resolved } = await authorize(request, "v1/log", body);
    const verbose = body.boolean("verbose") ?? false;
    const prevRoot = body.string("prev_root", {
      max: 64,
      pattern: HEX64,
      patternText: "64 lower-case hex characters",
    });
    const entry = readEntry(body, policyFor(token, resolved));
    body.throwIfInvalid();
    const outcome = await sequencer.append(resolved.treeId, { entries: [entry!] });
    const { batch } = outcome;
    const leaf = batch.leaves[outcome.offset]!;
    const result: Record<string, unknown> = { hash: leaf.hash.toString("hex") };
    if (verbose) {
      // Proved against the root of the tree as this event's batch left it (wire-protocol §4.1).
      result["envelope"] = batch.envelopes[outcome.offset];
      result["unpublished_root"] = batch.rootHash.toString("hex");
      result["membership_proof"] = await membershipProof(store, resolved.treeId, leaf.leafIndex, batch.size);
      if (prevRoot !== undefined) {
        const oldSize = await store.findSizeOfRoot(resolved.treeId, Buffer.from(prevRoot, "hex"));
        if (oldSize !== undefined && oldSize < batch.size) {
          result["consistency_proof"] = await consistencyProof(store, resolved.treeId, oldSize, batch.size);
        }
      }
    }
    return sendEnvelope(request, reply, "Success", "Logged 1 record(s)", result);
  });

  app.post("/v2/log", async (request, reply) => {
    const body = new BodyReader(request.body, "", ["events", "verbose", "config_id"]);
    const { token, resolved } = await authorize(request, "v2/log", body);
    const verbose = body.boolean("verbose") ?? false;
    const entries = readBulk(body, policyFor(token, resolved));
    body.throwIfInvalid();
    const { batch, offset, count } = await sequencer.append(resolved.treeId, { entries });
    const results = batch.leaves
      .slice(offset, offset + count)
      .map((leaf, i) => bulkResult(leaf, batch.envelopes[offset + i]!, verbose));
    return sendEnvelope(request, reply, "Success", `Logged ${count} record(s)`, { results });
  });

  app.post("/v2/log_async", async (request, reply) => {
    const body = new BodyReader(request.body, "", ["events", "verbose", "config_id"]);
    const { token, resolved } = await authorize(request, "v2/log_async", body);
    const verbose = body.boolean("verbose") ?? false;
    const entries = readBulk(body, policyFor(token, resolved));
    body.throwIfInvalid();
    // The request is stored before the 202: once accepted, its events are never lost.
    const id = request.veritrail.requestId;
    const now = services.clock.nowMillis();
    const payload: LogAsyncPayload = { entries, verbose };
    await store.createAsyncRequest({
      id,
      tokenId: token.id,
      configId: resolved.config.id,
      endpoint: "v2/log_async",
      state: "pending",
      payload: JSON.stringify(payload),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + config.asyncResultTtlMinutes * 60_000).toISOString(),
    });
    services.asyncWorker.wake();
    return sendEnvelope(
      request,
      reply,
      "Accepted",
      "Accepted: poll the location for the result",
      acceptedResult(id),
    );
  });

  app.get<{ Params: { id: string } }>("/request/:id", async (request, reply) => {
    const token = await authenticator.authenticate(request.headers.authorization);
    // Admin credentials manage; they do not call the data plane (docs/design/tokens.md).
    if (token.kind !== "service") throw ApiError.unauthorized();
    const id = request.params.id;
    const found = isId("prq", id) ? await store.getAsyncRequest(id) : undefined;
    if (!found || Date.parse(found.expiresAt) <= services.clock.nowMillis()) {
      return sendEnvelope(
        request,
        reply,
        "NotFound",
        `No request ${id.slice(0, 40)} (or its result has expired)`,
        null,
      );
    }
    // Only the token that made the request may read its result (product-features §11), and only
    // while its grant still reaches that configuration on that endpoint: a grant narrowed or
    // removed since the request was made stops the reading of its result, as it stops new calls.
    if (found.tokenId !== token.id) throw ApiError.unauthorized();
    const projectConfigIds = await directory.projectConfigIds(token.projectId);
    resolveConfig(token, found.endpoint as AuditEndpoint, found.configId, projectConfigIds);
    if (found.state === "pending") {
      return sendEnvelope(
        request,
        reply,
        "Accepted",
        "Still working: poll again",
        acceptedResult(id),
        202,
        id,
      );
    }
    if (found.state === "failed") {
      const failure = JSON.parse(found.error ?? "{}") as { status?: string; summary?: string };
      return sendEnvelope(
        request,
        reply,
        "InternalError",
        failure.summary ?? "The request failed",
        null,
        500,
        id,
      );
    }
    return sendEnvelope(request, reply, "Success", "Done", JSON.parse(found.result ?? "{}"), 200, id);
  });

  app.post("/v1/root", async (request, reply) => {
    const body = new BodyReader(request.body ?? {}, "", ["tree_size", "config_id"]);
    const { resolved } = await authorize(request, "v1/root", body);
    const requested = body.integer("tree_size", { min: 1, max: Number.MAX_SAFE_INTEGER });
    body.throwIfInvalid();
    const head = await store.getTreeHead(resolved.config.id);
    if (!head || head.size === 0 || !head.rootHash) {
      throw new ApiError("TreeNotFound", "The tree of this configuration has no events yet");
    }
    const size = requested ?? head.size;
    if (size > head.size) {
      throw new ApiError(
        "TreeNotFound",
        `The tree has ${head.size} leaves; there is no root at size ${size}`,
        [{ code: "NotWithinRange", detail: `tree_size must be at most ${head.size}`, source: "/tree_size" }],
      );
    }
    const rootHash = size === head.size ? head.rootHash : await rootAt(store, head.id, size);
    const last = await store.getLeaf(head.id, size - 1);
    const data: Record<string, unknown> = {
      tree_name: head.treeName,
      size,
      root_hash: rootHash.toString("hex"),
      url: `${config.publicUrl}/v1/root`,
      // Until signed checkpoints are published, a root's time is when its last leaf arrived.
      published_at: formatReceivedAt(last!.receivedAt),
    };
    if (size > 1) data["consistency_proof"] = await consistencyProof(store, head.id, size - 1, size);
    return sendEnvelope(request, reply, "Success", "Root of the tree", { data });
  });
}
