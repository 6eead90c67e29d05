import { formatReceivedAt } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import { consistencyProof, rootAt } from "../../log/proofs.js";
import type { Services } from "../../services.js";
import { sendEnvelope } from "../envelope.js";
import { authorizeAudit } from "./data-plane.js";

/** `v1/root`: the root at the current size or at any `tree_size` (wire-protocol §4.4). */
export function registerRootRoutes(app: FastifyInstance, services: Services): void {
  const { store, config } = services;

  app.post("/v1/root", async (request, reply) => {
    const body = new BodyReader(request.body ?? {}, "", ["tree_size", "config_id"]);
    const { resolved } = await authorizeAudit(services, request, "v1/root", body);
    const requested = body.integer("tree_size", { min: 1, max: Number.MAX_SAFE_INTEGER });
    body.throwIfInvalid();
    const head = await store.log.getTreeHead(resolved.config.id);
    if (!head || head.size === 0 || !head.rootHash) {
      throw new ApiError("TreeNotFound", "The tree of this configuration has no events yet");
    }
    const size = requested ?? head.size;
    if (size > head.size) {
      throw new ApiError(
        "TreeNotFound",
        `The tree has ${head.size} leaves; there is no root at size ${size}`,
        [{ code: "NotWithinRange", detail: `tree_size must be at most ${head.size}`, source: "/tree_size" }],
      );
    }
    const rootHash = size === head.size ? head.rootHash : await rootAt(store, head.id, size);
    const last = await store.log.getLeaf(head.id, size - 1);
    const data: Record<string, unknown> = {
      tree_name: head.treeName,
      size,
      root_hash: rootHash.toString("hex"),
      url: `${config.publicUrl}/v1/root`,
      // Until signed checkpoints are published, a root's time is when its last leaf arrived.
      published_at: formatReceivedAt(last!.receivedAt),
    };
    if (size > 1) data["consistency_proof"] = await consistencyProof(store, head.id, size - 1, size);
    return sendEnvelope(request, reply, "Success", "Root of the tree", { data });
  });
}
