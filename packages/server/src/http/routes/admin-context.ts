import type { FastifyRequest } from "fastify";
import { ApiError } from "../../errors.js";
import { MAX_ECHO_LENGTH } from "../../limits.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { authenticatedToken } from "../envelope.js";

/**
 * The admin credential behind a management request, authenticated by the onRequest hook before
 * the body was read (http/app.ts); anything else is `Unauthorized`.
 */
export function authenticatedAdmin(request: FastifyRequest): TokenRecord {
  return authenticatedToken(request, "admin");
}

/** `NotFound` for a resource id, with the pointer of the field that named it. */
export function notFound(kind: string, id: unknown): ApiError {
  return new ApiError("NotFound", `No ${kind} ${String(id).slice(0, MAX_ECHO_LENGTH)}`, [
    { code: "DoesNotExist", detail: `no ${kind} has this id`, source: "/id" },
  ]);
}
