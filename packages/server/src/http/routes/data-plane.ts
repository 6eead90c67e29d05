import type { FastifyReply, FastifyRequest } from "fastify";
import { type AuditEndpoint, resolveConfig } from "../../auth/resolve-config.js";
import { isoAt } from "../../clock.js";
import { ApiError } from "../../errors.js";
import type { BodyReader } from "../../guards/body-reader.js";
import type { ResolvedConfig } from "../../log/config-directory.js";
import type { Services } from "../../services.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { authenticatedToken, sendEnvelope } from "../envelope.js";

/*
 * What every data-plane route shares: the token and the one configuration a request works on
 * (docs/design/config-resolution.md), and the answer of a request accepted for later (202).
 */

/**
 * Resolves the configuration of a request whose service token the onRequest hook already
 * authenticated (http/app.ts), or throws the refusal. It needs `config_id`, so it runs after
 * the body is parsed.
 */
export async function authorizeAudit(
  services: Services,
  request: FastifyRequest,
  endpoint: AuditEndpoint,
  body: BodyReader,
): Promise<{ token: TokenRecord; resolved: ResolvedConfig }> {
  const { directory } = services;
  const token = authenticatedToken(request, "service");
  const projectConfigIds = await grantableConfigIds(services, token);
  const configId = resolveConfig(token, endpoint, body.raw("config_id"), projectConfigIds);
  const resolved = await directory.get(configId);
  // The admin activity log is written by the server alone (docs/design/admin-activity.md).
  if (resolved.config.settings.admin_activity === true && WRITE_ENDPOINTS.includes(endpoint)) {
    throw ApiError.unauthorized();
  }
  return { token, resolved };
}

/** The endpoints that add events to a configuration. */
const WRITE_ENDPOINTS: readonly AuditEndpoint[] = ["v1/log", "v2/log", "v2/log_async"];

/**
 * The configurations a token's grant can reach: for a grant of `all`, every one of the project
 * but its admin activity log; for a list, the project's live ones (resolveConfig keeps those listed).
 */
export async function grantableConfigIds(services: Services, token: TokenRecord): Promise<string[]> {
  return token.grants.audit?.configs === "all"
    ? services.directory.userConfigIds(token.projectId)
    : services.directory.projectConfigIds(token.projectId);
}

/** The `result` of a 202: where and for how long the outcome can be polled (wire-protocol §2.3). */
export function acceptedResult(
  services: Services,
  id: string,
): { ttl_mins: number; retry_counter: number; location: string } {
  const { config } = services;
  return {
    ttl_mins: config.asyncResultTtlMinutes,
    retry_counter: 0,
    location: `${config.publicUrl}/request/${id}`,
  };
}

/**
 * Accepts work for later: stores the request (before the answer, so an accepted request is never
 * lost), wakes the job runner that any process may take it from, and answers 202 with where to
 * poll (wire-protocol §3.3). `v2/log_async` and `v1/export` both go through here.
 */
export async function acceptForLater(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  work: { token: TokenRecord; configId: string; endpoint: string; payload: unknown; summary: string },
): Promise<FastifyReply> {
  const { store, clock, config } = services;
  const id = request.veritrail.requestId;
  const now = clock.nowMillis();
  await store.jobs.createAsyncRequest({
    id,
    tokenId: work.token.id,
    configId: work.configId,
    endpoint: work.endpoint,
    state: "pending",
    payload: JSON.stringify(work.payload),
    createdAt: isoAt(now),
    expiresAt: isoAt(now + config.asyncResultTtlMinutes * 60_000),
  });
  services.jobs.wake();
  return sendEnvelope(request, reply, "Accepted", work.summary, acceptedResult(services, id));
}
