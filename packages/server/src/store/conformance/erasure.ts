import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { completeSubtrees, newId, nodeKey, parseQuery } from "@veritrail/core";
import { erasedEnvelope, erasureOf, expiryMark } from "../contract/erasure.js";
import { type SearchQuery, searchFieldNumbers } from "../contract/search.js";
import type { ConfigSettings, EventSchema, SequencedBatch, SequencerHead, Store } from "../contract/store.js";
import { NOW, newTreeName, type OpenStore, sequenceIndexedEvents, useFreshStore } from "./fixtures.js";

/**
 * The erasure role (store/contract/erasure.ts): an erased event keeps its leaf hash, its
 * `received_at` and every subtree hash, loses its envelope to the tombstone and its index rows,
 * and is never erased twice.
 *
 * @example describeErasureConformance(() => openFreshTestStore("sqlite"));
 */
export function describeErasureConformance(open: OpenStore): void {
  describe("erasure", () => {
    const current = useFreshStore(open);
    const mark = { erasureId: newId("prq"), erasedAt: "2026-02-01T00:00:00.000Z" };

    it("replaces only the chosen envelopes, keeping every hash, time and root", async () => {
      const store = current();
      const tree = await seedTree(store, 10);
      const allNodes = completeSubtrees(0, 10).concat(
        Array.from({ length: 10 }, (_, index) => ({ level: 0, index })),
      );
      const before = await store.log.readNodes(tree.treeId, allNodes);
      const headBefore = await store.log.getTreeHead(tree.configId);

      const erased = await store.erasure.eraseEvents({
        treeId: tree.treeId,
        schema: SCHEMA,
        leafIndices: [7, 2, 2, 5],
        mark,
      });
      assert.deepEqual(
        erased.map((leaf) => leaf.leafIndex),
        [2, 5, 7],
      );
      for (const leaf of erased) assert.deepEqual(leaf.hash, tree.leaves[leaf.leafIndex]!.hash);

      const after = await store.log.readNodes(tree.treeId, allNodes);
      for (const node of allNodes) assert.deepEqual(after.get(nodeKey(node)), before.get(nodeKey(node)));
      assert.deepEqual(await store.log.getTreeHead(tree.configId), headBefore);

      const leaves = await store.search.getLeaves(
        tree.treeId,
        Array.from({ length: 10 }, (_, i) => i),
      );
      for (const leaf of leaves) {
        const original = tree.leaves[leaf.leafIndex]!;
        assert.deepEqual(leaf.hash, original.hash);
        assert.equal(leaf.receivedAt, original.receivedAt);
        if ([2, 5, 7].includes(leaf.leafIndex)) {
          assert.equal(leaf.envelope, erasedEnvelope(mark));
          assert.deepEqual(erasureOf(leaf.envelope), mark);
        } else {
          assert.equal(leaf.envelope, original.envelope);
          assert.equal(erasureOf(leaf.envelope), undefined);
        }
      }
      assert.equal((await store.log.getLeaf(tree.treeId, 5))?.envelope, erasedEnvelope(mark));
    });

    it("takes erased events out of the search index, and only them", async () => {
      const store = current();
      const tree = await seedTree(store, 10);
      const search = (query: string) => leavesOf(store, tree.treeId, query);
      assert.deepEqual(await search("actor:alice"), [0, 2, 4, 6, 8]);
      assert.deepEqual(await search("actor=bob"), [1, 3, 5, 7, 9]);
      assert.deepEqual(await search("count>6"), [7, 8, 9]);
      assert.deepEqual(await search("secret"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

      await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [2, 7, 8], mark });
      assert.deepEqual(await search("actor:alice"), [0, 4, 6]);
      assert.deepEqual(await search("actor=bob"), [1, 3, 5, 9]);
      assert.deepEqual(await search("count>6"), [9]);
      assert.deepEqual(await search("secret"), [0, 1, 3, 4, 5, 6, 9]);
      assert.deepEqual(await search("message:secret-7"), []);
      // With no term to match, an erased event is an event without fields: still in its window.
      assert.deepEqual(await search(""), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await search("-actor:alice"), [1, 2, 3, 5, 7, 8, 9]);
    });

    it("never erases an event twice, and skips leaves that do not exist", async () => {
      const store = current();
      const tree = await seedTree(store, 4);
      await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [1], mark });
      const later = { erasureId: newId("prq"), erasedAt: "2026-03-01T00:00:00.000Z" };
      const again = await store.erasure.eraseEvents({
        treeId: tree.treeId,
        schema: SCHEMA,
        leafIndices: [1, 3, 40],
        mark: later,
      });
      assert.deepEqual(
        again.map((leaf) => leaf.leafIndex),
        [3],
      );
      assert.deepEqual(erasureOf((await store.log.getLeaf(tree.treeId, 1))!.envelope), mark);
      assert.deepEqual(erasureOf((await store.log.getLeaf(tree.treeId, 3))!.envelope), later);
      assert.deepEqual(
        await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [], mark }),
        [],
      );
    });

    it("expires leaves from the tree's cursor in bounded batches, hashes kept, request erasures kept", async () => {
      const store = current();
      const tree = await seedTree(store, 10);
      const allNodes = completeSubtrees(0, 10).concat(
        Array.from({ length: 10 }, (_, index) => ({ level: 0, index })),
      );
      const before = await store.log.readNodes(tree.treeId, allNodes);
      const headBefore = await store.log.getTreeHead(tree.configId);
      await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [1], mark });
      assert.equal(await store.erasure.expiredBelow(tree.treeId), 0);
      const expire = (belowLeaf: number, limit: number) =>
        store.erasure.expireEvents({
          treeId: tree.treeId,
          schema: SCHEMA,
          belowLeaf,
          limit,
          expiredAt: "2026-04-01T00:00:00.000Z",
        });

      const first = await expire(6, 4);
      assert.deepEqual(
        first.expired.map((leaf) => leaf.leafIndex),
        [0, 2, 3],
      );
      assert.equal(first.expiredBelow, 4);
      for (const leaf of first.expired) assert.deepEqual(leaf.hash, tree.leaves[leaf.leafIndex]!.hash);
      const second = await expire(6, 4);
      assert.deepEqual(
        second.expired.map((leaf) => leaf.leafIndex),
        [4, 5],
      );
      assert.equal(second.expiredBelow, 6);
      // Nothing further is due: the cursor stays, and a smaller bound never moves it back.
      assert.deepEqual(await expire(6, 4), { expired: [], expiredBelow: 6 });
      assert.deepEqual(await expire(2, 4), { expired: [], expiredBelow: 6 });
      assert.equal(await store.erasure.expiredBelow(tree.treeId), 6);

      const after = await store.log.readNodes(tree.treeId, allNodes);
      for (const node of allNodes) assert.deepEqual(after.get(nodeKey(node)), before.get(nodeKey(node)));
      assert.deepEqual(await store.log.getTreeHead(tree.configId), headBefore);
      const expiry = { ...expiryMark("2026-04-01T00:00:00.000Z") };
      for (const leaf of await store.search.getLeaves(tree.treeId, [0, 1, 5, 6])) {
        const original = tree.leaves[leaf.leafIndex]!;
        assert.deepEqual(leaf.hash, original.hash);
        assert.equal(leaf.receivedAt, original.receivedAt);
        if (leaf.leafIndex === 1) assert.deepEqual(erasureOf(leaf.envelope), mark);
        else if (leaf.leafIndex === 6) assert.equal(leaf.envelope, original.envelope);
        else assert.deepEqual(erasureOf(leaf.envelope), expiry);
      }
      assert.equal(erasureOf(erasedEnvelope(mark))?.reason, undefined);
      const search = (query: string) => leavesOf(store, tree.treeId, query);
      assert.deepEqual(await search("secret"), [6, 7, 8, 9]);
      assert.deepEqual(await search("actor=alice"), [6, 8]);
      assert.deepEqual(await search("count<8"), [6, 7]);
    });

    it("expires each leaf once when two expiries of one tree race", async () => {
      const store = current();
      const tree = await seedTree(store, 40);
      const run = () =>
        store.erasure.expireEvents({
          treeId: tree.treeId,
          schema: SCHEMA,
          belowLeaf: 30,
          limit: 7,
          expiredAt: "2026-04-01T00:00:00.000Z",
        });
      const seen: number[] = [];
      for (let round = 0; round < 4; round++) {
        const batches = await Promise.all([run(), run(), run()]);
        for (const batch of batches) seen.push(...batch.expired.map((leaf) => leaf.leafIndex));
      }
      assert.deepEqual(
        seen.sort((a, b) => a - b),
        Array.from({ length: 30 }, (_, i) => i),
      );
      assert.equal(await store.erasure.expiredBelow(tree.treeId), 30);
    });

    it("turns only expiry tombstones into an erasure on request, once", async () => {
      const store = current();
      const tree = await seedTree(store, 6);
      // Leaf 1 erased on request before it expired; 0..3 then expire; 4 and 5 keep their envelopes.
      await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [1], mark });
      await store.erasure.expireEvents({
        treeId: tree.treeId,
        schema: SCHEMA,
        belowLeaf: 4,
        limit: 10,
        expiredAt: "2026-04-01T00:00:00.000Z",
      });
      const later = { erasureId: newId("prq"), erasedAt: "2026-05-01T00:00:00.000Z" };
      const changed = await store.erasure.eraseExpiredEvents({
        treeId: tree.treeId,
        leafIndices: [3, 1, 4, 0, 3, 99],
        mark: later,
      });
      assert.deepEqual(
        changed.map((leaf) => leaf.leafIndex),
        [0, 3],
      );
      for (const leaf of changed) assert.deepEqual(leaf.hash, tree.leaves[leaf.leafIndex]!.hash);
      const leaves = await store.search.getLeaves(tree.treeId, [0, 1, 2, 3, 4]);
      assert.deepEqual(
        leaves.map((leaf) => erasureOf(leaf.envelope)),
        [later, mark, expiryMark("2026-04-01T00:00:00.000Z"), later, undefined],
      );
      assert.equal(leaves[4]!.envelope, tree.leaves[4]!.envelope, "an envelope still there is not touched");
      // Again (a retried erasure): nothing is re-dated.
      const again = await store.erasure.eraseExpiredEvents({
        treeId: tree.treeId,
        leafIndices: [0, 3],
        mark: { erasureId: newId("prq"), erasedAt: "2026-06-01T00:00:00.000Z" },
      });
      assert.deepEqual(again, []);
      assert.deepEqual(erasureOf((await store.log.getLeaf(tree.treeId, 0))!.envelope), later);
      assert.deepEqual(
        await store.erasure.eraseExpiredEvents({ treeId: tree.treeId, leafIndices: [], mark: later }),
        [],
      );
    });

    it("finds one partition value's events from the index, live ones only, in a leaf range", async () => {
      const store = current();
      const tree = await seedTree(store, 12);
      const lookup = (value: string, fromLeaf: number, belowLeaf: number, limit: number) =>
        store.erasure.partitionLeaves({
          treeId: tree.treeId,
          schema: SCHEMA,
          fieldId: "actor",
          value,
          fromLeaf,
          belowLeaf,
          limit,
        });
      assert.deepEqual(await lookup("alice", 0, 12, 100), [0, 2, 4, 6, 8, 10]);
      assert.deepEqual(await lookup("alice", 3, 9, 100), [4, 6, 8]);
      assert.deepEqual(await lookup("alice", 0, 12, 2), [0, 2]);
      assert.deepEqual(await lookup("ali", 0, 12, 100), [], "exact, not contains");
      assert.deepEqual(await lookup("alice", 5, 5, 100), []);
      await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [2, 3], mark });
      assert.deepEqual(await lookup("alice", 0, 12, 3), [0, 4, 6], "an erased event has left the index");
      assert.deepEqual(
        await store.erasure.partitionLeaves({
          treeId: tree.treeId,
          schema: SCHEMA,
          fieldId: "nosuchfield",
          value: "alice",
          fromLeaf: 0,
          belowLeaf: 12,
          limit: 10,
        }),
        [],
      );
    });

    it("passes the events an expiry keeps, moving the cursor over them", async () => {
      const store = current();
      const tree = await seedTree(store, 10);
      const batch = await store.erasure.expireEvents({
        treeId: tree.treeId,
        schema: SCHEMA,
        belowLeaf: 6,
        limit: 100,
        expiredAt: "2026-04-01T00:00:00.000Z",
        keep: { fieldId: "actor", values: ["bob", "carol"] },
      });
      assert.deepEqual(
        batch.expired.map((leaf) => leaf.leafIndex),
        [0, 2, 4],
      );
      assert.equal(batch.expiredBelow, 6);
      const leaves = await store.search.getLeaves(
        tree.treeId,
        Array.from({ length: 6 }, (_, i) => i),
      );
      assert.deepEqual(
        leaves.map((leaf) => erasureOf(leaf.envelope)?.reason ?? "kept"),
        ["expired", "kept", "expired", "kept", "expired", "kept"],
      );
      const search = (query: string) => leavesOf(store, tree.treeId, query);
      assert.deepEqual(await search("actor=bob"), [1, 3, 5, 7, 9], "kept events stay searchable");
    });

    it("expires each leaf once when a partition's expiry races the tree's expiry", async () => {
      const store = current();
      const tree = await seedTree(store, 40);
      const expiredAt = "2026-04-01T00:00:00.000Z";
      const prefix = () =>
        store.erasure.expireEvents({
          treeId: tree.treeId,
          schema: SCHEMA,
          belowLeaf: 30,
          limit: 7,
          expiredAt,
        });
      const partition = async () => {
        const leaves = await store.erasure.partitionLeaves({
          treeId: tree.treeId,
          schema: SCHEMA,
          fieldId: "actor",
          value: "bob",
          fromLeaf: 0,
          belowLeaf: 30,
          limit: 7,
        });
        return store.erasure.eraseEvents({
          treeId: tree.treeId,
          schema: SCHEMA,
          leafIndices: leaves,
          mark: expiryMark(expiredAt),
        });
      };
      const seen: number[] = [];
      for (let round = 0; round < 5; round++) {
        const [a, b, c, d] = await Promise.all([prefix(), partition(), prefix(), partition()]);
        for (const batch of [a.expired, b, c.expired, d]) seen.push(...batch.map((leaf) => leaf.leafIndex));
      }
      assert.deepEqual(
        seen.sort((x, y) => x - y),
        Array.from({ length: 30 }, (_, i) => i),
      );
    });

    it("leaves the tree appendable, its right edge unchanged", async () => {
      const store = current();
      const tree = await seedTree(store, 5);
      await store.erasure.eraseEvents({ treeId: tree.treeId, schema: SCHEMA, leafIndices: [3, 4], mark });
      const batch = await store.log.appendBatch(tree.treeId, (head) => sequence(head, 3, head.size));
      // The reference: the same eight events appended with nothing erased.
      const reference = await seedTree(store, 8);
      assert.deepEqual(batch.rootHash, (await store.log.getTreeHead(reference.configId))!.rootHash);
    });
  });
}

