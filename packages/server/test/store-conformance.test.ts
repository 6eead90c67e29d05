import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CompactRange, completeSubtrees, newId, nodeKey, sha256 } from "@veritrail/core";
import { hashSecret } from "../src/auth/authenticator.js";
import { defaultConfigSettings } from "../src/ingest/event-schema.js";
import { sequenceBatch } from "../src/ingest/sequence-batch.js";
import { newTreeName } from "../src/log/tree-name.js";
import type { Store, TokenRecord } from "../src/store/contract/store.js";
import {
  dropSchema,
  freshSchema,
  openSharedPostgresStore,
  openTestStore,
  POSTGRES_SKIP_REASON,
  TEST_DATABASE_URL,
} from "./support/test-store.js";

/*
 * One behaviour suite for every store (conventions: kysely, hono): each backend must pass all of it.
 * PostgreSQL runs when VERITRAIL_TEST_DATABASE_URL is set, and fails if that database is unreachable.
 */

const NOW = "2026-01-01T00:00:00.000Z";

async function seedTree(store: Store): Promise<{ configId: string; treeId: number; projectId: string }> {
  const projectId = newId("ppj");
  await store.configs.createProject({ id: projectId, name: "p", createdAt: NOW });
  const configId = newId("pci");
  await store.configs.createConfig(
    { id: configId, projectId, name: "c", settings: defaultConfigSettings(), createdAt: NOW, updatedAt: NOW },
    newTreeName(),
  );
  const head = await store.log.getTreeHead(configId);
  assert.ok(head);
  return { configId, treeId: head.id, projectId };
}

function entries(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({ event: { message: `${tag}-${i}` } }));
}

