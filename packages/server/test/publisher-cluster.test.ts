// The publisher run by several processes at once (docs/design/publishing.md): on one PostgreSQL
// schema through separate stores, or on one SQLite store, publishers racing over the same trees
// store one chain per tree, every checkpoint chained from the one before, none twice.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSigningKey, noteSigner, openCheckpoint, verifyConsistency } from "@veritrail/core";
import pino from "pino";
import type { Clock } from "../src/clock.js";
import { checkpointSigner } from "../src/publish/checkpoint-key.js";
import { Publisher } from "../src/publish/publisher.js";
import { seedTree, sequenceEvents } from "../src/store/conformance/fixtures.js";
import type { Store } from "../src/store/contract/store.js";
import { FakeClock } from "./support/fake-clock.js";
import { POSTGRES_SKIP_REASON, TEST_DATABASE_URL, withThreeStores } from "./support/test-store.js";

const signer = noteSigner("cluster.example.org", generateSigningKey());
const silent = pino({ level: "silent" });

function publisherOn(store: Store, clock: Clock, owner: string): Publisher {
  return new Publisher({
    store,
    clock,
    log: silent,
    signer: async () => checkpointSigner(signer),
    origin: "cluster.example.org",
    intervalMs: 1000,
    everyEvents: 1,
    owner,
  });
}

/** Rounds of appends to two trees, each followed by every publisher publishing at once. */
async function race(stores: readonly Store[]): Promise<void> {
  const clock = new FakeClock();
  const publishers = stores.map((store, i) => publisherOn(store, clock, `process-${i}`));
  const trees = [await seedTree(stores[0]!), await seedTree(stores[0]!)];
  for (let round = 0; round < 12; round++) {
    for (const tree of trees) {
      await stores[round % stores.length]!.log.appendBatch(tree.treeId, (head) =>
        sequenceEvents(head, 1 + (round % 3), { tag: `r${round}`, nowMicros: 1 }),
      );
    }
    const stored = (await Promise.all(publishers.map((p) => p.tick()))).flat();
    // Each tree grew, so each is published, once, by whichever publisher got its lease.
    assert.equal(stored.length, trees.length, `round ${round}`);
  }
  const checkpoints = stores[0]!.checkpoints;
  for (const tree of trees) {
    const chain = await checkpoints.checkpointsAfter(tree.treeId, 0, 100);
    assert.equal(chain.length, 12);
    let previous: (typeof chain)[number] | undefined;
    for (const checkpoint of chain) {
      assert.equal(checkpoint.previousSize, previous?.size ?? 0);
      const opened = openCheckpoint(checkpoint.note, signer);
      assert.ok(opened.ok && opened.checkpoint.size === checkpoint.size);
      if (previous) {
        assert.ok(
          verifyConsistency({
            oldRoot: previous.rootHash.toString("hex"),
            newRoot: checkpoint.rootHash.toString("hex"),
            proof: checkpoint.consistencyProof,
          }),
        );
      }
      previous = checkpoint;
    }
  }
}

describe("publishers racing", () => {
  it("on one SQLite store store one chain per tree", () => withThreeStores("sqlite", race));

  it(
    "with three stores on one PostgreSQL schema, each with its own pool as a process has, store one chain per tree",
    {
      skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
    },
    () => withThreeStores("postgres", race),
  );
});
