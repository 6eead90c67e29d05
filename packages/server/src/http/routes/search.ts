import { conjoin, DURATION_PATTERN, isId, parseDuration, parseQuery, restrictQuery } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { isoAt } from "../../clock.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import {
  DEFAULT_RESULT_RETENTION_SECONDS,
  DEFAULT_SEARCH_PAGE_SIZE,
  MAX_ID_LENGTH,
  MAX_SEARCH_PAGE_SIZE,
  MAX_SEARCH_RESULTS,
} from "../../limits.js";
import type { ResolvedConfig } from "../../log/config-directory.js";
import { isWithinRetention, retentionWindowOf, withoutExpiredLeaves } from "../../log/retention.js";
import type { Services } from "../../services.js";
import { authenticatedToken, sendEnvelope } from "../envelope.js";
import { authorizeAudit } from "./data-plane.js";
import {
  normalizeRestriction,
  readOrder,
  readOrderBy,
  readRestriction,
  readTimeWindow,
} from "./search-request.js";
import {
  openResultSet,
  renderEvents,
  requireEndpoint,
  type SetRestriction,
  tokenRestriction,
} from "./search-results.js";

/** A search result id as the spec writes it (`download_results` checks the same pattern). */
const RESULT_ID = /^pas_[a-z0-9]{32}$/;

/**
 * How long a configuration's result sets can be paged: its `query_result_retention` (a Pangea
 * duration, as the spec's configuration has it) when it has one, else two days.
 */
function resultRetentionSeconds(resolved: ResolvedConfig): number {
  const value = (resolved.config.settings as { query_result_retention?: unknown }).query_result_retention;
  return typeof value === "string" && DURATION_PATTERN.test(value)
    ? parseDuration(value)
    : DEFAULT_RESULT_RETENTION_SECONDS;
}

/**
 * Reading: `v1/search`, `v1/results` (wire-protocol §4.3) and `v1/schema` (the viewers'
 * endpoint, product-features §2). Every read goes through the token's grant: the endpoint must
 * be in it, the one configuration is resolved from it (docs/design/config-resolution.md), and
 * its field restrictions on that configuration are ANDed into every query (core restrict.ts),
 * beside the request's own `search_restriction`, so nothing in a query can widen them.
 */
