import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "@veritrail/core";
import { NOW, type OpenStore, sampleSettings, seedTree, useFreshStore } from "./fixtures.js";

/**
 * The configuration role (store/contract/config.ts): projects, configurations, signing keys.
 *
 * @example describeConfigConformance(() => openFreshTestStore("sqlite"));
 */
export function describeConfigConformance(open: OpenStore): void {
  describe("config role", () => {
    const current = useFreshStore(open);

    it("keeps configurations, each with its own empty tree", async () => {
      const store = current();
      const { configId, projectId } = await seedTree(store);
      const config = await store.configs.getConfig(configId);
      assert.equal(config?.name, "c");
      assert.deepEqual(config?.settings, sampleSettings());
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

    it("keeps every version of a signing key under one key id and answers the newest", async () => {
      const store = current();
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

    it("keeps the first server secret made under a name, however many race to make it", async () => {
      const store = current();
      const candidates = [1, 2, 3, 4].map((i) => Buffer.alloc(32, i));
      const kept = await Promise.all(
        candidates.map((candidate) => store.configs.ensureServerSecret("download-links", candidate, NOW)),
      );
      assert.ok(candidates.some((c) => c.equals(kept[0]!)));
      for (const secret of kept) assert.ok(secret.equals(kept[0]!));
      const later = await store.configs.ensureServerSecret("download-links", Buffer.alloc(32, 9), NOW);
      assert.ok(later.equals(kept[0]!));
      const other = await store.configs.ensureServerSecret("another", Buffer.alloc(32, 7), NOW);
      assert.ok(other.equals(Buffer.alloc(32, 7)));
    });
  });
}
