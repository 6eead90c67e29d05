import type { FastifyRequest } from "fastify";
import { type AdminActivity, recordAdminActivity } from "../../admin/activity-log.js";
import { ApiError } from "../../errors.js";
import { MAX_ECHO_LENGTH } from "../../limits.js";
import type { Services } from "../../services.js";
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

/**
 * Records a committed admin action of `admin` in the project's admin activity log
 * (admin/activity-log.ts), with the request's id. Call it after the change is stored and before
 * answering: a request whose record could not be written answers an error, not a success.
 */
export async function recordAction(
  services: Services,
  request: FastifyRequest,
  admin: TokenRecord,
  action: Pick<AdminActivity, "action" | "target" | "summary" | "old" | "new">,
): Promise<void> {
  await recordAdminActivity(services, {
    ...action,
    projectId: admin.projectId,
    actor: { id: admin.id, name: admin.name },
    requestId: request.veritrail.requestId,
  });
}

/** The members of `after` that differ from `before`, each side: what an update changed. */
export function changedMembers(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { old: Record<string, unknown>; new: Record<string, unknown> } {
  const out = { old: {} as Record<string, unknown>, new: {} as Record<string, unknown> };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    if (before[key] !== undefined) out.old[key] = before[key];
    if (after[key] !== undefined) out.new[key] = after[key];
  }
  return out;
}
