// The SDK's Verifier against a real server: roots and consistency proofs come from the server's
// own v1/root; the checkpoint endpoints are answered in front of it with notes signed here by a
// test key over those roots (standing in for the publisher, so that each way a checkpoint can be
// wrong can be served). Nothing the server says passes without a note the pinned key verifies.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  formatCheckpoint,
  formatVerifierKey,
  type PublishedRoot,
  type RecordReport,
  type SearchEvent,
  signNote,
} from "@veritrail/core";
import { NaiveTree } from "../../core/src/test-support/naive-tree.js";
import { testSigner } from "../../core/src/test-support/verifiable-file.js";
import { startTestServer, type TestServer } from "../../server/test/support/test-server.js";
import { AuditClient, Verifier } from "../src/index.js";

const signer = testSigner();
const KEY = formatVerifierKey(signer);

describe("the SDK's Verifier", () => {
  let server: TestServer;
  let plain: AuditClient;
  let hashes: string[];
  let envelopes: SearchEvent["envelope"][];
  let tree: NaiveTree;
  /** How the checkpoint endpoints answer: a note for a root, or a status. */
  let serveNote: (treeName: string, size: number, root: string) => string | number;

  const signed = (treeName: string, size: number, rootHex: string, by = signer) =>
    signNote(
      formatCheckpoint({ origin: `veritrail.test/${treeName}`, size, rootHash: Buffer.from(rootHex, "hex") }),
      by,
    );

  before(async () => {
    server = await startTestServer();
    plain = new AuditClient({ baseUrl: server.url, token: server.auditToken });
    const logged = await plain.logBulk(
      Array.from({ length: 30 }, (_, i) => ({ event: { message: `m${i}` } })),
      { verbose: true },
    );
    hashes = logged.results.map((r) => r.hash);
    envelopes = logged.results.map((r) => r.envelope!);
    tree = new NaiveTree(hashes.map((h) => Buffer.from(h, "hex")));
  });
  after(() => server.close());

  /** A client whose checkpoint endpoints answer through `serveNote`, over the server's real roots. */
  function client(): AuditClient {
    const fetch = (async (input: URL | string, init?: RequestInit) => {
      const url = new URL(String(input));
      const match = /^\/trees\/([^/]+)\/checkpoint\/(\d+)$/.exec(url.pathname);
      if (!match) return globalThis.fetch(input, init);
      const size = Number(match[2]);
      const root = await plain.root(size);
      const answer = serveNote(decodeURIComponent(match[1]!), size, root.root_hash);
      if (typeof answer === "number") {
        const body = {
          request_id: "prq_x",
          request_time: "",
          response_time: "",
          status: "NotFound",
          summary: "none",
          result: null,
        };
        return new Response(JSON.stringify(body), { status: answer });
      }
      return new Response(answer, { status: 200, headers: { "content-type": "text/plain" } });
    }) as typeof globalThis.fetch;
    return new AuditClient({ baseUrl: server.url, token: server.auditToken, fetch });
  }

  /** A verbose page as a server publishing at `published` would answer it, from the real records. */
  async function page(published: number, indices: number[]) {
    const root = await plain.root(published);
    const current = await plain.root();
    const events: SearchEvent[] = indices.map((i) => {
      const isPublished = i < published;
      return {
        envelope: envelopes[i]!,
        hash: hashes[i]!,
        membership_proof: tree.membershipProof(i, isPublished ? published : current.size),
        published: isPublished,
        ...(isPublished ? { leaf_index: i } : {}),
      };
    });
    return {
      events,
      root: { ...root, published_at: root.published_at } as PublishedRoot,
      unpublished_root: { tree_name: current.tree_name, size: current.size, root_hash: current.root_hash },
    };
  }

  const statuses = (r: RecordReport) =>
    Object.fromEntries(Object.entries(r.checks).map(([k, v]) => [k, v.status]));

  it("passes a published page whose root the pinned key signed, and links later checkpoints to it", async () => {
    serveNote = (name, size, root) => signed(name, size, root);
    const verifier = new Verifier(client(), { verifierKey: KEY });
    const reports = await verifier.verifyPage(await page(20, [0, 5, 19, 25, 29]));
    assert.deepEqual(statuses(reports[1]!), {
      hash: "pass",
      membership: "pass",
      checkpoint: "pass",
      consistency: "none",
      signature: "none",
    });
    assert.deepEqual(statuses(reports[3]!), {
      hash: "pass",
      membership: "pass",
      checkpoint: "none",
      consistency: "none",
      signature: "none",
    });
    // A later checkpoint is linked to the one held, through the server's v1/root proofs.
    const later = await verifier.verifyPage(await page(26, [3]));
    assert.equal(later[0]!.checks.consistency.status, "pass", later[0]!.checks.consistency.reason);
    assert.deepEqual(
      verifier.held((await plain.root()).tree_name).map((h) => h.size),
      [20, 26],
    );
  });

  it("fails a root whose checkpoint another key signed, or that the server lacks", async () => {
    serveNote = (name, size, root) => signed(name, size, root, testSigner());
    const foreign = await new Verifier(client(), { verifierKey: KEY }).verifyPage(await page(20, [4]));
    assert.equal(foreign[0]!.checks.checkpoint.status, "fail");
    assert.match(foreign[0]!.checks.checkpoint.reason ?? "", /does not verify with the pinned key/);
    assert.equal(foreign[0]!.ok, false);
    serveNote = () => 404;
    const missing = await new Verifier(client(), { verifierKey: KEY }).verifyPage(await page(20, [4]));
    assert.match(missing[0]!.checks.checkpoint.reason ?? "", /no signed checkpoint at size 20/);
  });

  it("fails a page whose root is not the one the signed checkpoint says", async () => {
    serveNote = (name, size) => signed(name, size, tree.root(size - 1).toString("hex"));
    const reports = await new Verifier(client(), { verifierKey: KEY }).verifyPage(await page(20, [4]));
    assert.equal(reports[0]!.checks.checkpoint.status, "fail");
    assert.match(reports[0]!.checks.checkpoint.reason ?? "", /the signed checkpoint says root/);
  });

  it("fails a checkpoint inconsistent with one pinned earlier (a forked log)", async () => {
    serveNote = (name, size, root) => signed(name, size, root);
    const treeName = (await plain.root()).tree_name;
    const forked = signed(treeName, 12, "ab".repeat(32));
    const verifier = new Verifier(client(), { verifierKey: KEY, pinned: [forked] });
    const reports = await verifier.verifyPage(await page(20, [1]));
    assert.equal(reports[0]!.checks.checkpoint.status, "pass");
    assert.equal(reports[0]!.checks.consistency.status, "fail");
    assert.match(reports[0]!.checks.consistency.reason ?? "", /from size 12 to size 13 does not lead/);
    // The honest checkpoint at the same size passes.
    const honest = new Verifier(client(), {
      verifierKey: KEY,
      pinned: [signed(treeName, 12, tree.root(12).toString("hex"))],
    });
    assert.equal((await honest.verifyPage(await page(20, [1])))[0]!.checks.consistency.status, "pass");
  });

  it("says none, and why, when checkpoints are too far apart to chain", async () => {
    serveNote = (name, size, root) => signed(name, size, root);
    const treeName = (await plain.root()).tree_name;
    const verifier = new Verifier(client(), {
      verifierKey: KEY,
      pinned: [signed(treeName, 2, tree.root(2).toString("hex"))],
      maxConsistencySteps: 5,
    });
    const [report] = await verifier.verifyPage(await page(20, [1]));
    assert.equal(report!.checks.consistency.status, "none");
    assert.match(report!.checks.consistency.reason ?? "", /18 roots apart, more than 5/);
  });
});

