// The Merkle tree shape and its incremental construction, wire-protocol §5.4.
// Where the vectors come from (test-vectors/README.md names the origin of each file):
// - the "leaf0" and "root n=…" lines of test-vectors/merkle-and-hash-vectors.txt, an in-repo copy
//   of the shared vectors/merkle-and-hash-vectors.txt, each checked with the Python SDK's
//   functions (wire-protocol §5.4); leaf i = SHA-256("leaf" + i);
// - the reference values of the property tests come from test-support/naive-tree.ts, a naive
//   RFC 6962 MTH recursion (without prefixes) written from the RFC text;
// - the completeSubtrees examples are worked out by hand from the binary digits of the range.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CoreError } from "../errors.js";
import { NaiveTree, vectorLeaf } from "../test-support/naive-tree.js";
import { readTestVector } from "../test-support/test-vectors.js";
import {
  CompactRange,
  completeSubtrees,
  hashChildren,
  largestPowerOfTwoBelow,
  type MerkleNode,
  type NodeId,
  nodeKey,
  planConsistency,
  planMembership,
  planPath,
  rangeHash,
} from "./tree.js";

const isCode = (code: string) => (e: unknown) => e instanceof CoreError && e.code === code;

const vectorLines = readTestVector("merkle-and-hash-vectors.txt").split("\n");

/** The `root n=<size> <hex>` lines of the vector file. */
const vectorRoots = new Map<number, string>();
for (const line of vectorLines) {
  const match = /^root n=(\d+) ([0-9a-f]{64})$/.exec(line.trim());
  if (match) vectorRoots.set(Number(match[1]), match[2]!);
}

const MAX = 3000;
const leaves = Array.from({ length: MAX }, (_, i) => vectorLeaf(i));
const naive = new NaiveTree(leaves);

/** Appends the leaves one by one, recording what each append reports and the root after it. */
function appendAll(input: readonly Buffer[]): { completed: MerkleNode[][]; roots: Buffer[] } {
  const range = new CompactRange();
  const completed: MerkleNode[][] = [];
  const roots: Buffer[] = [];
  for (const leaf of input) {
    completed.push(range.append(leaf));
    roots.push(range.root()!);
  }
  return { completed, roots };
}

const built = appendAll(leaves);

const subtreeRange = (node: NodeId): [number, number] => [
  node.index * 2 ** node.level,
  (node.index + 1) * 2 ** node.level,
];

describe("the vector roots (test-vectors/merkle-and-hash-vectors.txt, checked with the Python SDK)", () => {
  it("has the five vector roots and the leaf0 line to check against", () => {
    assert.deepEqual([...vectorRoots.keys()], [1, 2, 3, 5, 7]);
    const leaf0 = vectorLines.find((l) => l.startsWith("leaf i ="))?.match(/leaf0 ([0-9a-f]{64})/)?.[1];
    assert.equal(leaf0, vectorLeaf(0).toString("hex"));
    assert.equal(leaf0, createHash("sha256").update("leaf0").digest("hex"));
  });

  for (const n of [1, 2, 3, 5, 7]) {
    it(`CompactRange over leaves 0..${n - 1} has the vector root for n=${n}`, () => {
      const range = new CompactRange();
      for (let i = 0; i < n; i++) range.append(vectorLeaf(i));
      assert.equal(range.size, n);
      assert.equal(range.root()?.toString("hex"), vectorRoots.get(n));
    });

    it(`the naive reference tree agrees with the vector root for n=${n}`, () => {
      assert.equal(naive.root(n).toString("hex"), vectorRoots.get(n));
    });
  }

  it("makes the root of one leaf the leaf itself, not hashed again", () => {
    assert.equal(vectorRoots.get(1), vectorLeaf(0).toString("hex"));
  });
});

describe("hashChildren", () => {
  it("is SHA-256(left ‖ right) with no 0x01 prefix (wire-protocol §5.4)", () => {
    const [a, b] = [vectorLeaf(0), vectorLeaf(1)];
    assert.deepEqual(
      hashChildren(a, b),
      createHash("sha256")
        .update(Buffer.concat([a, b]))
        .digest(),
    );
    const rfc6962 = createHash("sha256")
      .update(Buffer.concat([Buffer.from([1]), a, b]))
      .digest();
    assert.notDeepEqual(hashChildren(a, b), rfc6962);
    assert.equal(hashChildren(a, b).toString("hex"), vectorRoots.get(2));
  });

  it("depends on the order of the children", () => {
    assert.notDeepEqual(
      hashChildren(vectorLeaf(0), vectorLeaf(1)),
      hashChildren(vectorLeaf(1), vectorLeaf(0)),
    );
  });
});

