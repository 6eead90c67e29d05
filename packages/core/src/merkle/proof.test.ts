// Membership and consistency proofs in the SDKs' string forms, wire-protocol §5.4–§5.5.
// Where the vectors come from (test-vectors/README.md names the origin of each file):
// - the "root n=…", "membership …" and "consistency …" lines of
//   test-vectors/merkle-and-hash-vectors.txt, an in-repo copy of the shared
//   vectors/merkle-and-hash-vectors.txt, each checked with the Python SDK's functions
//   (wire-protocol §5.4); leaf i = SHA-256("leaf" + i);
// - the real Pangea record test-vectors/pangea-log-artifact.json, an in-repo copy of the shared
//   reference/pangea-log-artifact.json (pangea-python's tests/testdata/log_artifact.json): its
//   membership_proof of `hash` against root.root_hash, and its root.consistency_proof from size
//   111 to size 112 (the size-111 root is not in the file);
// - the reference values of the property tests come from test-support/naive-tree.ts (RFC 6962
//   MTH and PATH without prefixes, and the §5.5 consistency items, written from the texts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CoreError } from "../errors.js";
import { NaiveTree, vectorLeaf } from "../test-support/naive-tree.js";
import { readTestVector } from "../test-support/test-vectors.js";
import {
  buildConsistencyProof,
  buildPath,
  buildPaths,
  decodeMembershipProof,
  encodeMembershipProof,
  foldPath,
  verifyConsistency,
  verifyMembership,
} from "./proof.js";
import {
  CompactRange,
  completeSubtrees,
  hashChildren,
  type NodeId,
  type NodeLookup,
  nodeKey,
  nodesForConsistency,
  nodesForPaths,
  nodesForSteps,
  planConsistency,
  planMembership,
} from "./tree.js";

const isCode = (code: string) => (e: unknown) => e instanceof CoreError && e.code === code;
const hex = (b: Buffer) => b.toString("hex");

// ---------------------------------------------------------------------------------------------
// Shared data

const vectorLines = readTestVector("merkle-and-hash-vectors.txt")
  .split("\n")
  .map((line) => line.trim());

const vectorRoots = new Map<number, string>();
const membershipVectors: Array<{ index: number; size: number; proof: string }> = [];
const consistencyVectors: Array<{ m: number; n: number; proof: string[] }> = [];
for (const line of vectorLines) {
  let match = /^root n=(\d+) ([0-9a-f]{64})$/.exec(line);
  if (match) vectorRoots.set(Number(match[1]), match[2]!);
  match = /^membership i=(\d+) n=(\d+): (.*)$/.exec(line);
  if (match) {
    // The empty proof is written `""`; the others are the bare proof string.
    const proof = match[3]!.startsWith('"') ? (JSON.parse(match[3]!) as string) : match[3]!;
    membershipVectors.push({ index: Number(match[1]), size: Number(match[2]), proof });
  }
  match = /^consistency (\d+)->(\d+): (\[.*\])$/.exec(line);
  if (match)
    consistencyVectors.push({ m: Number(match[1]), n: Number(match[2]), proof: JSON.parse(match[3]!) });
}

interface Artifact {
  hash: string;
  leaf_index: number;
  membership_proof: string;
  root: { size: number; root_hash: string; consistency_proof: string[] };
}
const artifact = JSON.parse(readTestVector("pangea-log-artifact.json")) as Artifact;

const MAX = 3000;
const leaves = Array.from({ length: MAX }, (_, i) => vectorLeaf(i));
const naive = new NaiveTree(leaves);

/** What storage keeps: every node CompactRange reports as completed while appending the leaves. */
const stored = new Map<string, Buffer>();
{
  const range = new CompactRange();
  for (const leaf of leaves) for (const node of range.append(leaf)) stored.set(nodeKey(node), node.hash);
}
const storeLookup: NodeLookup = (node) => {
  const hash = stored.get(nodeKey(node));
  if (!hash) throw new Error(`node ${nodeKey(node)} was never stored`);
  return hash;
};

