import type { FastifyRequest } from "fastify";
import { isoAt } from "../../clock.js";
import { ApiError } from "../../errors.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { authenticatedToken } from "../envelope.js";

/**
 * The admin credential behind a management request, authenticated by the onRequest hook before
 * the body was read (http/app.ts); anything else is `Unauthorized`.
 */
export function authenticatedAdmin(request: FastifyRequest): TokenRecord {
  return authenticatedToken(request, "admin");
}

/**
 * A new `updated_at` strictly after the previous one, so that optimistic-concurrency checks
 * never see two versions with the same stamp, even within one millisecond.
 */
export function nextTimestamp(previous: string | undefined, nowMillis: number): string {
  const floor = previous === undefined ? 0 : Date.parse(previous) + 1;
  return isoAt(Math.max(nowMillis, floor));
}

/** `NotFound` for a resource id, with the pointer of the field that named it. */
export function notFound(kind: string, id: unknown): ApiError {
  return new ApiError("NotFound", `No ${kind} ${String(id).slice(0, 64)}`, [
    { code: "DoesNotExist", detail: `no ${kind} has this id`, source: "/id" },
  ]);
}
