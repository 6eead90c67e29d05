// Publishing signed checkpoints (issue 10 §1, docs/design/publishing.md): the publisher driven
// directly on a FakeClock, the public checkpoint endpoints, `v1/root`, and search answers with
// published records, on the store the run selects (SQLite, or PostgreSQL in the integration pass).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Envelope,
  formatReceivedAt,
  hashEnvelope,
  verifyConsistency,
  verifyMembership,
} from "@veritrail/core";
import pino from "pino";
import { PUBLISH_LEASE_MS } from "../src/limits.js";
import { Publisher } from "../src/publish/publisher.js";
import { assertApiError, assertEnvelope, RECEIVED_AT } from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import { openCheckpoint } from "./support/notes.js";
import { rawSql } from "./support/raw-sql.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const silent = pino({ level: "silent" });

/** Logs `count` events `<tag>-<i>` with one `v2/log` call. */
async function logEvents(server: TestServer, tag: string, count: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ event: { message: `${tag}-${i}` } }));
  const local = `http://127.0.0.1:${server.config.port}`;
  const response = await postJson(`${local}/v2/log`, { events }, server.auditToken);
  assert.equal(response.body.status, "Success", JSON.stringify(response.body));
}

async function getText(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

describe("publishing signed checkpoints", () => {
  let server: TestServer;
  let clock: FakeClock;
  let publisher: Publisher;
  let treeName: string;
  let treeId: number;
  let verifierKey: string;

  before(async () => {
    clock = new FakeClock();
    server = await startTestServer({ VERITRAIL_PUBLIC_URL: "http://audit.example.org:8123" }, { clock });
    // The server's own publisher never fires in tests (support/test-server.ts); this one has the
    // default interval and a small event count, and runs only when told.
    publisher = new Publisher({
      store: server.service.store,
      clock,
      log: silent,
      signer: server.service.publishing.signer,
      origin: server.config.publish.origin,
      intervalMs: 10_000,
      everyEvents: 5,
    });
    const head = await server.service.store.log.getTreeHead(server.configId);
    assert.ok(head);
    treeName = head.treeName;
    treeId = head.id;
    verifierKey = await server.service.publishing.view.verifierKey();
  });
  after(() => server.close());

  // The publicUrl above is not where the test server listens: the checkpoint URLs carry it.
  const local = () => `http://127.0.0.1:${server.config.port}`;

  it("serves nothing before the first checkpoint", async () => {
    const checkpoint = await fetch(`${local()}/trees/${treeName}/checkpoint`);
    assert.equal(checkpoint.status, 404);
    assert.equal(((await checkpoint.json()) as { status: string }).status, "NotFound");
  });

  it("publishes a grown tree once the interval has passed since its first event, not before", async () => {
    await logEvents(server, "first", 3);
    assert.deepEqual(await publisher.tick(), []);
    clock.advance(9_000);
    assert.deepEqual(await publisher.tick(), []);
    clock.advance(1_000);
    const [checkpoint, ...rest] = await publisher.tick();
    assert.equal(rest.length, 0);
    assert.equal(checkpoint?.size, 3);
    assert.equal(checkpoint?.previousSize, 0);
    assert.deepEqual(checkpoint?.consistencyProof, []);
    assert.match(checkpoint!.publishedAt, RECEIVED_AT);
    // Not grown since: nothing to publish however long one waits.
    clock.advance(60_000);
    assert.deepEqual(await publisher.tick(), []);
  });

  it("publishes as soon as the event count is reached, with a proof from the previous checkpoint", async () => {
    // The interval is long over, so one new event is published at the next look.
    await logEvents(server, "second", 1);
    assert.equal((await publisher.tick())[0]?.size, 4);
    await logEvents(server, "third", 4);
    assert.deepEqual(await publisher.tick(), [], "4 new events, the interval not over");
    await logEvents(server, "fourth", 1);
    const [checkpoint] = await publisher.tick();
    assert.equal(checkpoint?.size, 9);
    assert.equal(checkpoint?.previousSize, 4);
    const previous = await server.service.store.checkpoints.checkpointAt(treeId, 4);
    assert.ok(
      verifyConsistency({
        oldRoot: previous!.rootHash.toString("hex"),
        newRoot: checkpoint!.rootHash.toString("hex"),
        proof: checkpoint!.consistencyProof,
      }),
    );
    const head = await server.service.store.log.getTreeHead(server.configId);
    assert.equal(head?.size, 9, "publishing adds no leaf to the tree");
    assert.deepEqual(head?.rootHash, checkpoint?.rootHash);
  });

  it("serves the verifier key, the latest note and the note at each published size, without a token", async () => {
    const key = await getText(`${local()}/trees/verifier-key`);
    assert.equal(key.status, 200);
    assert.match(key.type ?? "", /^text\/plain/);
    assert.equal(key.text, `${verifierKey}\n`);
    assert.match(verifierKey, /^audit\.example\.org:8123\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);

    const latest = await getText(`${local()}/trees/${treeName}/checkpoint`);
    assert.equal(latest.status, 200);
    assert.match(latest.type ?? "", /^text\/plain/);
    const opened = openCheckpoint(latest.text, verifierKey);
    assert.deepEqual(opened, {
      origin: `audit.example.org:8123/${treeName}`,
      size: 9,
      rootHash: (await server.service.store.log.getTreeHead(server.configId))!.rootHash!.toString("hex"),
    });
    const atThree = await getText(`${local()}/trees/${treeName}/checkpoint/3`);
    assert.equal(atThree.status, 200);
    assert.equal(openCheckpoint(atThree.text, verifierKey).size, 3);
  });

  it("answers NotFound for a size never published, a malformed size and an unknown tree", async () => {
    for (const path of [
      `/trees/${treeName}/checkpoint/5`,
      `/trees/${treeName}/checkpoint/03`,
      `/trees/${treeName}/checkpoint/-1`,
      `/trees/${treeName}/checkpoint/99999999999999999999`,
      `/trees/${"0".repeat(64)}/checkpoint`,
      `/trees/${"0".repeat(64)}/checkpoint/3`,
      "/trees/not-a-tree/checkpoint",
    ]) {
      const response = await fetch(`${local()}${path}`);
      const body = (await response.json()) as Record<string, unknown>;
      assertApiError(
        { status: response.status, headers: response.headers, body: body as never },
        { http: 404, status: "NotFound", errors: [{ code: "DoesNotExist", source: "/" }] },
      );
    }
  });

  it("answers v1/root with the latest published root, and any size with its covering checkpoint's time", async () => {
    await logEvents(server, "fifth", 2); // size 11, published 9
    const latest = await postJson(`${local()}/v1/root`, {}, server.auditToken);
    assertEnvelope(latest);
    const c9 = await server.service.store.checkpoints.checkpointAt(treeId, 9);
    const c3 = await server.service.store.checkpoints.checkpointAt(treeId, 3);
    const data = latest.body.result.data;
    assert.equal(data.size, 9);
    assert.equal(data.tree_name, treeName);
    assert.equal(data.root_hash, c9!.rootHash.toString("hex"));
    assert.equal(data.published_at, c9!.publishedAt);
    assert.equal(data.url, `http://audit.example.org:8123/trees/${treeName}/checkpoint/9`);

    const roots = new Map<number, Record<string, unknown>>();
    for (let size = 1; size <= 11; size++) {
      const answer = await postJson(`${local()}/v1/root`, { tree_size: size }, server.auditToken);
      assert.equal(answer.body.status, "Success");
      roots.set(size, answer.body.result.data);
      const root = answer.body.result.data;
      assert.equal(root.size, size);
      assert.equal(root.url, `http://audit.example.org:8123/trees/${treeName}/checkpoint/${size}`);
      assert.match(root.published_at, RECEIVED_AT);
      if (size === 1) assert.equal(root.consistency_proof, undefined);
      else {
        assert.ok(
          verifyConsistency({
            oldRoot: String(roots.get(size - 1)!["root_hash"]),
            newRoot: root.root_hash,
            proof: root.consistency_proof,
          }),
          `consistency ${size - 1} → ${size}`,
        );
      }
    }
    assert.equal(roots.get(2)!["published_at"], c3!.publishedAt);
    assert.equal(roots.get(3)!["published_at"], c3!.publishedAt);
    assert.equal(
      roots.get(4)!["published_at"],
      (await server.service.store.checkpoints.checkpointAt(treeId, 4))!.publishedAt,
    );
    assert.equal(roots.get(5)!["published_at"], c9!.publishedAt);
    assert.equal(roots.get(9)!["root_hash"], c9!.rootHash.toString("hex"));
    // Above the latest checkpoint: when the size's last leaf arrived.
    const leaf = await server.service.store.log.getLeaf(treeId, 10);
    assert.equal(roots.get(11)!["published_at"], formatReceivedAt(leaf!.receivedAt));
  });

  it("marks records below the checkpoint published with leaf_index, proved against root; newer ones against unpublished_root", async () => {
    const search = await postJson(
      `${local()}/v1/search`,
      { query: 'message:""', order: "asc", limit: 11, verbose: true },
      server.auditToken,
    );
    assert.equal(search.body.status, "Success");
    const { root, unpublished_root: unpublished, events } = search.body.result;
    assert.deepEqual(Object.keys(root).sort(), ["published_at", "root_hash", "size", "tree_name", "url"]);
    assert.equal(root.size, 9);
    assert.deepEqual(unpublished.size, 11);
    assert.equal(events.length, 11);
    events.forEach((event: Record<string, unknown>, i: number) => {
      assert.equal(hashEnvelope(event["envelope"] as Envelope), event["hash"]);
      const published = i < 9;
      assert.equal(event["published"], published, `event ${i}`);
      assert.equal(event["leaf_index"], published ? i : undefined, `event ${i}`);
      const rootHash = published ? root.root_hash : unpublished.root_hash;
      assert.ok(
        verifyMembership({
          leafHash: String(event["hash"]),
          rootHash,
          proof: String(event["membership_proof"]),
        }),
        `event ${i}`,
      );
    });

    // Paging the same result set after a newer checkpoint: every record is now published.
    await publisher.publishNow();
    const page = await postJson(
      `${local()}/v1/results`,
      { id: search.body.result.id, limit: 11, offset: 0 },
      server.auditToken,
    );
    assert.equal(page.body.status, "Success");
    assert.equal(page.body.result.root.size, 11);
    assert.equal(page.body.result.unpublished_root, undefined);
    for (const [i, event] of (page.body.result.events as Record<string, unknown>[]).entries()) {
      assert.equal(event["published"], true);
      assert.equal(event["leaf_index"], i);
      assert.ok(
        verifyMembership({
          leafHash: String(event["hash"]),
          rootHash: page.body.result.root.root_hash,
          proof: String(event["membership_proof"]),
        }),
      );
    }

    // Not verbose: no proofs, no roots, no leaf_index.
    const bare = await postJson(
      `${local()}/v1/search`,
      { query: 'message:""', limit: 3, verbose: false },
      server.auditToken,
    );
    assert.equal(bare.body.result.root, undefined);
    assert.equal(bare.body.result.unpublished_root, undefined);
    for (const event of bare.body.result.events)
      assert.deepEqual(Object.keys(event).sort(), ["envelope", "hash"]);
  });

  it("waits out the lease of a process that died mid-publish, then publishes", async () => {
    await logEvents(server, "sixth", 5);
    // Another process took the tree's lease and died before storing anything.
    assert.equal(
      await server.service.store.jobs.tryLease(
        `publish:${treeId}`,
        "dead",
        PUBLISH_LEASE_MS,
        clock.nowMillis(),
      ),
      true,
    );
    assert.deepEqual(await publisher.publishNow(), []);
    clock.advance(PUBLISH_LEASE_MS - 1);
    assert.deepEqual(await publisher.publishNow(), []);
    clock.advance(2);
    const [checkpoint] = await publisher.publishNow();
    assert.equal(checkpoint?.size, 16);
    assert.equal(checkpoint?.previousSize, 11);
  });

  it("stores nothing from a publisher that raced past its lease with an older view", async () => {
    await logEvents(server, "seventh", 2);
    const stale = { treeId, treeName, size: 18, publishedSize: 11, publishedAt: undefined };
    const [fresh] = await publisher.publishNow();
    assert.equal(fresh?.size, 18);
    // Same size again from a publisher that read the trees before: the chain refuses it.
    assert.equal(await publisher.publishTree(stale), undefined);
    assert.equal(await server.service.store.checkpoints.countCheckpointsAfter(treeId, 16), 1);
  });

  it("refuses to sign a root folded from a changed subtree hash", async () => {
    await logEvents(server, "eighth", 3); // size 21
    // Change the stored hash of the complete subtree [16, 20) (level 2, index 4), a node only
    // this new part of the tree uses.
    await rawSql(server, "UPDATE merkle_nodes SET hash = ? WHERE tree_id = ? AND level = 2 AND idx = 4", [
      Buffer.alloc(32, 7),
      treeId,
    ]);
    assert.deepEqual(await publisher.publishNow(), []);
    assert.equal((await server.service.store.checkpoints.latestCheckpoint(treeId))?.size, 18);
  });
});

describe("publishing a rewritten tree", () => {
  let server: TestServer;
  after(() => server.close());

  it("refuses to sign a root that does not extend the last checkpoint, even one recorded as committed", async () => {
    server = await startTestServer();
    const { store } = server.service;
    const treeId = (await store.log.getTreeHead(server.configId))!.id;
    await logEvents(server, "kept", 3);
    assert.equal((await server.service.publishing.publisher.publishNow())[0]?.size, 3);
    await logEvents(server, "later", 5); // size 8: the root is the one stored subtree [0, 8)
    // Someone rewrites history: a new hash for [0, 8), recorded as the root committed at size 8.
    const forged = Buffer.alloc(32, 9);
    await rawSql(server, "UPDATE merkle_nodes SET hash = ? WHERE tree_id = ? AND level = 3 AND idx = 0", [
      forged,
      treeId,
    ]);
    await rawSql(server, "DELETE FROM tree_roots WHERE tree_id = ? AND size = 8", [treeId]);
    await rawSql(server, "INSERT INTO tree_roots (tree_id, root_hash, size) VALUES (?, ?, 8)", [
      treeId,
      forged,
    ]);
    // The proof from size 3 folds the untouched subtrees below 8, so it does not reach the forged root.
    const lines: { msg: string; err?: { message: string } }[] = [];
    const publisher = new Publisher({
      store,
      clock: new FakeClock(),
      log: pino({ level: "error" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      signer: server.service.publishing.signer,
      origin: server.config.publish.origin,
      intervalMs: 10_000,
      everyEvents: 1,
    });
    assert.deepEqual(await publisher.publishNow(), []);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, "could not publish the tree");
    assert.match(lines[0]!.err!.message, /is not an extension of its checkpoint at size 3/);
    assert.equal((await store.checkpoints.latestCheckpoint(treeId))?.size, 3);
  });
});

describe("the publisher's own timer", () => {
  let server: TestServer;
  after(() => server.close());

  it("publishes a grown tree without being told, once its event count is reached", async () => {
    server = await startTestServer({
      VERITRAIL_PUBLISH_INTERVAL_MS: "100",
      VERITRAIL_PUBLISH_EVERY_EVENTS: "2",
    });
    const treeName = (await server.service.store.log.getTreeHead(server.configId))!.treeName;
    await logEvents(server, "timer", 2);
    // The poll runs every 100 ms here; give it many chances on a busy machine.
    let note: string | undefined;
    for (let i = 0; i < 200 && note === undefined; i++) {
      const response = await fetch(`${server.url}/trees/${treeName}/checkpoint`);
      if (response.status === 200) note = await response.text();
      else await response.body?.cancel();
      if (note === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(note, "a checkpoint was published within 10 s");
    const key = await server.service.publishing.view.verifierKey();
    assert.equal(openCheckpoint(note, key).size, 2);
  });
});
