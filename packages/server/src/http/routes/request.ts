import { isId } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { type AuditEndpoint, resolveConfig } from "../../auth/resolve-config.js";
import { ApiError, clip } from "../../errors.js";
import type { Services } from "../../services.js";
import { authenticatedToken, sendEnvelope } from "../envelope.js";
import { acceptedResult } from "./data-plane.js";

/** `GET request/{id}`: the outcome of a request answered 202, for the token that made it (wire-protocol §2.3). */
export function registerRequestRoutes(app: FastifyInstance, services: Services): void {
  const { store, directory } = services;

  app.get<{ Params: { id: string } }>("/request/:id", async (request, reply) => {
    // Admin credentials manage; they do not call the data plane (docs/design/tokens.md).
    const token = authenticatedToken(request, "service");
    const id = request.params.id;
    const found = isId("prq", id) ? await store.jobs.getAsyncRequest(id) : undefined;
    if (!found || Date.parse(found.expiresAt) <= services.clock.nowMillis()) {
      return sendEnvelope(
        request,
        reply,
        "NotFound",
        `No request ${clip(id)} (or its result has expired)`,
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
        acceptedResult(services, id),
        202,
        id,
      );
    }
    if (found.state === "failed") {
      // Failed for good (jobs/job-kind.ts): the reason says why retrying cannot help.
      const failure = JSON.parse(found.error ?? "{}") as { reason?: string; summary?: string };
      return sendEnvelope(
        request,
        reply,
        "InternalError",
        failure.summary ?? "The request failed",
        failure.reason === undefined ? null : { reason: failure.reason },
        500,
        id,
      );
    }
    return sendEnvelope(request, reply, "Success", "Done", JSON.parse(found.result ?? "{}"), 200, id);
  });
}