/** A lookup that only answers for the nodes a plan said it would need (one round trip). */
function restrictedLookup(allowed: readonly NodeId[]): NodeLookup {
  const keys = new Set(allowed.map(nodeKey));
  return (node) => {
    if (!keys.has(nodeKey(node))) throw new Error(`node ${nodeKey(node)} was not planned`);
    return storeLookup(node);
  };
}

function membershipProof(index: number, size: number): string {
  return encodeMembershipProof(buildPath(planMembership(index, size), storeLookup));
}

function consistencyProof(m: number, n: number): string[] {
  return buildConsistencyProof(planConsistency(m, n), storeLookup);
}

/** XORs byte `byte` of a 64-hex hash with `mask` (1–255). */
function flipHex(hash: string, byte: number, mask: number): string {
  const bytes = Buffer.from(hash, "hex");
  bytes[byte] = bytes[byte]! ^ mask;
  return bytes.toString("hex");
}

/** Flips one byte of the hash in item `item` (`x:` or `l:`/`r:`) of a comma-separated proof string. */
function flipProofItem(proof: string, item: number, byte: number, mask: number): string {
  const parts = proof.split(",");
  const part = parts[item]!;
  parts[item] = `${part.slice(0, 2)}${flipHex(part.slice(2), byte, mask)}`;
  return parts.join(",");
}

const HASH_COUNTS = (proof: readonly string[]) => proof.map((item) => item.split(",").length);

// ---------------------------------------------------------------------------------------------

describe("the vector proofs (test-vectors/merkle-and-hash-vectors.txt, checked with the Python SDK)", () => {
  it("has the expected vectors to check against", () => {
    assert.deepEqual(
      membershipVectors.map((v) => [v.index, v.size]),
      [
        [4, 7],
        [0, 1],
      ],
    );
    assert.deepEqual(
      consistencyVectors.map((v) => [v.m, v.n]),
      [
        [3, 7],
        [4, 5],
      ],
    );
  });

  for (const { index, size, proof } of membershipVectors) {
    it(`builds the membership proof of leaf ${index} in tree ${size} byte for byte`, () => {
      assert.equal(membershipProof(index, size), proof);
      assert.equal(naive.membershipProof(index, size), proof);
    });

    it(`verifies the vector membership proof of leaf ${index} against the vector root n=${size}`, () => {
      const rootHash = vectorRoots.get(size);
      assert.ok(rootHash);
      assert.equal(verifyMembership({ leafHash: hex(vectorLeaf(index)), rootHash, proof }), true);
    });
  }

  it("encodes the one-leaf tree's membership proof as the empty string", () => {
    assert.equal(membershipProof(0, 1), "");
    assert.equal(encodeMembershipProof([]), "");
    assert.deepEqual(decodeMembershipProof(""), []);
  });

  for (const { m, n, proof } of consistencyVectors) {
    it(`builds the consistency proof ${m} → ${n} byte for byte`, () => {
      assert.deepEqual(consistencyProof(m, n), proof);
      assert.deepEqual(naive.consistencyProof(m, n), proof);
    });

    it(`verifies the vector consistency proof ${m} → ${n} against the roots of both sizes`, () => {
      // Root 4 is not a vector line: it is the naive root, which is also the proof's only x: item.
      const oldRoot = vectorRoots.get(m) ?? hex(naive.root(m));
      const newRoot = vectorRoots.get(n);
      assert.ok(newRoot);
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof }), true);
    });
  }

  it("takes root 4 from the naive tree, and it is the x: item of the 4 → 5 vector", () => {
    const vector = consistencyVectors.find((v) => v.m === 4 && v.n === 5);
    assert.ok(vector);
    assert.equal(vector.proof[0]?.slice(2, 66), hex(naive.root(4)));
  });

  it("decodes and re-encodes the 4-of-7 vector unchanged, folding to root 7", () => {
    const vector = membershipVectors.find((v) => v.index === 4);
    assert.ok(vector);
    const items = decodeMembershipProof(vector.proof);
    assert.deepEqual(
      items.map((item) => item.side),
      ["r", "r", "l"],
    );
    assert.equal(encodeMembershipProof(items), vector.proof);
    assert.equal(hex(foldPath(vectorLeaf(4), items)), vectorRoots.get(7));
  });
});

