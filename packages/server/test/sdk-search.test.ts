// The official Node SDK (pangea-node-sdk 5.6.0, unmodified) searching Veritrail:
// sdk-acceptance-cases.md C17–C26 with the assertions of pangea-javascript's
// packages/pangea-node-sdk/tests/integration/audit.test.ts (release 5.6.0) and of the Python suite
// they mirror. Nothing is published here (the test server's publisher runs only when told), so every
// event is unpublished: with verifyConsistency the SDK checks each membership proof against
// `unpublished_root` ("pass") and has no consistency to check ("none"); the ARWEAVE halves of
// C18/C22 ("pass" consistency for published events) are in sdk-published.test.ts.
//
// Beside what the SDK checks by itself, every search answer is also checked on the wire: no
// `root`, no `leaf_index`, each hash is its envelope's, and each proof folds with `@veritrail/core`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Envelope, hashEnvelope, verifyMembership } from "@veritrail/core";
import { type Audit, AuditService, PangeaConfig, PangeaErrors } from "pangea-node-sdk";
import { createConfig, createToken } from "./support/admin.js";
import { type Exchange, recordExchanges, TestSigner } from "./support/sdk.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

const HEX64 = /^[0-9a-f]{64}$/;
const CUSTOM_FIELDS = [
  { id: "message", type: "text", required: true },
  { id: "field_int", type: "integer" },
  { id: "field_bool", type: "boolean" },
  { id: "field_str_short", type: "string" },
  { id: "field_str_long", type: "text" },
  { id: "field_time", type: "datetime" },
];

/** `AuditService.search` with its two option arguments optional (the SDK's types require both). */
function searchWith(
  service: AuditService,
  query: string,
  params: Audit.SearchParamsOptions = {},
  options: Audit.SearchOptions = {},
) {
  return service.search(query, params, options);
}

/** A search or results answer as sent (wire-protocol §4.3). */
interface WireSearch {
  count: number;
  events: {
    envelope: Envelope;
    hash: string;
    membership_proof?: string;
    published?: boolean;
    leaf_index?: number;
  }[];
  root?: unknown;
  unpublished_root?: { tree_name: string; size: number; root_hash: string };
}

