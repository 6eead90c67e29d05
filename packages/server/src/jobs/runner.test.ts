import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { newId } from "@veritrail/core";
import { pino } from "pino";
import type { Clock } from "../clock.js";
import { defaultConfigSettings } from "../ingest/event-schema.js";
import { Sequencer } from "../ingest/sequencer.js";
import { ConfigDirectory } from "../log/config-directory.js";
import { newTreeName } from "../log/tree-name.js";
import { type AsyncRequestRecord, AsyncRequestTakenError } from "../store/contract/store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import type { JobKind } from "./job-kind.js";
import { logAsyncJob } from "./kinds/log-async.js";
import { JobRunner, retryDelayMs } from "./runner.js";

const NOW = "2026-01-01T00:00:00.000Z";
const quiet = pino({ level: "silent" });

/** Time the test moves by hand: a postponed request becomes due only when the test says so. */
let nowMillis = Date.parse(NOW);
const clock: Clock = { nowMillis: () => nowMillis, nowMicros: () => nowMillis * 1000 };

describe("JobRunner with the v2/log_async job", () => {
  let store: SqliteStore;
  let worker: JobRunner;
  let directory: ConfigDirectory;
  let sequencer: Sequencer;
  let configId: string;

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
    sequencer = new Sequencer({ store, nowMicros: () => 1_700_000_000_000_000, maxBatchEvents: 100 });
    directory = new ConfigDirectory({ store, cacheMs: 0, nowMillis: Date.now });
    worker = new JobRunner({
      jobs: store.jobs,
      kinds: [logAsyncJob({ sequencer, directory })],
      clock,
      log: quiet,
      leaseMs: 60_000,
      pollMs: 50,
    });
    worker.start();
  });

  after(async () => {
    await worker.stop();
    await sequencer.close();
    await store.close();
  });

  async function submit(targetConfig: string, payload: string): Promise<string> {
    const id = newId("prq");
    await store.jobs.createAsyncRequest({
      id,
      tokenId: "ptk_x",
      configId: targetConfig,
      endpoint: "v2/log_async",
      state: "pending",
      payload,
      createdAt: NOW,
      expiresAt: "2999-01-01T00:00:00.000Z",
    });
    worker.wake();
    return id;
  }

  /** The request once `done` holds for it (polling the store), or a failed assertion after 2 s. */
  async function until(id: string, done: (r: AsyncRequestRecord) => boolean): Promise<AsyncRequestRecord> {
    for (let i = 0; i < 100; i++) {
      const request = await store.jobs.getAsyncRequest(id);
      if (request && done(request)) return request;
      await sleep(20);
    }
    assert.fail(`request ${id} did not reach the expected state`);
  }

  async function settled(id: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const state = (await store.jobs.getAsyncRequest(id))?.state;
      if (state !== "pending") return state ?? "missing";
      await sleep(20);
    }
    return "pending";
  }

  it("logs an accepted request's events and marks it done", async () => {
    const id = await submit(
      configId,
      JSON.stringify({ entries: [{ event: { message: "m" } }], verbose: false }),
    );
    assert.equal(await settled(id), "done");
    assert.equal((await store.log.getTreeHead(configId))?.size, 1);
  });

  it("retries a request after a passing fault reading its configuration, and then logs it", async () => {
    const find = directory.find.bind(directory);
    let failures = 2;
    directory.find = async (id) => {
      if (failures-- > 0) throw new Error("connection terminated unexpectedly");
      return find(id);
    };
    try {
      const before = (await store.log.getTreeHead(configId))!.size;
      const id = await submit(
        configId,
        JSON.stringify({ entries: [{ event: { message: "after an outage" } }], verbose: false }),
      );
      // Each passing fault postpones the request: still pending, the fault recorded, not failed,
      // and not claimed again before its delay has passed.
      for (const attempt of [1, 2]) {
        const postponed = await until(id, (r) => r.attempts === attempt && r.lastError !== undefined);
        assert.equal(postponed.state, "pending");
        assert.match(postponed.lastError ?? "", /connection terminated/);
        worker.wake();
        await sleep(50);
        assert.equal((await store.jobs.getAsyncRequest(id))!.attempts, attempt);
        nowMillis += retryDelayMs(attempt, () => 1);
        worker.wake();
      }
      assert.equal(await settled(id), "done");
      assert.equal((await store.jobs.getAsyncRequest(id))!.attempts, 3);
      assert.equal((await store.log.getTreeHead(configId))!.size, before + 1);
    } finally {
      directory.find = find;
    }
  });

  it("fails a request whose configuration is gone, instead of retrying it forever", async () => {
    await store.configs.deleteConfig(configId, NOW);
    const id = await submit(
      configId,
      JSON.stringify({ entries: [{ event: { message: "m" } }], verbose: false }),
    );
    assert.equal(await settled(id), "failed");
    const error = JSON.parse((await store.jobs.getAsyncRequest(id))!.error!);
    assert.equal(error.reason, "ConfigurationDeleted");
    assert.match(error.summary, /no longer exists/);
  });

  it("fails a request whose stored payload cannot be read", async () => {
    const id = await submit(configId, "{not json");
    assert.equal(await settled(id), "failed");
    assert.equal(JSON.parse((await store.jobs.getAsyncRequest(id))!.error!).reason, "PayloadUnreadable");
  });
});