describe("verifiers reject wrong proofs built from the vectors", () => {
  const root7 = vectorRoots.get(7)!;
  const root3 = vectorRoots.get(3)!;
  const proof47 = membershipVectors.find((v) => v.index === 4)!.proof;
  const proof37 = consistencyVectors.find((v) => v.m === 3)!.proof;

  it("rejects another leaf, another tree size, and a truncated, extended, empty or side-swapped path", () => {
    const leaf4 = hex(vectorLeaf(4));
    assert.equal(verifyMembership({ leafHash: hex(vectorLeaf(3)), rootHash: root7, proof: proof47 }), false);
    assert.equal(verifyMembership({ leafHash: leaf4, rootHash: vectorRoots.get(5)!, proof: proof47 }), false);
    const parts = proof47.split(",");
    assert.equal(
      verifyMembership({ leafHash: leaf4, rootHash: root7, proof: parts.slice(0, 2).join(",") }),
      false,
    );
    assert.equal(
      verifyMembership({ leafHash: leaf4, rootHash: root7, proof: `${proof47},${parts[0]}` }),
      false,
    );
    assert.equal(verifyMembership({ leafHash: leaf4, rootHash: root7, proof: "" }), false);
    const swapped = [`l:${parts[0]!.slice(2)}`, ...parts.slice(1)].join(",");
    assert.equal(verifyMembership({ leafHash: leaf4, rootHash: root7, proof: swapped }), false);
  });

  it("rejects swapped roots, a root of the wrong size, reordered items and a dropped item", () => {
    assert.equal(verifyConsistency({ oldRoot: root3, newRoot: root7, proof: proof37 }), true);
    assert.equal(verifyConsistency({ oldRoot: root7, newRoot: root3, proof: proof37 }), false);
    assert.equal(verifyConsistency({ oldRoot: vectorRoots.get(2)!, newRoot: root7, proof: proof37 }), false);
    assert.equal(verifyConsistency({ oldRoot: root3, newRoot: vectorRoots.get(5)!, proof: proof37 }), false);
    assert.equal(verifyConsistency({ oldRoot: root3, newRoot: root7, proof: [...proof37].reverse() }), false);
    assert.equal(verifyConsistency({ oldRoot: root3, newRoot: root7, proof: proof37.slice(0, 1) }), false);
    assert.equal(verifyConsistency({ oldRoot: root3, newRoot: root7, proof: proof37.slice(1) }), false);
  });
});

// ---------------------------------------------------------------------------------------------

