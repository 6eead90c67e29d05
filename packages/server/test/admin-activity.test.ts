// The admin activity log (docs/design/admin-activity.md): every admin action that commits appears
// in it once, with who, what and when, and verifies with the official Node SDK; a failed action
// records nothing; nobody logs to it; a token reaches it only when granted it by id.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IdGenerator } from "@veritrail/core";
import { AuditService, PangeaConfig } from "pangea-node-sdk";
import {
  ActivityNotRecordedError,
  AdminActivityLog,
  ensureActivityConfig,
  isActivityConfig,
} from "../src/admin/activity-log.js";
import { bootstrap } from "../src/bootstrap.js";
import { systemClock } from "../src/clock.js";
import { loadConfig } from "../src/config.js";
import { Sequencer } from "../src/ingest/sequencer.js";
import { logAsyncJob } from "../src/jobs/kinds/log-async.js";
import { ConfigDirectory } from "../src/log/config-directory.js";
import { startServer } from "../src/main.js";
import type { Store } from "../src/store/contract/store.js";
import {
  adminPost,
  type ConfigView,
  type CreatedToken,
  createConfig,
  createToken,
  successResult,
} from "./support/admin.js";
import { assertApiError, assertUnauthorized, assertValidationError } from "./support/api-assertions.js";
import { recordExchanges } from "./support/sdk.js";
import { freePort, postJson, startTestServer, type TestServer } from "./support/test-server.js";
import {
  dropSchema,
  freshSchema,
  openSharedPostgresStore,
  openTestStore,
  POSTGRES_SKIP_REASON,
  TEST_DATABASE_URL,
  testStoreKind,
} from "./support/test-store.js";

/** One event of the activity log as the SDK returns it. */
interface ActivityRecord {
  envelope: {
    event: {
      message: string;
      actor: string;
      actor_name?: string;
      action: string;
      target?: string;
      old?: string;
      new?: string;
      request_id?: string;
      timestamp: string;
    };
    received_at: string;
  };
  hash: string;
  membership_verification?: string;
  signature_verification?: string;
}

