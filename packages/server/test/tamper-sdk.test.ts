// Tampering with the store, seen by the official Node SDK (issue 10 §5, the official SDK's side):
// someone with access to the database changes it behind the server's back, and a search with
// verifyConsistency reports it, naming the record (its membership or consistency "fail", or the
// hash in the SDK's hash error). Each case has a server of its own with 8 published records and 2
// newer ones. Run on SQLite by default and on PostgreSQL in the integration pass.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { canonicalEnvelope, formatReceivedAt, sha256Hex } from "@veritrail/core";
import { type Audit, AuditService, PangeaConfig, PangeaErrors } from "pangea-node-sdk";
import { redirectArweave } from "./support/arweave.js";
import { rawSql } from "./support/raw-sql.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const PUBLISHED = 8;
const TOTAL = 10;

describe("tampering seen by pangea-node-sdk 5.6.0", () => {
  let server: TestServer;
  let audit: AuditService;
  let arweave: ReturnType<typeof redirectArweave>;
  let treeId: number;

  beforeEach(async () => {
    server = await startTestServer();
    arweave = redirectArweave();
    audit = new AuditService(
      server.auditToken,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
    );
    treeId = (await server.service.store.log.getTreeHead(server.configId))!.id;
    const events = Array.from({ length: TOTAL }, (_, i) => ({ event: { message: `tamper-${i}` } }));
    const log = (slice: typeof events) =>
      postJson(`${server.url}/v2/log`, { events: slice }, server.auditToken);
    assert.equal((await log(events.slice(0, PUBLISHED))).body.status, "Success");
    assert.equal((await server.service.publishing.publisher.publishNow())[0]?.size, PUBLISHED);
    assert.equal((await log(events.slice(PUBLISHED))).body.status, "Success");
  });

  afterEach(async () => {
    arweave.restore();
    await server.close();
  });

  /** Every record's checks, by leaf position (the search is oldest first). */
  async function verified(): Promise<{ membership: string[]; consistency: string[] }> {
    const response = await audit.search(
      'message:""',
      { order: "asc", limit: TOTAL, verbose: true },
      { verifyConsistency: true },
    );
    const events: Audit.AuditRecord[] = response.result.events;
    assert.equal(events.length, TOTAL);
    return {
      membership: events.map((e) => String(e.membership_verification)),
      consistency: events.map((e) => String(e.consistency_verification)),
    };
  }

  /** The checks with every record sound, and with `fails` failing membership. */
  function expected(fails: number[]): string[] {
    return Array.from({ length: TOTAL }, (_, i) => (fails.includes(i) ? "fail" : "pass"));
  }
  /** The consistency checks with `fails` failing: published records pass, newer ones have none. */
  function consistencyFailing(fails: number[]): string[] {
    return Array.from({ length: TOTAL }, (_, i) =>
      i >= PUBLISHED ? "none" : fails.includes(i) ? "fail" : "pass",
    );
  }
  const soundConsistency = consistencyFailing([]);

  it("reports nothing on an untouched store", async () => {
    assert.deepEqual(await verified(), { membership: expected([]), consistency: soundConsistency });
  });

  it("names the record whose stored envelope had one byte changed (a hash error)", async () => {
    const [row] = await rawSql(server, "SELECT hash FROM events WHERE tree_id = ? AND leaf_index = 3", [
      treeId,
    ]);
    await rawSql(
      server,
      "UPDATE events SET envelope = replace(envelope, 'tamper-3', 'tamper-X') WHERE tree_id = ? AND leaf_index = 3",
      [treeId],
    );
    await assert.rejects(verified(), (error: unknown) => {
      assert.ok(error instanceof PangeaErrors.AuditEventError, String(error));
      assert.match(error.message, new RegExp(Buffer.from(row!["hash"] as Buffer).toString("hex")));
      return true;
    });
  });

  it("names a forged record whose hash was recomputed to match it (membership fail)", async () => {
    const [row] = await rawSql(
      server,
      "SELECT received_at FROM events WHERE tree_id = ? AND leaf_index = 5",
      [treeId],
    );
    const envelope = canonicalEnvelope({
      event: { message: "tamper-5 forged" },
      received_at: formatReceivedAt(Number(row!["received_at"])),
    });
    await rawSql(server, "UPDATE events SET envelope = ?, hash = ? WHERE tree_id = ? AND leaf_index = 5", [
      envelope,
      Buffer.from(sha256Hex(envelope), "hex"),
      treeId,
    ]);
    // Leaf 4's proof folds the forged hash as its sibling, so it fails beside leaf 5; the root at
    // size 6 (leaf 5's size + 1) holds the original hash, so the forged one's consistency fails.
    assert.deepEqual(await verified(), {
      membership: expected([4, 5]),
      consistency: consistencyFailing([5]),
    });
  });

  it("names both records of two swapped rows (membership fail)", async () => {
    const rows = await rawSql(
      server,
      "SELECT leaf_index, envelope, hash FROM events WHERE tree_id = ? AND leaf_index IN (2, 6) ORDER BY leaf_index",
      [treeId],
    );
    for (const [to, from] of [
      [2, rows[1]!],
      [6, rows[0]!],
    ] as const) {
      await rawSql(server, "UPDATE events SET envelope = ?, hash = ? WHERE tree_id = ? AND leaf_index = ?", [
        from["envelope"],
        from["hash"],
        treeId,
        to,
      ]);
    }
    // Each swapped row's neighbour folds the other's hash as its sibling, so it fails too; the
    // roots at sizes 3 and 7 (a leaf's own size + 1) fold a moved hash, so consistency fails there.
    assert.deepEqual(await verified(), {
      membership: expected([2, 3, 6, 7]),
      consistency: consistencyFailing([3, 7]),
    });
  });

  it("names the records whose proofs pass through a changed node hash (membership fail)", async () => {
    // The subtree of leaves [0, 2) is the sibling on the paths of leaves 2 and 3 only. The roots at
    // sizes 2 and 3 fold it: the proofs 1 → 2 and 3 → 4 (checked for leaves 1 and 3) fail, while
    // 2 → 3 agrees with both changed roots.
    await rawSql(server, "UPDATE merkle_nodes SET hash = ? WHERE tree_id = ? AND level = 1 AND idx = 0", [
      Buffer.alloc(32, 1),
      treeId,
    ]);
    assert.deepEqual(await verified(), {
      membership: expected([2, 3]),
      consistency: consistencyFailing([1, 3]),
    });
  });

  it("names every published record, and the consistency into it, when the published root is replaced", async () => {
    await rawSql(server, "UPDATE checkpoints SET root_hash = ? WHERE tree_id = ?", [
      Buffer.alloc(32, 2),
      treeId,
    ]);
    const checks = await verified();
    assert.deepEqual(checks.membership, expected([0, 1, 2, 3, 4, 5, 6, 7]));
    // The root at size 8 is the replaced one, so the proof from size 7 to it fails.
    assert.equal(checks.consistency[PUBLISHED - 1], "fail");
  });

  it("fails the search when a deleted row leaves a proof that cannot be computed", async () => {
    // Leaf 4's hash is the sibling on leaf 5's path; its row is gone.
    await rawSql(server, "DELETE FROM events WHERE tree_id = ? AND leaf_index = 4", [treeId]);
    await assert.rejects(verified(), (error: unknown) => {
      assert.ok(error instanceof PangeaErrors.APIError, String(error));
      assert.equal(error.pangeaResponse.status, "InternalError");
      return true;
    });
  });
});
