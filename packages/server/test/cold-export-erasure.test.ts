// The edges of cold exports and of erasing archived events (docs/design/retention.md "Cold
// export", docs/design/erasure.md "Archived events"): bad flags refused at their pointer, an
// empty file without cold storage, archived matches counted in an erasure's bound, the
// retention lease answered with Conflict and nothing erased, an event in both the store and its
// day file counted once, and a crash between a day file's rename and the store's mark finished
// by the next erasure without counting it again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { VerifiableFile } from "@veritrail/core";
import { AuditService, PangeaConfig } from "pangea-node-sdk";
import { ColdArchive, dayOf } from "../src/log/cold-archive.js";
import { RETENTION_LEASE } from "../src/log/retention.js";
import { erasureOf } from "../src/store/contract/erasure.js";
import { adminPost, createConfig, createToken, successResult } from "./support/admin.js";
import { assertApiError, assertValidationError } from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import { pollUntilDone } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe("cold exports and erasures of archived events at their edges", () => {
  let server: TestServer;
  let archive: ColdArchive;
  const clock = new FakeClock();
  const tag = `edge${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  let dayA: number;
  /** Cold storage on; day A archived. */
  let cold: { id: string; token: string; treeId: number; hashes: string[] };
  /** Cold storage off; day A expired. */
  let warmOnly: { id: string; token: string };

  async function seed(settings: Record<string, unknown>, count: number) {
    const config = await createConfig(server, { name: `edge ${tag} ${Math.random()}`, ...settings });
    const token = (await createToken(server, { audit: { configs: [config.id] } })).token;
    const audit = new AuditService(
      token,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      undefined,
      config.id,
    );
    const hashes: string[] = [];
    for (let i = 0; i < count; i++)
      hashes.push(
        (await audit.log({ message: `${tag}-${i}`, actor: `actor-${i}` }, { verbose: true })).result.hash,
      );
    const treeId = (await server.service.store.log.getTreeHead(config.id))!.id;
    return { id: config.id, token, treeId, hashes };
  }

  async function coldExport(configId: string, token: string): Promise<VerifiableFile> {
    const accepted = await postJson(
      `${server.url}/v1/export`,
      { config_id: configId, cold: true, format: "json" },
      token,
    );
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const id = accepted.body.request_id as string;
    assert.equal((await pollUntilDone(server, id, token)).body.status, "Success");
    const link = await postJson(
      `${server.url}/v1/download_results`,
      { request_id: id, format: "json" },
      token,
    );
    const bytes = Buffer.from(await (await fetch(link.body.result.dest_url as string)).arrayBuffer());
    return JSON.parse(gunzipSync(bytes).toString()) as VerifiableFile;
  }

  const erase = (configId: string, body: Record<string, unknown>) =>
    adminPost(server, "/v1/admin/erase", {
      config_id: configId,
      start: new Date(dayA).toISOString(),
      end: new Date(dayA + DAY_MS - 1).toISOString(),
      reason: "DSR-edge",
      ...body,
    });

  const markOf = async (treeId: number, leafIndex: number) =>
    erasureOf((await server.service.store.log.getLeaf(treeId, leafIndex))!.envelope);

  before(async () => {
    clock.advancePast(dayOf(clock.nowMicros()) / 1000 + DAY_MS + HOUR_MS);
    dayA = dayOf(clock.nowMicros()) / 1000;
    server = await startTestServer({}, { clock });
    archive = new ColdArchive(server.config.archiveDir);
    cold = await seed({ hot_storage: "1d", warm_storage: "0d", cold_storage: "180d" }, 4);
    warmOnly = await seed({ hot_storage: "1d", warm_storage: "0d" }, 2);
    // Day A + 2: all of day A is past its one-day tier.
    clock.advancePast(dayA + 2 * DAY_MS + HOUR_MS);
    await server.service.retention.tick();
    assert.equal((await archive.daysOf(cold.id)).length, 1);
    assert.equal((await markOf(cold.treeId, 3))?.reason, "expired");
  });

  after(async () => {
    await server?.close();
  });

  it("refuses a cold flag that is not a boolean, and a cold export ordered by a field", async () => {
    assertValidationError(
      await postJson(`${server.url}/v1/export`, { config_id: cold.id, cold: "yes" }, cold.token),
      [{ code: "InvalidBool", source: "/cold" }],
    );
    assertValidationError(
      await postJson(
        `${server.url}/v1/export`,
        { config_id: cold.id, cold: true, order_by: "actor" },
        cold.token,
      ),
      [{ code: "BadState", source: "/order_by" }],
    );
  });

  it("answers an empty file for a configuration without cold storage", async () => {
    const file = await coldExport(warmOnly.id, warmOnly.token);
    assert.deepEqual([file.count, file.events], [0, []]);
  });

  it("counts archived matches in an erasure's bound, and erases nothing past it", async () => {
    assertValidationError(await erase(cold.id, { query: `message:${tag}`, max_events: 3 }), [
      { code: "AboveMaxItems", source: "/max_events" },
    ]);
    assert.equal((await coldExport(cold.id, cold.token)).events.filter((e) => e.erased).length, 0);
  });

  it("answers Conflict while a retention pass holds the archive, erasing nothing", async () => {
    const store = server.service.store;
    assert.ok(await store.jobs.tryLease(RETENTION_LEASE, "another-process", 60_000, clock.nowMillis()));
    try {
      assertApiError(await erase(cold.id, { query: "actor:actor-0" }), {
        http: 409,
        status: "Conflict",
        errors: [],
      });
    } finally {
      await store.jobs.releaseLease(RETENTION_LEASE, "another-process");
    }
    assert.equal((await markOf(cold.treeId, 0))?.reason, "expired");
    assert.ok((await coldExport(cold.id, cold.token)).events[0]!.envelope);
  });

  it("finishes the store's mark of a day file an erasure rewrote before it crashed, counting nothing", async () => {
    // The crash: leaf 2's line erased under an earlier request, the store not yet told.
    const earlier = {
      erasure_id: "prq_0000000000000000000000000000crash",
      erased_at: "2027-01-01T00:00:00.000Z",
    };
    const [day] = await archive.daysOf(cold.id);
    assert.deepEqual(await archive.eraseLines(cold.id, day!.dayMicros, new Map([[2, earlier]])), [
      { leafIndex: 2, hash: cold.hashes[2] },
    ]);
    assert.equal((await markOf(cold.treeId, 2))?.reason, "expired");
    // The retry of that erasure: its query no longer matches the erased line; the mark is finished.
    const retried = successResult<{ count: number; archived_count: number }>(
      await erase(cold.id, { query: "actor:actor-2" }),
    );
    assert.deepEqual([retried.count, retried.archived_count], [0, 0]);
    assert.deepEqual(await markOf(cold.treeId, 2), {
      erasureId: earlier.erasure_id,
      erasedAt: earlier.erased_at,
    });
    const file = await coldExport(cold.id, cold.token);
    assert.deepEqual(file.events[2]!.erased, earlier);
  });

  it("counts once an event still in the store and already in its day file", async () => {
    // A day file written and its envelopes not yet removed (a pass between the two steps).
    const fresh = await seed({ hot_storage: "1d", warm_storage: "0d", cold_storage: "180d" }, 2);
    const leaves = await server.service.store.search.getLeaves(fresh.treeId, [0, 1]);
    const day = dayOf(leaves[0]!.receivedAt);
    await archive.write(
      fresh.id,
      day,
      (async function* () {
        yield leaves;
      })(),
    );
    const start = new Date(day / 1000).toISOString();
    const erased = successResult<{ count: number; archived_count: number; events: { leaf_index: number }[] }>(
      await adminPost(server, "/v1/admin/erase", {
        config_id: fresh.id,
        query: "actor:actor-1",
        start,
        reason: "DSR-edge",
      }),
    );
    assert.deepEqual(
      [erased.count, erased.archived_count, erased.events.map((e) => e.leaf_index)],
      [1, 1, [1]],
    );
    assert.equal((await markOf(fresh.treeId, 1))?.reason, undefined);
    assert.ok(await markOf(fresh.treeId, 1), "the store's envelope is erased");
    const lines = [];
    for await (const batch of archive.readDays(fresh.id, { order: "asc" })) lines.push(...batch);
    assert.deepEqual(
      lines.map((l) => [l.leafIndex, l.envelope === undefined]),
      [
        [0, false],
        [1, true],
      ],
    );
  });
});
