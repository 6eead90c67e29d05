// Erasure on request (docs/design/erasure.md): an admin erases the content of the events a query
// chooses; their hashes and leaf indices stay, so roots and every proof keep verifying with the
// official Node SDK, on pages that mix erased and kept records; the erasure is in the admin
// activity log; a normal audit token cannot erase.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { verifyMembership } from "@veritrail/core";
import { AuditService, PangeaConfig } from "pangea-node-sdk";
import { adminPost, type ConfigView, createToken, successResult } from "./support/admin.js";
import { assertUnauthorized, assertValidationError } from "./support/api-assertions.js";
import { recordExchanges } from "./support/sdk.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

interface Erased {
  erasure_id: string;
  config_id: string;
  erased_at: string;
  count: number;
  events: { leaf_index: number; hash: string }[];
}

/** A search event on the wire: kept (with its envelope) or erased (with `erased`). */
interface WireEvent {
  envelope?: { event: Record<string, unknown>; received_at: string };
  hash: string;
  leaf_index?: number;
  membership_proof?: string;
  published?: boolean;
  erased?: { erasure_id: string; erased_at: string };
}

/** An event the SDK verified: what it reports for each check. */
interface VerifiedEvent extends WireEvent {
  membership_verification?: string;
  consistency_verification?: string;
  signature_verification?: string;
}