describe("admin activity log", () => {
  let server: TestServer;
  let activityId: string;
  let reader: CreatedToken;
  let readerSdk: AuditService;
  let adminId: string;
  /** Every secret the server handed out in this suite: none may appear in the log. */
  const secrets: string[] = [];

  /** Every record of the activity log, through the official SDK, checked by it. */
  async function activity(): Promise<ActivityRecord[]> {
    const response = await readerSdk.search(
      "",
      { order: "asc", limit: 1000, max_results: 1000, verbose: true, start: "30d" },
      { verifyConsistency: true },
    );
    assert.equal(response.status, "Success");
    return response.result.events as unknown as ActivityRecord[];
  }

  before(async () => {
    server = await startTestServer();
    const list = successResult<{ items: ConfigView[] }>(await adminPost(server, "/v1beta/config/list", {}));
    const logs = list.items.filter((c) => c["admin_activity"] === true);
    assert.equal(logs.length, 1, "bootstrap made exactly one admin activity log");
    assert.equal(logs[0]!.name, "Admin activity");
    activityId = logs[0]!.id;
    reader = await createToken(server, {
      audit: { configs: [activityId], endpoints: ["v1/search", "v1/results", "v1/root", "v1/log"] },
    });
    secrets.push(reader.token);
    readerSdk = new AuditService(
      reader.token,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      undefined,
      activityId,
    );
    const tokens = successResult<{ items: { id: string; kind: string; name: string }[] }>(
      await adminPost(server, "/v1/admin/token/list", {}),
    );
    adminId = tokens.items.find((t) => t.kind === "admin")!.id;
  });

  after(async () => {
    await server?.close();
  });

  it("records each admin action once, with who, what and when, verifiable with the official SDK", async () => {
    const before = await activity();
    assert.ok(
      before.some((r) => r.envelope.event.action === "token.create" && r.envelope.event.target === reader.id),
    );

    const config = await createConfig(server, { name: "Payments", vault_sign: true });
    const updated = successResult<ConfigView>(
      await adminPost(server, "/v1beta/config/update", {
        id: config.id,
        updated_at: config.updated_at,
        name: "Payments EU",
        hot_storage: "7d",
      }),
    );
    successResult(await adminPost(server, "/v1beta/config/signing_key/rotate", { id: config.id }));
    const token = await createToken(server, { audit: { configs: [server.configId] } });
    secrets.push(token.token);
    successResult(await adminPost(server, "/v1/admin/token/update", { id: token.id, name: "renamed" }));
    successResult(
      await adminPost(server, "/v1/admin/token/extend", {
        id: token.id,
        service: "audit",
        config_id: config.id,
      }),
    );
    const rotated = successResult<{ token: string }>(
      await adminPost(server, "/v1/admin/token/rotate", { id: token.id, grace_period: "1h" }),
    );
    secrets.push(rotated.token);
    successResult(await adminPost(server, "/v1/admin/token/revoke", { id: token.id }));
    const second = successResult<CreatedToken>(
      await adminPost(server, "/v1/admin/token/create", { kind: "admin", name: "Second admin" }),
    );
    secrets.push(second.token);
    successResult(await adminPost(server, "/v1/admin/token/revoke", { id: second.id }));
    successResult(await adminPost(server, "/v1beta/config/delete", { id: config.id }));

    const records = (await activity()).slice(before.length);
    const actions = records.map((r) => `${r.envelope.event.action} ${r.envelope.event.target}`);
    assert.deepEqual(actions, [
      `config.create ${config.id}`,
      `config.update ${config.id}`,
      `config.rotate_signing_key ${config.id}`,
      `token.create ${token.id}`,
      `token.update ${token.id}`,
      `token.extend ${token.id}`,
      `token.rotate ${token.id}`,
      `token.revoke ${token.id}`,
      `token.create ${second.id}`,
      `token.revoke ${second.id}`,
      `config.delete ${config.id}`,
    ]);
    for (const record of records) {
      // The SDK checked each hash against its envelope (it throws otherwise) and each proof.
      assert.equal(record.membership_verification, "pass");
      const event = record.envelope.event;
      assert.equal(event.actor, adminId);
      assert.equal(event.actor_name, "Initial admin credential");
      assert.match(event.request_id!, /^prq_[a-z2-7]{32}$/);
      assert.ok(Math.abs(Date.parse(event.timestamp) - Date.parse(record.envelope.received_at)) < 5000);
      const text = JSON.stringify(record.envelope);
      for (const secret of [...secrets, server.adminToken, server.auditToken]) {
        assert.ok(!text.includes(secret), `a secret is in ${text}`);
      }
      assert.ok(!/secret_hash|private_key|BEGIN PRIVATE/.test(text), text);
    }
    const update = records[1]!.envelope.event;
    // The SDK hands JSON text fields back parsed.
    const parsed = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value);
    assert.deepEqual(parsed(update.old), { hot_storage: "14d", name: "Payments" });
    assert.deepEqual(parsed(update.new), { hot_storage: "7d", name: "Payments EU" });
    assert.equal(updated.name, "Payments EU");
    const extend = records[5]!.envelope.event;
    assert.deepEqual(parsed(extend.new).grants.audit.configs, [server.configId, config.id]);
  });

  it("records nothing for an admin request that failed", async () => {
    const before = (await activity()).length;
    const config = await createConfig(server, { name: "Conflicted" });
    const stale = await adminPost(server, "/v1beta/config/update", {
      id: config.id,
      updated_at: "2000-01-01T00:00:00.000Z",
      name: "never",
    });
    assertApiError(stale, {
      http: 409,
      status: "Conflict",
      errors: [{ code: "BadState", source: "/updated_at" }],
    });
    const lastAdmin = await adminPost(server, "/v1/admin/token/revoke", { id: adminId });
    assert.equal(lastAdmin.status, 409);
    assertValidationError(await adminPost(server, "/v1/admin/token/create", { kind: "service", name: "x" }), [
      { code: "FieldRequired", source: "/grants" },
    ]);
    const after = await activity();
    assert.equal(after.length, before + 1, "only the configuration that was created");
    assert.equal(after.at(-1)!.envelope.event.action, "config.create");
  });

  it("refuses every token that logs to it, and refuses deleting it", async () => {
    for (const [path, body] of [
      ["/v1/log", { event: { message: "forged", actor: "x", action: "x" }, config_id: activityId }],
      [
        "/v2/log",
        { events: [{ event: { message: "forged", actor: "x", action: "x" } }], config_id: activityId },
      ],
      [
        "/v2/log_async",
        { events: [{ event: { message: "forged", actor: "x", action: "x" } }], config_id: activityId },
      ],
    ] as const) {
      assertUnauthorized(await postJson(`${server.url}${path}`, body, reader.token));
    }
    const everything = await createToken(server, { audit: { configs: "all" } });
    assertUnauthorized(
      await postJson(
        `${server.url}/v1/log`,
        { event: { message: "x" }, config_id: activityId },
        everything.token,
      ),
    );
    assertValidationError(await adminPost(server, "/v1beta/config/delete", { id: activityId }), [
      { code: "BadState", source: "/id" },
    ]);
  });

  it("is reached only by a token granted it by id, never by a grant of all", async () => {
    const everything = await createToken(server, { audit: { configs: "all" } });
    const own = await postJson(
      `${server.url}/v1/search`,
      { query: "", config_id: server.configId },
      everything.token,
    );
    assert.equal(own.body.status, "Success", JSON.stringify(own.body));
    // A grant of all counts every configuration but the activity log.
    const list = successResult<{ items: ConfigView[] }>(await adminPost(server, "/v1beta/config/list", {}));
    const ambiguous = await postJson(`${server.url}/v1/search`, { query: "" }, everything.token);
    assert.equal(ambiguous.body.status, "AmbiguousConfigID");
    assert.match(
      String(ambiguous.body["summary"]),
      new RegExp(`can use ${list.items.length - 1} configurations`),
    );
    assertUnauthorized(
      await postJson(`${server.url}/v1/search`, { query: "", config_id: activityId }, everything.token),
    );
    assertUnauthorized(
      await postJson(`${server.url}/v1/search`, { query: "", config_id: activityId }, server.auditToken),
    );
    // Extending a token to the log lets it read the log.
    const later = await createToken(server, { audit: { configs: [server.configId] } });
    successResult(
      await adminPost(server, "/v1/admin/token/extend", {
        id: later.id,
        service: "audit",
        config_id: activityId,
      }),
    );
    const read = await postJson(
      `${server.url}/v1/search`,
      { query: "action:token.extend", config_id: activityId },
      later.token,
    );
    assert.equal(read.body.status, "Success");
    assert.ok(read.body.result.count >= 1);
  });

  it("has a root and a tree of its own, which the SDK reads", async () => {
    const recorder = recordExchanges(server.url);
    try {
      const root = await readerSdk.root();
      assert.equal(root.status, "Success");
      assert.ok(root.result.data.size >= 1);
    } finally {
      recorder.restore();
    }
  });
});