const SCHEMA: EventSchema = {
  fields: [
    { id: "message", type: "text", required: true },
    { id: "actor", type: "string" },
    { id: "count", type: "integer" },
  ],
  save_malformed: "reject",
};

/** Event `i`: message `secret-<i>`, actor alice (even) or bob (odd), count `i`; one second apart. */
function sequence(head: SequencerHead, count: number, from: number): SequencedBatch {
  const events = Array.from({ length: count }, (_, n) => {
    const i = from + n;
    return {
      event: { message: `secret-${i}`, actor: i % 2 === 0 ? "alice" : "bob", count: i },
      receivedAt: BASE_MICROS + i * 1_000_000,
    };
  });
  return sequenceIndexedEvents(head, events, SCHEMA);
}

const BASE_MICROS = 1_767_225_600_000_000;

async function seedTree(store: Store, count: number) {
  const projectId = newId("ppj");
  await store.configs.createProject({ id: projectId, name: "p", createdAt: NOW });
  const configId = newId("pci");
  const settings: ConfigSettings = { version: 3, schema: SCHEMA, hot_storage: "14d", vault_sign: false };
  await store.configs.createConfig(
    { id: configId, projectId, name: "c", settings, createdAt: NOW, updatedAt: NOW },
    newTreeName(),
  );
  const head = await store.log.getTreeHead(configId);
  assert.ok(head);
  const batch = await store.log.appendBatch(head.id, (h) => sequence(h, count, 0));
  return { configId, treeId: head.id, leaves: batch.leaves };
}

/** The leaves a search of `text` finds in the tree `treeId`. */
async function leavesOf(store: Store, treeId: number, text: string): Promise<number[]> {
  return (await store.search.searchLeaves(searchOf(treeId, text))).leaves;
}

function searchOf(treeId: number, text: string): SearchQuery {
  const parsed = parseQuery(text, SCHEMA);
  assert.ok(parsed.ok, text);
  return {
    treeId,
    schema: SCHEMA,
    fieldNumbers: searchFieldNumbers(SCHEMA),
    where: parsed.ast,
    order: "asc",
    orderBy: { kind: "received_at" },
    limit: 100,
  };
}
