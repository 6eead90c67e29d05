import { Buffer, sha256 } from "#platform";
import { CoreError } from "../errors.js";

/*
 * The Merkle tree of one log, exactly as the Pangea SDKs fold it (wire-protocol §5.4):
 * - a leaf is the 32-byte envelope hash itself, not hashed again;
 * - an inner node is SHA-256(left ‖ right), with no 0x00/0x01 prefixes;
 * - the shape is RFC 6962's: a range of n > 1 leaves splits at the largest power of two below n.
 *
 * Everything here is pure. Storage keeps the hash of every complete subtree (`NodeId`), so any
 * root or proof is assembled from O(log n) stored hashes: the `plan*` functions say which ones,
 * the caller fetches them in one round trip, and the `build*` functions fold them.
 */

/** A complete subtree: the 2^level leaves [index·2^level, (index+1)·2^level). Level 0 is a leaf. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A complete subtree with its hash. */
export interface MerkleNode extends NodeId {
  readonly hash: Buffer;
}

/** Looks up the hash of a complete subtree the caller fetched beforehand. */
export type NodeLookup = (node: NodeId) => Buffer;

/** One step of an inclusion path: the sibling range and on which side of the path it stands. */
export interface PathStep {
  readonly side: "l" | "r";
  readonly start: number;
  readonly end: number;
}

/** Inner node hash: SHA-256(left ‖ right), no prefix (wire-protocol §5.4). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.concat([left, right]));
}

/** A stable string key for a node, for maps of fetched hashes. */
export function nodeKey(node: NodeId): string {
  return `${node.level}:${node.index}`;
}

