import { Buffer } from "#platform";
import { CoreError } from "../errors.js";
import { type ConsistencyItemPlan, hashChildren, type NodeLookup, type PathStep, rangeHash } from "./tree.js";

/*
 * Proofs in the string forms the Pangea SDKs parse (wire-protocol §5.5), their assembly from
 * stored subtree hashes, and their verification.
 */

/** One sibling of a membership path. */
export interface ProofItem {
  readonly side: "l" | "r";
  readonly hash: Buffer;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Folds plan steps into sibling hashes using hashes fetched beforehand. */
export function buildPath(steps: readonly PathStep[], lookup: NodeLookup): ProofItem[] {
  return steps.map((step) => ({ side: step.side, hash: rangeHash(step.start, step.end, lookup) }));
}

/**
 * Folds several paths (a page of leaves in one tree) into sibling hashes: a sibling range the
 * paths share, as their upper steps do, is hashed once, not once per path.
 */
export function buildPaths(paths: readonly (readonly PathStep[])[], lookup: NodeLookup): ProofItem[][] {
  const folded = new Map<string, Buffer>();
  return paths.map((steps) =>
    steps.map((step) => {
      const range = `${step.start}-${step.end}`;
      let hash = folded.get(range);
      if (!hash) {
        hash = rangeHash(step.start, step.end, lookup);
        folded.set(range, hash);
      }
      return { side: step.side, hash };
    }),
  );
}

/**
 * Encodes a membership path: `l:<hex>` / `r:<hex>` items, nearest sibling first, joined by commas.
 * The empty path (a one-leaf tree) is the empty string, which the SDKs verify as "pass".
 */
export function encodeMembershipProof(items: readonly ProofItem[]): string {
  return items.map((item) => `${item.side}:${item.hash.toString("hex")}`).join(",");
}

/** Decodes a membership proof string; throws `ERR_PROOF_FORMAT` on anything malformed. */
export function decodeMembershipProof(proof: string): ProofItem[] {
  if (proof === "") return [];
  return proof.split(",").map((part) => {
    const side = part.slice(0, 2);
    const hex = part.slice(2).toLowerCase();
    if ((side !== "l:" && side !== "r:") || !HEX64.test(hex)) {
      throw new CoreError("ERR_PROOF_FORMAT", `bad membership proof item "${part.slice(0, 80)}"`);
    }
    return { side: side === "l:" ? "l" : "r", hash: Buffer.from(hex, "hex") };
  });
}

/** Folds a leaf (or subtree) hash up a path; the result is the root it proves membership in. */
export function foldPath(start: Buffer, items: readonly ProofItem[]): Buffer {
  let acc = start;
  for (const item of items)
    acc = item.side === "l" ? hashChildren(item.hash, acc) : hashChildren(acc, item.hash);
  return acc;
}

/** Builds the wire form of a consistency proof from its plan and fetched hashes. */
export function buildConsistencyProof(plan: readonly ConsistencyItemPlan[], lookup: NodeLookup): string[] {
  return plan.map((item) => {
    const head = `x:${lookup(item.subtree).toString("hex")}`;
    const path = encodeMembershipProof(buildPath(item.path, lookup));
    return path === "" ? head : `${head},${path}`;
  });
}

function hexToHash(hex: string): Buffer | undefined {
  const lower = hex.toLowerCase();
  return HEX64.test(lower) ? Buffer.from(lower, "hex") : undefined;
}

/**
 * Verifies a membership proof: folding `leafHash` up `proof` must give `rootHash`. All three in
 * their wire forms (64 hex and the proof string). A malformed input verifies as false.
 *
 * @example verifyMembership({ leafHash: h, rootHash: h, proof: "" }) === true
 */
export function verifyMembership(args: { leafHash: string; rootHash: string; proof: string }): boolean {
  const leaf = hexToHash(args.leafHash);
  const root = hexToHash(args.rootHash);
  if (!leaf || !root) return false;
  try {
    return foldPath(leaf, decodeMembershipProof(args.proof)).equals(root);
  } catch {
    return false;
  }
}

/**
 * Verifies a consistency proof as the SDKs do (wire-protocol §5.5): the items' subtree hashes,
 * folded smallest first, give `oldRoot`, and every item's path folds to `newRoot`.
 */
export function verifyConsistency(args: {
  oldRoot: string;
  newRoot: string;
  proof: readonly string[];
}): boolean {
  const oldRoot = hexToHash(args.oldRoot);
  const newRoot = hexToHash(args.newRoot);
  if (!oldRoot || !newRoot || args.proof.length === 0) return false;
  try {
    let acc: Buffer | undefined;
    for (const item of args.proof) {
      const comma = item.indexOf(",");
      if (comma < 0 || !item.startsWith("x:")) return false;
      const subtree = hexToHash(item.slice(2, comma));
      if (!subtree) return false;
      if (!foldPath(subtree, decodeMembershipProof(item.slice(comma + 1))).equals(newRoot)) return false;
      acc = acc === undefined ? subtree : hashChildren(subtree, acc);
    }
    return acc?.equals(oldRoot) === true;
  } catch {
    return false;
  }
}