describe("admin activity log at start-up", () => {
  it("records what start-up creates and revokes, with the server as the actor", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "veritrail-activity-start-"));
    const schema = freshSchema();
    const FIRST = "pts_startupfirst000000000000000000000000";
    const SECOND = "pts_startupsecond00000000000000000000000";
    const start = async (adminToken: string) => {
      const config = loadConfig({
        VERITRAIL_HOST: "127.0.0.1",
        VERITRAIL_PORT: String(await freePort()),
        VERITRAIL_DATA_DIR: dataDir,
        VERITRAIL_LOG_LEVEL: "silent",
        VERITRAIL_ADMIN_TOKEN: adminToken,
        VERITRAIL_AUTH_CACHE_MS: "0",
      });
      // The same database at both starts: the SQLite file in dataDir, or one PostgreSQL schema.
      const store =
        testStoreKind() === "postgres" ? openSharedPostgresStore(schema) : await openTestStore(dataDir);
      const service = await startServer(config, { store, print: () => {} });
      return { service, url: config.publicUrl };
    };
    let shown = "";
    try {
      const first = await start(FIRST);
      await first.service.close();
      const second = await start(SECOND);
      try {
        const list = successResult<{ items: ConfigView[] }>(
          await postJson(`${second.url}/v1beta/config/list`, {}, SECOND),
        );
        const activityId = list.items.find((c) => c["admin_activity"] === true)!.id;
        const reader = successResult<CreatedToken>(
          await postJson(
            `${second.url}/v1/admin/token/create`,
            { name: "auditor", grants: { audit: { configs: [activityId] } } },
            SECOND,
          ),
        );
        const sdk = new AuditService(
          reader.token,
          new PangeaConfig({ baseUrlTemplate: second.url, requestRetries: 0 }),
          undefined,
          activityId,
        );
        const found = await sdk.search(
          "",
          { order: "asc", verbose: true, start: "1d" },
          { verifyConsistency: true },
        );
        const records = found.result.events as unknown as ActivityRecord[];
        shown = JSON.stringify(records);
        const startUp = records.filter((r) => r.envelope.event.actor === "server");
        assert.deepEqual(
          startUp.map((r) => r.envelope.event.action),
          // First start: the default configuration, FIRST's credential, the audit token; then
          // the second start stores SECOND's credential and revokes FIRST's.
          ["config.create", "token.create", "token.create", "token.create", "token.revoke"],
        );
        for (const record of records) assert.equal(record.membership_verification, "pass");
        assert.equal(startUp[0]!.envelope.event.actor_name, "Veritrail start-up");
        assert.equal(startUp[4]!.envelope.event.target, startUp[1]!.envelope.event.target);
        assert.equal(records.at(-1)!.envelope.event.action, "token.create", "then the auditor's token");
        for (const secret of [FIRST, SECOND, reader.token]) assert.ok(!shown.includes(secret));
      } finally {
        await second.service.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      if (testStoreKind() === "postgres") await dropSchema(schema);
    }
  });
});

