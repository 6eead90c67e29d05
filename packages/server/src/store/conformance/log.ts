import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CompactRange, completeSubtrees, newId, nodeKey, sha256 } from "@veritrail/core";
import { AsyncRequestTakenError } from "../contract/store.js";
import { type OpenStore, seedTree, sequenceEvents, useFreshStore } from "./fixtures.js";

/**
 * The log role (store/contract/log.ts): appends in one transaction, subtree hashes, roots, leaves.
 *
 * @example describeLogConformance(() => openFreshTestStore("sqlite"));
 */
export function describeLogConformance(open: OpenStore): void {
  describe("log role", () => {
    const current = useFreshStore(open);

    it("appends batches whose leaves, subtrees and roots match an in-memory tree", async () => {
      const store = current();
      const { treeId, configId } = await seedTree(store);
      const reference = new CompactRange();
      let expectedSize = 0;
      for (const n of [1, 2, 5, 1, 13, 32, 7]) {
        const batch = await store.log.appendBatch(treeId, (head) =>
          sequenceEvents(head, n, { tag: `b${expectedSize}`, nowMicros: 1_700_000_000_000_000 }),
        );
        for (const leaf of batch.leaves) reference.append(leaf.hash);
        expectedSize += n;
        assert.equal(batch.size, expectedSize);
        assert.deepEqual(batch.rootHash, reference.root());
        assert.equal(await store.log.findSizeOfRoot(treeId, batch.rootHash), expectedSize);
      }
      const head = await store.log.getTreeHead(configId);
      assert.equal(head?.size, expectedSize);
      assert.deepEqual(head?.rootHash, reference.root());
      const ids = completeSubtrees(0, expectedSize);
      const wanted = [...ids, { level: 0, index: 0 }, { level: 0, index: expectedSize - 1 }];
      const nodes = await store.log.readNodes(treeId, wanted);
      assert.deepEqual([...nodes.keys()].sort(), [...new Set(wanted.map(nodeKey))].sort());
      const stored = new CompactRange(
        expectedSize,
        ids.map((id) => nodes.get(nodeKey(id))!),
      );
      assert.deepEqual(stored.root(), reference.root());
      const first = await store.log.getLeaf(treeId, 0);
      assert.equal(first?.leafIndex, 0);
      assert.deepEqual(first?.hash, sha256(first?.envelope ?? ""));
      assert.equal(await store.log.getLeaf(treeId, expectedSize), undefined);
      // received_at strictly increases even though the clock above stood still: each batch was
      // given the last received_at the one before it committed.
      let previous = 0;
      for (let i = 0; i < expectedSize; i++) {
        const leaf = await store.log.getLeaf(treeId, i);
        assert.ok(leaf && leaf.receivedAt > previous);
        previous = leaf.receivedAt;
      }
    });

    it("writes nothing when the append fails inside its transaction", async () => {
      const store = current();
      const { treeId, configId } = await seedTree(store);
      await store.log.appendBatch(treeId, (head) => sequenceEvents(head, 3, { tag: "ok", nowMicros: 1 }));
      await assert.rejects(
        store.log.appendBatch(treeId, (head) => {
          sequenceEvents(head, 4, { tag: "lost", nowMicros: 2 });
          throw new Error("boom");
        }),
        /boom/,
      );
      // An async request that is not pending also rolls the whole batch back.
      const missing = newId("prq");
      await assert.rejects(
        store.log.appendBatch(treeId, (head) =>
          sequenceEvents(head, 2, { tag: "x", nowMicros: 3, completes: missing }),
        ),
        (error) => error instanceof AsyncRequestTakenError && error.requestId === missing,
      );
      assert.equal((await store.log.getTreeHead(configId))?.size, 3);
      assert.equal(await store.log.getLeaf(treeId, 3), undefined);
      // The cached right edge was not advanced by the failed batches.
      const next = await store.log.appendBatch(treeId, (head) =>
        sequenceEvents(head, 1, { tag: "after", nowMicros: 4 }),
      );
      assert.equal(next.leaves[0]?.leafIndex, 3);
      const reference = new CompactRange();
      for (let i = 0; i < 4; i++) reference.append((await store.log.getLeaf(treeId, i))!.hash);
      assert.deepEqual(next.rootHash, reference.root());
    });
  });
}
