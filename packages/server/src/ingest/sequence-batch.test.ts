// sequenceBatch, the pure step of a group commit: leaf indices continue from the head,
// received_at strictly increases whatever the clock does, every leaf is the hash of its stored
// envelope, the new root and the stored subtrees fold from the leaves, and async requests finish
// with their v2/log-shaped results (wire-protocol §4.2, §5.1, §5.4).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CompactRange,
  canonicalEnvelope,
  formatReceivedAt,
  hashChildren,
  parseReceivedAt,
  sha256,
} from "@veritrail/core";
import type { SequencerHead } from "../store/contract/store.js";
import type { PreparedEntry } from "./prepared-entry.js";
import { type BatchItem, sequenceBatch } from "./sequence-batch.js";

/** 2024-01-02T03:04:05.123456Z in microseconds. */
const T = 1_704_164_645_123_456;

/** A head of `size` earlier leaves (hash of "earlier i"), and those leaves. */
function headOf(size: number, lastReceivedAt: number): { head: SequencerHead; earlier: Buffer[] } {
  const earlier = Array.from({ length: size }, (_, i) => sha256(`earlier ${i}`));
  const range = new CompactRange();
  for (const leaf of earlier) range.append(leaf);
  return { head: { size, lastReceivedAt, range }, earlier };
}

function entries(...messages: string[]): PreparedEntry[] {
  return messages.map((message) => ({ event: { message } }));
}

/** The root of `leaves` by RFC 6962's recursive split (no prefixes), written without CompactRange. */
function naiveRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

