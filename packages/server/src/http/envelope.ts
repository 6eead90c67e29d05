import type { ApiStatus } from "@veritrail/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Clock, nowIso } from "../clock.js";
import { ApiError } from "../errors.js";
import type { TokenRecord } from "../store/contract/store.js";
import { HTTP_STATUS } from "./error-map.js";

/** Per-request facts every answer repeats (wire-protocol §3.1), and who is asking. */
export interface RequestContext {
  requestId: string;
  requestTime: string;
  /** The service's clock, so that every answer's `response_time` comes from it too. */
  clock: Clock;
  /** The token the route's onRequest hook authenticated from the headers (http/app.ts). */
  token?: TokenRecord;
}

declare module "fastify" {
  interface FastifyRequest {
    veritrail: RequestContext;
  }
}

/**
 * The token of `kind` that authenticated this request. A route registered without the
 * authenticating hook has none, and is refused rather than served unauthenticated.
 */
export function authenticatedToken(request: FastifyRequest, kind: TokenRecord["kind"]): TokenRecord {
  const token = request.veritrail.token;
  if (token?.kind !== kind) throw ApiError.unauthorized();
  return token;
}

/**
 * Sends the Pangea envelope: exactly the six keys `request_id`, `request_time`, `response_time`,
 * `status`, `summary`, `result` (the Python SDK rejects any other), and the `x-request-id`
 * header the SDKs echo on retries.
 */
export function sendEnvelope(
  request: FastifyRequest,
  reply: FastifyReply,
  status: ApiStatus,
  summary: string,
  result: unknown,
  httpStatus = HTTP_STATUS[status],
  requestId = request.veritrail.requestId,
): FastifyReply {
  return reply
    .code(httpStatus)
    .header("x-request-id", requestId)
    .send({
      request_id: requestId,
      request_time: request.veritrail.requestTime,
      response_time: nowIso(request.veritrail.clock),
      status,
      summary,
      result,
    });
}
