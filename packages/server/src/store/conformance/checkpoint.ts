import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256 } from "@veritrail/core";
import type { AnchorStateRecord, CheckpointRecord } from "../contract/checkpoint.js";
import { type OpenStore, seedTree, sequenceEvents, T, useFreshStore } from "./fixtures.js";

/** A checkpoint record of `treeId` at `size`, chained from `previousSize`, with made-up content. */
function checkpoint(treeId: number, size: number, previousSize: number): CheckpointRecord {
  return {
    treeId,
    size,
    rootHash: sha256(`root-${size}`),
    publishedAt: `2026-01-01T00:00:${String(size % 60).padStart(2, "0")}.000000Z`,
    previousSize,
    consistencyProof: previousSize === 0 ? [] : [`x:${"ab".repeat(32)},r:${"cd".repeat(32)}`],
    note: `example.org/t\n${size}\nroot\n\n— example.org sig${size}\n`,
  };
}

/**
 * The checkpoint role (store/contract/checkpoint.ts): checkpoints stored only in chain order,
 * read back exactly, found by size; anchor states kept per anchor and tree.
 *
 * @example describeCheckpointConformance(() => openFreshTestStore("sqlite"));
 */
export function describeCheckpointConformance(open: OpenStore): void {
  describe("checkpoint role", () => {
    const current = useFreshStore(open);

    it("stores checkpoints in chain order and reads them back exactly", async () => {
      const store = current();
      const { treeId } = await seedTree(store);
      assert.equal(await store.checkpoints.latestCheckpoint(treeId), undefined);
      const first = checkpoint(treeId, 3, 0);
      assert.equal(await store.checkpoints.addCheckpoint(first), true);
      const second = checkpoint(treeId, 10, 3);
      assert.equal(await store.checkpoints.addCheckpoint(second), true);
      assert.deepEqual(await store.checkpoints.latestCheckpoint(treeId), second);
      assert.deepEqual(await store.checkpoints.checkpointAt(treeId, 3), first);
      assert.equal(await store.checkpoints.checkpointAt(treeId, 4), undefined);
      assert.deepEqual(await store.checkpoints.firstCheckpointCovering(treeId, 4), second);
      assert.deepEqual(await store.checkpoints.firstCheckpointCovering(treeId, 3), first);
      assert.equal(await store.checkpoints.firstCheckpointCovering(treeId, 11), undefined);
      assert.deepEqual(await store.checkpoints.checkpointsAfter(treeId, 0, 10), [first, second]);
      assert.deepEqual(await store.checkpoints.checkpointsAfter(treeId, 3, 10), [second]);
      assert.deepEqual(await store.checkpoints.checkpointsAfter(treeId, 0, 1), [first]);
      assert.equal(await store.checkpoints.countCheckpointsAfter(treeId, 0), 2);
      assert.equal(await store.checkpoints.countCheckpointsAfter(treeId, 10), 0);
    });

    it("refuses a checkpoint that does not chain from the latest", async () => {
      const store = current();
      const { treeId } = await seedTree(store);
      assert.equal(await store.checkpoints.addCheckpoint(checkpoint(treeId, 5, 0)), true);
      // A publisher that read no checkpoint, racing one that stored size 5.
      assert.equal(await store.checkpoints.addCheckpoint(checkpoint(treeId, 8, 0)), false);
      // The same size again, or a chain from a size that is not the latest.
      assert.equal(await store.checkpoints.addCheckpoint(checkpoint(treeId, 5, 5)), false);
      assert.equal(await store.checkpoints.addCheckpoint(checkpoint(treeId, 9, 4)), false);
      assert.equal((await store.checkpoints.latestCheckpoint(treeId))?.size, 5);
      assert.equal(await store.checkpoints.countCheckpointsAfter(treeId, 0), 1);
    });

    it("stores exactly one of checkpoints racing from the same latest", async () => {
      const store = current();
      const { treeId } = await seedTree(store);
      const won = await Promise.all(
        [4, 6, 7, 9].map((size) => store.checkpoints.addCheckpoint(checkpoint(treeId, size, 0))),
      );
      assert.equal(won.filter(Boolean).length, 1, String(won));
      assert.equal(await store.checkpoints.countCheckpointsAfter(treeId, 0), 1);
    });

    it("lists every tree with its size and latest checkpoint, and finds one by name", async () => {
      const store = current();
      const a = await seedTree(store);
      const b = await seedTree(store);
      await store.log.appendBatch(a.treeId, (head) => sequenceEvents(head, 4, { tag: "a", nowMicros: 1 }));
      await store.log.appendBatch(b.treeId, (head) => sequenceEvents(head, 2, { tag: "b", nowMicros: 1 }));
      await store.checkpoints.addCheckpoint(checkpoint(a.treeId, 2, 0));
      await store.checkpoints.addCheckpoint(checkpoint(a.treeId, 4, 2));
      const trees = await store.checkpoints.listTrees();
      const ofA = trees.find((t) => t.treeId === a.treeId);
      const ofB = trees.find((t) => t.treeId === b.treeId);
      assert.equal(trees.length, 2);
      assert.deepEqual(
        { size: ofA?.size, publishedSize: ofA?.publishedSize, publishedAt: ofA?.publishedAt },
        { size: 4, publishedSize: 4, publishedAt: checkpoint(a.treeId, 4, 2).publishedAt },
      );
      assert.deepEqual(
        { size: ofB?.size, publishedSize: ofB?.publishedSize, publishedAt: ofB?.publishedAt },
        { size: 2, publishedSize: 0, publishedAt: undefined },
      );
      const found = await store.checkpoints.findTree(ofA!.treeName);
      assert.deepEqual(found, ofA);
      assert.equal(await store.checkpoints.findTree("0".repeat(64)), undefined);
    });

    it("keeps an anchor state per anchor and tree, replacing it on save", async () => {
      const store = current();
      const { treeId } = await seedTree(store);
      const failing: AnchorStateRecord = {
        anchor: "webhook",
        treeId,
        deliveredSize: 0,
        attempts: 2,
        nextAttemptAt: T + 4000,
        lastSuccessAt: undefined,
        lastError: "HTTP 500",
        lastErrorAt: "2026-01-01T00:00:00.000Z",
      };
      await store.checkpoints.saveAnchorState(failing);
      const dir: AnchorStateRecord = { ...failing, anchor: "dir", attempts: 0, lastError: undefined };
      await store.checkpoints.saveAnchorState(dir);
      assert.deepEqual(await store.checkpoints.listAnchorStates(), [dir, failing]);
      const healed: AnchorStateRecord = {
        ...failing,
        deliveredSize: 12,
        attempts: 0,
        nextAttemptAt: 0,
        lastSuccessAt: "2026-01-01T00:00:05.000Z",
      };
      await store.checkpoints.saveAnchorState(healed);
      assert.deepEqual(await store.checkpoints.listAnchorStates(), [dir, healed]);
    });
  });
}
