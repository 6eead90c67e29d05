// Per-tenant retention (docs/design/retention.md "Per-tenant overrides"): a schema's
// `partitioned` field names each event's tenant, `v1beta/config/partition_overrides` gives a
// tenant its own warm and cold tiers, search, results and export answer each event only within
// its own tiers, and the retention job expires each tenant's events at its own time, archiving
// them per tenant when cold storage is on. Roots and proofs of what remains verify with the
// official Node SDK; the job still runs once with several processes.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { canonicalEnvelope, type Envelope, newId, sha256 } from "@veritrail/core";
import { type Audit, AuditService, PangeaConfig } from "pangea-node-sdk";
import pino from "pino";
import { ColdArchive } from "../src/log/cold-archive.js";
import { partitionKeyOf, RetentionJob } from "../src/log/retention.js";
import { NOW, newTreeName, sequenceIndexedEvents } from "../src/store/conformance/fixtures.js";
import { erasureOf } from "../src/store/contract/erasure.js";
import type {
  ConfigSettings,
  EventSchema,
  SequencedBatch,
  SequencerHead,
  Store,
} from "../src/store/contract/store.js";
import { adminPost, type ConfigView, createConfig, createTokenFor, successResult } from "./support/admin.js";
import { assertApiError, assertUnauthorized, assertValidationError } from "./support/api-assertions.js";
import { redirectArweave } from "./support/arweave.js";
import { FakeClock } from "./support/fake-clock.js";
import { getConfig, pollRequest, sleep } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";
import {
  POSTGRES_SKIP_REASON,
  TEST_DATABASE_URL,
  withFreshStore,
  withThreeStores,
} from "./support/test-store.js";

const DAY_MS = 86_400_000;

/** A tenant-partitioned schema, as a create body writes it. */
const TENANT_SCHEMA = {
  fields: [
    { id: "message", type: "text", required: true },
    { id: "tenant_id", type: "string", size: 64, partitioned: true },
    { id: "actor", type: "string", size: 64 },
  ],
};

