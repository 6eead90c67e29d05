// The verifiable JSON file (docs/design/exports.md): downloads with `format: json` and JSON
// exports carry the signed checkpoints, the consistency proofs linking them to the file's
// unpublished root, and every record with its leaf index and proof; a damaged store still
// exports, each record whose proof cannot be computed named by `proof_error`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import {
  canonicalEnvelope,
  type Envelope,
  sha256Hex,
  verifyConsistency,
  verifyMembership,
} from "@veritrail/core";
import { openCheckpoint } from "./support/notes.js";
import { rawSql } from "./support/raw-sql.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

/** The file as the brief of the format has it. */
interface VerifiableFile {
  tree_name: string;
  checkpoints: { size: number; published_at: string; note: string }[];
  consistency: { from_size: number; to_size: number; consistency_proof: string[] }[];
  root?: { tree_name: string; size: number; root_hash: string; published_at: string };
  unpublished_root?: { tree_name: string; size: number; root_hash: string };
  events: {
    envelope: Envelope;
    hash: string;
    leaf_index: number;
    membership_proof?: string;
    published: boolean;
    proof_error?: string;
  }[];
  count: number;
}

describe("the verifiable JSON file", () => {
  let server: TestServer;
  let verifierKey: string;
  let treeId: number;

  async function api(path: string, body: unknown) {
    const response = await postJson(`${server.url}${path}`, body, server.auditToken);
    return response;
  }

  async function fetchFile(body: Record<string, unknown>): Promise<VerifiableFile> {
    const link = await api("/v1/download_results", { format: "json", ...body });
    assert.equal(link.body.status, "Success", JSON.stringify(link.body));
    const response = await fetch(link.body.result.dest_url);
    assert.equal(response.status, 200);
    return JSON.parse(
      gunzipSync(Buffer.from(await response.arrayBuffer())).toString("utf8"),
    ) as VerifiableFile;
  }

  async function exportFile(): Promise<VerifiableFile> {
    const accepted = await api("/v1/export", { format: "json", verbose: true });
    assert.equal(accepted.status, 202);
    const id = accepted.body.request_id as string;
    for (let i = 0; i < 500; i++) {
      const polled = await fetch(`${server.url}/request/${id}`, {
        headers: { authorization: `Bearer ${server.auditToken}` },
      });
      const body = (await polled.json()) as { status: string };
      if (body.status === "Success") return fetchFile({ request_id: id });
      assert.equal(body.status, "Accepted", JSON.stringify(body));
      await sleep(10);
    }
    assert.fail("the export did not finish");
  }

  /** What an offline verifier checks, asserted; returns the leaf indices in file order. */
  function verify(file: VerifiableFile): number[] {
    assert.equal(file.count, file.events.length);
    const last = file.checkpoints.at(-1);
    assert.ok(last && file.root, "a file of a published tree carries its latest checkpoint");
    const opened = openCheckpoint(last.note, verifierKey);
    assert.deepEqual(
      { size: opened.size, root_hash: opened.rootHash, published_at: last.published_at },
      { size: file.root.size, root_hash: file.root.root_hash, published_at: file.root.published_at },
    );
    if (file.unpublished_root) {
      const link = file.consistency.find(
        (c) => c.from_size === last.size && c.to_size === file.unpublished_root!.size,
      );
      assert.ok(link, "the last checkpoint is linked to the unpublished root");
      assert.ok(
        verifyConsistency({
          oldRoot: file.root.root_hash,
          newRoot: file.unpublished_root.root_hash,
          proof: link.consistency_proof,
        }),
      );
    }
    for (const event of file.events) {
      assert.equal(sha256Hex(canonicalEnvelope(event.envelope)), event.hash);
      assert.equal(event.published, event.leaf_index < file.root.size);
      const rootHash = event.published ? file.root.root_hash : file.unpublished_root!.root_hash;
      assert.ok(
        verifyMembership({ leafHash: event.hash, rootHash, proof: event.membership_proof! }),
        `leaf ${event.leaf_index}`,
      );
    }
    return file.events.map((e) => e.leaf_index);
  }

  before(async () => {
    // The last tests damage the database behind the server: it must read every hash anew.
    server = await startTestServer({}, { nodeCacheEntries: 0 });
    verifierKey = await server.service.publishing.view.verifierKey();
    treeId = (await server.service.store.log.getTreeHead(server.configId))!.id;
    const events = Array.from({ length: 12 }, (_, i) => ({ event: { message: `file-${i}` } }));
    assert.equal((await api("/v2/log", { events: events.slice(0, 7) })).body.status, "Success");
    await server.service.publishing.publisher.publishNow();
    assert.equal((await api("/v2/log", { events: events.slice(7) })).body.status, "Success");
  });
  after(() => server.close());

  it("downloads a search's results with the checkpoint, the link to the unpublished root and every proof", async () => {
    const search = await api("/v1/search", { query: "message:file-", order: "desc", limit: 2 });
    const file = await fetchFile({ result_id: search.body.result.id });
    assert.equal(file.tree_name, file.root!.tree_name);
    assert.deepEqual(file.root!.size, 7);
    assert.deepEqual(file.unpublished_root!.size, 12);
    assert.deepEqual(verify(file), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it("exports every record in one contiguous range of leaf indices, proved the same way", async () => {
    const file = await exportFile();
    assert.deepEqual(
      verify(file),
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it("has no unpublished root and no link once everything is published", async () => {
    await server.service.publishing.publisher.publishNow();
    const file = await exportFile();
    assert.equal(file.unpublished_root, undefined);
    assert.deepEqual(file.consistency, []);
    assert.equal(file.root!.size, 12);
    assert.equal(verify(file).length, 12);
  });

  it("still exports a damaged store, naming each record whose proof cannot be computed", async () => {
    // The subtree hash of leaves [4, 6) is gone: only the proofs of leaves 6 and 7 need it.
    await rawSql(server, "DELETE FROM merkle_nodes WHERE tree_id = ? AND level = 1 AND idx = 2", [treeId]);
    const file = await exportFile();
    assert.equal(file.count, 12, "no record is dropped");
    const failing = file.events.filter((e) => e.proof_error !== undefined).map((e) => e.leaf_index);
    assert.deepEqual(failing, [6, 7]);
    for (const event of file.events) {
      assert.equal(sha256Hex(canonicalEnvelope(event.envelope)), event.hash);
      if (event.proof_error !== undefined) {
        assert.equal(event.membership_proof, undefined);
        assert.match(event.proof_error, /no stored hash/);
      } else {
        assert.ok(
          verifyMembership({
            leafHash: event.hash,
            rootHash: file.root!.root_hash,
            proof: event.membership_proof!,
          }),
        );
      }
    }
  });

  it("still exports a store with a deleted record, the gap showing in the leaf indices", async () => {
    await rawSql(server, "DELETE FROM events WHERE tree_id = ? AND leaf_index = 9", [treeId]);
    const file = await exportFile();
    assert.equal(file.count, 11);
    const indices = file.events.map((e) => e.leaf_index);
    assert.deepEqual(indices, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
    // Leaf 8's proof needs leaf 9's hash, which went with its row.
    assert.match(file.events.find((e) => e.leaf_index === 8)!.proof_error ?? "", /no stored hash/);
  });
});
