import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { newId } from "@veritrail/core";
import type { FastifyBaseLogger } from "fastify";
import { newTreeName } from "../bootstrap.js";
import { defaultConfigSettings } from "../ingest/event-schema.js";
import { Sequencer } from "../ingest/sequencer.js";
import { ConfigDirectory } from "../log/config-directory.js";
import { SqliteStore } from "../store/sqlite-store.js";
import { AsyncWorker } from "./async-worker.js";

const NOW = "2026-01-01T00:00:00.000Z";
const quiet = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;

describe("AsyncWorker", () => {
  let store: SqliteStore;
  let worker: AsyncWorker;
  let sequencer: Sequencer;
  let configId: string;

  before(async () => {
    store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
    await store.createProject({ id: "ppj_x", name: "p", createdAt: NOW });
    configId = newId("pci");
    await store.createConfig(
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
    const directory = new ConfigDirectory({ store, cacheMs: 0, nowMillis: Date.now });
    worker = new AsyncWorker({ store, sequencer, directory, log: quiet, pollMs: 50 });
    worker.start();
  });

  after(async () => {
    await worker.stop();
    await sequencer.close();
    await store.close();
  });

  async function submit(targetConfig: string, payload: string): Promise<string> {
    const id = newId("prq");
    await store.createAsyncRequest({
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

  async function settled(id: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const state = (await store.getAsyncRequest(id))?.state;
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
    assert.equal((await store.getTreeHead(configId))?.size, 1);
  });

  it("fails a request whose configuration is gone, instead of retrying it forever", async () => {
    await store.deleteConfig(configId, NOW);
    const id = await submit(
      configId,
      JSON.stringify({ entries: [{ event: { message: "m" } }], verbose: false }),
    );
    assert.equal(await settled(id), "failed");
    assert.match(JSON.parse((await store.getAsyncRequest(id))!.error!).summary, /no longer exists/);
  });

  it("fails a request whose stored payload cannot be read", async () => {
    const id = await submit(configId, "{not json");
    assert.equal(await settled(id), "failed");
  });
});