describe("per-tenant retention over the API", () => {
  let server: TestServer;
  let audit: AuditService;
  let arweave: ReturnType<typeof redirectArweave>;
  let config: ConfigView;
  const clock = new FakeClock();
  const tag = `part${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  /** Hash per "<tenant>-<i>", in log order. */
  const logged: { name: string; hash: string }[] = [];
  let earlierSearch: string;
  let rootBefore: { size: number; root_hash: string };
  // Default: hot 1d + warm 10d = 11 days; "long": 1d + 30d; "short": 1d + 0d.
  const TENANTS = ["long", "short", "other", undefined] as const;

  const names = (events: Audit.AuditRecord[]) =>
    events.map((e) => String((e.envelope.event as { message: unknown }).message).slice(tag.length + 1));
  const search = async () =>
    names(
      (await audit.search(`message:${tag}`, { order: "asc", start: "60d", limit: 100 }, {})).result.events,
    );
  const namesOf = (...tenants: string[]) =>
    logged.map((l) => l.name).filter((n) => tenants.includes(n.split("-")[0]!));

  before(async () => {
    server = await startTestServer({}, { clock });
    arweave = redirectArweave();
    config = await createConfig(server, {
      schema: TENANT_SCHEMA,
      hot_storage: "1d",
      warm_storage: "10d",
    });
    const token = await createTokenFor(server, config.id);
    audit = new AuditService(
      token.token,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      undefined,
      config.id,
    );
    successResult(
      await adminPost(server, "/v1beta/config/partition_overrides", {
        id: config.id,
        overrides: { long: { warm_storage: "30d" }, short: { warm_storage: "0d" } },
      }),
    );
    for (const tenant of TENANTS) {
      for (let i = 0; i < 2; i++) {
        const name = `${tenant ?? "none"}-${i}`;
        const event = { message: `${tag}-${name}`, ...(tenant ? { tenant_id: tenant } : {}) };
        logged.push({ name, hash: (await audit.log(event, { verbose: true })).result.hash });
      }
    }
    await server.service.publishing.publisher.publishNow();
    earlierSearch = (await audit.search(`message:${tag}`, { order: "asc", start: "60d" }, {})).result.id;
    rootBefore = (await audit.root()).result.data;
  });

  after(async () => {
    arweave?.restore();
    await server?.close();
  });

  it("shows the overrides with the configuration", async () => {
    assert.deepEqual((await getConfig(server, config.id))["partition_overrides"], {
      long: { warm_storage: "30d" },
      short: { warm_storage: "0d" },
    });
  });

  it("keeps every tenant's events within their tiers", async () => {
    assert.deepEqual(await search(), namesOf("long", "short", "other", "none"));
    assert.equal(
      (await server.service.retention.tick())?.expired.find((e) => e.configId === config.id),
      undefined,
    );
  });

  it("stops answering the short tenant's events past its 1 day, before the job runs, in pages of older searches too", async () => {
    clock.advance(1.5 * DAY_MS);
    assert.deepEqual(await search(), namesOf("long", "other", "none"));
    const page = await audit.results(earlierSearch, 20, 0, {});
    assert.deepEqual(names(page.result.events), namesOf("long", "other", "none"));
    const window = await postJson(
      `${server.url}/v1/search`,
      { query: "", start: "60d", order: "asc", limit: 100, verbose: false, config_id: config.id },
      (await createTokenFor(server, config.id)).token,
    );
    assert.equal(window.body.status, "Success");
    assert.equal(window.body.result.count, 6, "a pure time window keeps to each tenant's tiers too");
  });

  it("expires only the short tenant's events at a day and a half, keeping their hashes and the root", async () => {
    const pass = await server.service.retention.tick();
    const ours = pass?.expired.find((e) => e.configId === config.id);
    assert.equal(ours?.count, 2);
    const store = server.service.store;
    const leaves = await store.search.getLeaves(
      ours!.treeId,
      logged.map((_, i) => i),
    );
    assert.deepEqual(
      leaves.map((leaf) => erasureOf(leaf.envelope)?.reason ?? "kept"),
      logged.map((l) => (l.name.startsWith("short") ? "expired" : "kept")),
    );
    assert.deepEqual(
      leaves.map((leaf) => leaf.hash.toString("hex")),
      logged.map((l) => l.hash),
    );
    assert.equal((await audit.root()).result.data.root_hash, rootBefore.root_hash);
    assert.equal(
      (await server.service.retention.tick())?.expired.find((e) => e.configId === config.id)?.count ?? 0,
      0,
    );
  });

  it("exports only the events still within their own tiers", async () => {
    const token = await createTokenFor(server, config.id);
    const accepted = await postJson(
      `${server.url}/v1/export`,
      { format: "json", config_id: config.id },
      token.token,
    );
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    let done = false;
    for (let i = 0; i < 400 && !done; i++) {
      done = (await pollRequest(server, accepted.body.request_id as string, token.token)).status === 200;
      if (!done) await sleep(10);
    }
    assert.ok(done, "the export finished");
    const link = await postJson(
      `${server.url}/v1/download_results`,
      { request_id: accepted.body.request_id, format: "json" },
      token.token,
    );
    const file = JSON.parse(
      gunzipSync(Buffer.from(await (await fetch(link.body.result.dest_url)).arrayBuffer())).toString(),
    ) as { events: { hash: string }[] };
    assert.deepEqual(
      file.events.map((e) => e.hash),
      logged.filter((l) => !l.name.startsWith("short")).map((l) => l.hash),
    );
  });

  it("answers and expires the default and unlisted tenants at 11 days, the long tenant at 31", async () => {
    clock.advance(10.5 * DAY_MS); // 12 days
    assert.deepEqual(await search(), namesOf("long"));
    assert.equal(
      (await server.service.retention.tick())?.expired.find((e) => e.configId === config.id)?.count,
      4,
    );
    clock.advance(18 * DAY_MS); // 30 days
    assert.deepEqual(await search(), namesOf("long"));
    clock.advance(2 * DAY_MS); // 32 days
    assert.deepEqual(await search(), []);
    assert.equal(
      (await server.service.retention.tick())?.expired.find((e) => e.configId === config.id)?.count,
      2,
    );
    assert.equal((await audit.root()).result.data.root_hash, rootBefore.root_hash);
  });

  it("leaves what remains and what comes later verifying with the official SDK", async () => {
    for (const tenant of ["long", "short"]) {
      const result = await audit.log(
        { message: `${tag}-${tenant}-later`, tenant_id: tenant },
        { verbose: true, verify: true },
      );
      assert.equal(result.result.membership_verification, "pass");
      assert.equal(result.result.consistency_verification, "pass");
    }
    await server.service.publishing.publisher.publishNow();
    const found = await audit.search(
      `message:${tag}`,
      { order: "asc", start: "60d", verbose: true },
      { verifyConsistency: true },
    );
    assert.deepEqual(names(found.result.events), ["long-later", "short-later"]);
    for (const event of found.result.events) {
      assert.equal(event.membership_verification, "pass");
      assert.equal(event.consistency_verification, "pass");
    }
  });
});

describe("v1beta/config/partition_overrides", () => {
  let server: TestServer;
  let config: ConfigView;
  const admin = (body: unknown) => adminPost(server, "/v1beta/config/partition_overrides", body);

  before(async () => {
    server = await startTestServer();
    config = await createConfig(server, { schema: TENANT_SCHEMA, warm_storage: "30d" });
  });

  after(async () => {
    await server?.close();
  });

  it("sets each key given, removes a key given null, keeps the others, and answers the configuration", async () => {
    const first = successResult<ConfigView>(
      await admin({
        id: config.id,
        overrides: { acme: { warm_storage: "90d", cold_storage: "16month" }, globex: {} },
      }),
    );
    assert.deepEqual(first["partition_overrides"], {
      acme: { warm_storage: "90d", cold_storage: "16month" },
      globex: {},
    });
    const second = successResult<ConfigView>(
      await admin({ id: config.id, overrides: { globex: null, initech: { warm_storage: "7d" } } }),
    );
    assert.deepEqual(second["partition_overrides"], {
      acme: { warm_storage: "90d", cold_storage: "16month" },
      initech: { warm_storage: "7d" },
    });
    assert.ok(second.updated_at > first.updated_at);
    assert.deepEqual(await getConfig(server, config.id), second);
    // The configuration as read goes back through update unchanged; overrides are not changed there.
    const { created_at: _c, tree_name: _t, version: _v, ...document } = second;
    successResult(await adminPost(server, "/v1beta/config/update", { ...document, name: "renamed" }));
    const renamed = await getConfig(server, config.id);
    assertValidationError(
      await adminPost(server, "/v1beta/config/update", {
        id: config.id,
        updated_at: renamed.updated_at,
        partition_overrides: {},
      }),
      [{ code: "IsReadOnly", source: "/partition_overrides" }],
    );
    const cleared = successResult<ConfigView>(
      await admin({ id: config.id, overrides: { acme: null, initech: null } }),
    );
    assert.equal(cleared["partition_overrides"], undefined);
    assert.equal(cleared["retired_partitions"], undefined, "retired values are the job's, not shown");
    // Removed values stay known to the retention job, which passed their events while overridden.
    assert.deepEqual((await server.service.store.configs.getConfig(config.id))?.settings.retired_partitions, [
      "globex",
      "acme",
      "initech",
    ]);
  });

  it("records each change in the admin activity log", async () => {
    const store = server.service.store;
    const project = (await store.configs.getFirstProject())!;
    const log = (await store.configs.listConfigs(project.id)).find((c) => c.settings.admin_activity)!;
    const head = (await store.log.getTreeHead(log.id))!;
    const leaves = await store.search.getLeaves(
      head.id,
      Array.from({ length: head.size }, (_, i) => i),
    );
    const records = leaves
      .map((leaf) => (JSON.parse(leaf.envelope) as Envelope).event as Record<string, unknown>)
      .filter((event) => event["action"] === "config.partition_overrides");
    assert.equal(records.length, 3);
    assert.equal(records[0]!["target"], config.id);
    assert.match(String(records[0]!["new"]), /acme/);
  });

  const long = "t".repeat(65);
  const cases: { name: string; body: () => unknown; errors: { code: string; source: string }[] }[] = [
    {
      name: "no overrides",
      body: () => ({ id: config.id }),
      errors: [{ code: "FieldRequired", source: "/overrides" }],
    },
    {
      name: "overrides not an object",
      body: () => ({ id: config.id, overrides: ["acme"] }),
      errors: [{ code: "InvalidObject", source: "/overrides" }],
    },
    {
      name: "an unknown tier",
      body: () => ({ id: config.id, overrides: { acme: { hot_storage: "1d" } } }),
      errors: [{ code: "UnexpectedProperty", source: "/overrides/acme/hot_storage" }],
    },
    {
      name: "an override not an object",
      body: () => ({ id: config.id, overrides: { acme: "90d" } }),
      errors: [{ code: "InvalidObject", source: "/overrides/acme" }],
    },
    {
      name: "bad durations and bounds",
      body: () => ({
        id: config.id,
        overrides: {
          acme: { warm_storage: "ninety days", cold_storage: "30d" },
          "a/b": { warm_storage: "11y" },
          globex: { cold_storage: 180 },
        },
      }),
      errors: [
        { code: "BadFormatPangeaDuration", source: "/overrides/acme/warm_storage" },
        { code: "NotWithinRange", source: "/overrides/acme/cold_storage" },
        { code: "NotWithinRange", source: "/overrides/a~1b/warm_storage" },
        { code: "InvalidString", source: "/overrides/globex/cold_storage" },
      ],
    },
    {
      name: "a value longer than the partitioned field's size, and an empty one",
      body: () => ({ id: config.id, overrides: { [long]: { warm_storage: "1d" }, "": {} } }),
      errors: [
        // The pointer echoes at most 64 characters of the value (MAX_ECHO_LENGTH).
        { code: "AboveMaxLength", source: `/overrides/${"t".repeat(64)}…` },
        { code: "BelowMinLength", source: "/overrides/" },
      ],
    },
    {
      name: "more overrides than a configuration holds",
      body: () => ({
        id: config.id,
        overrides: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`tenant-${i}`, {}])),
      }),
      errors: [{ code: "AboveMaxItems", source: "/overrides" }],
    },
    {
      name: "an unknown member",
      body: () => ({ id: config.id, overrides: {}, tenants: {} }),
      errors: [{ code: "UnexpectedProperty", source: "/tenants" }],
    },
    { name: "no id", body: () => ({ overrides: {} }), errors: [{ code: "FieldRequired", source: "/id" }] },
  ];
  for (const { name, body, errors } of cases) {
    it(`refuses ${name}: ${errors.map((e) => `${e.code} at ${e.source}`).join(", ")}; nothing changes`, async () => {
      const before = await getConfig(server, config.id);
      assertValidationError(await admin(body()), errors);
      assert.deepEqual(await getConfig(server, config.id), before);
    });
  }

  it("refuses a configuration without a partitioned field: BadState at /overrides", async () => {
    const plain = await createConfig(server, {});
    assertValidationError(await admin({ id: plain.id, overrides: { acme: {} } }), [
      { code: "BadState", source: "/overrides" },
    ]);
    assert.deepEqual(await getConfig(server, plain.id), plain);
  });

  it("answers NotFound for an unknown configuration", async () => {
    assertApiError(await admin({ id: `pci_${"a".repeat(32)}`, overrides: {} }), {
      http: 404,
      status: "NotFound",
      errors: [{ code: "DoesNotExist", source: "/id" }],
    });
  });

  it("refuses the audit token, a bad token and no token, and changes nothing", async () => {
    const before = await getConfig(server, config.id);
    for (const token of [server.auditToken, `pts_${"x".repeat(40)}`, undefined]) {
      for (const prefix of ["", "/audit"]) {
        assertUnauthorized(
          await postJson(
            `${server.url}${prefix}/v1beta/config/partition_overrides`,
            { id: config.id, overrides: { acme: {} } },
            token,
          ),
        );
      }
    }
    assert.deepEqual(await getConfig(server, config.id), before);
  });

  it("takes at most one partitioned field, a string one, fixed once the configuration exists", async () => {
    const message = { id: "message", type: "text", required: true };
    assertValidationError(
      await adminPost(server, "/v1beta/config/create", {
        name: "bad",
        schema: {
          fields: [
            message,
            { id: "tenant_id", type: "string", partitioned: true },
            { id: "org", type: "string", partitioned: true },
            { id: "count", type: "integer", partitioned: true },
            { id: "note", type: "text", partitioned: true },
          ],
        },
      }),
      [
        { code: "ItemNotUnique", source: "/schema/fields/2/partitioned" },
        { code: "UnexpectedProperty", source: "/schema/fields/3/partitioned" },
        { code: "UnexpectedProperty", source: "/schema/fields/4/partitioned" },
      ],
    );
    const current = await getConfig(server, config.id);
    const fields = current.schema.fields.map((f) => ({ ...f, partitioned: false }));
    assertValidationError(
      await adminPost(server, "/v1beta/config/update", {
        id: config.id,
        updated_at: current.updated_at,
        schema: { ...current.schema, fields },
      }),
      [{ code: "IsReadOnly", source: "/schema/fields/1/partitioned" }],
    );
  });
});

const silent = pino({ level: "silent" });

const SCHEMA: EventSchema = {
  fields: [
    { id: "message", type: "text", required: true },
    { id: "tenant_id", type: "string", size: 64, partitioned: true },
  ],
  save_malformed: "reject",
};

/** Events one second apart from `startMicros`, tenants in turn from `tenants` (undefined: none), indexed as ingest does. */
function tenantEvents(
  head: SequencerHead,
  tenants: readonly (string | undefined)[],
  count: number,
  startMicros: number,
): SequencedBatch {
  const events = Array.from({ length: count }, (_, n) => {
    const leafIndex = head.size + n;
    const tenant = tenants[leafIndex % tenants.length];
    return {
      event: { message: `event-${leafIndex}`, ...(tenant ? { tenant_id: tenant } : {}) },
      receivedAt: Math.max(startMicros + n * 1_000_000, head.lastReceivedAt + 1),
    };
  });
  return sequenceIndexedEvents(head, events, SCHEMA);
}

/** A configuration with a partitioned tenant field and `settings`' tiers, its events appended from `startMicros`. */
async function seedTenants(
  store: Store,
  settings: Partial<ConfigSettings>,
  tenants: readonly (string | undefined)[],
  count: number,
  startMicros: number,
) {
  let project = await store.configs.getFirstProject();
  if (!project) {
    project = { id: newId("ppj"), name: "p", createdAt: NOW };
    await store.configs.createProject(project);
  }
  const configId = newId("pci");
  const full: ConfigSettings = {
    version: 3,
    schema: SCHEMA,
    hot_storage: "1d",
    vault_sign: false,
    ...settings,
  };
  await store.configs.createConfig(
    { id: configId, projectId: project.id, name: "c", settings: full, createdAt: NOW, updatedAt: NOW },
    newTreeName(),
  );
  const head = (await store.log.getTreeHead(configId))!;
  for (let i = 0; i < count; i += 50) {
    await store.log.appendBatch(head.id, (h) =>
      tenantEvents(h, tenants, Math.min(50, count - i), startMicros + i * 1_000_000),
    );
  }
  return { configId, treeId: head.id };
}

/** Which leaves of the tree have expired. */
async function expiredLeaves(store: Store, treeId: number, size: number): Promise<number[]> {
  const leaves = await store.search.getLeaves(
    treeId,
    Array.from({ length: size }, (_, i) => i),
  );
  return leaves.filter((l) => erasureOf(l.envelope)?.reason === "expired").map((l) => l.leafIndex);
}

/** Three jobs tick at once, round after round, over a tree of three tenants with their own spans. */
async function race(stores: readonly Store[]): Promise<void> {
  const start = Date.UTC(2026, 0, 1);
  const clock = new FakeClock(start);
  // Default (untagged and "other"): hot 1d + warm 2d; "short": 1d + 0d; "long": 1d + 5d.
  const tenants = ["short", "long", "other", undefined];
  const tree = await seedTenants(
    stores[0]!,
    {
      warm_storage: "2d",
      partition_overrides: { short: { warm_storage: "0d" }, long: { warm_storage: "5d" } },
    },
    tenants,
    240,
    start * 1000,
  );
  const jobs = stores.map(
    (store, i) => new RetentionJob({ store, clock, log: silent, owner: `process-${i}`, batchEvents: 9 }),
  );
  const run = async () => {
    let total = 0;
    let held = 0;
    for (let round = 0; round < 3; round++) {
      for (const pass of await Promise.all(jobs.map((job) => job.tick()))) {
        if (!pass) continue;
        held++;
        total += pass.expired.find((e) => e.treeId === tree.treeId)?.count ?? 0;
      }
    }
    assert.ok(held >= 3, "some process held the lease each round");
    return total;
  };
  const due = (tenant: string | undefined, below: number) =>
    Array.from({ length: below }, (_, i) => i).filter((i) => tenants[i % 4] === tenant);
  // 1 day and 120 seconds on: the first 120 events of "short" are due, nobody else's.
  clock.advance(DAY_MS + 119_500);
  assert.equal(await run(), 30);
  assert.deepEqual(await expiredLeaves(stores[0]!, tree.treeId, 240), due("short", 120));
  // 3 days on: all of "short"; the default's first 120 (other and untagged).
  clock.advance(2 * DAY_MS);
  assert.equal(await run(), 30 + 60);
  const defaults = [...due("other", 120), ...due(undefined, 120)];
  assert.deepEqual(
    await expiredLeaves(stores[0]!, tree.treeId, 240),
    [...due("short", 240), ...defaults].sort((a, b) => a - b),
  );
  assert.equal(
    await stores[0]!.erasure.expiredBelow(tree.treeId),
    120,
    "the cursor passed the long tenant's events",
  );
  // 6 days on: the long tenant's first 120 too, found from the index below the cursor.
  clock.advance(3 * DAY_MS);
  assert.equal(await run(), 60 + 30);
  const expired = await expiredLeaves(stores[0]!, tree.treeId, 240);
  assert.equal(expired.length, 60 + 120 + 30, "each due event expired exactly once");
  assert.deepEqual(
    expired.filter((i) => tenants[i % 4] === "long"),
    due("long", 120),
  );
}

/** A tenant's override removed after the cursor walk passed its events: they still expire, once, on the default's tiers. */
async function retiredCase(store: Store): Promise<void> {
  const start = Date.UTC(2026, 0, 1);
  const clock = new FakeClock(start);
  const tenants = ["gone", undefined];
  const tree = await seedTenants(
    store,
    { warm_storage: "0d", partition_overrides: { gone: { warm_storage: "9d" } } },
    tenants,
    40,
    start * 1000,
  );
  const job = () => new RetentionJob({ store, clock, log: silent, batchEvents: 6 });
  clock.advance(2 * DAY_MS);
  assert.equal((await job().tick())?.expired.find((e) => e.treeId === tree.treeId)?.count, 20);
  assert.equal(await store.erasure.expiredBelow(tree.treeId), 40, "the walk passed the tenant's events");
  // What the endpoint stores when the override goes (retirePartitions).
  const config = (await store.configs.getConfig(tree.configId))!;
  const { partition_overrides: _gone, ...settings } = config.settings;
  assert.ok(
    await store.configs.updateConfig(
      {
        ...config,
        settings: { ...settings, retired_partitions: ["gone"] },
        updatedAt: `${NOW.slice(0, -1)}1Z`,
      },
      config.updatedAt,
    ),
  );
  assert.equal((await job().tick())?.expired.find((e) => e.treeId === tree.treeId)?.count, 20);
  assert.equal((await expiredLeaves(store, tree.treeId, 40)).length, 40);
  assert.equal((await job().tick())?.expired.find((e) => e.treeId === tree.treeId)?.count, 0);
}

/** Two UTC days of three tenants with cold storage on: each tenant's day is its own file, named by its key. */
async function archiveCase(store: Store): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "veritrail-archive-"));
  try {
    const dayA = Date.UTC(2026, 0, 10);
    const clock = new FakeClock(dayA);
    // Default: 1d + 0d, cold 180d; "short": 1d + 0d, no cold; "long": 1d + 1d, cold 200d.
    const tenants = ["short", "long", undefined];
    const tree = await seedTenants(
      store,
      {
        warm_storage: "0d",
        cold_storage: "180d",
        partition_overrides: {
          short: { cold_storage: "0d" },
          long: { warm_storage: "1d", cold_storage: "200d" },
        },
      },
      tenants,
      30,
      dayA * 1000,
    );
    await store.log.appendBatch(tree.treeId, (h) => tenantEvents(h, tenants, 30, (dayA + DAY_MS) * 1000));
    const archive = new ColdArchive(dir);
    const job = () => new RetentionJob({ store, clock, log: silent, batchEvents: 4, archive });
    const files = () => readdirSync(join(dir, tree.configId)).sort();
    const lines = (name: string) =>
      gunzipSync(readFileSync(join(dir, tree.configId, name)))
        .toString()
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { leaf_index: number; hash: string; envelope: Envelope });
    const longKey = partitionKeyOf("long");
    assert.match(longKey, /^[0-9a-f]{16}$/);

    // Noon of day A + 2: day A of the default past its tier; "short" past its tier on both days
    // so far as the clock says (it has no cold tier, so it need not wait for whole days).
    clock.advancePast(Date.UTC(2026, 0, 12, 12));
    const first = await job().tick();
    const count = first?.expired.find((e) => e.configId === tree.configId)?.count;
    const short = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 3 === 0);
    assert.deepEqual(files(), ["2026-01-10.jsonl.gz"]);
    assert.deepEqual(
      lines("2026-01-10.jsonl.gz").map((l) => l.leaf_index),
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 2),
    );
    for (const line of lines("2026-01-10.jsonl.gz"))
      assert.equal(sha256(canonicalEnvelope(line.envelope)).toString("hex"), line.hash);
    assert.equal(count, short.length + 10);

    // A day later: day A of "long" (1d + 1d) and day B of the default.
    clock.advance(DAY_MS);
    await job().tick();
    assert.deepEqual(
      files(),
      ["2026-01-10.jsonl.gz", `2026-01-10.${longKey}.jsonl.gz`, "2026-01-11.jsonl.gz"].sort(),
    );
    assert.deepEqual(
      lines(`2026-01-10.${longKey}.jsonl.gz`).map((l) => l.leaf_index),
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 1),
    );
    for (const line of lines(`2026-01-10.${longKey}.jsonl.gz`)) {
      assert.equal(sha256(canonicalEnvelope(line.envelope)).toString("hex"), line.hash);
      assert.equal((line.envelope.event as { tenant_id?: string }).tenant_id, "long");
    }
    const expired = await expiredLeaves(store, tree.treeId, 60);
    assert.equal(expired.length, 20 + 10 + 10 + 10);
    assert.ok(!expired.some((i) => i >= 30 && i % 3 === 1), "day B of long is still within its tiers");

    // Past the default's cold tier (180d) its files go; the long tenant's (200d) stay.
    clock.advance(182 * DAY_MS);
    await job().tick();
    assert.deepEqual(files(), [`2026-01-10.${longKey}.jsonl.gz`, `2026-01-11.${longKey}.jsonl.gz`]);
    clock.advance(30 * DAY_MS);
    await job().tick();
    assert.deepEqual(files(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the retention job with per-tenant overrides", () => {
  it("on one SQLite store expires each tenant's events once, at its own time", () =>
    withThreeStores("sqlite", race));

  it(
    "with three stores on one PostgreSQL schema, each with its own pool as a process has, runs once and expires each tenant's events once",
    {
      skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
    },
    () => withThreeStores("postgres", race),
  );

  it("on SQLite expires a retired tenant's passed events on the default's tiers", async () => {
    await withFreshStore("sqlite", retiredCase);
  });

  it("on PostgreSQL expires a retired tenant's passed events on the default's tiers", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, async () => {
    await withFreshStore("postgres", retiredCase);
  });

  it("on SQLite archives each tenant's day in its own file before its envelopes go", async () => {
    await withFreshStore("sqlite", archiveCase);
  });

  it("on PostgreSQL archives each tenant's day in its own file before its envelopes go", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, async () => {
    await withFreshStore("postgres", archiveCase);
  });
});
