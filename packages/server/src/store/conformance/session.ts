import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId, sha256 } from "@veritrail/core";
import type { SessionRecord, TokenRecord } from "../contract/store.js";
import { NOW, type OpenStore, seedTree, useFreshStore } from "./fixtures.js";

/**
 * The session role (store/contract/session.ts): console sessions found by the hash of their
 * cookie's secret, ended once, and deleted when long over.
 *
 * @example describeSessionConformance(() => openFreshTestStore("sqlite"));
 */
export function describeSessionConformance(open: OpenStore): void {
  describe("session role", () => {
    const current = useFreshStore(open);

    async function seedToken(): Promise<TokenRecord> {
      const store = current();
      const { projectId, configId } = await seedTree(store);
      const token: TokenRecord = {
        id: newId("ptk"),
        projectId,
        name: "t",
        kind: "service",
        secretHash: sha256(`pts_${newId("ptk")}`),
        grants: { audit: { configs: [configId] } },
        createdAt: NOW,
        updatedAt: NOW,
      };
      await store.tokens.createToken(token);
      return token;
    }

    function session(tokenId: string, secret: string, expiresAt: string): SessionRecord {
      return {
        secretHash: sha256(secret),
        tokenId,
        tokenSecretHash: sha256(`token-of-${secret}`),
        createdAt: NOW,
        expiresAt,
        endedAt: undefined,
      };
    }

    it("finds a session by the hash of its secret, never by the secret", async () => {
      const store = current();
      const token = await seedToken();
      const record = session(token.id, "secret-one", "2026-01-01T08:00:00.000Z");
      await store.sessions.createSession(record);
      assert.deepEqual(await store.sessions.findSession(sha256("secret-one")), record);
      assert.equal(await store.sessions.findSession(Buffer.from("secret-one")), undefined);
      assert.equal(await store.sessions.findSession(sha256("secret-two")), undefined);
    });

    it("refuses a second session with the same secret hash", async () => {
      const store = current();
      const token = await seedToken();
      await store.sessions.createSession(session(token.id, "same", "2026-01-01T08:00:00.000Z"));
      await assert.rejects(
        store.sessions.createSession(session(token.id, "same", "2026-01-02T08:00:00.000Z")),
      );
    });

    it("ends a session once and keeps it findable as ended", async () => {
      const store = current();
      const token = await seedToken();
      await store.sessions.createSession(session(token.id, "to-end", "2026-01-01T08:00:00.000Z"));
      assert.equal(await store.sessions.endSession(sha256("to-end"), "2026-01-01T01:00:00.000Z"), true);
      assert.equal(await store.sessions.endSession(sha256("to-end"), "2026-01-01T02:00:00.000Z"), false);
      assert.equal(await store.sessions.endSession(sha256("never-made"), "2026-01-01T02:00:00.000Z"), false);
      assert.equal((await store.sessions.findSession(sha256("to-end")))?.endedAt, "2026-01-01T01:00:00.000Z");
    });

    it("deletes the sessions that expired or ended before a time, and only those", async () => {
      const store = current();
      const token = await seedToken();
      await store.sessions.createSession(session(token.id, "expired", "2026-01-01T01:00:00.000Z"));
      await store.sessions.createSession(session(token.id, "ended", "2026-01-03T00:00:00.000Z"));
      await store.sessions.createSession(session(token.id, "live", "2026-01-03T00:00:00.000Z"));
      await store.sessions.endSession(sha256("ended"), "2026-01-01T01:30:00.000Z");
      assert.equal(await store.sessions.deleteSessionsBefore("2026-01-01T02:00:00.000Z"), 2);
      assert.equal(await store.sessions.findSession(sha256("expired")), undefined);
      assert.equal(await store.sessions.findSession(sha256("ended")), undefined);
      assert.equal((await store.sessions.findSession(sha256("live")))?.tokenId, token.id);
    });
  });
}
