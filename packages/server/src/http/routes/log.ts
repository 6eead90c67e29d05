import type { FastifyInstance } from "fastify";
import { BodyReader } from "../../guards/body-reader.js";
import type { PreparedEntry } from "../../ingest/prepared-entry.js";
import { type IngestPolicy, readEntry } from "../../ingest/read-entry.js";
import { bulkResult } from "../../ingest/sequence-batch.js";
import type { LogAsyncPayload } from "../../jobs/kinds/log-async.js";
import { MAX_BULK_EVENTS, MAX_REDACTION_STEPS_PER_REQUEST, ROOT_HASH_HEX_LENGTH } from "../../limits.js";
import type { ResolvedConfig } from "../../log/config-directory.js";
import { consistencyProof, membershipProof } from "../../log/proofs.js";
import type { Services } from "../../services.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { acceptForLater, authorizeAudit } from "./data-plane.js";

const ROOT_HASH = new RegExp(`^[0-9a-f]{${ROOT_HASH_HEX_LENGTH}}$`);

/** How this configuration takes in events from this token. */
function policyFor(token: TokenRecord, resolved: ResolvedConfig): IngestPolicy {
  return {
    settings: resolved.config.settings,
    signer: resolved.signer,
    restrictions: token.grants.audit?.field_restrictions?.[resolved.config.id],
    fieldNumbers: resolved.fieldNumbers,
    redactor: resolved.redactor,
    // One budget per request, shared by all its events (limits.ts).
    redactionBudget: { remaining: MAX_REDACTION_STEPS_PER_REQUEST },
  };
}

/**
 * Reads `events` of a bulk request: 1 to `MAX_BULK_EVENTS` entries, each checked against the
 * schema. Once the problems found are more than an answer shows, the rest is not checked.
 */
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
    for (const [i, item] of events.entries()) {
      if (body.isFull) {
        body.stopAt(`/events/${i}`);
        break;
      }
      const reader = new BodyReader(item, `/events/${i}`, ["event", "signature", "public_key"], body.errors);
      const entry = readEntry(reader, policy);
      if (entry) entries.push(entry);
    }
  }
  return entries;
}

/**
 * Writing: `v1/log`, `v2/log` and `v2/log_async` (wire-protocol §4.1–4.2). The token was
 * authenticated before the body was read (http/app.ts); handlers stay thin: resolve the one
 * configuration, read the body through guards, append, answer.
 */
export function registerLogRoutes(app: FastifyInstance, services: Services): void {
  const { store, sequencer } = services;

  app.post("/v1/log", async (request, reply) => {
    const body = new BodyReader(request.body, "", [
      "event",
      "verbose",
      "signature",
      "public_key",
      "prev_root",
      "config_id",
    ]);
    const { token, resolved } = await authorizeAudit(services, request, "v1/log", body);
    const verbose = body.boolean("verbose") ?? false;
    const prevRoot = body.string("prev_root", {
      max: ROOT_HASH_HEX_LENGTH,
      pattern: ROOT_HASH,
      patternText: `${ROOT_HASH_HEX_LENGTH} lower-case hex characters`,
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
        const oldSize = await store.log.findSizeOfRoot(resolved.treeId, Buffer.from(prevRoot, "hex"));
        if (oldSize !== undefined && oldSize < batch.size) {
          result["consistency_proof"] = await consistencyProof(store, resolved.treeId, oldSize, batch.size);
        }
      }
    }
    return sendEnvelope(request, reply, "Success", "Logged 1 record(s)", result);
  });

  app.post("/v2/log", async (request, reply) => {
    const body = new BodyReader(request.body, "", ["events", "verbose", "config_id"]);
    const { token, resolved } = await authorizeAudit(services, request, "v2/log", body);
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
    const { token, resolved } = await authorizeAudit(services, request, "v2/log_async", body);
    const verbose = body.boolean("verbose") ?? false;
    const entries = readBulk(body, policyFor(token, resolved));
    body.throwIfInvalid();
    const payload: LogAsyncPayload = { entries, verbose };
    return acceptForLater(services, request, reply, {
      token,
      configId: resolved.config.id,
      endpoint: "v2/log_async",
      payload,
      summary: "Accepted: poll the location for the result",
    });
  });
}