describe("largestPowerOfTwoBelow (RFC 6962's split point k, k < n ≤ 2k)", () => {
  it("gives the largest power of two strictly below n", () => {
    const cases: Array<[number, number]> = [
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 4],
      [7, 4],
      [8, 4],
      [9, 8],
      [112, 64],
      [1024, 512],
      [1025, 1024],
      [2 ** 31 + 1, 2 ** 31],
      [2 ** 32, 2 ** 31],
      [2 ** 32 + 1, 2 ** 32],
      [2 ** 40 + 3, 2 ** 40],
    ];
    for (const [n, k] of cases) assert.equal(largestPowerOfTwoBelow(n), k, `n=${n}`);
  });
});

describe("completeSubtrees", () => {
  const ids = (nodes: NodeId[]) => nodes.map((n) => `${n.level}:${n.index}`);

  it("splits [0, 7) into 4 + 2 + 1 leaves, largest first (its JSDoc example)", () => {
    assert.deepEqual(completeSubtrees(0, 7), [
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
  });

  it("splits [0, 111) into the subtree sizes 64, 32, 8, 4, 2, 1 of the artifact's old tree", () => {
    assert.deepEqual(ids(completeSubtrees(0, 111)), ["6:0", "5:2", "3:12", "2:26", "1:54", "0:110"]);
  });

  it("gives one node for a power-of-two range and nothing for an empty one", () => {
    assert.deepEqual(ids(completeSubtrees(0, 8)), ["3:0"]);
    assert.deepEqual(ids(completeSubtrees(0, 1)), ["0:0"]);
    assert.deepEqual(completeSubtrees(0, 0), []);
    assert.deepEqual(completeSubtrees(5, 5), []);
  });

  it("keeps every piece aligned for a range that starts off a power of two", () => {
    assert.deepEqual(ids(completeSubtrees(3, 8)), ["0:3", "2:1"]);
    assert.deepEqual(ids(completeSubtrees(5, 7)), ["0:5", "0:6"]);
    assert.deepEqual(ids(completeSubtrees(6, 16)), ["1:3", "3:1"]);
    assert.deepEqual(ids(completeSubtrees(1, 7)), ["0:1", "1:1", "1:2", "0:6"]);
  });

  it("agrees with widening one level at a time, for ranges on both sides of 2^32", () => {
    // The reference: at each position, double the width while the position stays aligned to
    // it and the subtree stays inside the range (the loop completeSubtrees replaced).
    const reference = (start: number, end: number): string[] => {
      const out: string[] = [];
      for (let position = start; position < end; ) {
        let level = 0;
        let width = 1;
        while (position % (width * 2) === 0 && position + width * 2 <= end) {
          level += 1;
          width *= 2;
        }
        out.push(`${level}:${position / width}`);
        position += width;
      }
      return out;
    };
    const bound = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 20 }),
      fc.integer({ min: 2 ** 32 - 2 ** 20, max: 2 ** 32 + 2 ** 20 }),
      fc.integer({ min: 0, max: 2 ** 44 }).map((n) => n - (n % 2 ** 33)),
    );
    fc.assert(
      fc.property(bound, fc.integer({ min: 0, max: 2 ** 34 }), (start, length) => {
        assert.deepEqual(ids(completeSubtrees(start, start + length)), reference(start, start + length));
      }),
    );
  });

  it("throws ERR_TREE_SIZE for negative or non-integer bounds", () => {
    assert.throws(() => completeSubtrees(-1, 3), isCode("ERR_TREE_SIZE"));
    assert.throws(() => completeSubtrees(0, 1.5), isCode("ERR_TREE_SIZE"));
    assert.throws(() => completeSubtrees(0, Number.NaN), isCode("ERR_TREE_SIZE"));
    assert.throws(() => completeSubtrees(0, 2 ** 53), isCode("ERR_TREE_SIZE"));
  });

  it("for [0, n) follows the binary digits of n, largest first, contiguous and aligned", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (n) => {
        const nodes = completeSubtrees(0, n);
        const widths = nodes.map((node) => 2 ** node.level);
        const digits = [...n.toString(2)].flatMap((bit, i, all) =>
          bit === "1" ? [2 ** (all.length - 1 - i)] : [],
        );
        assert.deepEqual(widths, digits);
        let position = 0;
        for (const node of nodes) {
          const [start, end] = subtreeRange(node);
          assert.equal(start, position);
          position = end;
        }
        assert.equal(position, n);
      }),
      { numRuns: 200 },
    );
  });
});

