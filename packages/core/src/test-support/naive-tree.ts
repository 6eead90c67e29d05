import { createHash } from "node:crypto";
import { hashChildren } from "../merkle/tree.js";

/*
 * A deliberately naive reference Merkle tree for tests, written straight from the texts rather
 * than from `merkle/tree.ts`:
 * - MTH and PATH are RFC 6962 §2.1 and §2.1.1, recursing over the leaf list, with the one change
 *   wire-protocol §5.4 makes: no 0x00/0x01 prefixes (a leaf is used as it is, an inner node is
 *   SHA-256(left ‖ right), i.e. `hashChildren`).
 * - The consistency proof is wire-protocol §5.5 read literally: split [0, m) into perfect
 *   power-of-two subtrees largest first, list them smallest first, each as `x:<hash>,` plus its
 *   membership path inside tree n.
 * Its only optimisation is a memo of MTH per leaf range, so that roots at every size of a
 * 3000-leaf tree stay cheap; MTH is a pure function of the range, so this changes no result.
 */

/** The leaves of the vector file: leaf i = SHA-256("leaf" + i) (test-vectors/merkle-and-hash-vectors.txt). */
export function vectorLeaf(i: number): Buffer {
  return createHash("sha256").update(`leaf${i}`, "utf8").digest();
}

/** One sibling of a naive PATH, tagged with its side as in wire-protocol §5.5. */
export interface NaiveProofItem {
  side: "l" | "r";
  hash: Buffer;
}

/** RFC 6962 §2.1: "k be the largest power of two smaller than n (i.e., k < n <= 2k)". */
function splitPoint(n: number): number {
  let k = 1;
  while (k + k < n) k += k;
  return k;
}

/** Wire form of a membership path (wire-protocol §5.5), encoded here without the core's encoder. */
export function naiveEncode(items: readonly NaiveProofItem[]): string {
  return items.map((item) => `${item.side}:${item.hash.toString("hex")}`).join(",");
}

export class NaiveTree {
  readonly leaves: readonly Buffer[];
  readonly #memo = new Map<string, Buffer>();

  constructor(leaves: readonly Buffer[]) {
    this.leaves = leaves;
  }

  /** MTH(D[start:end]) of RFC 6962 §2.1, without prefixes. */
  mth(start: number, end: number): Buffer {
    const n = end - start;
    if (!(start >= 0 && n >= 1 && end <= this.leaves.length)) {
      throw new RangeError(`MTH of [${start}, ${end}) is undefined here`);
    }
    const key = `${start}:${end}`;
    const cached = this.#memo.get(key);
    if (cached) return cached;
    let out: Buffer;
    if (n === 1) {
      out = this.leaves[start]!;
    } else {
      const k = splitPoint(n);
      out = hashChildren(this.mth(start, start + k), this.mth(start + k, end));
    }
    this.#memo.set(key, out);
    return out;
  }

  /** The root of the tree made of the first `size` leaves. */
  root(size: number): Buffer {
    return this.mth(0, size);
  }

  /**
   * RFC 6962 §2.1.1 PATH, generalised from a leaf to the subtree D[start:end] (a leaf is
   * end = start + 1), inside D[lo:hi]. Nearest sibling first, as the RFC's concatenation gives.
   */
  #path(start: number, end: number, lo: number, hi: number): NaiveProofItem[] {
    if (hi - lo === end - start) {
      if (lo !== start) throw new RangeError(`[${start}, ${end}) is not a node of the tree`);
      return [];
    }
    const k = splitPoint(hi - lo);
    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]).
    if (start < lo + k)
      return [...this.#path(start, end, lo, lo + k), { side: "r", hash: this.mth(lo + k, hi) }];
    return [...this.#path(start, end, lo + k, hi), { side: "l", hash: this.mth(lo, lo + k) }];
  }

  /** PATH(index, D[0:size]). */
  path(index: number, size: number): NaiveProofItem[] {
    if (!(index >= 0 && index < size && size <= this.leaves.length)) throw new RangeError("no such leaf");
    return this.#path(index, index + 1, 0, size);
  }

  /** The membership proof string of leaf `index` in tree `size` (wire-protocol §5.5). */
  membershipProof(index: number, size: number): string {
    return naiveEncode(this.path(index, size));
  }

  /** The consistency proof from size m to size n, wire-protocol §5.5 read literally. */
  consistencyProof(m: number, n: number): string[] {
    if (!(m > 0 && m < n && n <= this.leaves.length)) throw new RangeError("no such consistency proof");
    // S1 … Sk: perfect power-of-two subtrees of [0, m), largest first.
    const subtrees: Array<[number, number]> = [];
    let offset = 0;
    let remaining = m;
    while (remaining > 0) {
      let width = 1;
      while (width + width <= remaining) width += width;
      subtrees.push([offset, offset + width]);
      offset += width;
      remaining -= width;
    }
    // Listed smallest first: Sk, Sk−1, …, S1.
    return subtrees
      .reverse()
      .map(
        ([start, end]) =>
          `x:${this.mth(start, end).toString("hex")},${naiveEncode(this.#path(start, end, 0, n))}`,
      );
  }
}
