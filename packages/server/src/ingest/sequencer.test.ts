import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { newId } from "@veritrail/core";
import { newTreeName } from "../log/tree-name.js";
import { AsyncRequestTakenError } from "../store/contract/store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { defaultConfigSettings } from "./event-schema.js";
import { OverloadError, Sequencer } from "./sequencer.js";

const NOW = "2026-01-01T00:00:00.000Z";

describe("Sequencer", () => {
  let store: SqliteStore;
  let treeId: number;
  let configId: string;
  let sequencer: Sequencer;

  before(async () => {
    store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
    await store.configs.createProject({ id: "ppj_x", name: "p", createdAt: NOW });
    configId = newId("pci");
    await store.configs.createConfig(
      {
        id: configId,
        projectId: "ppj_x",
        name: "c",
        settings: defaultConfigSettings(),
        createdAt: NOW,
        updatedAt: NOW,
      },
      newTreeName(),
    );
    treeId = (await store.log.getTreeHead(configId))!.id;
    sequencer = new Sequencer({ store, nowMicros: () => 1_700_000_000_000_000, maxBatchEvents: 100 });
  });

  after(async () => {
    await sequencer.close();
    await store.close();
  });

  it("commits appends made in the same turn of the event loop as one batch, in call order", async () => {
    const outcomes = await Promise.all(
      [1, 2, 3].map((i) => sequencer.append(treeId, { entries: [{ event: { message: `m${i}` } }] })),
    );
    assert.ok(outcomes.every((o) => o.batch === outcomes[0]!.batch));
    assert.deepEqual(
      outcomes.map((o) => o.batch.leaves[o.offset]!.leafIndex),
      [0, 1, 2],
    );
  });

  it("splits a backlog larger than maxBatchEvents into several commits", async () => {
    const big = Array.from({ length: 60 }, (_, i) => ({ event: { message: `b${i}` } }));
    const [a, b] = await Promise.all([
      sequencer.append(treeId, { entries: big }),
      sequencer.append(treeId, { entries: big }),
    ]);
    assert.notEqual(a!.batch, b!.batch);
    assert.equal(b!.batch.size, a!.batch.size + 60);
  });

  it("fails only the async request another process already finished; its batch-mates still commit", async () => {
    const done = newId("prq");
    await store.jobs.createAsyncRequest({
      id: done,
      tokenId: "ptk_x",
      configId,
      endpoint: "v2/log_async",
      state: "pending",
      payload: "{}",
      createdAt: NOW,
      expiresAt: "2999-01-01T00:00:00.000Z",
    });
    await sequencer.append(treeId, {
      entries: [{ event: { message: "first" } }],
      asyncRequest: { id: done, verbose: false },
    });
    const sizeBefore = (await store.log.getTreeHead(configId))!.size;
    const [again, plain] = await Promise.allSettled([
      sequencer.append(treeId, {
        entries: [{ event: { message: "again" } }],
        asyncRequest: { id: done, verbose: false },
      }),
      sequencer.append(treeId, { entries: [{ event: { message: "plain" } }] }),
    ]);
    assert.equal(again.status, "rejected");
    assert.ok(again.status === "rejected" && again.reason instanceof AsyncRequestTakenError);
    assert.equal(plain.status, "fulfilled");
    const head = await store.log.getTreeHead(configId);
    assert.equal(head!.size, sizeBefore + 1);
    const last = await store.log.getLeaf(treeId, sizeBefore);
    assert.equal(JSON.parse(last!.envelope).event.message, "plain");
  });

  it("refuses appends beyond maxQueuedEvents with OverloadError, but always takes one request", async () => {
    const local = new Sequencer({ store, nowMicros: () => 1, maxBatchEvents: 1000, maxQueuedEvents: 10 });
    const events = (n: number) => Array.from({ length: n }, (_, i) => ({ event: { message: `q${i}` } }));
    const big = local.append(treeId, { entries: events(25) }); // alone in the queue: taken
    const refused = local.append(treeId, { entries: events(1) });
    await assert.rejects(refused, (e) => e instanceof OverloadError);
    await big;
    // Once committed, the queue is empty and takes work again.
    await local.append(treeId, { entries: events(5) });
    await local.close();
  });

  it("refuses appends once closed, after finishing what was queued", async () => {
    const local = new Sequencer({ store, nowMicros: () => 1, maxBatchEvents: 10 });
    const queued = local.append(treeId, { entries: [{ event: { message: "queued" } }] });
    await local.close();
    await queued;
    await assert.rejects(local.append(treeId, { entries: [{ event: { message: "late" } }] }), /closed/);
  });
});
