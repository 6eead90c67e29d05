import type { FastifyInstance } from "fastify";
import { BodyReader } from "../../guards/body-reader.js";
import type { ExportPayload } from "../../jobs/kinds/export.js";
import type { EventFileFormat } from "../../log/event-file.js";
import { retentionWindowOf } from "../../log/retention.js";
import type { Services } from "../../services.js";
import { acceptForLater, authorizeAudit } from "./data-plane.js";
import { readOrder, readOrderBy, readTimeWindow } from "./search-request.js";

/** Reads `format`: `csv` or `json`; undefined when absent (each endpoint says what that means). */
export function readFormat(body: BodyReader): EventFileFormat | undefined {
  const format = body.raw("format");
  if (format === undefined || format === null) return undefined;
  if (format === "csv" || format === "json") return format;
  body.errors.push({
    code: "NotEnumMember",
    detail: "format must be csv or json",
    source: body.at("format"),
  });
  return undefined;
}

/**
 * `v1/export` (wire-protocol §4.5): checks the request, stores it and answers 202 at once; the
 * export job (jobs/kinds/export.ts) writes the file, and `GET request/{id}` answers Success with
 * `{}` once it is there, for `v1/download_results` with that `request_id`.
 *
 * - `start`/`end` read as `v1/search` reads them (RFC 3339 or a duration back from now, taken
 *   now, at the request), but an absent `start` is the beginning of the log, not 14 days ago:
 *   an export without a window is the whole log (the OpenAPI: "Providing no filtering will
 *   request all of the available logs").
 * - `order` defaults to `asc` (oldest first, the order an auditor replays); `order_by` is
 *   `received_at` or an indexed schema field, as for a search; `format` defaults to `csv` and
 *   `verbose` to true (the OpenAPI's defaults).
 * - There is no query: the export holds every event of the window that the token's field
 *   restrictions on the configuration allow, those the token had when it asked.
 * - `cold: true` (a Veritrail extension, docs/design/retention.md "Cold export") exports the
 *   configuration's cold archive instead: the archived events of the window, in leaf order
 *   (`order_by` must be `received_at`), not clamped to the searchable tiers they are past.
 */
export function registerExportRoutes(app: FastifyInstance, services: Services): void {
  const { clock } = services;

  app.post("/v1/export", async (request, reply) => {
    const body = new BodyReader(request.body, "", [
      "format",
      "start",
      "end",
      "order",
      "order_by",
      "verbose",
      "config_id",
      "cold",
    ]);
    const { token, resolved } = await authorizeAudit(services, request, "v1/export", body);
    const format = readFormat(body) ?? "csv";
    const window = readTimeWindow(body, clock.nowMicros());
    const hasStart = body.raw("start") !== undefined && body.raw("start") !== null;
    const hasOrder = body.raw("order") !== undefined && body.raw("order") !== null;
    const order = hasOrder ? readOrder(body) : "asc";
    const orderBy = readOrderBy(body, resolved);
    const verbose = body.boolean("verbose") ?? true;
    const cold = body.boolean("cold") ?? false;
    if (cold && orderBy.kind !== "received_at") {
      // The archive is kept in leaf order, with no index to order it otherwise.
      body.errors.push({
        code: "BadState",
        detail: "a cold export is in received_at order: order_by must be received_at",
        source: body.at("order_by"),
      });
    }
    body.throwIfInvalid();

    // Nothing past the searchable tiers is exported (docs/design/retention.md).
    // With per-tenant overrides, the earliest cutoff of any partition; the job ANDs the rest.
    const cutoff = retentionWindowOf(resolved.config.settings, clock.nowMicros()).startMicros;
    const start = hasStart ? window.startMicros : undefined;
    const payload: ExportPayload = {
      format,
      verbose,
      order,
      orderBy,
      startMicros: cutoff === undefined ? start : Math.max(start ?? cutoff, cutoff),
      endMicros: window.endMicros,
      restriction: token.grants.audit?.field_restrictions?.[resolved.config.id] ?? {},
      // The archive holds only what is past the searchable tiers: no clamp to the cutoff.
      ...(cold ? { cold: true, startMicros: start } : {}),
    };
    // Stored before the 202, as every accepted request is; any process's job runner takes it.
    return acceptForLater(services, request, reply, {
      token,
      configId: resolved.config.id,
      endpoint: "v1/export",
      payload,
      summary: "Accepted: poll the location, then download the export with v1/download_results",
    });
  });
}
