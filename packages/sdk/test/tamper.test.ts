// Tampering with a real store, past the server, as someone with access to the database would
// (on the backend the run selects: VERITRAIL_TEST_STORE=postgres runs it on PostgreSQL). After
// each change the log is exported as a verifiable file, and both the SDK's Verifier and
// `veritrail verify` must report it and name the record or checkpoint; none goes unnoticed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  canonicalEnvelope,
  type FileReport,
  formatCheckpoint,
  formatSignerKey,
  formatVerifierKey,
  hashEnvelope,
  signNote,
} from "@veritrail/core";
import { runCliInProcess } from "../../cli/test/support/cli.js";
import { testSigner } from "../../core/src/test-support/verifiable-file.js";
import { rawSql } from "../../server/test/support/raw-sql.js";
import { startTestServer, type TestServer } from "../../server/test/support/test-server.js";
import { AdminClient, AuditClient, gunzipText, Verifier } from "../src/index.js";

const ORIGIN = "veritrail.test";
const signer = testSigner(ORIGIN);
const KEY = formatVerifierKey(signer);

interface Log {
  server: TestServer;
  audit: AuditClient;
  treeId: number;
  treeName: string;
  /** The checkpoint at size 20, as a client that saw the log then holds it. */
  held: string;
}

interface Outcome {
  sdk: FileReport;
  cli: FileReport;
  code: number | null;
}

/** Whether a report names leaf `index`: as a failing record, or in the range it misses. */
function names(report: FileReport, index: number): boolean {
  return (
    report.failures.some((f) => f.leaf_index === index) ||
    new RegExp(`(^|[ ,-])${index}($|[,-])`).test(report.contiguity.reason?.split(": ").at(-1) ?? "")
  );
}