describe("sequenceBatch", () => {
  it("continues leaf indices from the head and gives the batch's size", () => {
    const { head } = headOf(5, T - 1000);
    const batch = sequenceBatch(head, [{ entries: entries("a", "b") }, { entries: entries("c") }], T);
    assert.deepEqual(
      batch.leaves.map((l) => l.leafIndex),
      [5, 6, 7],
    );
    assert.equal(batch.size, 8);
    assert.deepEqual(
      batch.envelopes.map((e) => e.event["message"]),
      ["a", "b", "c"],
    );
  });

  it("starts an empty tree at leaf 0 with the clock's time", () => {
    const { head } = headOf(0, 0);
    const batch = sequenceBatch(head, [{ entries: entries("first") }], T);
    assert.equal(batch.leaves[0]!.leafIndex, 0);
    assert.equal(batch.leaves[0]!.receivedAt, T);
    assert.equal(batch.envelopes[0]!.received_at, "2024-01-02T03:04:05.123456Z");
    assert.equal(batch.rootHash.toString("hex"), batch.leaves[0]!.hash.toString("hex"));
  });

  describe("received_at", () => {
    const cases: [string, number][] = [
      ["moves forward", T + 10_000_000],
      ["stands still at the last leaf's time", T],
      ["steps back an hour", T - 3_600_000_000],
    ];
    for (const [label, now] of cases) {
      it(`strictly increases when the clock ${label}`, () => {
        const { head } = headOf(3, T);
        const batch = sequenceBatch(
          head,
          [{ entries: entries("a", "b", "c") }, { entries: entries("d") }],
          now,
        );
        let last = T;
        for (const leaf of batch.leaves) {
          assert.ok(leaf.receivedAt > last, `${leaf.receivedAt} after ${last}`);
          assert.equal(leaf.receivedAt, Math.max(now, last + 1), "never further ahead than needed");
          last = leaf.receivedAt;
        }
        assert.equal(batch.lastReceivedAt, last);
        // The stored envelope carries the same instant, formatted with six fractional digits.
        batch.leaves.forEach((leaf, i) => {
          const { received_at } = batch.envelopes[i]!;
          assert.match(received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
          assert.equal(parseReceivedAt(received_at), leaf.receivedAt);
        });
      });
    }

    it("keeps increasing across batches on a clock that stands still, across a millisecond boundary", () => {
      const frozen = T - (T % 1000) + 998; // two microseconds before a millisecond ends
      let { head } = headOf(0, 0);
      const seen: string[] = [];
      for (let round = 0; round < 3; round++) {
        const batch = sequenceBatch(head, [{ entries: entries(`r${round}a`, `r${round}b`) }], frozen);
        seen.push(...batch.envelopes.map((e) => e.received_at));
        head = { size: batch.size, lastReceivedAt: batch.lastReceivedAt, range: head.range };
      }
      assert.deepEqual(
        seen,
        [0, 1, 2, 3, 4, 5].map((i) => formatReceivedAt(frozen + i)),
      );
      assert.deepEqual([...seen].sort(), seen);
    });
  });

  it("makes each leaf the SHA-256 of its envelope's canonical JSON, stored byte for byte", () => {
    const { head } = headOf(2, T);
    const signed: PreparedEntry = {
      event: { message: "signed", actor: "bob" },
      signature: "c2lnbmF0dXJl",
      publicKey: '{"algorithm":"ED25519","key":"k"}',
    };
    const malformed: PreparedEntry = {
      event: { message: "kept" },
      err: [{ field: "actor", error: "AboveMaxLength" }],
    };
    const batch = sequenceBatch(head, [{ entries: [signed, ...entries("plain"), malformed] }], T + 5);
    batch.leaves.forEach((leaf, i) => {
      const envelope = batch.envelopes[i]!;
      assert.equal(leaf.envelope, canonicalEnvelope(envelope));
      assert.deepEqual(leaf.hash, sha256(leaf.envelope));
    });
    assert.deepEqual(Object.keys(batch.envelopes[0]!).sort(), [
      "event",
      "public_key",
      "received_at",
      "signature",
    ]);
    assert.equal(batch.envelopes[0]!.signature, "c2lnbmF0dXJl");
    assert.equal(batch.envelopes[0]!.public_key, '{"algorithm":"ED25519","key":"k"}');
    assert.deepEqual(Object.keys(batch.envelopes[1]!).sort(), ["event", "received_at"]);
    assert.deepEqual(batch.envelopes[2]!.err, [{ field: "actor", error: "AboveMaxLength" }]);
  });

  it("gives the root of all leaves so far, as CompactRange and a naive recursion compute it", () => {
    for (const [before, added] of [
      [0, 1],
      [1, 1],
      [3, 5],
      [8, 8],
      [13, 20],
    ] as const) {
      const { head, earlier } = headOf(before, T);
      const messages = Array.from({ length: added }, (_, i) => `m${i}`);
      const batch = sequenceBatch(head, [{ entries: entries(...messages) }], T + 1);
      const all = [...earlier, ...batch.leaves.map((l) => l.hash)];
      const fresh = new CompactRange();
      for (const leaf of all) fresh.append(leaf);
      assert.deepEqual(batch.rootHash, fresh.root(), `${before} + ${added}`);
      assert.deepEqual(batch.rootHash, naiveRoot(all), `${before} + ${added}`);
    }
  });

  it("returns exactly the complete inner subtrees the batch finished, each with its hash", () => {
    const { head, earlier } = headOf(3, T);
    const batch = sequenceBatch(head, [{ entries: entries("a", "b", "c", "d", "e") }], T + 1);
    const all = [...earlier, ...batch.leaves.map((l) => l.hash)];
    // Leaves 3..7 complete [2,4) and [4,6), [6,8) at level 1, [4,8) and [0,4) at level 2, [0,8) at level 3.
    const expected = [
      [1, 1],
      [2, 0],
      [1, 2],
      [1, 3],
      [2, 1],
      [3, 0],
    ];
    assert.deepEqual(batch.nodes.map((n) => [n.level, n.index]).sort(), [...expected].sort());
    for (const node of batch.nodes) {
      const width = 2 ** node.level;
      assert.deepEqual(node.hash, naiveRoot(all.slice(node.index * width, (node.index + 1) * width)));
    }
  });

  it("completes each async request with its own v2/log-shaped result, verbose or not", () => {
    const { head } = headOf(1, T);
    const items: BatchItem[] = [
      { entries: entries("sync") },
      { entries: entries("v1", "v2"), asyncRequest: { id: "prq_verbose", verbose: true } },
      { entries: entries("t1"), asyncRequest: { id: "prq_terse", verbose: false } },
    ];
    const batch = sequenceBatch(head, items, T + 1);
    assert.deepEqual(
      batch.completedRequests.map((r) => r.id),
      ["prq_verbose", "prq_terse"],
    );
    const hex = (i: number) => batch.leaves[i]!.hash.toString("hex");
    assert.deepEqual(JSON.parse(batch.completedRequests[0]!.result), {
      results: [
        { hash: hex(1), envelope: JSON.parse(batch.leaves[1]!.envelope) },
        { hash: hex(2), envelope: JSON.parse(batch.leaves[2]!.envelope) },
      ],
    });
    assert.deepEqual(JSON.parse(batch.completedRequests[1]!.result), { results: [{ hash: hex(3) }] });
  });

  it("completes no request for a batch without async items", () => {
    const { head } = headOf(0, 0);
    assert.deepEqual(sequenceBatch(head, [{ entries: entries("a") }], T).completedRequests, []);
  });

  it("refuses a batch without entries", () => {
    const { head } = headOf(2, T);
    assert.throws(() => sequenceBatch(headOf(0, 0).head, [], T), /at least one entry/);
    assert.throws(() => sequenceBatch(headOf(0, 0).head, [{ entries: [] }], T), /at least one entry/);
    // A non-empty head with nothing to add must not pass its old root off as a batch.
    assert.throws(() => sequenceBatch(head, [{ entries: [] }], T));
  });
});