export function registerSearchRoutes(app: FastifyInstance, services: Services): void {
  const { store, clock, ids } = services;

  app.post("/v1/search", async (request, reply) => {
    const body = new BodyReader(request.body, "", [
      "query",
      "start",
      "end",
      "order",
      "order_by",
      "limit",
      "max_results",
      "verbose",
      "search_restriction",
      "return_context",
      "config_id",
    ]);
    const { token, resolved } = await authorizeAudit(services, request, "v1/search", body);
    const schema = resolved.config.settings.schema;
    const nowMicros = clock.nowMicros();

    const query = body.raw("query");
    let parsed: ReturnType<typeof parseQuery> | undefined;
    if (query === undefined || query === null) {
      if (body.isObject) {
        body.errors.push({ code: "FieldRequired", detail: "query is required", source: "/query" });
      }
    } else if (typeof query !== "string") {
      body.errors.push({ code: "InvalidString", detail: "query must be a string", source: "/query" });
    } else {
      parsed = parseQuery(query, schema);
      if (!parsed.ok) {
        const { code, detail, source } = parsed.error;
        body.errors.push({ code, detail, source });
      }
    }
    const { startMicros, endMicros } = readTimeWindow(body, nowMicros);
    const order = readOrder(body);
    const orderBy = readOrderBy(body, resolved);
    const limit = body.integer("limit", { min: 1, max: MAX_SEARCH_PAGE_SIZE }) ?? DEFAULT_SEARCH_PAGE_SIZE;
    const maxResults = body.integer("max_results", { min: 1, max: MAX_SEARCH_RESULTS }) ?? MAX_SEARCH_RESULTS;
    const verbose = body.boolean("verbose") ?? true;
    const requested = readRestriction(body, "search_restriction");
    body.boolean("return_context"); // accepted; there is no format-preserving encryption to return context for
    body.throwIfInvalid();
    if (!parsed?.ok) throw new Error("a query that did not parse passed validation");

    const configId = resolved.config.id;
    const imposed = token.grants.audit?.field_restrictions?.[configId];
    const restricted = restrictQuery(parsed.ast, schema, { token: imposed, request: requested });
    // A value that a `hash` rule stores hashed is searched for hashed (ingest/redactor.ts).
    const where = resolved.redactor ? resolved.redactor.rewriteQuery(restricted) : restricted;
    // Nothing past its own tiers is answered, expired by the retention job yet or not: the window
    // starts at the earliest cutoff of any partition, and a residual clause keeps each
    // partition's events within its own (docs/design/retention.md).
    const kept = retentionWindowOf(resolved.config.settings, nowMicros);
    // The latest checkpoint is read while the search runs, not after it: one round trip fewer
    // before the proofs. Awaited by renderEvents; the catch only keeps a failed search from
    // leaving its rejection unhandled.
    const latestCheckpoint = verbose ? store.checkpoints.latestCheckpoint(resolved.treeId) : undefined;
    latestCheckpoint?.catch(() => undefined);
    const { leaves: found, treeSize } = await store.search.searchLeaves({
      treeId: resolved.treeId,
      schema,
      fieldNumbers: resolved.fieldNumbers,
      where: conjoin([where, kept.where]),
      startMicros: kept.startMicros === undefined ? startMicros : Math.max(startMicros, kept.startMicros),
      endMicros,
      order,
      orderBy,
      limit: maxResults,
    });
    // Every event found lies below `treeSize`, so each one has a proof against the root at that size.
    const leaves =
      kept.where.kind === "all" ? found : await withoutExpiredLeaves(store, resolved.treeId, found);

    const nowMillis = clock.nowMillis();
    const restriction: SetRestriction = {
      token: tokenRestriction(token, configId),
      request: normalizeRestriction(requested),
    };
    const set = {
      id: ids.newId("pas"),
      tokenId: token.id,
      configId,
      treeId: resolved.treeId,
      leaves,
      restriction: JSON.stringify(restriction),
      verbose,
      treeSize,
      createdAt: isoAt(nowMillis),
      expiresAt: isoAt(nowMillis + resultRetentionSeconds(resolved) * 1000),
    };
    // The set is stored while the first page is read: the answer waits for both.
    const [page] = await Promise.all([
      renderEvents(services, resolved, leaves.slice(0, limit), verbose, treeSize, { latestCheckpoint }),
      store.search.createResultSet(set),
    ]);
    return sendEnvelope(request, reply, "Success", `Found ${leaves.length} event(s)`, {
      id: set.id,
      expires_at: set.expiresAt,
      count: leaves.length,
      ...page,
    });
  });

  app.post("/v1/results", async (request, reply) => {
    const body = new BodyReader(request.body, "", [
      "id",
      "limit",
      "offset",
      "assert_search_restriction",
      "return_context",
      "config_id",
    ]);
    // The endpoint is checked before the body is, as for every other route: a token without it
    // learns nothing, not even which of its fields are wrong.
    const token = authenticatedToken(request, "service");
    requireEndpoint(token, "v1/results");
    const id = body.string("id", {
      max: MAX_ID_LENGTH,
      pattern: RESULT_ID,
      patternText: "pas_ and 32 of a-z0-9",
    });
    if (body.isObject && (body.raw("id") === undefined || body.raw("id") === null)) {
      body.errors.push({ code: "FieldRequired", detail: "id is required", source: "/id" });
    }
    const limit = body.integer("limit", { min: 1, max: MAX_SEARCH_PAGE_SIZE }) ?? DEFAULT_SEARCH_PAGE_SIZE;
    const offset = body.integer("offset", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
    const assertRestriction = readRestriction(body, "assert_search_restriction");
    body.boolean("return_context");
    const configId = body.raw("config_id");
    if (configId !== undefined && configId !== null && !isId("pci", configId)) {
      body.errors.push({
        code: "DoesNotMatchPattern",
        detail: "config_id must look like pci_ followed by 32 of a-z2-7",
        source: "/config_id",
      });
    }
    body.throwIfInvalid();

    const { set, resolved } = await openResultSet(services, token, "v1/results", {
      id: id!,
      configId,
      assertRestriction,
    });
    const count = set.leaves.length;
    if (offset > count) {
      throw new ApiError("BadOffset", `offset ${offset} is past the ${count} result(s) of this search`, [
        { code: "NotWithinRange", detail: `offset must be at most ${count}`, source: "/offset" },
      ]);
    }
    const leaves = set.leaves.slice(offset, offset + limit);
    const tree = { treeId: set.treeId, treeName: resolved.treeName };
    // An event that passed its own tiers since the search is left out, expired yet or not.
    const kept = retentionWindowOf(resolved.config.settings, clock.nowMicros());
    const page = await renderEvents(services, tree, leaves, set.verbose, set.treeSize, {
      visible: (leaf) => isWithinRetention(kept, resolved.config.settings.schema, leaf),
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `${leaves.length} of ${count} result(s) from offset ${offset}`,
      { count, ...page },
    );
  });

  app.post("/v1/schema", async (request, reply) => {
    const body = new BodyReader(request.body ?? {}, "", ["config_id"]);
    const { resolved } = await authorizeAudit(services, request, "v1/schema", body);
    body.throwIfInvalid();
    const { schema } = resolved.config.settings;
    return sendEnvelope(request, reply, "Success", "Schema of the configuration", {
      // Every record carries its hash and proofs, and may be signed by the client or the server.
      tamper_proofing: true,
      client_signable: true,
      save_malformed: schema.save_malformed,
      fields: schema.fields.map((field) => ({
        id: field.id,
        ...(field.name === undefined ? {} : { name: field.name }),
        ...(field.description === undefined ? {} : { description: field.description }),
        type: field.type,
        ...(field.size === undefined ? {} : { size: field.size }),
        required: field.required ?? false,
        redact: field.redact ?? false,
        ...(field.ui_default_visible === undefined ? {} : { ui_default_visible: field.ui_default_visible }),
      })),
    });
  });
}
