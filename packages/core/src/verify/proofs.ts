import { Buffer } from "#platform";
import { decodeMembershipProof, foldPath, type ProofItem, verifyConsistency } from "../merkle/proof.js";
import { planConsistency, planMembership } from "../merkle/tree.js";
import { type Check, fail, PASS } from "./check.js";

/** A tree head: a size and the root hash at that size, in wire form (64 hex). */
export interface TreeHead {
  readonly size: number;
  readonly root_hash: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

function badHead(head: TreeHead, name: string): string | undefined {
  if (!Number.isSafeInteger(head.size) || head.size < 1)
    return `${name} size ${head.size} is not a tree size`;
  if (typeof head.root_hash !== "string" || !HEX64.test(head.root_hash)) {
    return `${name} root_hash is not 64 lower-case hex characters`;
  }
  return undefined;
}

/** The sides of a proof's items, "l" and "r", in order: the shape a leaf index and size fix. */
function sides(proof: string): string {
  return decodeMembershipProof(proof)
    .map((item) => item.side)
    .join("");
}

/**
 * Membership of `leafHash` in the tree `root` (wire-protocol §5.5): the proof folds the hash to
 * `root.root_hash`. With a `leafIndex` the proof's shape must also be that of leaf `leafIndex`
 * in a tree of `root.size` leaves, so a proof cannot move a record to another position.
 */
export function checkMembership(args: {
  leafHash: string;
  proof: unknown;
  root: TreeHead;
  leafIndex?: number | undefined;
}): Check {
  const { leafHash, proof, root, leafIndex } = args;
  const bad = badHead(root, "the root's");
  if (bad) return fail(bad);
  if (typeof proof !== "string") return fail("membership_proof is not a string");
  if (!HEX64.test(leafHash)) return fail("the record's hash is not 64 lower-case hex characters");
  let items: ProofItem[];
  try {
    items = decodeMembershipProof(proof);
  } catch {
    return fail("membership_proof is malformed");
  }
  if (leafIndex !== undefined) {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= root.size) {
      return fail(`leaf_index ${leafIndex} is not inside a tree of size ${root.size}`);
    }
    const expected = planMembership(leafIndex, root.size);
    if (expected.length !== items.length || expected.some((step, i) => step.side !== items[i]!.side)) {
      return fail(`membership_proof is not the path of leaf ${leafIndex} in a tree of size ${root.size}`);
    }
  }
  // Decoded once, folded here: the same fold as merkle/proof.ts verifyMembership.
  return foldPath(Buffer.from(leafHash, "hex"), items).toString("hex") === root.root_hash
    ? PASS
    : fail(
        `membership_proof does not lead from the record's hash to root ${root.root_hash} (size ${root.size})`,
      );
}

/**
 * Consistency of two tree heads (RFC 6962 §2.1.2, in wire-protocol §5.5's encoding): the tree of
 * `newer.size` leaves extends the tree of `older.size`. Equal sizes need equal roots; a proof
 * must have exactly the items and path shapes the two sizes fix.
 */
export function checkConsistency(args: { older: TreeHead; newer: TreeHead; proof?: unknown }): Check {
  const { older, newer, proof } = args;
  const bad = badHead(older, "the older") ?? badHead(newer, "the newer");
  if (bad) return fail(bad);
  if (older.size > newer.size) return fail(`size ${older.size} is larger than size ${newer.size}`);
  if (older.size === newer.size) {
    return older.root_hash === newer.root_hash
      ? PASS
      : fail(`two different roots at size ${older.size}: ${older.root_hash} and ${newer.root_hash}`);
  }
  const what = `the consistency proof from size ${older.size} to size ${newer.size}`;
  if (!Array.isArray(proof) || !proof.every((item) => typeof item === "string")) {
    return fail(`${what} is not a list of strings`);
  }
  const plan = planConsistency(older.size, newer.size);
  if (proof.length !== plan.length) {
    return fail(`${what} has ${proof.length} items where these sizes need ${plan.length}`);
  }
  for (const [i, item] of (proof as string[]).entries()) {
    const comma = item.indexOf(",");
    let shape: string;
    try {
      shape = comma < 0 ? "" : sides(item.slice(comma + 1));
    } catch {
      return fail(`${what} has a malformed item ${i}`);
    }
    if (shape !== plan[i]!.path.map((step) => step.side).join("")) {
      return fail(`${what} has an item ${i} of the wrong shape for these sizes`);
    }
  }
  return verifyConsistency({ oldRoot: older.root_hash, newRoot: newer.root_hash, proof: proof as string[] })
    ? PASS
    : fail(`${what} does not lead from root ${older.root_hash} to root ${newer.root_hash}`);
}