describe("the real Pangea record (test-vectors/pangea-log-artifact.json)", () => {
  const root = artifact.root;
  const items = decodeMembershipProof(artifact.membership_proof);

  it("has a membership_proof that verifies its hash against root.root_hash", () => {
    assert.equal(
      verifyMembership({
        leafHash: artifact.hash,
        rootHash: root.root_hash,
        proof: artifact.membership_proof,
      }),
      true,
    );
  });

  it("decodes the membership proof to eight siblings that fold from the hash to the root", () => {
    assert.deepEqual(
      items.map((item) => item.side),
      ["r", "l", "l", "l", "l", "l", "l", "l"],
    );
    assert.equal(encodeMembershipProof(items), artifact.membership_proof);
    assert.equal(hex(foldPath(Buffer.from(artifact.hash, "hex"), items)), root.root_hash);
  });

  it("rejects the membership proof when any byte of the hash, a sibling or the root is flipped", () => {
    for (let byte = 0; byte < 32; byte++) {
      const args = { leafHash: artifact.hash, rootHash: root.root_hash, proof: artifact.membership_proof };
      assert.equal(verifyMembership({ ...args, leafHash: flipHex(artifact.hash, byte, 1) }), false);
      assert.equal(verifyMembership({ ...args, rootHash: flipHex(root.root_hash, byte, 1) }), false);
      for (let item = 0; item < items.length; item++) {
        assert.equal(verifyMembership({ ...args, proof: flipProofItem(args.proof, item, byte, 1) }), false);
      }
    }
  });

  // wire-protocol §5.4 (informative): a published leaf is the root of a batch subtree; the event's
  // path first climbs inside its batch. Here the first two siblings are the batch, and the rest is
  // the path of leaf `leaf_index` = 111 in the size-112 tree, the last leaf.
  const batchRoot = foldPath(Buffer.from(artifact.hash, "hex"), items.slice(0, 2));
  const oldSubtrees = completeSubtrees(0, root.size - 1).reverse(); // smallest first: 1, 2, 4, 8, 32, 64
  const seeds = new Map<string, Buffer>(
    root.consistency_proof.map((item, i) => [
      nodeKey(oldSubtrees[i]!),
      Buffer.from(item.slice(2, 66), "hex"),
    ]),
  );
  seeds.set(nodeKey({ level: 0, index: artifact.leaf_index }), batchRoot);
  /** Answers from the artifact's own hashes, computing a missing inner node from its children. */
  const artifactLookup: NodeLookup = (node) => {
    const seeded = seeds.get(nodeKey(node));
    if (seeded) return seeded;
    if (node.level === 0) throw new Error(`leaf ${node.index} is not in the artifact`);
    const child = (index: number) => artifactLookup({ level: node.level - 1, index });
    return hashChildren(child(2 * node.index), child(2 * node.index + 1));
  };

  it("has a consistency proof 111 → 112 whose six items are the subtrees 1, 2, 4, 8, 32, 64 of the old tree", () => {
    assert.equal(root.size, 112);
    assert.equal(artifact.leaf_index, 111);
    assert.deepEqual(HASH_COUNTS(root.consistency_proof), [7, 6, 5, 4, 3, 2]);
    assert.deepEqual(
      oldSubtrees.map((node) => 2 ** node.level),
      [1, 2, 4, 8, 32, 64],
    );
  });

  it("has a batch root (the hash folded over the first two siblings) equal to leaf 111 in the consistency proof", () => {
    // Item 1 is leaf 110 with its path in tree 112: its first sibling is leaf 111 on the right.
    assert.equal(root.consistency_proof[0]!.split(",")[1], `r:${hex(batchRoot)}`);
  });

  it("has a membership path above the batch equal to planMembership(111, 112) built from its hashes", () => {
    const path = encodeMembershipProof(
      buildPath(planMembership(artifact.leaf_index, root.size), artifactLookup),
    );
    assert.equal(path, encodeMembershipProof(items.slice(2)));
  });

  it("is reproduced byte for byte by planConsistency(111, 112) and buildConsistencyProof", () => {
    assert.deepEqual(
      buildConsistencyProof(planConsistency(root.size - 1, root.size), artifactLookup),
      root.consistency_proof,
    );
  });

  // The old root (size 111) is not in the file: fold the proof's x: items smallest first, as the
  // verifier does. Checked independently against the membership proof: the left siblings of leaf
  // 111 above its batch are exactly the complete subtrees of [0, 111).
  let oldRoot: Buffer | undefined;
  for (const item of root.consistency_proof) {
    const subtree = Buffer.from(item.slice(2, 66), "hex");
    oldRoot = oldRoot === undefined ? subtree : hashChildren(subtree, oldRoot);
  }
  const oldRootHex = hex(oldRoot!);

  it("folds the x: items to the same size-111 root as the left siblings of its membership path", () => {
    const leftSiblings = items.slice(2);
    assert.ok(leftSiblings.every((item) => item.side === "l"));
    let acc: Buffer | undefined;
    for (const item of leftSiblings) acc = acc === undefined ? item.hash : hashChildren(item.hash, acc);
    assert.equal(hex(acc!), oldRootHex);
    assert.notEqual(oldRootHex, root.root_hash);
  });

  it("verifies the consistency proof from that old root to root.root_hash", () => {
    assert.equal(
      verifyConsistency({ oldRoot: oldRootHex, newRoot: root.root_hash, proof: root.consistency_proof }),
      true,
    );
  });

  it("rejects the consistency proof when any byte of any proof hash or of either root is flipped", () => {
    const args = { oldRoot: oldRootHex, newRoot: root.root_hash, proof: root.consistency_proof };
    let checked = 0;
    for (let byte = 0; byte < 32; byte++) {
      assert.equal(verifyConsistency({ ...args, oldRoot: flipHex(oldRootHex, byte, 1) }), false);
      assert.equal(verifyConsistency({ ...args, newRoot: flipHex(root.root_hash, byte, 1) }), false);
      checked += 2;
      root.consistency_proof.forEach((proofItem, k) => {
        for (let part = 0; part < proofItem.split(",").length; part++) {
          const proof = [...root.consistency_proof];
          proof[k] = flipProofItem(proofItem, part, byte, 1);
          assert.equal(verifyConsistency({ ...args, proof }), false, `item ${k}, hash ${part}, byte ${byte}`);
          checked += 1;
        }
      });
    }
    assert.equal(checked, 32 * (2 + 27));
  });
});