describe("tampering with a stored log", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "veritrail-tamper-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A log of 40 events: checkpoints at 20 and 32, the last 8 not yet published. */
  async function makeLog(): Promise<Log> {
    const server = await startTestServer({
      VERITRAIL_ORIGIN: ORIGIN,
      VERITRAIL_CHECKPOINT_KEY: formatSignerKey(signer),
    });
    const audit = new AuditClient({ baseUrl: server.url, token: server.auditToken });
    const batch = (from: number, to: number) =>
      audit.logBulk(Array.from({ length: to - from }, (_, i) => ({ event: { message: `m${from + i}` } })));
    await batch(0, 20);
    await server.service.publishing.publisher.publishNow();
    const treeName = (await audit.root()).tree_name;
    const held = await audit.checkpoint(treeName, 20);
    await batch(20, 32);
    await server.service.publishing.publisher.publishNow();
    await batch(32, 40);
    const [tree] = await rawSql(server, "SELECT id FROM trees WHERE tree_name = ?", [treeName]);
    return { server, audit, treeId: Number(tree!["id"]), treeName, held };
  }

  /** Tampers, exports, and verifies the export with the SDK and with the CLI. */
  async function afterTampering(
    tamper: (log: Log) => Promise<void>,
    pinned?: (log: Log) => string,
  ): Promise<Outcome> {
    const log = await makeLog();
    try {
      await tamper(log);
      const requestId = await log.audit.exportAndWait(
        { format: "json", start: "1d", order: "asc" },
        { intervalMs: 20 },
      );
      const { dest_url } = await log.audit.downloadResults({ request_id: requestId, format: "json" });
      const bytes = await log.audit.downloadFile(dest_url);
      const path = join(dir, `${requestId}.json.gz`);
      writeFileSync(path, bytes);
      const pin = pinned ? pinned(log) : log.held;
      const pinPath = join(dir, `${requestId}.note`);
      writeFileSync(pinPath, pin);
      const file = JSON.parse(await gunzipText(bytes));
      const sdk = await new Verifier(log.audit, { verifierKey: KEY, pinned: [pin] }).verifyFile(file);
      const run = await runCliInProcess(["verify", path, "--key", KEY, "--pin", pinPath, "--json"], {});
      return { sdk, cli: JSON.parse(run.stdout) as FileReport, code: run.code };
    } finally {
      await log.server.close();
    }
  }

  /** Both verifiers failed the file, the CLI exiting 1. */
  function bothFail(outcome: Outcome): FileReport[] {
    assert.equal(outcome.sdk.ok, false, "the SDK noticed");
    assert.equal(outcome.cli.ok, false, "the CLI noticed");
    assert.equal(outcome.code, 1);
    return [outcome.sdk, outcome.cli];
  }

  it("verifies the untouched log with both", async () => {
    const outcome = await afterTampering(async () => {});
    assert.equal(outcome.sdk.ok, true, JSON.stringify(outcome.sdk, null, 1));
    assert.equal(outcome.cli.ok, true);
    assert.equal(outcome.code, 0);
    assert.equal(outcome.sdk.records, 40);
    assert.deepEqual(outcome.sdk.pinned, [{ size: 20, status: "pass" }]);
  });

  it("verifies a log with an erased record, showing the record as erased rather than failed", async () => {
    const outcome = await afterTampering(async ({ server }) => {
      const admin = new AdminClient({ baseUrl: server.url, adminToken: server.adminToken });
      const { result } = await admin.call<{ count: number }>("v1/admin/erase", {
        config_id: server.configId,
        query: "message:m13",
        reason: "a request to erase",
      });
      assert.equal(result.count, 1);
    });
    for (const report of [outcome.sdk, outcome.cli]) {
      assert.equal(report.ok, true, JSON.stringify(report.failures));
      assert.equal(report.totals.hash.none, 1);
      assert.equal(report.totals.membership.pass, 40);
    }
    assert.equal(outcome.code, 0);
  });

  it("names the record one byte of whose stored envelope changed", async () => {
    const outcome = await afterTampering(async ({ server, treeId }) => {
      const [row] = await rawSql(server, "SELECT envelope FROM events WHERE tree_id = ? AND leaf_index = 5", [
        treeId,
      ]);
      const changed = String(row!["envelope"]).replace('"m5"', '"m6"');
      await rawSql(server, "UPDATE events SET envelope = ? WHERE tree_id = ? AND leaf_index = 5", [
        changed,
        treeId,
      ]);
    });
    for (const report of bothFail(outcome)) {
      assert.deepEqual(
        report.failures.map((f) => [f.leaf_index, f.failed[0]!.check]),
        [[5, "hash"]],
      );
    }
  });

  it("names the leaf index of a deleted row", async () => {
    const outcome = await afterTampering(async ({ server, treeId }) => {
      await rawSql(server, "DELETE FROM events WHERE tree_id = ? AND leaf_index = 9", [treeId]);
    });
    for (const report of bothFail(outcome)) assert.ok(names(report, 9), JSON.stringify(report.contiguity));
  });

  it("names a forged row put in the place of a real one", async () => {
    const outcome = await afterTampering(async ({ server, treeId }) => {
      const [row] = await rawSql(
        server,
        "SELECT received_at, envelope FROM events WHERE tree_id = ? AND leaf_index = 7",
        [treeId],
      );
      const envelope = JSON.parse(String(row!["envelope"]));
      envelope.event.message = "forged";
      const hash = Buffer.from(hashEnvelope(envelope), "hex");
      await rawSql(server, "DELETE FROM events WHERE tree_id = ? AND leaf_index = 7", [treeId]);
      await rawSql(
        server,
        "INSERT INTO events (tree_id, leaf_index, received_at, hash, envelope) VALUES (?, ?, ?, ?, ?)",
        [treeId, 7, row!["received_at"], hash, canonicalEnvelope(envelope)],
      );
    });
    for (const report of bothFail(outcome)) {
      // Its neighbour fails too: the server builds the neighbour's proof from the forged hash.
      const failed = report.failures.find((f) => f.leaf_index === 7);
      assert.deepEqual(
        failed?.failed.map((x) => x.check),
        ["membership"],
      );
    }
  });

  it("names both rows of a swap", async () => {
    const outcome = await afterTampering(async ({ server, treeId }) => {
      const rows = await rawSql(
        server,
        "SELECT leaf_index, hash, envelope FROM events WHERE tree_id = ? AND leaf_index IN (3, 4) ORDER BY leaf_index",
        [treeId],
      );
      for (const [i, row] of rows.entries()) {
        const other = rows[1 - i]!;
        await rawSql(
          server,
          "UPDATE events SET hash = ?, envelope = ? WHERE tree_id = ? AND leaf_index = ?",
          [other["hash"], other["envelope"], treeId, row["leaf_index"]],
        );
      }
    });
    for (const report of bothFail(outcome)) {
      for (const index of [3, 4]) assert.ok(names(report, index), `leaf ${index}`);
    }
  });

  it("names the records whose proofs run through a changed node", async () => {
    const outcome = await afterTampering(async ({ server, treeId }) => {
      await rawSql(server, "UPDATE merkle_nodes SET hash = ? WHERE tree_id = ? AND level = 2 AND idx = 1", [
        Buffer.alloc(32, 7),
        treeId,
      ]);
    });
    for (const report of bothFail(outcome)) {
      for (const index of [0, 1, 2, 3]) assert.ok(names(report, index), `leaf ${index}`);
    }
  });

  it("reports a stored checkpoint replaced by one another key signed", async () => {
    const outcome = await afterTampering(async ({ server, treeId, treeName }) => {
      const [row] = await rawSql(
        server,
        "SELECT root_hash FROM checkpoints WHERE tree_id = ? AND size = 32",
        [treeId],
      );
      const body = formatCheckpoint({
        origin: `${ORIGIN}/${treeName}`,
        size: 32,
        rootHash: row!["root_hash"] as Buffer,
      });
      await rawSql(server, "UPDATE checkpoints SET note = ? WHERE tree_id = ? AND size = 32", [
        signNote(body, testSigner(ORIGIN)),
        treeId,
      ]);
    });
    for (const report of bothFail(outcome)) {
      assert.equal(report.checkpoints.find((c) => c.size === 32)?.status, "fail");
      assert.match(report.checkpoints[0]!.reason ?? "", /does not verify with the pinned key/);
      assert.equal(report.root.status, "fail");
    }
  });

  it("reports a stored published root replaced", async () => {
    const outcome = await afterTampering(async ({ server, treeId }) => {
      await rawSql(server, "UPDATE checkpoints SET root_hash = ? WHERE tree_id = ? AND size = 32", [
        Buffer.alloc(32, 9),
        treeId,
      ]);
    });
    for (const report of bothFail(outcome)) {
      const why = [report.root.reason, ...report.failures.flatMap((f) => f.failed.map((x) => x.reason))].join(
        "\n",
      );
      assert.match(why, /size 32|0909/);
    }
  });

  it("reports a log that forked from the checkpoint a client held, though the server's key signed both", async () => {
    const outcome = await afterTampering(
      async () => {},
      ({ treeName }) =>
        signNote(
          formatCheckpoint({ origin: `${ORIGIN}/${treeName}`, size: 20, rootHash: Buffer.alloc(32, 1) }),
          signer,
        ),
    );
    for (const report of bothFail(outcome)) {
      assert.equal(report.pinned[0]!.status, "fail");
      assert.match(report.pinned[0]!.reason ?? "", /at size 20, not the pinned/);
    }
  });
});
