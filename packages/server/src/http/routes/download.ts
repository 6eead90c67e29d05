import { Readable } from "node:stream";
import { type FieldRestrictions, isId } from "@veritrail/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { resolveConfig } from "../../auth/resolve-config.js";
import { consoleReader } from "../../auth/sessions.js";
import { ApiError, clip } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import { MAX_ID_LENGTH } from "../../limits.js";
import { eventFileText, fileNameOf, gzipStream, leafBatches } from "../../log/event-file.js";
import type { Services } from "../../services.js";
import type { ExportFileRecord } from "../../store/contract/job.js";
import type { AsyncRequestRecord, TokenRecord } from "../../store/contract/store.js";
import type { DownloadLinks, DownloadTarget } from "../download-link.js";
import { authenticatedToken, sendEnvelope } from "../envelope.js";
import { readFormat } from "./export.js";
import { normalizeRestriction, readRestriction, sameRestriction } from "./search-request.js";
import { openResultSet, requireEndpoint, type SetRestriction, tokenRestriction } from "./search-results.js";

/** The id patterns `download_results` checks (wire-protocol §3.1, the OpenAPI). */
const RESULT_ID = /^pas_[a-z0-9]{32}$/;
const REQUEST_ID = /^prq_[a-z0-9]{32}$/;
/** The last path segment of a link: `<id>.<format>.gz`. */
const FILE_NAME = /^((?:pas|prq)_[a-z0-9]{32})\.(csv|json)\.gz$/;

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * A token's field restrictions in one form for comparing: fields in id order, each list's
 * values distinct and sorted. Unlike a request's restriction, an empty list is kept: on a token
 * it allows nothing (core restrict.ts), which is not the same as no restriction.
 */
function restrictionKey(restriction: FieldRestrictions | undefined): string {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(restriction ?? {}).sort()) {
    const values: unknown = restriction![field];
    out[field] = Array.isArray(values) ? [...new Set(values)].sort() : values;
  }
  return JSON.stringify(out);
}

function exportNotFound(id: string): ApiError {
  return new ApiError("NotFound", `No export ${clip(id)} (or it has expired)`, [
    { code: "DoesNotExist", detail: "no live export has this request id", source: "/request_id" },
  ]);
}

function notReady(detail: string): ApiError {
  return ApiError.validation([{ code: "BadState", detail, source: "/request_id" }]);
}

/**
 * The finished export `id` if `token` may download it, or the refusal, as `openResultSet`
 * decides for a result set: unknown, expired or not an export → `NotFound`; another token's →
 * `Unauthorized`; a grant that no longer reaches its configuration on `v1/download_results`, or
 * whose field restrictions on it are no longer those the export was made under →
 * `Unauthorized`; not finished or failed → `ValidationError` (`BadState`). An export has no
 * `search_restriction`, so an `assert_search_restriction` that restricts anything refuses.
 */
async function openExport(
  services: Services,
  token: TokenRecord,
  options: { id: string; configId?: unknown; assertRestriction?: FieldRestrictions | undefined },
): Promise<{ found: AsyncRequestRecord; file: ExportFileRecord }> {
  const { store, directory, clock } = services;
  const { id } = options;
  const found = isId("prq", id) ? await store.jobs.getAsyncRequest(id) : undefined;
  if (found?.endpoint !== "v1/export" || Date.parse(found.expiresAt) <= clock.nowMillis()) {
    throw exportNotFound(id);
  }
  if (found.tokenId !== token.id) throw ApiError.unauthorized();
  const projectConfigIds = await directory.projectConfigIds(token.projectId);
  const requested = options.configId ?? found.configId;
  if (resolveConfig(token, "v1/download_results", requested, projectConfigIds) !== found.configId) {
    throw exportNotFound(id);
  }
  if (found.state === "pending") {
    throw notReady(`the export is not finished yet: poll request/${id} until it answers Success`);
  }
  const file = found.state === "done" ? await store.jobs.getExportFile(id) : undefined;
  if (!file) throw notReady("the export failed: GET request/{id} says why; ask for a new export");
  if (!mayStillRead(token, found.configId, file)) throw ApiError.unauthorized();
  if (
    options.assertRestriction !== undefined &&
    !sameRestriction(normalizeRestriction(options.assertRestriction), {})
  ) {
    throw ApiError.validation([
      {
        code: "BadState",
        detail: "an export is made with no search_restriction",
        source: "/assert_search_restriction",
      },
    ]);
  }
  return { found, file };
}

/** True when the token's field restrictions on the configuration are still those of the export. */
function mayStillRead(token: TokenRecord, configId: string, file: ExportFileRecord): boolean {
  const made = JSON.parse(file.restriction) as FieldRestrictions;
  return restrictionKey(made) === restrictionKey(token.grants.audit?.field_restrictions?.[configId]);
}

