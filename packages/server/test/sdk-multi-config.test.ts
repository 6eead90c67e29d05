// The official Node SDK (pangea-node-sdk 5.6.0, unmodified) against configurations made through
// the admin API: sdk-acceptance-cases.md case 13 (one token, several configurations), case 10
// (a custom schema) and case 9 (server-side "Vault" signing, key rotation included). Beside what
// the SDK verifies by itself, the envelopes as sent are checked with `@veritrail/core`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canonicalize, type Envelope, hashEnvelope, verifyText } from "@veritrail/core";
import { type Audit, AuditService, PangeaConfig, PangeaErrors } from "pangea-node-sdk";
import { adminPost, type ConfigView, createConfig, createTokenFor, successResult } from "./support/admin.js";
import { extendToken, getConfig, tokenIdByName } from "./support/grants.js";
import { type Exchange, recordExchanges, TestSigner, treeSizeOf } from "./support/sdk.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

const HEX64 = /^[0-9a-f]{64}$/;

/** The `public_key` JSON a server-signed envelope carries (wire-protocol §5.9). */
interface VaultPublicKey {
  algorithm: string;
  key: string;
  vault_key_id: string;
  vault_key_version: number;
}

describe("pangea-node-sdk 5.6.0 with several configurations", () => {
  let server: TestServer;
  let pangea: PangeaConfig;
  let recorder: ReturnType<typeof recordExchanges>;

  function lastExchange(path: string): Exchange {
    const found = recorder.exchanges.findLast((e) => e.path === path);
    assert.ok(found, `no request to ${path} was made`);
    return found;
  }

  /** The envelope of the last `v1/log` answer as sent, checked against its hash. */
  function wireEnvelope(): Envelope {
    const { hash, envelope } = lastExchange("/v1/log").response.result as {
      hash: string;
      envelope: Envelope;
    };
    assert.equal(hashEnvelope(envelope), hash);
    return envelope;
  }

  before(async () => {
    server = await startTestServer();
    recorder = recordExchanges(server.url);
    // No retries: a 5xx from a server bug fails the test at once instead of after the SDK's backoff.
    pangea = new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 });
  });

  after(async () => {
    recorder?.restore();
    await server?.close();
  });

  describe("case 13: one token extended to a second configuration", () => {
    let first: ConfigView;
    let second: ConfigView;
    let auditFirst: AuditService;
    let auditSecond: AuditService;

    before(async () => {
      first = await getConfig(server, server.configId);
      second = await createConfig(server, { name: "second audit log" });
      const tokenId = await tokenIdByName(server, "Initial audit token");
      const extended = await extendToken(server, tokenId, second.id);
      assert.deepEqual(extended.grants.audit?.configs, [first.id, second.id]);
      auditFirst = new AuditService(server.auditToken, pangea, undefined, first.id);
      auditSecond = new AuditService(server.auditToken, pangea, undefined, second.id);
    });

    for (const which of ["first", "second"] as const) {
      it(`logs to the ${which} configuration with verify: membership pass, then consistency pass`, async () => {
        const audit = which === "first" ? auditFirst : auditSecond;
        const configId = which === "first" ? first.id : second.id;
        const event = () => ({ actor: "node-sdk", message: `multi-config ${which}`, status: "no-signed" });

        const one = await audit.log(event(), { verify: true });
        assert.equal(lastExchange("/v1/log").request?.["config_id"], configId);
        assert.equal(one.status, "Success");
        assert.match(one.result.hash, HEX64);
        assert.equal(one.result.membership_verification, "pass");
        assert.equal(one.result.consistency_verification, "none");
        assert.equal(one.result.signature_verification, "none");

        const two = await audit.log(event(), { verify: true });
        const wire = lastExchange("/v1/log");
        assert.equal(wire.request?.["config_id"], configId);
        assert.equal(wire.request?.["prev_root"], one.result.unpublished_root);
        assert.equal(two.result.membership_verification, "pass");
        assert.equal(two.result.consistency_verification, "pass");
        wireEnvelope();
      });
    }

    it("without a config id the SDK raises an API error with status AmbiguousConfigID", async () => {
      const sizes = [await treeSizeOf(auditFirst), await treeSizeOf(auditSecond)];
      const ambiguous = new AuditService(server.auditToken, pangea);
      for (const call of [() => ambiguous.log({ message: "which log?" }), () => ambiguous.root()]) {
        await assert.rejects(call(), (error: unknown) => {
          // The SDKs have no class for this status: it arrives as their generic API error.
          assert.ok(error instanceof PangeaErrors.APIError);
          assert.ok(!(error instanceof PangeaErrors.MissingConfigID));
          assert.equal(error.name, "PangeanAPIError");
          assert.equal(error.pangeaResponse.status, "AmbiguousConfigID");
          assert.equal(error.pangeaResponse.gotResponse?.status, 400);
          assert.match(error.summary, /config_id/);
          assert.equal(error.errors.length, 1);
          assert.equal(error.errors[0]?.source, "/config_id");
          return true;
        });
        assert.equal(recorder.exchanges.at(-1)?.request?.["config_id"], undefined);
      }
      assert.deepEqual([await treeSizeOf(auditFirst), await treeSizeOf(auditSecond)], sizes);
    });

    it("keeps the two trees independent: own tree_name, sizes counted apart", async () => {
      const rootFirst = (await auditFirst.root()).result.data;
      const rootSecond = (await auditSecond.root()).result.data;
      assert.equal(rootFirst.tree_name, first.tree_name);
      assert.equal(rootSecond.tree_name, second.tree_name);
      assert.notEqual(rootFirst.tree_name, rootSecond.tree_name);
      // The second configuration holds only what was logged to it above.
      assert.equal(rootSecond.size, 2);

      await auditFirst.logBulk([{ message: "first-only 1" }, { message: "first-only 2" }]);
      const logged = await auditSecond.log({ message: "second-only" }, { verbose: true });
      assert.equal(await treeSizeOf(auditFirst), rootFirst.size + 2);
      const after = (await auditSecond.root()).result.data;
      assert.equal(after.size, 3);
      assert.equal(after.root_hash, logged.result.unpublished_root);
      assert.equal(lastExchange("/v1/root").request?.["config_id"], second.id);
    });
  });

  describe("case 10: a custom schema", () => {
    let token: string;
    let audit: AuditService;
    const when = new Date("2026-11-29T02:10:32.051Z");
    const nested = { zeta: 1, alpha: { deep: [true, "x"] } };
    const customEvent = (message: string): Audit.Event => ({
      message,
      field_int: 1,
      field_bool: true,
      field_str_short: "short",
      field_str_long: nested,
      field_time: when,
    });

    /** Each custom field comes back with its JSON type: numbers, booleans and strings as sent. */
    function assertFieldTypes(event: Record<string, unknown>): void {
      assert.equal(event["field_int"], 1);
      assert.equal(event["field_bool"], true);
      assert.equal(event["field_str_short"], "short");
      assert.equal(event["field_str_long"], canonicalize(nested));
      assert.equal(event["field_time"], when.toISOString());
    }

    before(async () => {
      const config = await createConfig(server, {
        name: "custom schema",
        schema: {
          fields: [
            { id: "message", type: "string", required: true },
            { id: "field_int", type: "integer" },
            { id: "field_bool", type: "boolean" },
            { id: "field_str_short", type: "string", size: 128 },
            { id: "field_str_long", type: "text" },
            { id: "field_time", type: "datetime" },
          ],
        },
      });
      token = (await createTokenFor(server, config.id)).token;
      audit = new AuditService(token, pangea);
    });

    it("sends nested objects as canonical JSON strings and a Date as its ISO string", async () => {
      const response = await audit.log(customEvent("custom-schema no verbose"));
      const sent = lastExchange("/v1/log").request?.["event"] as Record<string, unknown>;
      assertFieldTypes(sent);
      // Case 1: no verbose.
      assert.equal(response.status, "Success");
      assert.match(response.result.hash, HEX64);
      assert.equal(response.result.envelope, undefined);
      assert.equal(response.result.membership_proof, undefined);
      assert.equal(response.result.consistency_proof, undefined);
      assert.equal(response.result.signature_verification, "none");
    });

    it("case 2: verbose returns the envelope with every field type preserved", async () => {
      const response = await audit.log(customEvent("custom-schema verbose"), { verbose: true });
      assert.equal(response.status, "Success");
      assertFieldTypes(response.result.envelope.event);
      assertFieldTypes(wireEnvelope().event);
      assert.equal(typeof response.result.membership_proof, "string");
      assert.equal(response.result.consistency_proof, undefined);
      assert.equal(response.result.membership_verification, undefined);
      assert.equal(response.result.consistency_verification, undefined);
      assert.equal(response.result.signature_verification, "none");
    });

    it("case 5: verify twice passes membership, then consistency", async () => {
      const client = new AuditService(token, pangea);
      const one = await client.log(customEvent("custom-schema verify"), { verify: true });
      assert.equal(one.result.membership_verification, "pass");
      assert.equal(one.result.consistency_verification, "none");
      const two = await client.log(customEvent("custom-schema verify"), { verify: true });
      assert.equal(two.result.membership_verification, "pass");
      assert.equal(two.result.consistency_verification, "pass");
      assertFieldTypes(two.result.envelope.event);
    });

    it("local signing with a nested object and a Date verifies as pass", async () => {
      const signer = new TestSigner();
      const response = await audit.log(customEvent("custom-schema signed"), { verify: true, signer });
      assert.equal(response.result.signature_verification, "pass");
      assert.equal(response.result.membership_verification, "pass");
      const envelope = wireEnvelope();
      assertFieldTypes(envelope.event);
      assert.ok(
        verifyText({
          text: canonicalize(envelope.event),
          signature: envelope.signature!,
          publicKey: envelope.public_key!,
        }),
      );
    });
  });

  describe("case 9: server-side (Vault) signing", () => {
    let config: ConfigView;
    let audit: AuditService;
    let firstEnvelope: Envelope;
    let firstKey: VaultPublicKey;

    before(async () => {
      config = await createConfig(server, { name: "vault signed", vault_sign: true });
      assert.match(String(config.vault_key_id), /^pvi_/);
      audit = new AuditService((await createTokenFor(server, config.id)).token, pangea);
    });

    it("signs an event logged without a signer: signature and membership pass", async () => {
      const response = await audit.log(
        { actor: "node-sdk", message: "sign-test-vault", status: "vault-signed" },
        { verify: true },
      );
      assert.equal(response.status, "Success");
      assert.equal(response.result.signature_verification, "pass");
      assert.equal(response.result.membership_verification, "pass");
      assert.equal(response.result.consistency_verification, "none");
      assert.equal(lastExchange("/v1/log").request?.["signature"], undefined);

      firstEnvelope = wireEnvelope();
      firstKey = JSON.parse(firstEnvelope.public_key!) as VaultPublicKey;
      assert.deepEqual(Object.keys(firstKey), ["algorithm", "key", "vault_key_id", "vault_key_version"]);
      assert.equal(firstKey.algorithm, "ED25519");
      assert.match(firstKey.key, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.equal(firstKey.vault_key_id, config.vault_key_id);
      assert.equal(firstKey.vault_key_version, 1);
    });

    it("signs a JSON-message event; the second verified call passes consistency", async () => {
      const response = await audit.log(
        { actor: "node-sdk", message: { customtag: "vault", n: 2 }, status: "vault-signed" },
        { verify: true },
      );
      assert.equal(response.result.signature_verification, "pass");
      assert.equal(response.result.membership_verification, "pass");
      assert.equal(response.result.consistency_verification, "pass");
      assert.equal(typeof response.result.envelope.event["message"], "object");
    });

    it("after signing_key/rotate, new events carry version 2 and verify; earlier envelopes still verify", async () => {
      const rotated = successResult(
        await adminPost(server, "/v1beta/config/signing_key/rotate", { id: config.id }),
      );
      assert.equal(rotated.vault_key_id, config.vault_key_id);
      assert.equal(rotated.vault_key_version, 2);

      const response = await audit.log({ message: "sign-test-vault rotated" }, { verify: true });
      assert.equal(response.result.signature_verification, "pass");
      assert.equal(response.result.membership_verification, "pass");
      assert.equal(response.result.consistency_verification, "pass");
      const envelope = wireEnvelope();
      const key = JSON.parse(envelope.public_key!) as VaultPublicKey;
      assert.equal(key.vault_key_id, config.vault_key_id);
      assert.equal(key.vault_key_version, 2);
      assert.equal(key.key, rotated.public_key);
      assert.notEqual(key.key, firstKey.key);

      // The earlier envelope names its own key version, so it verifies without the current key.
      assert.ok(
        verifyText({
          text: canonicalize(firstEnvelope.event),
          signature: firstEnvelope.signature!,
          publicKey: firstEnvelope.public_key!,
        }),
      );
      assert.ok(
        !verifyText({
          text: canonicalize(firstEnvelope.event),
          signature: firstEnvelope.signature!,
          publicKey: envelope.public_key!,
        }),
        "the rotated key is a different key",
      );
    });

    it("logBulk: every event is server-signed and verifies as pass", async () => {
      const response = await audit.logBulk(
        [
          { actor: "node-sdk", message: "vault bulk 1" },
          { actor: "node-sdk", message: "vault bulk 2" },
        ],
        { verbose: true },
      );
      assert.equal(response.result.results.length, 2);
      for (const result of response.result.results) {
        assert.equal(result.signature_verification, "pass");
        assert.equal((JSON.parse(result.envelope.public_key!) as VaultPublicKey).vault_key_version, 2);
      }
      const wire = (
        lastExchange("/v2/log").response.result as { results: { hash: string; envelope: Envelope }[] }
      ).results;
      for (const { hash, envelope } of wire) {
        assert.equal(hashEnvelope(envelope), hash);
        assert.ok(
          verifyText({
            text: canonicalize(envelope.event),
            signature: envelope.signature!,
            publicKey: envelope.public_key!,
          }),
        );
      }
    });
  });
});