describe("pangea-node-sdk 5.6.0 searching Veritrail", () => {
  let server: TestServer;
  let pangea: PangeaConfig;
  let audit: AuditService;
  let recorder: ReturnType<typeof recordExchanges>;
  const tag = `sdk${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  /** The unique message of the signed events (the upstream tests' "sign-test-local"). */
  const signed = `${tag}-sign-test-local`;

  /** The last answer from a search endpoint, as sent. */
  function lastWire(path: "/v1/search" | "/v1/results"): WireSearch {
    const found: Exchange | undefined = recorder.exchanges.findLast((e) => e.path === path);
    assert.ok(found, `no request to ${path} was made`);
    return found.response.result as WireSearch;
  }

  /** Checks a verbose answer on the wire: unpublished events proved against `unpublished_root`. */
  function assertVerboseWire(wire: WireSearch): void {
    assert.equal(wire.root, undefined);
    const root = wire.unpublished_root!;
    assert.ok(root.tree_name.length > 0);
    for (const event of wire.events) {
      assert.equal(event.published, false);
      assert.equal(event.leaf_index, undefined);
      assert.equal(hashEnvelope(event.envelope), event.hash);
      assert.ok(
        verifyMembership({ leafHash: event.hash, rootHash: root.root_hash, proof: event.membership_proof! }),
      );
    }
  }

  /** Checks a non-verbose answer on the wire: envelope and hash only, no roots. */
  function assertPlainWire(wire: WireSearch): void {
    assert.equal(wire.root, undefined);
    assert.equal(wire.unpublished_root, undefined);
    for (const event of wire.events) assert.deepEqual(Object.keys(event).sort(), ["envelope", "hash"]);
  }

  before(async () => {
    server = await startTestServer();
    recorder = recordExchanges(server.url);
    // No retries: a 5xx from a server bug fails the test at once instead of after the SDK's backoff.
    pangea = new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 });
    audit = new AuditService(server.auditToken, pangea);
    const signer = new TestSigner();
    for (let i = 0; i < 4; i += 1) {
      await audit.log({ message: signed, actor: "node-sdk", status: "signed" }, { signer, verbose: true });
    }
    await audit.log({ message: signed, actor: "node-sdk", status: "no-signed" });
  });

  after(async () => {
    recorder?.restore();
    await server?.close();
  });

  describe("C17–C20: limit, max_results, results paging, BadOffset", () => {
    let searchId: string;

    it("C17: limit 2 and max_results 3 give 2 events and count 3", async () => {
      const response = await searchWith(audit, `message:${signed}`, {
        order: "asc",
        limit: 2,
        max_results: 3,
        verbose: true,
        start: "21d",
      });
      assert.equal(response.status, "Success");
      assert.equal(response.result.events.length, 2);
      assert.equal(response.result.count, 3);
      assert.match(response.result.id, /^pas_[a-z0-9]{32}$/);
      assert.ok(Number.isFinite(Date.parse(response.result.expires_at)));
      searchId = response.result.id;
      assertVerboseWire(lastWire("/v1/search"));
    });

    it("C18: results of a verbose search with verifyConsistency: membership pass, consistency none (unpublished)", async () => {
      const response = await audit.results(searchId, 2, 0, { verifyConsistency: true });
      assert.equal(response.status, "Success");
      assert.equal(response.result.count, 3);
      assert.equal(response.result.events.length, 2);
      for (const event of response.result.events) {
        assert.equal(event.membership_verification, "pass");
        assert.equal(event.consistency_verification, "none");
        assert.equal(event.signature_verification, "pass");
      }
      assertVerboseWire(lastWire("/v1/results"));
    });

    it("C18: results without verifyConsistency leave both checks undefined", async () => {
      const response = await audit.results(searchId, 2, 2);
      assert.equal(response.result.events.length, 1);
      for (const event of response.result.events) {
        assert.equal(event.membership_verification, undefined);
        assert.equal(event.consistency_verification, undefined);
      }
    });

    it("C19: an offset past the result set is BadOffset, a generic APIError in Node", async () => {
      await assert.rejects(audit.results(searchId, 1, 4), (error: unknown) => {
        assert.ok(error instanceof PangeaErrors.APIError);
        assert.equal(error.pangeaResponse.status, "BadOffset");
        assert.deepEqual(
          error.errors.map((e) => [e.code, e.source]),
          [["NotWithinRange", "/offset"]],
        );
        return true;
      });
    });

    it("C20: a non-verbose search, then results with verifyConsistency: none and none", async () => {
      const made = await searchWith(audit, `message:${signed}`, { verbose: false, limit: 2, max_results: 4 });
      assert.equal(made.result.count, 4);
      assertPlainWire(lastWire("/v1/search"));
      for (const event of made.result.events) assert.equal(event.membership_verification, undefined);
      const response = await audit.results(made.result.id, 2, 2, { verifyConsistency: true });
      assert.equal(response.result.events.length, 2);
      for (const event of response.result.events) {
        assert.equal(event.membership_verification, "none");
        assert.equal(event.consistency_verification, "none");
      }
      assertPlainWire(lastWire("/v1/results"));
    });

    it("an assert_search_restriction other than the search's is a ValidationError", async () => {
      const made = await searchWith(audit, `message:${signed}`, {
        search_restriction: { actor: ["node-sdk"] },
      });
      assert.equal(made.result.count, 5);
      const same = await audit.results(
        made.result.id,
        5,
        0,
        {},
        { assert_search_restriction: { actor: ["node-sdk"] } },
      );
      assert.equal(same.result.count, 5);
      await assert.rejects(
        audit.results(made.result.id, 5, 0, {}, { assert_search_restriction: { actor: ["someone"] } }),
        (error: unknown) => {
          assert.ok(error instanceof PangeaErrors.ValidationError);
          assert.deepEqual(
            error.errors.map((e) => [e.code, e.source]),
            [["BadState", "/assert_search_restriction"]],
          );
          return true;
        },
      );
    });
  });

  describe("C21–C22: signatures and membership", () => {
    it("C21: signed events verify as pass; without verifyConsistency membership stays undefined", async () => {
      const response = await searchWith(audit, `message:${signed} status:signed`, {
        order: "asc",
        start: "7d",
        limit: 2,
      });
      assert.equal(response.result.events.length, 2);
      for (const event of response.result.events) {
        assert.equal(event.signature_verification, "pass");
        assert.equal(event.membership_verification, undefined);
        assert.equal(event.consistency_verification, undefined);
      }
    });

    it('C22: message:"" asc and desc with verifyConsistency: membership pass, consistency none', async () => {
      for (const order of ["asc", "desc"]) {
        const response = await searchWith(
          audit,
          'message:""',
          { order, limit: 2, max_results: 4, start: "30d" },
          { verifyConsistency: true },
        );
        assert.equal(lastExchange("/v1/search").request?.verbose, true, "verifyConsistency forces verbose");
        assert.equal(response.result.events.length, 2);
        for (const event of response.result.events) {
          assert.equal(event.membership_verification, "pass", order);
          assert.equal(event.consistency_verification, "none", order);
          assert.match(event.hash, HEX64);
        }
        assertVerboseWire(lastWire("/v1/search"));
      }
    });

    /** The last exchange with an endpoint. */
    function lastExchange(path: string): Exchange {
      const found = recorder.exchanges.findLast((e) => e.path === path);
      assert.ok(found, `no request to ${path} was made`);
      return found;
    }
  });

  describe("C23–C25: dates and sorting", () => {
    it("C23: start and end as relative durations and as RFC 3339 times", async () => {
      const relative = await searchWith(audit, `message:${signed}`, {
        start: "30d",
        end: "0d",
        limit: 2,
        max_results: 3,
      });
      assert.equal(relative.result.events.length, 2);
      assert.equal(relative.result.count, 3);
      const now = Date.now();
      const rfc3339 = await searchWith(audit, `message:${signed}`, {
        start: new Date(now - 86_400_000).toISOString(),
        end: new Date(now + 60_000).toISOString(),
        limit: 2,
        max_results: 3,
      });
      assert.equal(rfc3339.result.events.length, 2);
      assert.equal(rfc3339.result.count, 3);
      const before = await searchWith(audit, `message:${signed}`, {
        end: new Date(now - 86_400_000).toISOString(),
      });
      assert.equal(before.result.count, 0);
    });

    it("C24: five events by received_at asc come back in order, desc in reverse", async () => {
      const message = `${tag}-sort`;
      const actors = ["alex", "bob", "chris", "dan", "evan"];
      for (const actor of actors) await audit.log({ message, actor });
      const asc = await searchWith(audit, `message:${message}`, {
        order: "asc",
        order_by: "received_at",
        limit: 5,
      });
      assert.deepEqual(
        asc.result.events.map((e) => e.envelope.event["actor"]),
        actors,
      );
      const desc = await searchWith(audit, `message:${message}`, {
        order: "desc",
        order_by: "received_at",
        limit: 5,
      });
      assert.deepEqual(
        desc.result.events.map((e) => e.envelope.event["actor"]),
        [...actors].reverse(),
      );
    });

    it("C25: order_by a custom field with the custom-schema token", async () => {
      const config = await createConfig(server, { name: "custom", schema: { fields: CUSTOM_FIELDS } });
      const token = await createToken(server, { audit: { configs: [config.id] } });
      const customAudit = new AuditService(token.token, pangea);
      const message = `${tag}-custom`;
      for (const n of [5, 1, 4, 2, 3]) {
        await customAudit.log({ message, field_int: n, field_bool: n % 2 === 0, field_str_short: `s${n}` });
      }
      const response = await searchWith(customAudit, `message:${message}`, {
        order: "asc",
        order_by: "field_int",
        limit: 2,
        max_results: 3,
        start: "30d",
        end: "0d",
      });
      assert.equal(response.result.events.length, 2);
      assert.equal(response.result.count, 3);
      assert.deepEqual(
        response.result.events.map((e) => e.envelope.event["field_int"]),
        [1, 2],
      );
      const page = await customAudit.results(response.result.id, 2, 2, { verifyConsistency: true });
      assert.deepEqual(
        page.result.events.map((e) => [e.envelope.event["field_int"], e.membership_verification]),
        [[3, "pass"]],
      );
    });
  });

  describe("C26 and the grant: config ids through the SDK", () => {
    it("a token over several configurations needs the service's config id: AmbiguousConfigID otherwise", async () => {
      const second = await createConfig(server, { name: "second" });
      const token = await createToken(server, { audit: { configs: [server.configId, second.id] } });
      await assert.rejects(
        searchWith(new AuditService(token.token, pangea), `message:${signed}`),
        (error: unknown) => {
          assert.ok(error instanceof PangeaErrors.APIError);
          assert.equal(error.pangeaResponse.status, "AmbiguousConfigID");
          return true;
        },
      );
      const first = new AuditService(token.token, pangea, undefined, server.configId);
      const found = await searchWith(first, `message:${signed}`, { limit: 1 }, { verifyConsistency: true });
      assert.equal(found.result.count, 5);
      assert.equal(lastWireRequest("/v1/search")?.["config_id"], server.configId);
      const page = await first.results(found.result.id, 1, 1, { verifyConsistency: true });
      assert.equal(page.result.events[0]!.membership_verification, "pass");
      const other = new AuditService(token.token, pangea, undefined, second.id);
      assert.equal((await searchWith(other, `message:${signed}`)).result.count, 0);
    });

    it("a config id the token cannot read is Unauthorized", async () => {
      const other = await createConfig(server, { name: "not granted" });
      const outside = new AuditService(server.auditToken, pangea, undefined, other.id);
      await assert.rejects(searchWith(outside, `message:${signed}`), PangeaErrors.UnauthorizedError);
    });

    function lastWireRequest(path: string): Record<string, unknown> | undefined {
      return recorder.exchanges.findLast((e) => e.path === path)?.request;
    }
  });
});