/**
 * Whether the token that asked for a link may still read what it opens: the token is live, its
 * grant still reaches the configuration on `v1/download_results`, and `restrictionHolds` (its
 * field restrictions are still those the file was made under). A link outlives none of these:
 * revoking a token, or narrowing it, closes the links it was given.
 */
async function ownerMayRead(
  services: Services,
  tokenId: string,
  configId: string,
  restrictionHolds: (token: TokenRecord) => boolean,
): Promise<boolean> {
  const { store, directory, clock } = services;
  const stored = await store.tokens.getToken(tokenId);
  // An admin credential reads only through a console session, as its read-only reader.
  const token = stored?.kind === "admin" ? consoleReader(stored) : stored;
  if (token?.kind !== "service" || token.revokedAt !== undefined) return false;
  if (token.expiresAt !== undefined && Date.parse(token.expiresAt) <= clock.nowMillis()) return false;
  try {
    const projectConfigIds = await directory.projectConfigIds(token.projectId);
    if (resolveConfig(token, "v1/download_results", configId, projectConfigIds) !== configId) return false;
  } catch (error) {
    if (error instanceof ApiError) return false;
    throw error;
  }
  return restrictionHolds(token);
}

/** The headers of a file answer: gzip bytes under their own name, never cached on the way. */
function fileHeaders(request: FastifyRequest, reply: FastifyReply, target: DownloadTarget): FastifyReply {
  return reply
    .code(200)
    .header("x-request-id", request.veritrail.requestId)
    .header("content-type", "application/gzip")
    .header("content-disposition", `attachment; filename="${fileNameOf(target.id, target.format)}"`)
    .header("cache-control", "private, no-store")
    .header("x-content-type-options", "nosniff");
}

/** The stored chunks of an export file, in order. */
async function* exportChunks(services: Services, file: ExportFileRecord): AsyncGenerator<Buffer> {
  for (let seq = 0; seq < file.chunks; seq++) {
    const data = await services.store.jobs.readExportChunk(file.requestId, file.attempt, seq);
    if (!data) throw new Error(`export ${file.requestId} has no chunk ${seq}`);
    yield data;
  }
}

/**
 * `v1/download_results` (wire-protocol §4.5) and the download its link opens.
 *
 * `POST v1/download_results` takes exactly one of `result_id` (a search's result set, read
 * through the same `openResultSet` as `v1/results`, so the same token, grant, restriction and
 * `assert_search_restriction` rules hold) or `request_id` (a finished `v1/export` of this token),
 * and `format` (`csv` by default for a result set; an export's file has the format it was made
 * in, and asking for another is refused rather than answered with a file of the wrong kind). It
 * answers `{dest_url, expires_at}` with a signed link (http/download-link.ts).
 *
 * `GET /download/<kind>/<id>.<format>.gz?expires=…&sig=…` needs no Authorization header (the
 * SDKs send one anyway; it is not read). A link whose signature does not match, or whose time
 * is past, answers 403; one whose file is gone (expired, its configuration deleted) answers 404;
 * both in the Pangea envelope. The file is gzip bytes as such (`Content-Type: application/gzip`,
 * a `.csv.gz`/`.json.gz` file name), not a `Content-Encoding`, so a client's fetch keeps the
 * bytes it saves: the Node SDK's `downloadFile` hands back the `.gz` file as served. A result
 * set's file is written as it is read; an export's is the stored one (jobs/kinds/export.ts).
 */
export function registerDownloadRoutes(app: FastifyInstance, services: Services, links: DownloadLinks): void {
  app.post("/v1/download_results", async (request, reply) => {
    const body = new BodyReader(request.body, "", [
      "result_id",
      "request_id",
      "format",
      "return_context",
      "assert_search_restriction",
      "config_id",
    ]);
    // The endpoint is checked before the body, as for `v1/results`: a token without it learns nothing.
    const token = authenticatedToken(request, "service");
    requireEndpoint(token, "v1/download_results");
    const resultId = body.string("result_id", {
      max: MAX_ID_LENGTH,
      pattern: RESULT_ID,
      patternText: "pas_ and 32 of a-z0-9",
    });
    const requestId = body.string("request_id", {
      max: MAX_ID_LENGTH,
      pattern: REQUEST_ID,
      patternText: "prq_ and 32 of a-z0-9",
    });
    if (body.isObject) {
      const hasResult = present(body.raw("result_id"));
      const hasRequest = present(body.raw("request_id"));
      if (!hasResult && !hasRequest) {
        body.errors.push({
          code: "MustProvideOne",
          detail: "one of result_id or request_id is required",
          source: "",
        });
      } else if (hasResult && hasRequest) {
        body.errors.push({
          code: "MutuallyExclusive",
          detail: "give result_id or request_id, not both",
          source: "/request_id",
        });
      }
    }
    const format = readFormat(body);
    const assertRestriction = readRestriction(body, "assert_search_restriction");
    body.boolean("return_context"); // accepted; there is no format-preserving encryption to return context for
    const configId = body.raw("config_id");
    if (present(configId) && !isId("pci", configId)) {
      body.errors.push({
        code: "DoesNotMatchPattern",
        detail: "config_id must look like pci_ followed by 32 of a-z2-7",
        source: "/config_id",
      });
    }
    body.throwIfInvalid();

    let link: { destUrl: string; expiresAt: string };
    if (resultId !== undefined) {
      const { set } = await openResultSet(services, token, "v1/download_results", {
        id: resultId,
        configId,
        assertRestriction,
      });
      link = await links.create(
        { kind: "results", id: set.id, format: format ?? "csv" },
        Date.parse(set.expiresAt),
      );
    } else {
      const { found, file } = await openExport(services, token, {
        id: requestId!,
        configId,
        assertRestriction,
      });
      if (format !== undefined && format !== file.format) {
        throw ApiError.validation([
          {
            code: "BadState",
            detail: `this export was made as ${file.format}: ask for format ${file.format}, or export again as ${format}`,
            source: "/format",
          },
        ]);
      }
      link = await links.create(
        { kind: "export", id: found.id, format: file.format },
        Date.parse(found.expiresAt),
      );
    }
    return sendEnvelope(request, reply, "Success", "Download link made", {
      dest_url: link.destUrl,
      expires_at: link.expiresAt,
    });
  });
}