describe("rangeHash", () => {
  const lookup = (node: NodeId) => naive.mth(...subtreeRange(node));

  it("gives the naive MTH of [0, n) for random n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), (n) => {
        assert.deepEqual(rangeHash(0, n, lookup), naive.root(n));
      }),
      { numRuns: 200 },
    );
  });

  it("throws ERR_TREE_SIZE for an empty range", () => {
    assert.throws(() => rangeHash(3, 3, lookup), isCode("ERR_TREE_SIZE"));
  });
});

describe("CompactRange against the naive tree (3000 leaves)", () => {
  it("has the naive root after every append, at every size from 1 to 3000", () => {
    for (let size = 1; size <= MAX; size++) {
      assert.deepEqual(built.roots[size - 1], naive.root(size), `size ${size}`);
    }
  });

  it("reports as completed exactly the leaf and the subtrees that the new leaf closes, lowest level first", () => {
    for (let oldSize = 0; oldSize < MAX; oldSize++) {
      const completed = built.completed[oldSize]!;
      // One node for the leaf plus one per trailing 1 bit of the old size.
      const trailingOnes = /1*$/.exec(oldSize.toString(2))![0].length;
      assert.equal(completed.length, trailingOnes + 1, `append at ${oldSize}`);
      completed.forEach((node, level) => {
        assert.equal(node.level, level);
        const [start, end] = subtreeRange(node);
        assert.equal(end, oldSize + 1, `node ${nodeKey(node)} ends at the new leaf`);
        assert.deepEqual(node.hash, naive.mth(start, end), `node ${nodeKey(node)}`);
      });
    }
  });

  it("reports every complete subtree of the 3000-leaf tree exactly once", () => {
    const keys = built.completed.flat().map(nodeKey);
    assert.equal(new Set(keys).size, keys.length);
    // A tree of n leaves has 2n − popcount(n) complete subtrees (aligned, power-of-two ranges).
    const popcount = [...MAX.toString(2)].filter((bit) => bit === "1").length;
    assert.equal(keys.length, 2 * MAX - popcount);
  });

  it("matches the naive tree for random leaf contents and sizes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 300 }),
        (raw) => {
          const input = raw.map((bytes) => Buffer.from(bytes));
          const reference = new NaiveTree(input);
          const range = new CompactRange();
          input.forEach((leaf, i) => {
            range.append(leaf);
            assert.deepEqual(range.root(), reference.root(i + 1));
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it("resumes from the hashes of completeSubtrees(0, size) and reaches the same root", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: MAX - 1 })
          .chain((start) => fc.tuple(fc.constant(start), fc.integer({ min: start + 1, max: MAX }))),
        ([start, end]) => {
          const hashes = completeSubtrees(0, start).map((node) => naive.mth(...subtreeRange(node)));
          const range = new CompactRange(start, hashes);
          assert.equal(range.size, start);
          assert.deepEqual(range.root(), start === 0 ? undefined : naive.root(start));
          for (let i = start; i < end; i++) range.append(leaves[i]!);
          assert.equal(range.size, end);
          assert.deepEqual(range.root(), naive.root(end));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("CompactRange basics", () => {
  it("has no root and size 0 when empty", () => {
    const range = new CompactRange();
    assert.equal(range.size, 0);
    assert.equal(range.root(), undefined);
  });

  it("clones into an independent copy", () => {
    const range = new CompactRange();
    for (let i = 0; i < 5; i++) range.append(vectorLeaf(i));
    const copy = range.clone();
    copy.append(vectorLeaf(5));
    copy.append(vectorLeaf(6));
    assert.equal(range.size, 5);
    assert.equal(range.root()?.toString("hex"), vectorRoots.get(5));
    assert.equal(copy.size, 7);
    assert.equal(copy.root()?.toString("hex"), vectorRoots.get(7));
  });

  it("throws ERR_TREE_SIZE when given the wrong number of subtree hashes", () => {
    const h = vectorLeaf(0);
    assert.throws(() => new CompactRange(7, [h, h]), isCode("ERR_TREE_SIZE"));
    assert.throws(() => new CompactRange(7, [h, h, h, h]), isCode("ERR_TREE_SIZE"));
    assert.throws(() => new CompactRange(8, []), isCode("ERR_TREE_SIZE"));
    assert.throws(() => new CompactRange(8, [h, h]), isCode("ERR_TREE_SIZE"));
    assert.throws(() => new CompactRange(0, [h]), isCode("ERR_TREE_SIZE"));
    assert.throws(() => new CompactRange(3), isCode("ERR_TREE_SIZE"));
  });

  it("throws ERR_TREE_SIZE for a negative or fractional size", () => {
    assert.throws(() => new CompactRange(-1), isCode("ERR_TREE_SIZE"));
    assert.throws(() => new CompactRange(2.5, [vectorLeaf(0)]), isCode("ERR_TREE_SIZE"));
  });
});

describe("planPath / planMembership / planConsistency", () => {
  it("plans leaf 4 of 7 as right sibling 5, right sibling 6, left sibling [0, 4)", () => {
    assert.deepEqual(planMembership(4, 7), [
      { side: "r", start: 5, end: 6 },
      { side: "r", start: 6, end: 7 },
      { side: "l", start: 0, end: 4 },
    ]);
  });

  it("plans no step for the only leaf of a one-leaf tree", () => {
    assert.deepEqual(planMembership(0, 1), []);
  });

  it("plans the consistency 3 → 7 as leaf 2 then [0, 2), each with its path in tree 7", () => {
    assert.deepEqual(planConsistency(3, 7), [
      {
        subtree: { level: 0, index: 2 },
        path: [
          { side: "r", start: 3, end: 4 },
          { side: "l", start: 0, end: 2 },
          { side: "r", start: 4, end: 7 },
        ],
      },
      {
        subtree: { level: 1, index: 0 },
        path: [
          { side: "r", start: 2, end: 4 },
          { side: "r", start: 4, end: 7 },
        ],
      },
    ]);
  });

  it("throws ERR_TREE_SIZE for a leaf index at or beyond the tree size", () => {
    for (const [index, size] of [
      [7, 7],
      [8, 7],
      [0, 0],
      [-1, 5],
      [1.5, 5],
      [0, -1],
      [0, Number.NaN],
    ] as const) {
      assert.throws(
        () => planMembership(index, size),
        isCode("ERR_TREE_SIZE"),
        `index ${index}, size ${size}`,
      );
    }
  });

  it("throws ERR_TREE_SIZE for a subtree not inside the tree", () => {
    assert.throws(() => planPath({ level: 1, index: 3 }, 7), isCode("ERR_TREE_SIZE"));
    // A negative or fractional subtree coordinate is refused, not looped on.
    assert.throws(() => planPath({ level: -1, index: 0 }, 5), isCode("ERR_TREE_SIZE"));
    assert.throws(() => planPath({ level: 0.5, index: 0 }, 5), isCode("ERR_TREE_SIZE"));
    assert.throws(() => planPath({ level: 0, index: -1 }, 5), isCode("ERR_TREE_SIZE"));
    assert.throws(() => planPath({ level: 2, index: 1 }, 7), isCode("ERR_TREE_SIZE"));
    assert.throws(() => planPath({ level: 0, index: -1 }, 7), isCode("ERR_TREE_SIZE"));
  });

  it("throws ERR_TREE_SIZE for a consistency proof unless 0 < m < n", () => {
    for (const [m, n] of [
      [0, 5],
      [5, 5],
      [6, 5],
      [-1, 5],
      [Number.NaN, 5],
      [1.5, 3],
    ] as const) {
      assert.throws(() => planConsistency(m, n), isCode("ERR_TREE_SIZE"), `m ${m}, n ${n}`);
    }
  });

  it("plans sibling ranges that, with the leaf, tile the whole tree", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 2 ** 40 })
          .chain((size) => fc.tuple(fc.integer({ min: 0, max: size - 1 }), fc.constant(size))),
        ([index, size]) => {
          const steps = planMembership(index, size);
          let [start, end] = [index, index + 1];
          for (const step of steps) {
            if (step.side === "r") {
              assert.equal(step.start, end);
              end = step.end;
            } else {
              assert.equal(step.end, start);
              start = step.start;
            }
          }
          assert.deepEqual([start, end], [0, size]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
