import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { IdGenerator } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { AdminActivityLog } from "../admin/activity-log.js";
import { Authenticator } from "../auth/authenticator.js";
import { bootstrap } from "../bootstrap.js";
import { systemClock } from "../clock.js";
import { loadConfig } from "../config.js";
import { OverloadError, type Sequencer } from "../ingest/sequencer.js";
import { ConfigDirectory } from "../log/config-directory.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { createApp } from "./app.js";

/* The HTTP layer in-process (app.inject), with a sequencer that is always full. */

const TOKEN = "pts_apptest000000000000000000000000000000";

describe("createApp", () => {
  let store: SqliteStore;
  let app: FastifyInstance;

  before(async () => {
    const config = loadConfig({ VERITRAIL_LOG_LEVEL: "silent", VERITRAIL_INIT_AUDIT_TOKEN: TOKEN });
    store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
    await bootstrap(store, config, () => new Date().toISOString());
    const full = {
      append: () => Promise.reject(new OverloadError(50_000)),
    } as unknown as Sequencer;
    const directory = new ConfigDirectory({ store, cacheMs: 0, nowMillis: Date.now });
    const ids = new IdGenerator();
    app = createApp(
      {
        config,
        store,
        sequencer: full,
        authenticator: new Authenticator({ store, cacheMs: 0, nowMillis: Date.now }),
        directory,
        ids,
        jobs: { wake() {} },
        clock: systemClock,
        publishing: {
          verifierKey: () => Promise.reject(new Error("no checkpoint key in this test")),
          anchorStatus: async () => [],
        },
        activity: new AdminActivityLog({ store, sequencer: full, directory, clock: systemClock, ids }),
      },
      pino({ level: "silent" }),
    );
  });

  after(async () => {
    await app.close();
    await store.close();
  });

  it("answers an overloaded log with a 503 ServiceNotAvailable envelope and Retry-After", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/v1/log",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      payload: { event: { message: "too much" } },
    });
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers["retry-after"], "1");
    const body = response.json() as { status: string; request_id: string; result: unknown };
    assert.equal(body.status, "ServiceNotAvailable");
    assert.equal(body.result, null);
    assert.equal(response.headers["x-request-id"], body.request_id);
  });
});