/** The unauthenticated download of a signed link; registered outside the data plane's token hook. */
export function registerDownloadFileRoute(
  app: FastifyInstance,
  services: Services,
  links: DownloadLinks,
): void {
  const { store, directory, clock } = services;

  app.get<{ Params: { kind: string; file: string }; Querystring: Record<string, unknown> }>(
    "/download/:kind/:file",
    async (request, reply) => {
      const { kind, file } = request.params;
      const name = FILE_NAME.exec(file);
      const prefix = kind === "results" ? "pas" : kind === "export" ? "prq" : undefined;
      if (!name || prefix === undefined || !name[1]!.startsWith(`${prefix}_`)) {
        return sendEnvelope(request, reply, "NotFound", "No such download", null);
      }
      const target: DownloadTarget = {
        kind: kind as DownloadTarget["kind"],
        id: name[1]!,
        format: name[2] as DownloadTarget["format"],
      };
      const { expires, sig } = request.query;
      const check =
        typeof expires === "string" && typeof sig === "string"
          ? await links.check(target, expires, sig)
          : "forged";
      if (check === "forged") {
        return sendEnvelope(
          request,
          reply,
          "Unauthorized",
          "Not authorized to access this resource",
          null,
          403,
        );
      }
      if (check === "expired") {
        return sendEnvelope(
          request,
          reply,
          "Unauthorized",
          "This download link has expired: ask v1/download_results for a new one",
          null,
          403,
        );
      }
      const gone = () =>
        sendEnvelope(request, reply, "NotFound", `The file ${clip(file)} is no longer available`, null);
      const refused = () =>
        sendEnvelope(request, reply, "Unauthorized", "Not authorized to access this resource", null, 403);

      if (target.kind === "results") {
        const set = await store.search.getResultSet(target.id);
        if (!set || Date.parse(set.expiresAt) <= clock.nowMillis()) return gone();
        const made = JSON.parse(set.restriction) as SetRestriction;
        const holds = (token: TokenRecord) =>
          sameRestriction(made.token, tokenRestriction(token, set.configId));
        if (!(await ownerMayRead(services, set.tokenId, set.configId, holds))) return refused();
        const resolved = await directory.find(set.configId);
        if (!resolved) return gone();
        const text = eventFileText(
          store,
          {
            tree: resolved,
            schema: resolved.config.settings.schema,
            format: target.format,
            selection: "matches",
            proveAt: set.treeSize,
          },
          leafBatches(store, set.treeId, set.leaves),
        );
        const stream = gzipStream(text, (error) =>
          request.log.warn(
            { err: error, requestId: request.veritrail.requestId },
            "download cut off mid-file",
          ),
        );
        return fileHeaders(request, reply, target).send(stream);
      }

      const found = await store.jobs.getAsyncRequest(target.id);
      const exported = found?.state === "done" ? await store.jobs.getExportFile(target.id) : undefined;
      if (!found || !exported || Date.parse(found.expiresAt) <= clock.nowMillis()) return gone();
      // The link's format is the file's (download_results signs no other), but check all the same.
      if (exported.format !== target.format) return gone();
      const holds = (token: TokenRecord) => mayStillRead(token, found.configId, exported);
      if (!(await ownerMayRead(services, found.tokenId, found.configId, holds))) return refused();
      return fileHeaders(request, reply, target)
        .header("content-length", String(exported.bytes))
        .send(Readable.from(exportChunks(services, exported)));
    },
  );
}
