// Retention (docs/design/retention.md), on a clock the test moves: events older than their
// configuration's searchable tiers (hot + warm) leave search at once and lose their envelope to
// the retention job, while their hashes stay, so `v1/root`, the published checkpoint and the
// official Node SDK's membership and consistency checks of the remaining events still pass.
// With several processes on one database the job expires each event once.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { canonicalEnvelope, type Envelope, newId, sha256 } from "@veritrail/core";
import { type Audit, AuditService, PangeaConfig } from "pangea-node-sdk";
import pino from "pino";
import { ColdArchive } from "../src/log/cold-archive.js";
import { RetentionJob } from "../src/log/retention.js";
import { NOW, newTreeName, sampleSettings, sequenceEvents } from "../src/store/conformance/fixtures.js";
import { erasureOf, RETENTION_ERASURE_ID } from "../src/store/contract/erasure.js";
import { searchFieldNumbers, searchValuesOf } from "../src/store/contract/search.js";
import type { EventSchema, SequencerHead, Store } from "../src/store/contract/store.js";
import { adminPost, type ConfigView, successResult } from "./support/admin.js";
import { redirectArweave } from "./support/arweave.js";
import { FakeClock } from "./support/fake-clock.js";
import { pollRequest, sleep } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";
import {
  POSTGRES_SKIP_REASON,
  TEST_DATABASE_URL,
  withFreshStore,
  withThreeStores,
} from "./support/test-store.js";

const DAY_MS = 86_400_000;

