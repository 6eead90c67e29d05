import {
  buildConsistencyProof,
  buildPath,
  buildPaths,
  completeSubtrees,
  encodeMembershipProof,
  type NodeId,
  type NodeLookup,
  nodeKey,
  nodesForConsistency,
  nodesForPaths,
  nodesForSteps,
  planConsistency,
  planMembership,
  rangeHash,
} from "@veritrail/core";
import type { Store } from "../store/contract/store.js";

/*
 * Roots and proofs of a stored tree: the core plans which complete subtrees are needed, the
 * store fetches them in one round trip, the core folds them. O(log n) reads, never a rebuild.
 */

async function fetchNodes(store: Store, treeId: number, nodes: readonly NodeId[]): Promise<NodeLookup> {
  const hashes = await store.log.readNodes(treeId, nodes);
  return (node) => {
    const hash = hashes.get(nodeKey(node));
    if (!hash) throw new Error(`tree ${treeId} has no stored hash for subtree ${nodeKey(node)}`);
    return hash;
  };
}

/** The root hash at `size` (1 ≤ size ≤ the tree's size). */
export async function rootAt(store: Store, treeId: number, size: number): Promise<Buffer> {
  const lookup = await fetchNodes(store, treeId, completeSubtrees(0, size));
  return rangeHash(0, size, lookup);
}

/** The membership proof string of a leaf in the tree of `size` leaves. */
export async function membershipProof(
  store: Store,
  treeId: number,
  leafIndex: number,
  size: number,
): Promise<string> {
  const steps = planMembership(leafIndex, size);
  const lookup = await fetchNodes(store, treeId, nodesForSteps(steps));
  return encodeMembershipProof(buildPath(steps, lookup));
}

/** The consistency proof from `oldSize` to `newSize` (0 < oldSize < newSize), in wire form. */
export async function consistencyProof(
  store: Store,
  treeId: number,
  oldSize: number,
  newSize: number,
): Promise<string[]> {
  const plan = planConsistency(oldSize, newSize);
  const lookup = await fetchNodes(store, treeId, nodesForConsistency(plan));
  return buildConsistencyProof(plan, lookup);
}

/**
 * The membership proofs of several leaves in the tree of `size` leaves, and that tree's root,
 * from one read of the stored subtrees: the subtrees the proofs share are read once, so a batch
 * of neighbouring leaves costs about as much as one proof per leaf of hashing and one round trip.
 */
export async function membershipProofs(
  store: Store,
  treeId: number,
  leafIndices: readonly number[],
  size: number,
): Promise<{ proofs: string[]; rootHash: Buffer }> {
  const plans = leafIndices.map((leafIndex) => planMembership(leafIndex, size));
  const lookup = await fetchNodes(store, treeId, [...completeSubtrees(0, size), ...nodesForPaths(plans)]);
  return {
    proofs: buildPaths(plans, lookup).map(encodeMembershipProof),
    rootHash: rangeHash(0, size, lookup),
  };
}
