import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "@veritrail/core";
import { AsyncRequestTakenError } from "../contract/store.js";
import {
  createRequest,
  NOW,
  type OpenStore,
  seedTree,
  sequenceEvents,
  T,
  useFreshStore,
} from "./fixtures.js";

/**
 * The job role (store/contract/job.ts): async requests leased, postponed, finished and expired,
 * and named leases. Every time is passed in: the cases never wait for a clock.
 *
 * @example describeJobConformance(() => openFreshTestStore("sqlite"));
 */
export function describeJobConformance(open: OpenStore): void {
  describe("job role", () => {
    const current = useFreshStore(open);

    it("leases async requests to one owner at a time and completes each exactly once", async () => {
      const store = current();
      const { treeId, configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      const first = await store.jobs.claimAsyncRequests("owner-a", T, 60_000, 10);
      assert.deepEqual(
        first.map((r) => r.id),
        [id],
      );
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-b", T, 60_000, 10), []);
      await store.log.appendBatch(treeId, (head) =>
        sequenceEvents(head, 2, { tag: "async", nowMicros: 5, completes: id }),
      );
      const done = await store.jobs.getAsyncRequest(id);
      assert.equal(done?.state, "done");
      const result = JSON.parse(done?.result ?? "{}") as { results: { hash: string; envelope: unknown }[] };
      assert.equal(result.results.length, 2);
      assert.ok(result.results.every((r) => /^[0-9a-f]{64}$/.test(r.hash) && r.envelope));
      await assert.rejects(
        store.log.appendBatch(treeId, (head) =>
          sequenceEvents(head, 2, { tag: "again", nowMicros: 6, completes: id }),
        ),
        (error) => error instanceof AsyncRequestTakenError && error.requestId === id,
      );
      assert.equal((await store.log.getTreeHead(configId))?.size, 2);
      // Done is final: no owner claims it again, however late.
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-c", T + 3_600_000, 60_000, 10), []);
    });

    it("leases a request again once its owner's lease has run out", async () => {
      const store = current();
      const { configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      assert.equal((await store.jobs.claimAsyncRequests("dead-owner", T, 1_000, 10)).length, 1);
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-b", T + 999, 60_000, 10), []);
      assert.deepEqual(
        (await store.jobs.claimAsyncRequests("owner-b", T + 1_001, 60_000, 10)).map((r) => r.id),
        [id],
      );
      await store.jobs.failAsyncRequest(id, JSON.stringify({ summary: "x" }));
      const failed = await store.jobs.getAsyncRequest(id);
      assert.equal(failed?.state, "failed");
      assert.equal(failed?.error, JSON.stringify({ summary: "x" }));
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-c", T + 3_600_000, 60_000, 10), []);
      // A request already done is never turned into a failure.
      const done = await createRequest(store, configId, "done");
      await store.jobs.failAsyncRequest(done, JSON.stringify({ summary: "late" }));
      assert.equal((await store.jobs.getAsyncRequest(done))?.state, "done");
    });

    it("counts an attempt at each claim, from none when stored", async () => {
      const store = current();
      const { configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      const stored = await store.jobs.getAsyncRequest(id);
      assert.equal(stored?.attempts, 0);
      assert.equal(stored?.lastError, undefined);
      const [claimed] = await store.jobs.claimAsyncRequests("owner-a", T, 1_000, 10);
      assert.equal(claimed?.id, id);
      assert.equal(claimed?.attempts, 1);
      assert.equal((await store.jobs.getAsyncRequest(id))?.attempts, 1);
      // Its owner died: the next claim, after the lease, is the second attempt.
      const [again] = await store.jobs.claimAsyncRequests("owner-b", T + 1_001, 1_000, 10);
      assert.equal(again?.attempts, 2);
      assert.equal((await store.jobs.getAsyncRequest(id))?.attempts, 2);
    });

    it("postpones a request until the time given, recording why, and then leases it again", async () => {
      const store = current();
      const { configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      await store.jobs.claimAsyncRequests("owner-a", T, 60_000, 10);
      await store.jobs.postponeAsyncRequest(id, "owner-a", T + 5_000, "database busy");
      const postponed = await store.jobs.getAsyncRequest(id);
      assert.equal(postponed?.state, "pending");
      assert.equal(postponed?.lastError, "database busy");
      assert.equal(postponed?.attempts, 1);
      // Not before the time given, whoever asks, though the lease it had ran to T + 60s.
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-b", T + 1_000, 60_000, 10), []);
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-a", T + 4_999, 60_000, 10), []);
      const [claimed] = await store.jobs.claimAsyncRequests("owner-b", T + 5_001, 60_000, 10);
      assert.equal(claimed?.id, id);
      assert.equal(claimed?.attempts, 2);
      assert.equal(claimed?.lastError, "database busy");
    });

    it("ignores a postponement by another owner, or of a request no longer pending", async () => {
      const store = current();
      const { treeId, configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      await store.jobs.claimAsyncRequests("owner-a", T, 60_000, 10);
      await store.jobs.postponeAsyncRequest(id, "owner-b", T + 1, "not mine");
      assert.equal((await store.jobs.getAsyncRequest(id))?.lastError, undefined);
      // Still owner-a's until its lease runs out.
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-c", T + 30_000, 60_000, 10), []);

      // Finished (here by an append) after its owner claimed it: a late postponement changes nothing.
      await store.log.appendBatch(treeId, (head) =>
        sequenceEvents(head, 1, { tag: "done", nowMicros: 7, completes: id }),
      );
      await store.jobs.postponeAsyncRequest(id, "owner-a", T + 1, "too late");
      const done = await store.jobs.getAsyncRequest(id);
      assert.equal(done?.state, "done");
      assert.equal(done?.lastError, undefined);

      const failed = await createRequest(store, configId);
      await store.jobs.claimAsyncRequests("owner-a", T, 60_000, 10);
      await store.jobs.failAsyncRequest(failed, JSON.stringify({ summary: "gone" }));
      await store.jobs.postponeAsyncRequest(failed, "owner-a", T + 1, "too late");
      const stillFailed = await store.jobs.getAsyncRequest(failed);
      assert.equal(stillFailed?.state, "failed");
      assert.equal(stillFailed?.lastError, undefined);
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-c", T + 3_600_000, 60_000, 10), []);
      // A request nobody ever stored is no error either.
      await store.jobs.postponeAsyncRequest(newId("prq"), "owner-a", T + 1, "unknown");
    });

    it("deletes finished requests whose results expired, and nothing pending or still fresh", async () => {
      const store = current();
      const { configId } = await seedTree(store);
      const expired = await createRequest(store, configId, "done", "2026-01-01T00:00:01.000Z");
      const fresh = await createRequest(store, configId, "done", "2026-01-03T00:00:00.000Z");
      const pending = await createRequest(store, configId, "pending", "2026-01-01T00:00:01.000Z");
      assert.equal(await store.jobs.deleteExpiredAsyncRequests("2026-01-02T00:00:00.000Z"), 1);
      assert.equal(await store.jobs.getAsyncRequest(expired), undefined);
      assert.equal((await store.jobs.getAsyncRequest(fresh))?.state, "done");
      assert.equal((await store.jobs.getAsyncRequest(pending))?.state, "pending");
    });

    it("grants a lease to one owner at a time, renews it for that owner, and frees it on expiry or release", async () => {
      const store = current();
      const name = `publish:${newId("pci")}`;
      assert.equal(await store.jobs.tryLease(name, "a", 1000, T), true);
      assert.equal(await store.jobs.tryLease(name, "b", 1000, T + 10), false);
      assert.equal(await store.jobs.tryLease(name, "a", 1000, T + 500), true); // renewed to T + 1500
      assert.equal(await store.jobs.tryLease(name, "b", 1000, T + 1200), false);
      assert.equal(await store.jobs.tryLease(name, "b", 1000, T + 1501), true); // a's lease ran out
      await store.jobs.releaseLease(name, "a"); // not a's any more: no effect
      assert.equal(await store.jobs.tryLease(name, "a", 1000, T + 1600), false);
      await store.jobs.releaseLease(name, "b");
      assert.equal(await store.jobs.tryLease(name, "a", 1000, T + 1700), true);
      assert.equal(await store.jobs.tryLease(`other:${name}`, "b", 1000, T + 1700), true);
    });

    it("renews a lease for its owner only, while the request is pending", async () => {
      const store = current();
      const { treeId, configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      await store.jobs.claimAsyncRequests("owner-a", T, 1_000, 10);
      assert.equal(await store.jobs.renewAsyncRequest(id, "owner-b", T + 60_000), false);
      assert.equal(await store.jobs.renewAsyncRequest(id, "owner-a", T + 60_000), true);
      // Renewed: not claimable when the first lease would have run out.
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-b", T + 1_001, 1_000, 10), []);
      assert.equal((await store.jobs.claimAsyncRequests("owner-b", T + 60_001, 1_000, 10)).length, 1);
      // Taken over: the old owner can no longer renew it.
      assert.equal(await store.jobs.renewAsyncRequest(id, "owner-a", T + 120_000), false);
      await store.log.appendBatch(treeId, (head) =>
        sequenceEvents(head, 1, { tag: "done", nowMicros: 8, completes: id }),
      );
      assert.equal(await store.jobs.renewAsyncRequest(id, "owner-b", T + 120_000), false);
    });

    it("finishes an export once, keeping the winning attempt's chunks and dropping the others'", async () => {
      const store = current();
      const { configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      const file = {
        requestId: id,
        attempt: 2,
        format: "json" as const,
        chunks: 2,
        bytes: 5,
        events: 7,
        restriction: '{"tenant_id":["acme"]}',
        createdAt: NOW,
      };
      // Attempt 1 lost its lease half-way; attempt 2 wrote the whole file.
      await store.jobs.writeExportChunk(id, 1, 0, Buffer.from("old"));
      await store.jobs.writeExportChunk(id, 2, 0, Buffer.from([0, 1, 2]));
      await store.jobs.writeExportChunk(id, 2, 1, Buffer.from([255, 254]));
      assert.equal(await store.jobs.getExportFile(id), undefined);
      await store.jobs.finishExport(file, "{}");
      const done = await store.jobs.getAsyncRequest(id);
      assert.equal(done?.state, "done");
      assert.equal(done?.result, "{}");
      assert.deepEqual(await store.jobs.getExportFile(id), file);
      assert.deepEqual(await store.jobs.readExportChunk(id, 2, 0), Buffer.from([0, 1, 2]));
      assert.deepEqual(await store.jobs.readExportChunk(id, 2, 1), Buffer.from([255, 254]));
      assert.equal(await store.jobs.readExportChunk(id, 2, 2), undefined);
      assert.equal(await store.jobs.readExportChunk(id, 1, 0), undefined);

      // A late attempt cannot finish it again, and leaves the file as it was.
      await store.jobs.writeExportChunk(id, 3, 0, Buffer.from("late"));
      await assert.rejects(
        store.jobs.finishExport({ ...file, attempt: 3, chunks: 1 }, "{}"),
        (error) => error instanceof AsyncRequestTakenError && error.requestId === id,
      );
      assert.deepEqual(await store.jobs.getExportFile(id), file);
      await store.jobs.discardExportChunks(id, 3);
      assert.equal(await store.jobs.readExportChunk(id, 3, 0), undefined);
      // The winner's chunks are never discarded.
      await store.jobs.discardExportChunks(id, 2);
      assert.deepEqual(await store.jobs.readExportChunk(id, 2, 0), Buffer.from([0, 1, 2]));
    });

    it("deletes an export's file with its request when its result expires", async () => {
      const store = current();
      const { configId } = await seedTree(store);
      const id = await createRequest(store, configId, "pending", "2026-01-01T00:00:01.000Z");
      await store.jobs.writeExportChunk(id, 1, 0, Buffer.from("gz"));
      await store.jobs.finishExport(
        {
          requestId: id,
          attempt: 1,
          format: "csv",
          chunks: 1,
          bytes: 2,
          events: 1,
          restriction: "{}",
          createdAt: NOW,
        },
        "{}",
      );
      assert.equal(await store.jobs.deleteExpiredAsyncRequests("2026-01-02T00:00:00.000Z"), 1);
      assert.equal(await store.jobs.getExportFile(id), undefined);
      assert.equal(await store.jobs.readExportChunk(id, 1, 0), undefined);
    });
  });
}
