import { formatReceivedAt } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import { consistencyProof, rootAt } from "../../log/proofs.js";
import { checkpointUrl } from "../../log/published.js";
import type { Services } from "../../services.js";
import { sendEnvelope } from "../envelope.js";
import { authorizeAudit } from "./data-plane.js";

/**
 * `v1/root` (wire-protocol §4.4, docs/design/publishing.md). Without `tree_size`: the latest
 * published root, or the current root while nothing is published. With `tree_size`: the root
 * at that size, for any size from 1 to the current one. Every answer carries the consistency
 * proof from size − 1 (none for size 1), `url` is where the checkpoint note of that size is
 * served (`GET /trees/{tree_name}/checkpoint/{size}`, 404 for a size never published), and
 * `published_at` is when the size was first covered by a checkpoint (that checkpoint's time),
 * or, for a size above the latest checkpoint, when its last leaf arrived.
 */
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
    if (requested !== undefined && requested > head.size) {
      throw new ApiError(
        "TreeNotFound",
        `The tree has ${head.size} leaves; there is no root at size ${requested}`,
        [{ code: "NotWithinRange", detail: `tree_size must be at most ${head.size}`, source: "/tree_size" }],
      );
    }
    const latest = requested === undefined ? await store.checkpoints.latestCheckpoint(head.id) : undefined;
    const size = requested ?? latest?.size ?? head.size;
    const covering = latest ?? (await store.checkpoints.firstCheckpointCovering(head.id, size));
    let rootHash: Buffer;
    if (covering?.size === size) rootHash = covering.rootHash;
    else if (size === head.size) rootHash = head.rootHash;
    else rootHash = await rootAt(store, head.id, size);
    let publishedAt: string;
    if (covering) publishedAt = covering.publishedAt;
    else publishedAt = formatReceivedAt((await store.log.getLeaf(head.id, size - 1))!.receivedAt);
    const data: Record<string, unknown> = {
      tree_name: head.treeName,
      size,
      root_hash: rootHash.toString("hex"),
      url: checkpointUrl(config.publicUrl, head.treeName, size),
      published_at: publishedAt,
    };
    if (size > 1) data["consistency_proof"] = await consistencyProof(store, head.id, size - 1, size);
    return sendEnvelope(request, reply, "Success", "Root of the tree", { data });
  });
}
