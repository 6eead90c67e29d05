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
  });
}