describe("erasure on request", () => {
  let server: TestServer;
  let audit: AuditService;
  let activityId: string;
  const tag = `erase${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  /** Hashes of the eight events, in order; even ones are alice's. */
  let hashes: string[];
  let erasure: Erased;
  /** A result set made before the erasure. */
  let earlierSearch: string;
  let rootBefore: string;

  const erase = (body: Record<string, unknown>, token?: string) =>
    postJson(`${server.url}/v1/admin/erase`, body, token ?? server.adminToken);

  before(async () => {
    server = await startTestServer();
    const pangea = new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 });
    audit = new AuditService(server.auditToken, pangea);
    hashes = [];
    for (let i = 0; i < 8; i++) {
      const actor = i % 2 === 0 ? "alice" : "bob";
      const answer = await audit.log(
        { message: `${tag} order ${i} for ${actor}@example.com`, actor, status: "ok" },
        { verbose: true, verify: true },
      );
      hashes.push(answer.result.hash);
    }
    const list = successResult<{ items: ConfigView[] }>(await adminPost(server, "/v1beta/config/list", {}));
    activityId = list.items.find((c) => c["admin_activity"] === true)!.id;
    earlierSearch = (await audit.search(`message:${tag}`, { order: "asc", verbose: true, start: "1d" }, {}))
      .result.id;
    rootBefore = (await audit.root()).result.data.root_hash;
  });

  after(async () => {
    await server?.close();
  });

  it("refuses a normal audit token, even one granted everything", async () => {
    const body = { config_id: server.configId, query: `actor:alice message:${tag}`, reason: "GDPR-1" };
    assertUnauthorized(await erase(body, server.auditToken));
    const everything = await createToken(server, { audit: { configs: "all" } });
    assertUnauthorized(await erase(body, everything.token));
    assertUnauthorized(await erase(body, "pts_nosuchtoken000000000000000000000000000"));
    const search = await audit.search(`actor:alice message:${tag}`, { start: "1d" }, {});
    assert.equal(search.result.count, 4, "nothing was erased");
  });

  it("refuses a request it cannot carry out whole, erasing nothing", async () => {
    assertValidationError(await erase({}), [
      { code: "FieldRequired", source: "/config_id" },
      { code: "FieldRequired", source: "/query" },
      { code: "FieldRequired", source: "/reason" },
    ]);
    assertValidationError(
      await erase({ config_id: "pci_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", query: "", reason: "r" }),
      [{ code: "ConfigNotExist", source: "/config_id" }],
    );
    assertValidationError(await erase({ config_id: activityId, query: "", reason: "r" }), [
      { code: "BadState", source: "/config_id" },
    ]);
    const badQuery = await erase({ config_id: server.configId, query: "actor:(", reason: "r" });
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.status, "ValidationError");
    assert.deepEqual(
      badQuery.body.result.errors.map((e: { source: string }) => e.source),
      ["/query"],
    );
    assertValidationError(
      await erase({ config_id: server.configId, query: `message:${tag}`, reason: "r", max_events: 3 }),
      [{ code: "AboveMaxItems", source: "/max_events" }],
    );
    assertValidationError(
      await erase({ config_id: server.configId, query: "", reason: "r", max_events: 1001, unknown: 1 }),
      [
        { code: "NotWithinRange", source: "/max_events" },
        { code: "UnexpectedProperty", source: "/unknown" },
      ],
    );
    const search = await audit.search(`message:${tag}`, { start: "1d" }, {});
    assert.equal(search.result.count, 8, "nothing was erased");
  });

  it("lists what it would erase on a dry run, and erases nothing", async () => {
    const dry = successResult<{ dry_run: boolean; count: number; events: { hash: string }[] }>(
      await erase({
        config_id: server.configId,
        query: `actor:alice message:${tag}`,
        reason: "r",
        dry_run: true,
      }),
    );
    assert.equal(dry.dry_run, true);
    assert.deepEqual(
      dry.events.map((e) => e.hash),
      [hashes[0], hashes[2], hashes[4], hashes[6]],
    );
    assert.equal((await audit.search(`actor:alice message:${tag}`, { start: "1d" }, {})).result.count, 4);
  });

  it("erases the chosen events' content and keeps their hashes, and the root", async () => {
    const response = await erase({
      config_id: server.configId,
      query: `actor:alice message:${tag}`,
      start: "1d",
      reason: "Erasure request GDPR-2026-17",
    });
    erasure = successResult<Erased>(response);
    assert.equal(erasure.erasure_id, response.body["request_id"]);
    assert.equal(erasure.count, 4);
    assert.deepEqual(
      erasure.events.map((e) => e.hash),
      [hashes[0], hashes[2], hashes[4], hashes[6]],
    );
    assert.equal((await audit.root()).result.data.root_hash, rootBefore);
    // Their content is gone: nothing they said can be searched for any more.
    assert.equal((await audit.search(`actor:alice message:${tag}`, { start: "1d" }, {})).result.count, 0);
    assert.equal((await audit.search(`alice@example.com`, { start: "1d" }, {})).result.count, 0);
    assert.equal((await audit.search(`message:${tag}`, { start: "1d" }, {})).result.count, 4);
  });

  it("shows erased records as erased, and the SDK verifies a page that mixes them with kept ones", async () => {
    const recorder = recordExchanges(server.url);
    try {
      // A query without terms keeps erased records: they are events with no fields left.
      const response = await audit.search(
        "",
        { order: "asc", verbose: true, start: "1d", limit: 100 },
        { verifyConsistency: true },
      );
      const events = response.result.events as unknown as VerifiedEvent[];
      const ours = hashes.map((hash) => events.find((e) => e.hash === hash)!);
      const wire = recorder.exchanges.findLast((e) => e.path === "/v1/search")!.response.result as {
        events: WireEvent[];
        unpublished_root: { root_hash: string };
      };
      ours.forEach((event, i) => {
        assert.ok(event, `event ${i} is on the page`);
        assert.equal(event.membership_verification, "pass", `event ${i}`);
        assert.equal(event.consistency_verification, "none");
        const sent = wire.events.find((e) => e.hash === event.hash)!;
        assert.ok(
          verifyMembership({
            leafHash: sent.hash,
            rootHash: wire.unpublished_root.root_hash,
            proof: sent.membership_proof!,
          }),
        );
        if (i % 2 === 0) {
          assert.equal(event.envelope, undefined, "an erased record has no envelope");
          assert.equal(event.signature_verification, "none");
          assert.deepEqual(Object.keys(sent).sort(), [
            "erased",
            "hash",
            "leaf_index",
            "membership_proof",
            "published",
          ]);
          assert.deepEqual(sent.erased, { erasure_id: erasure.erasure_id, erased_at: erasure.erased_at });
          assert.equal(sent.leaf_index, erasure.events[i / 2]!.leaf_index);
        } else {
          assert.equal(event.envelope!.event["actor"], "bob");
          assert.equal(sent.erased, undefined);
          assert.equal(sent.leaf_index, undefined);
        }
      });
      // Not verbose: the hash, the leaf index and the erasure, no proof.
      const plain = await postJson(
        `${server.url}/v1/search`,
        { query: "", verbose: false, start: "1d", order: "asc", limit: 100 },
        server.auditToken,
      );
      const erased = (plain.body.result.events as WireEvent[]).find((e) => e.hash === hashes[2])!;
      assert.deepEqual(Object.keys(erased).sort(), ["erased", "hash", "leaf_index"]);
    } finally {
      recorder.restore();
    }
  });

  it("pages a result set made before the erasure with its records shown as erased", async () => {
    const page = await audit.results(earlierSearch, 8, 0, { verifyConsistency: true });
    const events = page.result.events as unknown as VerifiedEvent[];
    assert.deepEqual(
      events.map((e) => e.hash),
      hashes,
    );
    for (const [i, event] of events.entries()) {
      assert.equal(event.membership_verification, "pass");
      assert.equal(event.envelope === undefined, i % 2 === 0);
    }
  });

  it("writes erased records into a JSON download without their envelope", async () => {
    const link = successResult<{ dest_url: string }>(
      await postJson(
        `${server.url}/v1/download_results`,
        { result_id: earlierSearch, format: "json" },
        server.auditToken,
      ),
    );
    const file = JSON.parse(
      gunzipSync(Buffer.from(await (await fetch(link.dest_url)).arrayBuffer())).toString(),
    ) as {
      events: WireEvent[];
      unpublished_root: { root_hash: string };
    };
    assert.equal(file.events.length, 8);
    for (const [i, event] of file.events.entries()) {
      assert.equal(event.hash, hashes[i]);
      assert.equal(event.envelope === undefined, i % 2 === 0);
      assert.equal(event.erased?.erasure_id, i % 2 === 0 ? erasure.erasure_id : undefined);
      assert.ok(
        verifyMembership({
          leafHash: event.hash,
          rootHash: file.unpublished_root.root_hash,
          proof: event.membership_proof!,
        }),
      );
    }
  });

  it("never erases a record twice, and the log goes on with consistent roots", async () => {
    const again = successResult<Erased>(
      await erase({ config_id: server.configId, query: `actor:alice`, start: "1d", reason: "again" }),
    );
    assert.equal(again.count, 0);
    const all = successResult<Erased>(
      await erase({ config_id: server.configId, query: "", start: "1d", reason: "dry", dry_run: true }),
    );
    assert.ok(all.count >= 8, "a dry run of everything lists the erased records too");
    // The SDK chains the next log onto the unpublished root it saw before the erasure.
    const next = await audit.log(
      { message: `${tag} after`, actor: "carol" },
      { verbose: true, verify: true },
    );
    assert.equal(next.result.consistency_verification, "pass");
    assert.equal(next.result.membership_verification, "pass");
  });

  it("is recorded once in the admin activity log, which the SDK verifies", async () => {
    const reader = await createToken(server, { audit: { configs: [activityId], endpoints: ["v1/search"] } });
    const sdk = new AuditService(
      reader.token,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      undefined,
      activityId,
    );
    const found = await sdk.search(
      "action=erasure",
      { order: "asc", verbose: true, start: "1d" },
      { verifyConsistency: true },
    );
    const records = found.result.events as unknown as (VerifiedEvent & {
      envelope: { event: Record<string, unknown> };
    })[];
    const ours = records.filter((r) => r.envelope.event["request_id"] === erasure.erasure_id);
    assert.equal(ours.length, 1);
    const event = ours[0]!.envelope.event;
    assert.equal(ours[0]!.membership_verification, "pass");
    assert.equal(event["target"], server.configId);
    assert.match(String(event["message"]), /Erased the content of 4 event\(s\).*GDPR-2026-17/);
    const change = typeof event["new"] === "string" ? JSON.parse(event["new"]) : event["new"];
    assert.equal(change.count, 4);
    assert.equal(change.erasure_id, erasure.erasure_id);
    assert.equal(change.leaf_indices, erasure.events.map((e) => e.leaf_index).join(","));
    assert.ok(!JSON.stringify(event).includes("@example.com"), "the activity record holds no erased content");
    // The second erasure, which erased nothing, is recorded too.
    assert.equal(records.length, 2);
  });
});
