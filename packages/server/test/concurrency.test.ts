// Many clients appending at once: group commit must give every acknowledged event exactly one
// leaf, keep received_at strictly increasing along the tree, and hand each caller a root and a
// proof that agree with the tree as stored (architecture "Ingestion path", wire-protocol §4.1).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CompactRange, canonicalize, type Envelope, sha256Hex, verifyMembership } from "@veritrail/core";
import type { ApiResponse } from "./support/api-assertions.js";
import { assertEnvelope } from "./support/api-assertions.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const WORKERS = 40;
const ROUNDS = 2;

/** What one acknowledged request told its caller. */
interface Acknowledged {
  /** Hashes in request order. */
  hashes: string[];
  /** Envelopes when the answer carried them (verbose). */
  envelopes?: Envelope[];
  /** For verbose v1/log: the root and proof it answered. */
  unpublishedRoot?: string;
  membershipProof?: string;
}

describe("concurrent appends", () => {
  let server: TestServer;
  const acknowledged: Acknowledged[] = [];

  before(async () => {
    server = await startTestServer();
    const post = async (path: string, body: unknown): Promise<ApiResponse> => {
      const response = await postJson(`${server.url}${path}`, body, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.body.status, "Success", JSON.stringify(response.body));
      return response;
    };
    // Each worker alternates verbose v1/log with v2/log batches of 1 to 6 events, half verbose.
    const worker = async (w: number) => {
      for (let round = 0; round < ROUNDS; round++) {
        const single = await post("/v1/log", {
          event: { message: `worker ${w} round ${round} single`, actor: `w${w}` },
          verbose: true,
        });
        const r = single.body.result;
        acknowledged.push({
          hashes: [r.hash],
          envelopes: [r.envelope],
          unpublishedRoot: r.unpublished_root,
          membershipProof: r.membership_proof,
        });
        const count = 1 + ((w + round) % 6);
        const verbose = (w + round) % 2 === 0;
        const events = Array.from({ length: count }, (_, i) => ({
          event: { message: `worker ${w} round ${round} bulk ${i}`, actor: `w${w}` },
        }));
        const bulk = await post("/v2/log", { events, verbose });
        const results = bulk.body.result.results as { hash: string; envelope?: Envelope }[];
        assert.equal(results.length, count);
        acknowledged.push({
          hashes: results.map((x) => x.hash),
          ...(verbose ? { envelopes: results.map((x) => x.envelope!) } : {}),
        });
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  });
  after(() => server.close());

  /** Every stored leaf, by index, with its parsed envelope. */
  async function readLeaves(): Promise<
    { hash: string; text: string; envelope: Envelope; receivedAt: number }[]
  > {
    const store = server.service.store;
    const head = (await store.log.getTreeHead(server.configId))!;
    const leaves = [];
    for (let i = 0; i < head.size; i++) {
      const leaf = await store.log.getLeaf(head.id, i);
      assert.ok(leaf, `leaf ${i} exists`);
      assert.equal(leaf.leafIndex, i);
      leaves.push({
        hash: leaf.hash.toString("hex"),
        text: leaf.envelope,
        envelope: JSON.parse(leaf.envelope) as Envelope,
        receivedAt: leaf.receivedAt,
      });
    }
    assert.equal(await store.log.getLeaf(head.id, head.size), undefined, "no leaf beyond the head");
    return leaves;
  }

  it("the tree's size equals the number of acknowledged events", async () => {
    const total = acknowledged.reduce((sum, a) => sum + a.hashes.length, 0);
    assert.ok(total >= 300, `a few hundred events (${total})`);
    const root = await postJson(`${server.url}/v1/root`, {}, server.auditToken);
    assert.equal(root.body.status, "Success");
    assert.equal(root.body.result.data.size, total);
  });

  it("every acknowledged event sits at exactly one leaf, and every leaf was acknowledged", async () => {
    const leaves = await readLeaves();
    const indexOf = new Map<string, number>();
    leaves.forEach((leaf, i) => {
      assert.equal(sha256Hex(leaf.text), leaf.hash, `leaf ${i} hash is its envelope's`);
      assert.equal(indexOf.has(leaf.hash), false, `leaf ${i} is not a duplicate`);
      indexOf.set(leaf.hash, i);
    });
    const acked = acknowledged.flatMap((a) => a.hashes);
    assert.equal(new Set(acked).size, acked.length, "no hash was acknowledged twice");
    assert.deepEqual([...acked].sort(), [...indexOf.keys()].sort());
    for (const a of acknowledged) {
      // A request's events keep their order, and an answered envelope is the stored one.
      const indices = a.hashes.map((h) => indexOf.get(h)!);
      for (let i = 1; i < indices.length; i++) assert.ok(indices[i]! > indices[i - 1]!);
      a.envelopes?.forEach((envelope, i) => {
        assert.equal(canonicalize(envelope), leaves[indices[i]!]!.text);
      });
    }
  });

  it("received_at strictly increases along the leaf index", async () => {
    const leaves = await readLeaves();
    for (let i = 1; i < leaves.length; i++) {
      assert.ok(leaves[i]!.receivedAt > leaves[i - 1]!.receivedAt, `leaf ${i} after leaf ${i - 1}`);
      assert.ok(leaves[i]!.envelope.received_at > leaves[i - 1]!.envelope.received_at);
    }
  });

  it("every verbose proof verifies against its unpublished_root, which is the v1/root root at its size", async () => {
    const leaves = await readLeaves();
    // The root at every size, folded here from the stored leaves.
    const sizeOfRoot = new Map<string, number>();
    const range = new CompactRange();
    for (const leaf of leaves) {
      range.append(Buffer.from(leaf.hash, "hex"));
      sizeOfRoot.set(range.root()!.toString("hex"), range.size);
    }
    const indexOf = new Map(leaves.map((leaf, i) => [leaf.hash, i]));
    const checkedSizes = new Map<number, string>();
    const singles = acknowledged.filter((a) => a.unpublishedRoot !== undefined);
    assert.equal(singles.length, WORKERS * ROUNDS);
    for (const a of singles) {
      const [hash] = a.hashes;
      assert.ok(
        verifyMembership({ leafHash: hash!, rootHash: a.unpublishedRoot!, proof: a.membershipProof! }),
        `membership of ${hash}`,
      );
      const size = sizeOfRoot.get(a.unpublishedRoot!);
      assert.ok(size !== undefined, "the answered root is the root of some prefix of the tree");
      assert.ok(size > indexOf.get(hash!)!, "that prefix holds the event");
      checkedSizes.set(size, a.unpublishedRoot!);
    }
    for (const [size, rootHash] of checkedSizes) {
      const root = await postJson(`${server.url}/v1/root`, { tree_size: size }, server.auditToken);
      assert.equal(root.body.status, "Success");
      assert.equal(root.body.result.data.root_hash, rootHash, `v1/root at size ${size}`);
    }
  });
});
