import type { CheckpointRecord } from "../store/contract/checkpoint.js";
import type { Store } from "../store/contract/store.js";
import { membershipProofs, rootAt } from "./proofs.js";

/*
 * Which root each record is proved against (wire-protocol §4.3, docs/design/publishing.md): a
 * record below the latest checkpoint's size is published, with its `leaf_index`, and its proof
 * folds to that checkpoint's root (`root`); any newer record's proof folds to the root at the
 * size the answer was made at (`unpublished_root`). Search pages, downloads and exports all
 * build their proofs here, so they cannot disagree.
 */

/** `root` of a search answer or a file: the latest published root (wire-protocol §4.3). */
export interface PublishedRootJson {
  tree_name: string;
  size: number;
  root_hash: string;
  url: string;
  published_at: string;
}

/** `unpublished_root`: the root at the size the answer was made at, when records lie above `root`. */
export interface UnpublishedRootJson {
  tree_name: string;
  size: number;
  root_hash: string;
}

/** One record's proof, or why there is none (a damaged store). */
export type RecordProof =
  | { leafIndex: number; published: boolean; proof: string }
  | { leafIndex: number; published: boolean; error: string };

/** The URL a root's checkpoint note is served at (`GET /trees/{tree_name}/checkpoint/{size}`). */
export function checkpointUrl(publicUrl: string, treeName: string, size: number): string {
  return `${publicUrl}/trees/${treeName}/checkpoint/${size}`;
}

/** The roots records of a tree at `treeSize` are proved against. */
export interface ProvingRoots {
  /** The latest checkpoint, if any. */
  checkpoint: CheckpointRecord | undefined;
  /** The size unpublished records are proved at (`treeSize`), when some size lies above the checkpoint. */
  unpublishedSize: number | undefined;
}

/**
 * The latest checkpoint of the tree, and whether records at `treeSize` may lie above it.
 * `latest` is that checkpoint when the caller started reading it earlier, as a search does while
 * its SQL runs: any checkpoint read before `treeSize` was is at most `treeSize`.
 */
export async function provingRoots(
  store: Store,
  treeId: number,
  treeSize: number,
  latest: Promise<CheckpointRecord | undefined> = store.checkpoints.latestCheckpoint(treeId),
): Promise<ProvingRoots> {
  const checkpoint = await latest;
  const publishedSize = checkpoint?.size ?? 0;
  return { checkpoint, unpublishedSize: treeSize > publishedSize ? treeSize : undefined };
}

/** The `root` object of a checkpoint. */
export function publishedRootJson(
  publicUrl: string,
  treeName: string,
  checkpoint: CheckpointRecord,
): PublishedRootJson {
  return {
    tree_name: treeName,
    size: checkpoint.size,
    root_hash: checkpoint.rootHash.toString("hex"),
    url: checkpointUrl(publicUrl, treeName, checkpoint.size),
    published_at: checkpoint.publishedAt,
  };
}

/**
 * The proofs of the leaves at `leafIndices` against `roots`, each from one read of the stored
 * subtrees per root, and the unpublished root's hash. With `tolerant`, a group whose proofs
 * cannot be computed (a hash missing from the store) is retried leaf by leaf and each failing
 * leaf gets an `error` instead of a proof; otherwise the read error is thrown.
 */
export async function proveRecords(
  store: Store,
  treeId: number,
  leafIndices: readonly number[],
  roots: ProvingRoots,
  options: { tolerant?: boolean } = {},
): Promise<{ proofs: RecordProof[]; unpublishedRootHash: Buffer | undefined }> {
  const publishedSize = roots.checkpoint?.size ?? 0;
  const proofs: RecordProof[] = new Array(leafIndices.length);
  const published: number[] = [];
  const unpublished: number[] = [];
  leafIndices.forEach((leafIndex, i) => {
    (leafIndex < publishedSize ? published : unpublished).push(i);
  });
  const prove = async (
    positions: number[],
    size: number,
    isPublished: boolean,
  ): Promise<Buffer | undefined> => {
    const indices = positions.map((i) => leafIndices[i]!);
    try {
      const { proofs: found, rootHash } = await membershipProofs(store, treeId, indices, size);
      positions.forEach((position, k) => {
        proofs[position] = { leafIndex: indices[k]!, published: isPublished, proof: found[k]! };
      });
      return rootHash;
    } catch (error) {
      if (!options.tolerant) throw error;
      for (const position of positions) {
        const leafIndex = leafIndices[position]!;
        try {
          const { proofs: one } = await membershipProofs(store, treeId, [leafIndex], size);
          proofs[position] = { leafIndex, published: isPublished, proof: one[0]! };
        } catch (each) {
          proofs[position] = {
            leafIndex,
            published: isPublished,
            error: each instanceof Error ? each.message : String(each),
          };
        }
      }
      return undefined;
    }
  };
  // The two groups read different subtrees: at once, so a page costs one round trip, not two.
  const unpublishedSize = roots.unpublishedSize;
  const [, provedRootHash] = await Promise.all([
    published.length > 0 ? prove(published, publishedSize, true) : undefined,
    unpublishedSize === undefined ? undefined : prove(unpublished, unpublishedSize, false),
  ]);
  let unpublishedRootHash = provedRootHash;
  if (unpublishedSize !== undefined && unpublishedRootHash === undefined) {
    // Tolerant and some proof failed: the root may still be there (its subtrees are few).
    unpublishedRootHash = await rootAt(store, treeId, unpublishedSize).catch(() => undefined);
  }
  return { proofs, unpublishedRootHash };
}