describe("the SDK's Verifier on a publishing server", () => {
  let server: TestServer;
  let audit: AuditClient;
  let key: string;

  before(async () => {
    server = await startTestServer();
    audit = new AuditClient({ baseUrl: server.url, token: server.auditToken });
    key = await server.service.publishing.view.verifierKey();
    const log = (from: number, to: number) =>
      audit.logBulk(
        Array.from({ length: to - from }, (_, i) => ({ event: { message: `p${from + i}`, actor: "pub" } })),
      );
    await log(0, 10);
    await server.service.publishing.publisher.publishNow();
    await log(10, 15);
    await server.service.publishing.publisher.publishNow();
    await log(15, 18);
  });
  after(() => server.close());

  it("passes every published record against the server's own signed checkpoint, and the newest as unpublished", async () => {
    assert.equal(await audit.verifierKey(), key);
    const treeName = (await audit.root()).tree_name;
    const held = await audit.checkpoint(treeName, 10);
    const verifier = new Verifier(audit, { verifierKey: key, pinned: [held] });
    const statusesOf = new Map<number | undefined, string>();
    let published = 0;
    for await (const page of audit.searchPages({ query: "actor:pub", limit: 7, order: "asc" })) {
      assert.equal(page.root?.size, 15);
      for (const report of await verifier.verifyPage(page)) {
        assert.equal(report.ok, true, JSON.stringify(report.checks));
        if (report.leaf_index !== undefined) published++;
        statusesOf.set(
          report.leaf_index,
          `${report.checks.checkpoint.status}/${report.checks.consistency.status}`,
        );
      }
    }
    assert.equal(published, 15);
    assert.equal(statusesOf.get(0), "pass/pass");
    assert.equal(statusesOf.get(undefined), "none/none");
    assert.deepEqual(
      verifier.held(treeName).map((h) => h.size),
      [10, 15],
    );
  });
});