describe("admin activity log creation and failure", () => {
  it("gives a project exactly one activity log however many ask at once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "veritrail-activity-"));
    const store = await openTestStore(dataDir);
    try {
      await store.migrate();
      const report = await bootstrap(store, loadConfig({ VERITRAIL_LOG_LEVEL: "silent" }), () =>
        new Date(0).toISOString(),
      );
      const ids = new IdGenerator();
      const made = await Promise.all(
        [1, 2, 3, 4, 5].map(() =>
          ensureActivityConfig(store, report!.projectId, {
            now: () => new Date(0).toISOString(),
            newConfigId: () => ids.newId("pci"),
          }),
        ),
      );
      assert.equal(new Set(made).size, 1);
      const configs = await store.configs.listConfigs(report!.projectId);
      assert.equal(configs.filter(isActivityConfig).length, 1);
      assert.deepEqual(
        configs.filter((c) => !isActivityConfig(c)).map((c) => c.id),
        [report!.configId],
      );
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("starts three processes on one PostgreSQL database with one activity log", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const config = loadConfig({
        VERITRAIL_LOG_LEVEL: "silent",
        VERITRAIL_ADMIN_TOKEN: "pts_activity00000000000000000000000000000",
      });
      await Promise.all(stores.map((s) => bootstrap(s, config, () => new Date(0).toISOString())));
      const project = await stores[0]!.configs.getFirstProject();
      const configs = await stores[0]!.configs.listConfigs(project!.id);
      assert.equal(configs.filter(isActivityConfig).length, 1);
      assert.equal(configs.length, 2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  describe("when the append fails after the action committed", () => {
    let dataDir: string;
    let store: Store;
    let projectId: string;
    const failing = { append: () => Promise.reject(new Error("disk full")) } as unknown as Sequencer;
    const entry = {
      actor: { id: "ptk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", name: "ops" },
      action: "config.create" as const,
      target: "pci_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
      summary: "Created configuration",
    };

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "veritrail-activity-"));
      store = await openTestStore(dataDir);
      await store.migrate();
      projectId = (await bootstrap(store, loadConfig({ VERITRAIL_LOG_LEVEL: "silent" }), () =>
        new Date().toISOString(),
      ))!.projectId;
    });

    after(async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    function activityLog(over: Partial<Store> = {}) {
      const target = { ...store, ...over } as Store;
      const directory = new ConfigDirectory({ store: target, cacheMs: 0, nowMillis: Date.now });
      return new AdminActivityLog({
        store: target,
        sequencer: failing,
        directory,
        clock: systemClock,
        ids: new IdGenerator(),
      });
    }

    it("queues the record as a job that any process appends exactly once", async () => {
      await activityLog().record({ projectId, ...entry });
      const activityConfig = (await store.configs.listConfigs(projectId)).find(isActivityConfig)!;
      const claimed = await store.jobs.claimAsyncRequests("test", Date.now(), 60_000, 10);
      const queued = claimed.filter((r) => r.configId === activityConfig.id);
      assert.equal(queued.length, 1);
      assert.equal(queued[0]!.endpoint, "v2/log_async");
      const payload = JSON.parse(queued[0]!.payload) as { entries: { event: Record<string, string> }[] };
      assert.equal(payload.entries[0]!.event["action"], "config.create");
      assert.equal(payload.entries[0]!.event["actor"], entry.actor.id);
      // The job of v2/log_async appends it, and marks the request done in the same commit.
      const sequencer = new Sequencer({ store, nowMicros: () => Date.now() * 1000, maxBatchEvents: 100 });
      const directory = new ConfigDirectory({ store, cacheMs: 0, nowMillis: Date.now });
      try {
        await logAsyncJob({ sequencer, directory }).run(queued[0]!, { keep: async () => {} });
      } finally {
        await sequencer.close();
      }
      assert.equal((await store.log.getTreeHead(activityConfig.id))!.size, 1);
      assert.equal((await store.jobs.getAsyncRequest(queued[0]!.id))!.state, "done");
    });

    it("answers InternalError, saying the action was done, when not even the job can be stored", async () => {
      const jobs = {
        ...store.jobs,
        createAsyncRequest: () => Promise.reject(new Error("database gone")),
      } as unknown as Store["jobs"];
      await assert.rejects(activityLog({ jobs }).record({ projectId, ...entry }), (error: unknown) => {
        assert.ok(error instanceof ActivityNotRecordedError);
        assert.equal(error.status, "InternalError");
        assert.match(error.message, /was done, but its admin activity record could not be written/);
        return true;
      });
    });
  });
});