// ---------------------------------------------------------------------------------------------

const sizeAndIndex = fc
  .integer({ min: 1, max: MAX })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const oldAndNewSize = fc
  .integer({ min: 2, max: MAX })
  .chain((n) => fc.tuple(fc.integer({ min: 1, max: n - 1 }), fc.constant(n)));
const aFlip = fc.record({
  pick: fc.nat(),
  byte: fc.integer({ min: 0, max: 31 }),
  mask: fc.integer({ min: 1, max: 255 }),
});

describe("proofs against the naive tree (random sizes up to 3000)", () => {
  it("builds the naive membership proof for every leaf of small trees, and each verifies", () => {
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        const proof = membershipProof(index, size);
        assert.equal(proof, naive.membershipProof(index, size), `leaf ${index} of ${size}`);
        assert.ok(
          verifyMembership({ leafHash: hex(leaves[index]!), rootHash: hex(naive.root(size)), proof }),
        );
      }
    }
  });

  it("builds the naive membership proof for random (index < size), and it verifies against the naive root", () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const steps = planMembership(index, size);
        const proof = encodeMembershipProof(buildPath(steps, restrictedLookup(nodesForSteps(steps))));
        assert.equal(proof, naive.membershipProof(index, size));
        assert.equal(
          verifyMembership({ leafHash: hex(leaves[index]!), rootHash: hex(naive.root(size)), proof }),
          true,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("builds a page of proofs at once from the nodes nodesForPaths plans, each the naive one", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: leaves.length })
          .chain((size) =>
            fc.tuple(fc.constant(size), fc.array(fc.nat({ max: size - 1 }), { minLength: 1, maxLength: 20 })),
          ),
        ([size, indices]) => {
          const paths = indices.map((index) => planMembership(index, size));
          const planned = nodesForPaths(paths);
          assert.equal(new Set(planned.map(nodeKey)).size, planned.length, "each node planned once");
          const proofs = buildPaths(paths, restrictedLookup(planned)).map(encodeMembershipProof);
          assert.deepEqual(
            proofs,
            indices.map((index) => naive.membershipProof(index, size)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("builds the naive consistency proof for random 0 < m < n, and it verifies from naive root(m) to root(n)", () => {
    fc.assert(
      fc.property(oldAndNewSize, ([m, n]) => {
        const plan = planConsistency(m, n);
        const proof = buildConsistencyProof(plan, restrictedLookup(nodesForConsistency(plan)));
        assert.deepEqual(proof, naive.consistencyProof(m, n));
        for (const item of proof) assert.match(item, /^x:[0-9a-f]{64}(,[lr]:[0-9a-f]{64})+$/);
        assert.equal(
          verifyConsistency({ oldRoot: hex(naive.root(m)), newRoot: hex(naive.root(n)), proof }),
          true,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a consistency proof against the root of any other old size", () => {
    fc.assert(
      fc.property(oldAndNewSize, fc.integer({ min: 1, max: MAX }), ([m, n], other) => {
        fc.pre(other !== m);
        const proof = consistencyProof(m, n);
        assert.equal(
          verifyConsistency({ oldRoot: hex(naive.root(other)), newRoot: hex(naive.root(n)), proof }),
          false,
        );
      }),
      { numRuns: 100 },
    );
  });

  it("rejects a membership proof when one random byte of the leaf, a sibling or the root is flipped", () => {
    fc.assert(
      fc.property(
        sizeAndIndex,
        fc.constantFrom("leaf", "root", "sibling"),
        aFlip,
        ([size, index], target, flip) => {
          const args = {
            leafHash: hex(leaves[index]!),
            rootHash: hex(naive.root(size)),
            proof: membershipProof(index, size),
          };
          const siblings = args.proof === "" ? 0 : args.proof.split(",").length;
          if (target === "leaf" || (target === "sibling" && siblings === 0)) {
            args.leafHash = flipHex(args.leafHash, flip.byte, flip.mask);
          } else if (target === "root") {
            args.rootHash = flipHex(args.rootHash, flip.byte, flip.mask);
          } else {
            args.proof = flipProofItem(args.proof, flip.pick % siblings, flip.byte, flip.mask);
          }
          assert.equal(verifyMembership(args), false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects a consistency proof when one random byte of a proof hash or of either root is flipped", () => {
    fc.assert(
      fc.property(oldAndNewSize, fc.constantFrom("old", "new", "proof"), aFlip, ([m, n], target, flip) => {
        const args = {
          oldRoot: hex(naive.root(m)),
          newRoot: hex(naive.root(n)),
          proof: consistencyProof(m, n),
        };
        if (target === "old") {
          args.oldRoot = flipHex(args.oldRoot, flip.byte, flip.mask);
        } else if (target === "new") {
          args.newRoot = flipHex(args.newRoot, flip.byte, flip.mask);
        } else {
          // Pick one hash among all those of all items (x: hashes and path siblings alike).
          const slots = args.proof.flatMap((item, k) => item.split(",").map((_, part) => [k, part] as const));
          const [k, part] = slots[flip.pick % slots.length]!;
          args.proof = args.proof.map((item, i) =>
            i === k ? flipProofItem(item, part, flip.byte, flip.mask) : item,
          );
        }
        assert.equal(verifyConsistency(args), false);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe("malformed proofs and hashes", () => {
  const h = hex(vectorLeaf(0));
  const malformedMembership: Array<[string, string]> = [
    ["an unknown side", `x:${h}`],
    ["a missing colon", `l${h}`],
    ["a short hash", `l:${h.slice(0, 62)}`],
    ["a long hash", `l:${h}00`],
    ["a non-hex character", `r:${h.slice(0, 63)}g`],
    ["a trailing comma", `l:${h},`],
    ["a leading comma", `,l:${h}`],
    ["an empty item in the middle", `l:${h},,r:${h}`],
    ["a space after the comma", `l:${h}, r:${h}`],
    ["a semicolon separator", `l:${h};r:${h}`],
    ["a bare word", "garbage"],
    ["a trailing newline", `l:${h}\n`],
    ["upper-case sides", `L:${h}`],
  ];

  for (const [name, proof] of malformedMembership) {
    it(`decodeMembershipProof throws ERR_PROOF_FORMAT for ${name}`, () => {
      assert.throws(() => decodeMembershipProof(proof), isCode("ERR_PROOF_FORMAT"));
    });

    it(`verifyMembership returns false, without throwing, for ${name}`, () => {
      assert.equal(verifyMembership({ leafHash: h, rootHash: h, proof }), false);
    });
  }

  it("verifyMembership returns false for a leaf or root hash that is not 64 hex characters", () => {
    const root2 = vectorRoots.get(2)!;
    const proof = membershipProof(0, 2);
    assert.equal(verifyMembership({ leafHash: h, rootHash: root2, proof }), true);
    for (const bad of [
      "",
      "xyz",
      h.slice(0, 63),
      `${h}0`,
      `0x${h.slice(2)}`,
      ` ${h.slice(1)}`,
      `${h.slice(0, 63)}z`,
    ]) {
      assert.equal(verifyMembership({ leafHash: bad, rootHash: root2, proof }), false, `leaf ${bad}`);
      assert.equal(verifyMembership({ leafHash: h, rootHash: bad, proof }), false, `root ${bad}`);
    }
  });

  it("verifyMembership of a one-leaf tree passes with the empty proof only when leaf and root are equal", () => {
    assert.equal(verifyMembership({ leafHash: h, rootHash: h, proof: "" }), true);
    assert.equal(verifyMembership({ leafHash: h, rootHash: hex(vectorLeaf(1)), proof: "" }), false);
  });

  describe("verifyConsistency returns false, without throwing, for", () => {
    const { m, n, proof } = consistencyVectors.find((v) => v.m === 3)!;
    const oldRoot = vectorRoots.get(m)!;
    const newRoot = vectorRoots.get(n)!;
    const first = proof[0]!;
    const rest = proof.slice(1);

    it("the well-formed proof it is derived from (control: true)", () => {
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof }), true);
    });

    it("an empty proof", () => {
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof: [] }), false);
      assert.equal(verifyConsistency({ oldRoot: newRoot, newRoot, proof: [] }), false);
    });

    it("an item with no path (no comma), even when its hash is the old root", () => {
      // A one-item proof whose subtree is the whole old tree would pass step 1 without a path.
      const root2 = vectorRoots.get(2)!;
      assert.equal(verifyConsistency({ oldRoot: root2, newRoot, proof: [`x:${root2}`] }), false);
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof: [first.split(",")[0]!, ...rest] }), false);
    });

    it("an item that does not start with x:", () => {
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof: [`l${first.slice(1)}`, ...rest] }), false);
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof: [first.slice(2), ...rest] }), false);
    });

    it("a subtree hash that is not 64 hex characters", () => {
      const [head, ...path] = first.split(",");
      for (const bad of [head!.slice(0, 65), `${head}0`, `${head!.slice(0, 65)}g`]) {
        assert.equal(
          verifyConsistency({ oldRoot, newRoot, proof: [[bad, ...path].join(","), ...rest] }),
          false,
          bad,
        );
      }
    });

    it("a malformed path", () => {
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof: [`${first},`, ...rest] }), false);
      assert.equal(verifyConsistency({ oldRoot, newRoot, proof: [`${first},q:${h}`, ...rest] }), false);
      assert.equal(
        verifyConsistency({ oldRoot, newRoot, proof: [first.replace(",r:", ",r;"), ...rest] }),
        false,
      );
    });

    it("roots that are not 64 hex characters", () => {
      for (const bad of ["", "zz", oldRoot.slice(0, 63), `${oldRoot}0`, `${oldRoot.slice(0, 63)}g`]) {
        assert.equal(verifyConsistency({ oldRoot: bad, newRoot, proof }), false, `old ${bad}`);
        assert.equal(verifyConsistency({ oldRoot, newRoot: bad, proof }), false, `new ${bad}`);
      }
    });
  });
});