describe("JobRunner with a job longer than its lease", () => {
  const LEASE_MS = 3_000;
  let store: SqliteStore;
  let configId: string;
  /** This block's own hand-moved time. */
  let now = Date.parse(NOW);
  const handClock: Clock = { nowMillis: () => now, nowMicros: () => now * 1000 };

  before(async () => {
    store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
    await store.configs.createProject({ id: "ppj_y", name: "p", createdAt: NOW });
    configId = newId("pci");
    await store.configs.createConfig(
      {
        id: configId,
        projectId: "ppj_y",
        name: "c",
        settings: defaultConfigSettings(),
        createdAt: NOW,
        updatedAt: NOW,
      },
      newTreeName(),
    );
  });
  after(() => store.close());

  /** A runner of one kind, "test/long", whose steps the test drives through `step`. */
  function runnerOf(kind: JobKind): JobRunner {
    return new JobRunner({
      jobs: store.jobs,
      kinds: [kind],
      clock: handClock,
      log: quiet,
      leaseMs: LEASE_MS,
      pollMs: 60_000,
    });
  }

  async function submitLong(): Promise<string> {
    const id = newId("prq");
    await store.jobs.createAsyncRequest({
      id,
      tokenId: "ptk_y",
      configId,
      endpoint: "test/long",
      state: "pending",
      payload: "{}",
      createdAt: NOW,
      expiresAt: "2999-01-01T00:00:00.000Z",
    });
    return id;
  }

  it("keeps its lease while the job goes on, so no other process takes it over", async () => {
    const id = await submitLong();
    const taken: string[] = [];
    let release: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runner = runnerOf({
      endpoint: "test/long",
      async run(request, lease) {
        // Ten lease periods of work, keeping the lease after each half period.
        for (let i = 0; i < 20; i++) {
          now += LEASE_MS / 2;
          await lease.keep();
          taken.push(
            ...(await store.jobs.claimAsyncRequests("other-process", now, LEASE_MS, 10)).map((r) => r.id),
          );
        }
        await store.jobs.finishExport(
          {
            requestId: request.id,
            attempt: request.attempts,
            format: "csv",
            chunks: 0,
            bytes: 0,
            events: 0,
            restriction: "{}",
            createdAt: NOW,
          },
          "{}",
        );
        release();
      },
    });
    runner.start();
    await finished;
    await runner.stop();
    assert.deepEqual(taken, []);
    assert.equal((await store.jobs.getAsyncRequest(id))?.state, "done");
  });

  it("stops a job whose request another process took over, leaving that process's work standing", async () => {
    const id = await submitLong();
    let stopped: unknown;
    let release: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runner = runnerOf({
      endpoint: "test/long",
      async run(_request, lease) {
        try {
          // The process stalls past its lease; another takes the request over.
          now += LEASE_MS + 1;
          assert.equal((await store.jobs.claimAsyncRequests("other-process", now, LEASE_MS, 10)).length, 1);
          await lease.keep();
        } catch (error) {
          stopped = error;
          throw error;
        } finally {
          release();
        }
      },
    });
    runner.start();
    await ended;
    await runner.stop();
    assert.ok(stopped instanceof AsyncRequestTakenError);
    const request = await store.jobs.getAsyncRequest(id);
    assert.equal(request?.state, "pending");
    assert.equal(request?.lastError, undefined, "a lost request is not postponed by its old owner");
    assert.deepEqual(await store.jobs.claimAsyncRequests("third", now + 1, LEASE_MS, 10), []);
  });

  it("gives a request back at once when the runner stops in the middle of its job", async () => {
    const id = await submitLong();
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const runner = runnerOf({
      endpoint: "test/long",
      async run(_request, lease) {
        started();
        for (;;) {
          await sleep(5);
          await lease.keep(); // throws once the runner is stopping
        }
      },
    });
    runner.start();
    await running;
    await runner.stop(); // returns: the job was interrupted, not waited for
    const request = await store.jobs.getAsyncRequest(id);
    assert.equal(request?.state, "pending");
    assert.match(request?.lastError ?? "", /shutdown/);
    // Claimable by any process right away, not only after the lease would have run out.
    assert.deepEqual(
      (await store.jobs.claimAsyncRequests("next-process", now + 1, LEASE_MS, 10)).map((r) => r.id),
      [id],
    );
  });
});

describe("retryDelayMs", () => {
  it("grows from about a second to at most a minute, with jitter in the upper half", () => {
    assert.equal(
      retryDelayMs(1, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(3, () => 1),
      4000,
    );
    assert.equal(
      retryDelayMs(50, () => 1),
      60_000,
    );
    assert.equal(
      retryDelayMs(50, () => 0),
      30_000,
    );
  });
});

describe("JobRunner purges", () => {
  it("deletes what expired through each purge at most once a minute, on the clock it is given", async () => {
    const store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
    let millis = Date.parse(NOW);
    const calls: string[] = [];
    const runner = new JobRunner({
      jobs: store.jobs,
      kinds: [],
      clock: { nowMillis: () => millis, nowMicros: () => millis * 1000 },
      log: quiet,
      leaseMs: 60_000,
      pollMs: 600_000,
      purges: [
        {
          what: "search result sets",
          run: async (now) => {
            calls.push(now);
            return 0;
          },
        },
      ],
    });
    try {
      const settle = () => sleep(30);
      runner.start();
      await settle();
      assert.deepEqual(calls, [NOW]);
      millis += 59_000;
      runner.wake();
      await settle();
      assert.equal(calls.length, 1, "not again within the minute");
      millis += 2_000;
      runner.wake();
      await settle();
      assert.deepEqual(calls, [NOW, new Date(Date.parse(NOW) + 61_000).toISOString()]);
    } finally {
      await runner.stop();
      await store.close();
    }
  });
});