describe("retention past the searchable tiers", () => {
  let server: TestServer;
  let audit: AuditService;
  let arweave: ReturnType<typeof redirectArweave>;
  const clock = new FakeClock();
  const tag = `ret${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  const OLD = 4;
  const NEW = 3;
  let hashes: string[];
  let earlierSearch: string;
  let rootBefore: { size: number; root_hash: string };

  const messages = (events: Audit.AuditRecord[]) =>
    events.map((e) => String((e.envelope.event as { message: unknown }).message));

  before(async () => {
    server = await startTestServer({}, { clock });
    arweave = redirectArweave();
    audit = new AuditService(
      server.auditToken,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
    );
    const list = successResult<{ items: ConfigView[] }>(await adminPost(server, "/v1beta/config/list", {}));
    const config = list.items.find((c) => c.id === server.configId)!;
    // Searchable for hot 14d + warm 1d = 15 days.
    successResult(
      await adminPost(server, "/v1beta/config/update", {
        id: config.id,
        name: config.name,
        updated_at: config.updated_at,
        warm_storage: "1d",
      }),
    );
    hashes = [];
    for (let i = 0; i < OLD; i++)
      hashes.push(
        (await audit.log({ message: `${tag}-old-${i}`, actor: "a" }, { verbose: true })).result.hash,
      );
    clock.advance(14.5 * DAY_MS);
    for (let i = 0; i < NEW; i++)
      hashes.push(
        (await audit.log({ message: `${tag}-new-${i}`, actor: "a" }, { verbose: true })).result.hash,
      );
    const published = await server.service.publishing.publisher.publishNow();
    assert.equal(published.find((c) => c.size === OLD + NEW)?.size, OLD + NEW);
    earlierSearch = (await audit.search(`message:${tag}`, { order: "asc", start: "30d" }, {})).result.id;
    rootBefore = (await audit.root()).result.data;
    assert.equal(rootBefore.size, OLD + NEW);
  });

  after(async () => {
    arweave?.restore();
    await server?.close();
  });

  it("keeps everything while the events are within their tiers", async () => {
    assert.equal((await server.service.retention.tick())?.expired.length, 0);
    const search = await audit.search(`message:${tag}`, { order: "asc", start: "30d" }, {});
    assert.equal(search.result.count, OLD + NEW);
  });

  it("stops answering an event past its tiers at once, before the job has run", async () => {
    // The old events are 15.5 days old, the new ones 1 day; the earlier result set is still live.
    clock.advance(DAY_MS);
    const search = await audit.search(`message:${tag}`, { order: "asc", start: "30d" }, {});
    assert.deepEqual(
      messages(search.result.events),
      Array.from({ length: NEW }, (_, i) => `${tag}-new-${i}`),
    );
    const window = await postJson(
      `${server.url}/v1/search`,
      { query: "", start: "30d", order: "asc", limit: 100, verbose: false },
      server.auditToken,
    );
    assert.equal(window.body.status, "Success");
    assert.deepEqual(
      (window.body.result.events as { hash: string }[]).map((e) => e.hash),
      hashes.slice(OLD),
      "a pure time window is clamped to the cutoff too",
    );
  });

  it("removes the expired envelopes and keeps their hashes and the root", async () => {
    const pass = await server.service.retention.tick();
    assert.ok(pass, "this process held the lease");
    const ours = pass.expired.find((e) => e.configId === server.configId);
    assert.ok(ours);
    assert.deepEqual(ours && { count: ours.count, expiredBelow: ours.expiredBelow }, {
      count: OLD,
      expiredBelow: OLD,
    });
    const store = server.service.store;
    const treeId = ours.treeId;
    for (let i = 0; i < OLD + NEW; i++) {
      const leaf = (await store.log.getLeaf(treeId, i))!;
      assert.equal(leaf.hash.toString("hex"), hashes[i]);
      const mark = erasureOf(leaf.envelope);
      if (i < OLD) {
        assert.equal(mark?.reason, "expired");
        assert.equal(mark?.erasureId, RETENTION_ERASURE_ID);
        assert.ok(!leaf.envelope.includes(tag), "nothing the event said is left");
      } else assert.equal(mark, undefined);
    }
    assert.deepEqual((await audit.root()).result.data.root_hash, rootBefore.root_hash);
    assert.equal((await server.service.retention.tick())?.expired[0]?.count, 0, "nothing is expired twice");
  });

  it("leaves the remaining events verifying with the official SDK, published and not", async () => {
    const response = await audit.search(
      'message:""',
      { order: "asc", start: "30d", verbose: true },
      {
        verifyConsistency: true,
      },
    );
    assert.deepEqual(
      response.result.events.map((e) => [e.membership_verification, e.consistency_verification]),
      Array.from({ length: NEW }, () => ["pass", "pass"]),
    );
    // New events still append, verify against the log's roots, and publish: the folded root is unchanged.
    for (let i = 0; i < 2; i++) {
      const logged = await audit.log(
        { message: `${tag}-later-${i}`, actor: "a" },
        { verbose: true, verify: true },
      );
      assert.equal(logged.result.membership_verification, "pass");
      assert.equal(logged.result.consistency_verification, "pass");
      hashes.push(logged.result.hash);
    }
    const published = await server.service.publishing.publisher.publishNow();
    assert.equal(published.find((c) => c.size === OLD + NEW + 2)?.previousSize, OLD + NEW);
    const later = await audit.search(
      `message:${tag}`,
      { order: "asc", start: "30d", verbose: true },
      {
        verifyConsistency: true,
      },
    );
    assert.equal(later.result.count, NEW + 2);
    for (const event of later.result.events) {
      assert.equal(event.membership_verification, "pass");
      assert.equal(event.consistency_verification, "pass");
    }
  });

  it("exports only the events still within their tiers", async () => {
    const accepted = await postJson(`${server.url}/v1/export`, { format: "json" }, server.auditToken);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const id = accepted.body.request_id as string;
    let done = false;
    for (let i = 0; i < 400 && !done; i++) {
      const polled = await pollRequest(server, id, server.auditToken);
      done = polled.status === 200;
      if (!done) await sleep(10);
    }
    assert.ok(done, "the export finished");
    const link = await postJson(
      `${server.url}/v1/download_results`,
      { request_id: id, format: "json" },
      server.auditToken,
    );
    assert.equal(link.body.status, "Success", JSON.stringify(link.body));
    const file = JSON.parse(
      gunzipSync(Buffer.from(await (await fetch(link.body.result.dest_url)).arrayBuffer())).toString(),
    ) as { events: { hash: string; leaf_index: number }[] };
    assert.deepEqual(
      file.events.map((e) => e.hash),
      hashes.slice(OLD, OLD + NEW + 2),
    );
    assert.equal(file.events[0]!.leaf_index, OLD);
  });

  it("leaves expired events out of a result set made before they expired", async () => {
    const page = await audit.results(earlierSearch, 20, 0, {});
    assert.deepEqual(
      page.result.events.map((e) => e.hash),
      hashes.slice(OLD, OLD + NEW),
    );
  });
});

const silent = pino({ level: "silent" });

/** `sequenceEvents`, indexed as ingest indexes them, so that expiry has index rows to delete. */
function indexedEvents(
  head: SequencerHead,
  count: number,
  tag: string,
  nowMicros: number,
  schema: EventSchema,
) {
  const batch = sequenceEvents(head, count, { tag, nowMicros });
  const numbers = searchFieldNumbers(schema);
  for (const leaf of batch.leaves) {
    const event = (JSON.parse(leaf.envelope) as { event: Record<string, string> }).event;
    for (const value of searchValuesOf(event, schema, numbers))
      batch.searchRows.push({ ...value, leafIndex: leaf.leafIndex });
  }
  return batch;
}

/** A configuration searchable for 1 day (hot 1d, no warm tier) with `count` events, one a second, from `startMicros`. */
async function seedRetained(store: Store, count: number, startMicros: number) {
  const projectId = (await store.configs.getFirstProject())?.id ?? newId("ppj");
  if (!(await store.configs.getFirstProject()))
    await store.configs.createProject({ id: projectId, name: "p", createdAt: NOW });
  const configId = newId("pci");
  const settings = { ...sampleSettings(), hot_storage: "1d", warm_storage: "0d" };
  await store.configs.createConfig(
    { id: configId, projectId, name: "c", settings, createdAt: NOW, updatedAt: NOW },
    newTreeName(),
  );
  const head = (await store.log.getTreeHead(configId))!;
  for (let i = 0; i < count; i += 50) {
    await store.log.appendBatch(head.id, (h) =>
      indexedEvents(h, Math.min(50, count - i), `r${i}`, startMicros + i * 1_000_000, settings.schema),
    );
  }
  return { configId, treeId: head.id };
}

/** Three jobs (one per store given) tick at once, round after round: every due event expires once. */
async function race(stores: readonly Store[]): Promise<void> {
  const start = Date.UTC(2026, 0, 1);
  const clock = new FakeClock(start);
  const trees = [
    await seedRetained(stores[0]!, 230, start * 1000),
    await seedRetained(stores[0]!, 120, start * 1000),
  ];
  const jobs = stores.map(
    (store, i) => new RetentionJob({ store, clock, log: silent, owner: `process-${i}`, batchEvents: 40 }),
  );
  // A day and 100 seconds later, the first 100 events of each tree are past the tier.
  clock.advance(DAY_MS + 99_500);
  const counts = new Map<number, number>();
  let held = 0;
  for (let round = 0; round < 3; round++) {
    const passes = await Promise.all(jobs.map((job) => job.tick()));
    for (const pass of passes) {
      if (!pass) continue;
      held++;
      for (const e of pass.expired) counts.set(e.treeId, (counts.get(e.treeId) ?? 0) + e.count);
    }
  }
  assert.ok(held >= 3, "some process held the lease each round");
  for (const tree of trees) {
    assert.equal(counts.get(tree.treeId), 100, "each due event expired exactly once");
    assert.equal(await stores[0]!.erasure.expiredBelow(tree.treeId), 100);
    const leaves = await stores[0]!.search.getLeaves(
      tree.treeId,
      Array.from({ length: 102 }, (_, i) => i),
    );
    assert.equal(leaves.filter((l) => erasureOf(l.envelope)?.reason === "expired").length, 100);
    assert.equal(erasureOf(leaves[100]!.envelope), undefined);
  }
}

/** Events of two UTC days into a configuration with cold storage on, run through the archive. */
async function archiveCase(store: Store): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "veritrail-archive-"));
  try {
    const dayA = Date.UTC(2026, 0, 10);
    const dayB = Date.UTC(2026, 0, 11);
    const clock = new FakeClock(dayA);
    const projectId = newId("ppj");
    await store.configs.createProject({ id: projectId, name: "p", createdAt: NOW });
    const configId = newId("pci");
    const settings = { ...sampleSettings(), hot_storage: "1d", warm_storage: "0d", cold_storage: "180d" };
    await store.configs.createConfig(
      { id: configId, projectId, name: "c", settings, createdAt: NOW, updatedAt: NOW },
      newTreeName(),
    );
    const treeId = (await store.log.getTreeHead(configId))!.id;
    await store.log.appendBatch(treeId, (h) => indexedEvents(h, 30, "a", dayA * 1000, settings.schema));
    await store.log.appendBatch(treeId, (h) => indexedEvents(h, 20, "b", dayB * 1000, settings.schema));
    const archive = new ColdArchive(dir);
    const job = (a: ColdArchive) =>
      new RetentionJob({ store, clock, log: silent, batchEvents: 7, archive: a });

    // Noon on day B + 1: all of day A is past the 1-day tier, day B only in part (it waits for its whole day).
    clock.advancePast(Date.UTC(2026, 0, 12, 12));
    // An archive that cannot be written removes nothing.
    const notADirectory = join(dir, "file");
    writeFileSync(notADirectory, "");
    await assert.rejects(job(new ColdArchive(notADirectory)).tick(), { code: "ENOTDIR" });
    assert.equal(await store.erasure.expiredBelow(treeId), 0);
    assert.equal(erasureOf((await store.log.getLeaf(treeId, 0))!.envelope), undefined);

    const pass = await job(archive).tick();
    assert.equal(pass?.expired.find((e) => e.configId === configId)?.count, 30);
    const fileA = archive.fileOf(configId, dayA * 1000);
    assert.equal(fileA, join(dir, configId, "2026-01-10.jsonl.gz"));
    const lines = gunzipSync(readFileSync(fileA))
      .toString()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { leaf_index: number; hash: string; envelope: Envelope });
    assert.deepEqual(
      lines.map((l) => l.leaf_index),
      Array.from({ length: 30 }, (_, i) => i),
    );
    for (const line of lines) {
      assert.equal(sha256(canonicalEnvelope(line.envelope)).toString("hex"), line.hash);
      assert.equal((await store.log.getLeaf(treeId, line.leaf_index))!.hash.toString("hex"), line.hash);
    }
    assert.equal(erasureOf((await store.log.getLeaf(treeId, 29))!.envelope)?.reason, "expired");
    assert.equal(erasureOf((await store.log.getLeaf(treeId, 30))!.envelope), undefined);
    assert.deepEqual(readdirSync(join(dir, configId)), ["2026-01-10.jsonl.gz"], "no temporary file is left");

    clock.advance(DAY_MS);
    assert.equal((await job(archive).tick())?.expired.find((e) => e.configId === configId)?.count, 20);
    assert.deepEqual(readdirSync(join(dir, configId)).sort(), ["2026-01-10.jsonl.gz", "2026-01-11.jsonl.gz"]);
    // Past cold storage too, the archives are deleted.
    clock.advance(180 * DAY_MS);
    await job(archive).tick();
    assert.deepEqual(readdirSync(join(dir, configId)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the cold archive", () => {
  it("on SQLite holds each day's events, written before their envelopes go", async () => {
    await withFreshStore("sqlite", archiveCase);
  });

  it("on PostgreSQL holds each day's events, written before their envelopes go", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, async () => {
    await withFreshStore("postgres", archiveCase);
  });
});

describe("the retention job in several processes", () => {
  it("on one SQLite store expires each event once", () => withThreeStores("sqlite", race));

  it(
    "with three stores on one PostgreSQL schema, each with its own pool as a process has, runs once and expires each event once",
    {
      skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
    },
    () => withThreeStores("postgres", race),
  );
});
