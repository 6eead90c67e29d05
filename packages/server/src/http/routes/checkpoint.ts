import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError, clip } from "../../errors.js";
import type { Services } from "../../services.js";
import { sendEnvelope } from "../envelope.js";

/** A tree name as the server makes them (log/tree-name.ts). */
const TREE_NAME = /^[0-9a-f]{64}$/;
/** A size in a path: a positive decimal integer without leading zeros, within the safe range. */
const SIZE = /^[1-9][0-9]{0,15}$/;

function noCheckpoint(what: string): ApiError {
  return new ApiError("NotFound", `No checkpoint ${clip(what)}`, [
    { code: "DoesNotExist", detail: "no checkpoint was published there", source: "/" },
  ]);
}

function sendNote(reply: FastifyReply, text: string): FastifyReply {
  return reply
    .code(200)
    .header("content-type", "text/plain; charset=utf-8")
    .header("cache-control", "no-cache")
    .send(text);
}

/**
 * The public checkpoint endpoints (docs/design/publishing.md), with no Authorization: they
 * reveal only tree names, sizes and hashes, which every signed note publishes anyway.
 * - `GET /trees/verifier-key`: the signed-note verifier key line, `text/plain`.
 * - `GET /trees/{tree_name}/checkpoint`: the latest checkpoint note of the tree.
 * - `GET /trees/{tree_name}/checkpoint/{size}`: the note published at exactly that size.
 * An unknown tree, or a size never published, is the envelope's `NotFound` (404).
 */
export function registerCheckpointRoutes(app: FastifyInstance, services: Services): void {
  const { store, publishing } = services;

  app.get("/trees/verifier-key", async (_request, reply) => {
    return sendNote(reply, `${await publishing.verifierKey()}\n`);
  });

  async function findTree(treeName: string) {
    const tree = TREE_NAME.test(treeName) ? await store.checkpoints.findTree(treeName) : undefined;
    if (!tree) throw noCheckpoint(`for tree ${treeName}`);
    return tree;
  }

  app.get<{ Params: { tree_name: string } }>("/trees/:tree_name/checkpoint", async (request, reply) => {
    const tree = await findTree(request.params.tree_name);
    const checkpoint = await store.checkpoints.latestCheckpoint(tree.treeId);
    if (!checkpoint) throw noCheckpoint(`for tree ${tree.treeName} yet`);
    return sendNote(reply, checkpoint.note);
  });

  app.get<{ Params: { tree_name: string; size: string } }>(
    "/trees/:tree_name/checkpoint/:size",
    async (request, reply) => {
      const tree = await findTree(request.params.tree_name);
      const { size } = request.params;
      const checkpoint = SIZE.test(size)
        ? await store.checkpoints.checkpointAt(tree.treeId, Number(size))
        : undefined;
      if (!checkpoint) throw noCheckpoint(`at size ${size} of tree ${tree.treeName}`);
      return sendNote(reply, checkpoint.note);
    },
  );
}

/**
 * `GET /v1/admin/anchors` (admin credential): every configured anchor's state for every
 * published tree: delivered size, backlog, last success, last error, next attempt.
 */
export function registerAnchorStatusRoute(app: FastifyInstance, services: Services): void {
  app.get("/v1/admin/anchors", async (request: FastifyRequest, reply) => {
    const anchors = await services.publishing.anchorStatus();
    return sendEnvelope(request, reply, "Success", `${anchors.length} anchor state(s)`, { anchors });
  });
}
