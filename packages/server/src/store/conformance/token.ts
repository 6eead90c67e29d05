import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId, sha256 } from "@veritrail/core";
import type { TokenRecord } from "../contract/store.js";
import { NOW, type OpenStore, seedTree, useFreshStore } from "./fixtures.js";

/**
 * The token role (store/contract/token.ts): tokens stored and found by the hash of their secret.
 *
 * @example describeTokenConformance(() => openFreshTestStore("sqlite"));
 */
export function describeTokenConformance(open: OpenStore): void {
  describe("token role", () => {
    const current = useFreshStore(open);

    it("finds a token by the hash of its current or previous secret, never by the secret", async () => {
      const store = current();
      const { projectId, configId } = await seedTree(store);
      const token: TokenRecord = {
        id: newId("ptk"),
        projectId,
        name: "t",
        kind: "service",
        secretHash: sha256("pts_current_secret_000000000000"),
        previousSecretHash: sha256("pts_previous_secret_00000000000"),
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
      assert.equal(await store.tokens.findTokenBySecretHash(sha256("pts_other")), undefined);
      assert.equal(
        await store.tokens.findTokenBySecretHash(Buffer.from("pts_current_secret_000000000000")),
        undefined,
      );
      assert.deepEqual(await store.tokens.getToken(token.id), token);
    });
  });
}
