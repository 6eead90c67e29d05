// The SDK's clients against a real server in this process: every endpoint it has a method for,
// the errors it throws (status, summary, result.errors pointers), config_id per client and per
// call, and verification of what the server answered done on the client's side.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkMembership, verifyRecord } from "@veritrail/core";
import { startTestServer, type TestServer } from "../../server/test/support/test-server.js";
import { AdminClient, ApiError, AuditClient, VeritrailError } from "../src/index.js";

describe("the SDK's clients", () => {
  let server: TestServer;
  let audit: AuditClient;
  let admin: AdminClient;

  before(async () => {
    server = await startTestServer();
    audit = new AuditClient({ baseUrl: server.url, token: server.auditToken });
    admin = new AdminClient({ baseUrl: server.url, adminToken: server.adminToken });
  });
  after(() => server.close());

  it("logs one event verbosely and proves it against the unpublished root it answered", async () => {
    const result = await audit.log({ message: "first", actor: "alice" }, { verbose: true });
    assert.match(result.hash, /^[0-9a-f]{64}$/);
    assert.equal(result.envelope?.event["message"], "first");
    const check = checkMembership({
      leafHash: result.hash,
      proof: result.membership_proof,
      root: { size: 1, root_hash: result.unpublished_root! },
      leafIndex: 0,
    });
    assert.equal(check.status, "pass");
    const next = await audit.log(
      { message: "second" },
      { verbose: true, prev_root: result.unpublished_root! },
    );
    assert.equal(next.consistency_proof?.length, 1);
  });

  it("logs in bulk, now and later, and waits for the later result", async () => {
    const now = await audit.logBulk([{ event: { message: "b1" } }, { event: { message: "b2" } }], {
      verbose: true,
    });
    assert.equal(now.results.length, 2);
    assert.equal(now.results[1]!.envelope?.event["message"], "b2");
    const later = await audit.logBulkAndWait(
      Array.from({ length: 21 }, (_, i) => ({ event: { message: `async ${i}`, actor: "pager" } })),
      { intervalMs: 20 },
    );
    assert.equal(later.results.length, 21);
    assert.ok(later.results.every((r) => /^[0-9a-f]{64}$/.test(r.hash)));
  });

  it("pages a whole search with searchPages and verifies every record it read", async () => {
    const pages = [];
    for await (const page of audit.searchPages({ query: "actor:pager", limit: 10, order: "asc" }))
      pages.push(page);
    assert.deepEqual(
      pages.map((p) => [p.offset, p.events.length]),
      [
        [0, 10],
        [10, 10],
        [20, 1],
      ],
    );
    assert.equal(pages[0]!.count, 21);
    const messages = pages.flatMap((p) => p.events.map((e) => e.envelope!.event["message"]));
    assert.deepEqual(
      messages,
      Array.from({ length: 21 }, (_, i) => `async ${i}`),
    );
    for (const page of pages) {
      for (const event of page.events) {
        const report = verifyRecord(event, page);
        assert.equal(report.checks.hash.status, "pass");
        assert.equal(report.checks.membership.status, "pass", JSON.stringify(report.checks.membership));
      }
    }
    let count = 0;
    for await (const _ of audit.searchEvents({ query: "actor:pager", limit: 7 })) count++;
    assert.equal(count, 21);
  });

  it("answers results, root at a size, and the schema", async () => {
    const first = await audit.search({ query: "actor:pager", limit: 1 });
    const page = await audit.results({ id: first.id, offset: 20, limit: 5 });
    assert.equal(page.events.length, 1);
    const root = await audit.root(3);
    assert.equal(root.size, 3);
    assert.match(root.root_hash, /^[0-9a-f]{64}$/);
    const schema = await audit.schema();
    assert.ok(schema.fields.some((f) => f.id === "message"));
  });

  it("exports, downloads and parses the JSON file, whose records verify", async () => {
    const requestId = await audit.exportAndWait(
      { format: "json", start: "1d", order: "asc" },
      { intervalMs: 20 },
    );
    const { dest_url } = await audit.downloadResults({ request_id: requestId, format: "json" });
    const file = await audit.downloadJson(dest_url);
    assert.equal(file.events.length, 25);
    for (const event of file.events) assert.equal(verifyRecord(event, file).ok, true);
    const bytes = await audit.downloadFile(dest_url);
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b]);
  });

  it("throws ApiError with the status and the pointers of the fields at fault", async () => {
    const error = await audit.log({ message: "" }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "ValidationError");
    assert.equal(error.httpStatus, 400);
    assert.equal(error.errors.length, 1);
    assert.equal(error.errors[0]!.source, "/event/message");
    const offset = await audit
      .search({ query: "actor:pager", limit: 1 })
      .then((r) => audit.results({ id: r.id, offset: 999 }))
      .catch((e: unknown) => e);
    assert.ok(offset instanceof ApiError);
    assert.equal(offset.status, "BadOffset");
    const bad = new AuditClient({ baseUrl: server.url, token: "pts_nope" });
    const refused = await bad.log({ message: "x" }).catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.status, "Unauthorized");
    assert.throws(
      () => audit.downloadResults({} as never),
      (e: unknown) => e instanceof VeritrailError && e.code === "ERR_ARGUMENT",
    );
  });

  it("sends config_id from the client or, winning over it, from the call", async () => {
    const { result: config } = await admin.createConfig("sdk second");
    const { result: token } = await admin.createToken({
      name: "two configs",
      grants: { audit: { configs: [server.configId, config.id] } },
    });
    const ambiguous = new AuditClient({ baseUrl: server.url, token: token.token });
    const error = await ambiguous.log({ message: "where?" }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "AmbiguousConfigID");
    const pinned = new AuditClient({ baseUrl: server.url, token: token.token, configId: config.id });
    await pinned.log({ message: "to the second" });
    await pinned.log({ message: "to the first" }, { config_id: server.configId });
    assert.equal((await pinned.root()).size, 1);
    assert.ok((await pinned.root(undefined, { config_id: server.configId })).size > 1);
  });

  it("manages configurations and tokens", async () => {
    const { result: created } = await admin.createConfig("sdk managed", { hot_storage: "7d" });
    const { result: updated } = await admin.updateConfig(created.id, created.updated_at, { name: "renamed" });
    assert.equal(updated.name, "renamed");
    assert.ok((await admin.listConfigs()).result.items.some((c) => c.id === created.id));
    const { result: token } = await admin.createToken({
      name: "t",
      grants: { audit: { configs: [created.id] } },
    });
    assert.match(token.token, /^pts_/);
    const { result: rotated } = await admin.rotateToken(token.id, "1h");
    assert.notEqual(rotated.token, token.token);
    const { result: revoked } = await admin.revokeToken(token.id);
    assert.ok(revoked.revoked_at);
    assert.equal((await admin.getToken(token.id)).result.id, token.id);
    await admin.deleteConfig(created.id);
    const gone = await admin.getConfig(created.id).catch((e: unknown) => e);
    assert.ok(gone instanceof ApiError);
    assert.equal(gone.status, "NotFound");
  });

  it("sets and removes per-tenant retention overrides, answering the configuration", async () => {
    const { result: created } = await admin.createConfig("sdk tenants", {
      schema: {
        fields: [
          { id: "message", type: "text", required: true },
          { id: "tenant_id", type: "string", size: 64, partitioned: true },
        ],
      },
    });
    const { result: set } = await admin.setPartitionOverrides(created.id, {
      acme: { warm_storage: "90d", cold_storage: "16month" },
      globex: { warm_storage: "7d" },
    });
    assert.deepEqual(set.partition_overrides, {
      acme: { warm_storage: "90d", cold_storage: "16month" },
      globex: { warm_storage: "7d" },
    });
    const { result: removed } = await admin.setPartitionOverrides(created.id, { globex: null });
    assert.deepEqual(removed.partition_overrides, { acme: { warm_storage: "90d", cold_storage: "16month" } });
    const refused = await admin
      .setPartitionOverrides(created.id, { acme: { warm_storage: "11y" } })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.status, "ValidationError");
    assert.deepEqual(
      refused.errors.map((e) => [e.code, e.source]),
      [["NotWithinRange", "/overrides/acme/warm_storage"]],
    );
  });

  it("answers NotFound for a checkpoint the server has not published", async () => {
    const root = await audit.root();
    const error = await audit.checkpoint(root.tree_name, 1_000_000).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "NotFound");
    assert.equal(error.httpStatus, 404);
  });
});