/** The largest power of two strictly below n (n ≥ 2): RFC 6962's split point `k`. */
export function largestPowerOfTwoBelow(n: number): number {
  // One instruction for the sizes of 32 bits (every proof plans about 20 of these per leaf).
  if (n >= 2 && n <= 2 ** 32) return 2 ** (31 - Math.clz32(n - 1));
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CoreError("ERR_TREE_SIZE", `${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Splits the leaf range [start, end) into aligned complete subtrees, left to right. For a range
 * that is a node of the tree (such as [0, n)) they come largest first, and folding them from
 * the right gives the range's hash.
 *
 * @example completeSubtrees(0, 7) // => [{level:2,index:0}, {level:1,index:2}, {level:0,index:6}]
 */
export function completeSubtrees(start: number, end: number): NodeId[] {
  checkSize(start, "start");
  checkSize(end, "end");
  const out: NodeId[] = [];
  let position = start;
  while (position < end) {
    // The widest subtree that starts at `position` (aligned to its width) and ends by `end`.
    const width = Math.min(alignmentOf(position), powerOfTwoAtMost(end - position));
    const level = levelOf(width);
    out.push({ level, index: position / width });
    position += width;
  }
  return out;
}

/** The largest power of two dividing n (n ≥ 0; 2^52 for 0, wider than any tree). */
function alignmentOf(n: number): number {
  const low = (n & -n) >>> 0; // exact in 32 bits, and the lowest set bit survives mod 2^32
  if (low !== 0) return low;
  let width = 2 ** 32;
  while (width < 2 ** 52 && n % (width * 2) === 0) width *= 2;
  return width;
}

/** The largest power of two ≤ n (n ≥ 1). */
function powerOfTwoAtMost(n: number): number {
  if (n < 2 ** 32) return 2 ** (31 - Math.clz32(n));
  let k = 2 ** 32;
  while (k * 2 <= n) k *= 2;
  return k;
}

/** log2 of a power of two. */
function levelOf(width: number): number {
  if (width < 2 ** 32) return 31 - Math.clz32(width);
  let level = 32;
  while (2 ** level < width) level += 1;
  return level;
}

/** The hash of the range [start, end), folded from its complete subtrees right to left. */
export function rangeHash(start: number, end: number, lookup: NodeLookup): Buffer {
  const nodes = completeSubtrees(start, end);
  const last = nodes.pop();
  if (!last) throw new CoreError("ERR_TREE_SIZE", "an empty range has no hash");
  let acc = lookup(last);
  for (let i = nodes.length - 1; i >= 0; i--) acc = hashChildren(lookup(nodes[i]!), acc);
  return acc;
}

/**
 * The inclusion path of a complete subtree inside the tree of `size` leaves, nearest sibling
 * first (RFC 6962 §2.1.1 PATH, generalised from leaves to aligned subtrees).
 */
export function planPath(node: NodeId, size: number): PathStep[] {
  checkSize(size, "size");
  checkSize(node.level, "level");
  checkSize(node.index, "index");
  const width = 2 ** node.level;
  const first = node.index * width;
  const end = first + width;
  if (!Number.isSafeInteger(first) || first < 0 || end > size) {
    throw new CoreError("ERR_TREE_SIZE", `subtree ${nodeKey(node)} is not inside a tree of size ${size}`);
  }
  const steps: PathStep[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > width) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (end <= lo + k) {
      steps.push({ side: "r", start: lo + k, end: hi });
      hi = lo + k;
    } else {
      steps.push({ side: "l", start: lo, end: lo + k });
      lo += k;
    }
  }
  return steps.reverse();
}

/** The leaf's membership path in a tree of `size` leaves (wire-protocol §5.5). */
export function planMembership(leafIndex: number, size: number): PathStep[] {
  return planPath({ level: 0, index: leafIndex }, size);
}

/** One item of a consistency proof before hashing: an old-tree subtree and its path in the new tree. */
export interface ConsistencyItemPlan {
  readonly subtree: NodeId;
  readonly path: PathStep[];
}

/**
 * The consistency proof from `oldSize` to `newSize` (0 < oldSize < newSize), wire-protocol §5.5:
 * the complete subtrees of [0, oldSize), smallest first, each with its path in the new tree.
 */
export function planConsistency(oldSize: number, newSize: number): ConsistencyItemPlan[] {
  if (!(oldSize > 0 && oldSize < newSize)) {
    throw new CoreError("ERR_TREE_SIZE", `no consistency proof from size ${oldSize} to size ${newSize}`);
  }
  return completeSubtrees(0, oldSize)
    .reverse()
    .map((subtree) => ({ subtree, path: planPath(subtree, newSize) }));
}

/** Every complete subtree whose hash is needed to fold the given path steps. */
export function nodesForSteps(steps: readonly PathStep[]): NodeId[] {
  return steps.flatMap((step) => completeSubtrees(step.start, step.end));
}

/**
 * Every complete subtree needed to fold several paths, each once. The paths of a page of leaves
 * share their upper steps (the same sibling ranges), so each distinct range is split only once.
 */
export function nodesForPaths(paths: readonly (readonly PathStep[])[]): NodeId[] {
  const ranges = new Set<string>();
  const nodes = new Map<string, NodeId>();
  for (const steps of paths) {
    for (const step of steps) {
      const range = `${step.start}-${step.end}`;
      if (ranges.has(range)) continue;
      ranges.add(range);
      for (const node of completeSubtrees(step.start, step.end)) nodes.set(nodeKey(node), node);
    }
  }
  return [...nodes.values()];
}

/** Every complete subtree needed to build a consistency proof from its plan. */
export function nodesForConsistency(plan: readonly ConsistencyItemPlan[]): NodeId[] {
  return plan.flatMap((item) => [item.subtree, ...nodesForSteps(item.path)]);
}

/**
 * The right edge of a tree under construction: the hashes of the complete subtrees of [0, size),
 * largest first. Appending a leaf costs O(1) amortised and reports each subtree it completes,
 * which is exactly what storage must keep. No reads are needed to append.
 */
export class CompactRange {
  #size: number;
  readonly #hashes: Buffer[];

  /** `hashes` are those of `completeSubtrees(0, size)`, in that order. */
  constructor(size = 0, hashes: Buffer[] = []) {
    checkSize(size, "size");
    if (completeSubtrees(0, size).length !== hashes.length) {
      throw new CoreError("ERR_TREE_SIZE", `a compact range of size ${size} needs its subtree hashes`);
    }
    this.#size = size;
    this.#hashes = [...hashes];
  }

  get size(): number {
    return this.#size;
  }

  /** Appends one leaf; returns the leaf and every subtree it completed, lowest level first. */
  append(leaf: Buffer): MerkleNode[] {
    let index = this.#size;
    let level = 0;
    let hash = leaf;
    const completed: MerkleNode[] = [{ level, index, hash }];
    // Each trailing 1 bit of the old size is a left sibling waiting for this leaf's subtree.
    while (index % 2 === 1) {
      hash = hashChildren(this.#hashes.pop()!, hash);
      index = (index - 1) / 2;
      level += 1;
      completed.push({ level, index, hash });
    }
    this.#hashes.push(hash);
    this.#size += 1;
    return completed;
  }

  /** The root hash at the current size; undefined for an empty tree. */
  root(): Buffer | undefined {
    if (this.#hashes.length === 0) return undefined;
    let acc = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) acc = hashChildren(this.#hashes[i]!, acc);
    return acc;
  }

  /** A copy that can be appended to without changing this one. */
  clone(): CompactRange {
    return new CompactRange(this.#size, this.#hashes);
  }
}