/** Stores an async request of `v2/log_async` and returns its id. */
async function createRequest(
  store: Store,
  configId: string,
  state: "pending" | "done" = "pending",
  expiresAt = "2999-01-01T00:00:00.000Z",
): Promise<string> {
  const id = newId("prq");
  await store.jobs.createAsyncRequest({
    id,
    tokenId: "ptk_x",
    configId,
    endpoint: "v2/log_async",
    state,
    payload: "{}",
    createdAt: NOW,
    expiresAt,
  });
  return id;
}

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" && !TEST_DATABASE_URL ? POSTGRES_SKIP_REASON : false;

  describe(`store conformance: ${kind}`, { skip }, () => {
    let store: Store;
    let dataDir: string;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "veritrail-store-"));
      store = await openTestStore(dataDir, kind);
      await store.migrate();
    });

    after(async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("applies migrations idempotently", async () => {
      await store.migrate();
      await store.migrate();
    });

    it("keeps configurations, each with its own empty tree", async () => {
      const { configId, projectId } = await seedTree(store);
      const config = await store.configs.getConfig(configId);
      assert.equal(config?.name, "c");
      assert.deepEqual(config?.settings, defaultConfigSettings());
      assert.deepEqual(
        (await store.configs.listConfigs(projectId)).map((c) => c.id),
        [configId],
      );
      const head = await store.log.getTreeHead(configId);
      assert.equal(head?.size, 0);
      assert.equal(head?.rootHash, undefined);
      assert.match(head?.treeName ?? "", /^[0-9a-f]{64}$/);
      assert.equal(await store.configs.getConfig(newId("pci")), undefined);
    });

    it("finds a token by the hash of its current or previous secret, never by the secret", async () => {
      const { projectId, configId } = await seedTree(store);
      const token: TokenRecord = {
        id: newId("ptk"),
        projectId,
        name: "t",
        kind: "service",
        secretHash: hashSecret("pts_current_secret_000000000000"),
        previousSecretHash: hashSecret("pts_previous_secret_00000000000"),
        previousValidUntil: NOW,
        expiresAt: undefined,
        revokedAt: undefined,
        grants: { audit: { configs: [configId], endpoints: ["v1/log"] } },
        createdAt: NOW,
        updatedAt: NOW,
      };
      await store.tokens.createToken(token);
      assert.deepEqual(await store.tokens.findTokenBySecretHash(token.secretHash), token);
      assert.equal((await store.tokens.findTokenBySecretHash(token.previousSecretHash!))?.id, token.id);
      assert.equal(await store.tokens.findTokenBySecretHash(hashSecret("pts_other")), undefined);
      assert.deepEqual(await store.tokens.getToken(token.id), token);
    });

    it("keeps every version of a signing key under one key id and answers the newest", async () => {
      const { configId } = await seedTree(store);
      assert.equal(await store.configs.getSigningKey(configId), undefined);
      const keyId = newId("pvi");
      const key = (version: number) => ({
        configId,
        version,
        keyId,
        privateKey: `private ${version}`,
        publicKey: `public ${version}`,
        createdAt: NOW,
      });
      await store.configs.addSigningKey(key(1));
      await store.configs.addSigningKey(key(2));
      assert.deepEqual(await store.configs.getSigningKey(configId), key(2));
      await assert.rejects(store.configs.addSigningKey({ ...key(2), privateKey: "again" }));
      assert.deepEqual(await store.configs.getSigningKey(configId), key(2));
    });

    it("appends batches whose leaves, subtrees and roots match an in-memory tree", async () => {
      const { treeId, configId } = await seedTree(store);
      const reference = new CompactRange();
      let expectedSize = 0;
      for (const n of [1, 2, 5, 1, 13, 32, 7]) {
        const batch = await store.log.appendBatch(treeId, (head) =>
          sequenceBatch(head, [{ entries: entries(n, `b${expectedSize}`) }], 1_700_000_000_000_000),
        );
        for (const leaf of batch.leaves) reference.append(leaf.hash);
        expectedSize += n;
        assert.equal(batch.size, expectedSize);
        assert.deepEqual(batch.rootHash, reference.root());
        assert.equal(await store.log.findSizeOfRoot(treeId, batch.rootHash), expectedSize);
      }
      const head = await store.log.getTreeHead(configId);
      assert.equal(head?.size, expectedSize);
      assert.deepEqual(head?.rootHash, reference.root());
      const ids = completeSubtrees(0, expectedSize);
      const wanted = [...ids, { level: 0, index: 0 }, { level: 0, index: expectedSize - 1 }];
      const nodes = await store.log.readNodes(treeId, wanted);
      assert.deepEqual([...nodes.keys()].sort(), [...new Set(wanted.map(nodeKey))].sort());
      const stored = new CompactRange(
        expectedSize,
        ids.map((id) => nodes.get(nodeKey(id))!),
      );
      assert.deepEqual(stored.root(), reference.root());
      const first = await store.log.getLeaf(treeId, 0);
      assert.equal(first?.leafIndex, 0);
      assert.deepEqual(first?.hash, sha256(first?.envelope ?? ""));
      assert.equal(await store.log.getLeaf(treeId, expectedSize), undefined);
      // received_at strictly increases even though the clock above stood still.
      let previous = 0;
      for (let i = 0; i < expectedSize; i++) {
        const leaf = await store.log.getLeaf(treeId, i);
        assert.ok(leaf && leaf.receivedAt > previous);
        previous = leaf.receivedAt;
      }
    });

    it("writes nothing when the append fails inside its transaction", async () => {
      const { treeId, configId } = await seedTree(store);
      await store.log.appendBatch(treeId, (head) => sequenceBatch(head, [{ entries: entries(3, "ok") }], 1));
      await assert.rejects(
        store.log.appendBatch(treeId, (head) => {
          sequenceBatch(head, [{ entries: entries(4, "lost") }], 2);
          throw new Error("boom");
        }),
        /boom/,
      );
      // An async request that is not pending also rolls the whole batch back.
      await assert.rejects(
        store.log.appendBatch(treeId, (head) =>
          sequenceBatch(
            head,
            [{ entries: entries(2, "x"), asyncRequest: { id: newId("prq"), verbose: false } }],
            3,
          ),
        ),
        /no longer pending/,
      );
      assert.equal((await store.log.getTreeHead(configId))?.size, 3);
      assert.equal(await store.log.getLeaf(treeId, 3), undefined);
      // The cached right edge was not advanced by the failed batches.
      const next = await store.log.appendBatch(treeId, (head) =>
        sequenceBatch(head, [{ entries: entries(1, "after") }], 4),
      );
      assert.equal(next.leaves[0]?.leafIndex, 3);
    });

    it("leases async requests to one owner at a time and completes each exactly once", async () => {
      const { treeId, configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      const first = await store.jobs.claimAsyncRequests("owner-a", Date.now(), 60_000, 10);
      assert.deepEqual(
        first.map((r) => r.id),
        [id],
      );
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-b", Date.now(), 60_000, 10), []);
      await store.log.appendBatch(treeId, (head) =>
        sequenceBatch(head, [{ entries: entries(2, "async"), asyncRequest: { id, verbose: true } }], 5),
      );
      const done = await store.jobs.getAsyncRequest(id);
      assert.equal(done?.state, "done");
      const result = JSON.parse(done?.result ?? "{}") as { results: { hash: string; envelope: unknown }[] };
      assert.equal(result.results.length, 2);
      assert.ok(result.results.every((r) => /^[0-9a-f]{64}$/.test(r.hash) && r.envelope));
      await assert.rejects(
        store.log.appendBatch(treeId, (head) =>
          sequenceBatch(head, [{ entries: entries(2, "again"), asyncRequest: { id, verbose: true } }], 6),
        ),
        /no longer pending/,
      );
      assert.equal((await store.log.getTreeHead(configId))?.size, 2);
    });

    it("leases a request again once its owner's lease has run out", async () => {
      const { configId } = await seedTree(store);
      const id = await createRequest(store, configId);
      assert.equal((await store.jobs.claimAsyncRequests("dead-owner", Date.now(), -1, 10)).length, 1);
      assert.deepEqual(
        (await store.jobs.claimAsyncRequests("owner-b", Date.now(), 60_000, 10)).map((r) => r.id),
        [id],
      );
      await store.jobs.failAsyncRequest(id, JSON.stringify({ summary: "x" }));
      assert.equal((await store.jobs.getAsyncRequest(id))?.state, "failed");
      assert.deepEqual(await store.jobs.claimAsyncRequests("owner-c", Date.now(), 60_000, 10), []);
      // A request already done is never turned into a failure.
      const done = await createRequest(store, configId, "done");
      await store.jobs.failAsyncRequest(done, JSON.stringify({ summary: "late" }));
      assert.equal((await store.jobs.getAsyncRequest(done))?.state, "done");
    });

    it("deletes finished requests whose results expired, and nothing pending or still fresh", async () => {
      const { configId } = await seedTree(store);
      const expired = await createRequest(store, configId, "done", "2026-01-01T00:00:01.000Z");
      const fresh = await createRequest(store, configId, "done", "2026-01-03T00:00:00.000Z");
      const pending = await createRequest(store, configId, "pending", "2026-01-01T00:00:01.000Z");
      assert.ok((await store.jobs.deleteExpiredAsyncRequests("2026-01-02T00:00:00.000Z")) >= 1);
      assert.equal(await store.jobs.getAsyncRequest(expired), undefined);
      assert.equal((await store.jobs.getAsyncRequest(fresh))?.state, "done");
      assert.equal((await store.jobs.getAsyncRequest(pending))?.state, "pending");
    });

    it("grants a lease to one owner at a time, renews it for that owner, and frees it on expiry or release", async () => {
      const name = `publish:${newId("pci")}`;
      const t = 1_800_000_000_000;
      assert.equal(await store.jobs.tryLease(name, "a", 1000, t), true);
      assert.equal(await store.jobs.tryLease(name, "b", 1000, t + 10), false);
      assert.equal(await store.jobs.tryLease(name, "a", 1000, t + 500), true); // renewed to t + 1500
      assert.equal(await store.jobs.tryLease(name, "b", 1000, t + 1200), false);
      assert.equal(await store.jobs.tryLease(name, "b", 1000, t + 1501), true); // a's lease ran out
      await store.jobs.releaseLease(name, "a"); // not a's any more: no effect
      assert.equal(await store.jobs.tryLease(name, "a", 1000, t + 1600), false);
      await store.jobs.releaseLease(name, "b");
      assert.equal(await store.jobs.tryLease(name, "a", 1000, t + 1700), true);
      assert.equal(await store.jobs.tryLease(`other:${name}`, "b", 1000, t + 1700), true);
    });

    it("runs first-start setup once under the setup lock", async () => {
      const order: string[] = [];
      await Promise.all(
        [1, 2, 3].map((i) =>
          store.withSetupLock(async () => {
            order.push(`in${i}`);
            await new Promise((r) => setTimeout(r, 5));
            order.push(`out${i}`);
          }),
        ),
      );
      for (let i = 0; i < order.length; i += 2) assert.equal(order[i]!.slice(2), order[i + 1]!.slice(3));
    });
  });
}

describe("postgres: several processes on one database", {
  skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
}, () => {
  it("migrates once when several processes start at once", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await Promise.all(stores.map((s) => s.migrate()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  it("gives a contested lease to exactly one of several processes", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await stores[0]!.migrate();
      for (let round = 0; round < 20; round++) {
        const now = Date.now();
        const won = await Promise.all(
          stores.map((s, i) => s.jobs.tryLease(`round-${round}`, `owner-${i}`, 60_000, now)),
        );
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  it("forms one tree from concurrent appends through different store instances", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await stores[0]!.migrate();
      const { treeId, configId } = await seedTree(stores[0]!);
      await Promise.all(
        stores.flatMap((store, s) =>
          Array.from({ length: 10 }, (_, i) =>
            store.log.appendBatch(treeId, (head) =>
              sequenceBatch(head, [{ entries: entries(3, `s${s}i${i}`) }], 1),
            ),
          ),
        ),
      );
      const head = await stores[1]!.log.getTreeHead(configId);
      assert.equal(head?.size, 90);
      const reference = new CompactRange();
      const messages = new Set<string>();
      for (let i = 0; i < 90; i++) {
        const leaf = await stores[2]!.log.getLeaf(treeId, i);
        assert.ok(leaf);
        reference.append(leaf.hash);
        messages.add(JSON.parse(leaf.envelope).event.message);
      }
      assert.equal(messages.size, 90);
      assert.deepEqual(head?.rootHash, reference.root());
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });
});
