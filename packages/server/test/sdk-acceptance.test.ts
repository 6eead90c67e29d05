// The official Node SDK, unmodified, against a real server: sdk-acceptance-cases.md A1–A3, A5–A7,
// A11–A12, B14–B16 and D27–D29, with the assertions of pangea-javascript's
// packages/pangea-node-sdk/tests/integration/audit.test.ts (release 5.6.0), including the search
// halves of A6/A7 (the other search cases are in sdk-search.test.ts).
//
// Beside what the SDK checks by itself, every answer is also checked on the wire, independently of
// the SDK's parser (which turns JSON text under `message`/`new`/`old` back into objects, §5.3): the
// returned hash is the hash of the returned envelope, and the proofs fold with `@veritrail/core`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  canonicalize,
  type Envelope,
  hashEnvelope,
  verifyConsistency,
  verifyMembership,
  verifyText,
} from "@veritrail/core";
import { type Audit, AuditService, PangeaConfig, PangeaErrors } from "pangea-node-sdk";
import { type Exchange, recordExchanges, TestSigner, treeSizeOf, type WireResponse } from "./support/sdk.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const ACTOR = "node-sdk";
const HEX64 = /^[0-9a-f]{64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The stored `public_key` the upstream tests expect, byte for byte (wire-protocol §5.1 step 2). */
function canonicalPublicKeyOf(signer: TestSigner): string {
  const base64 = signer.getPublicKey().split("\n")[1]!;
  return `{"algorithm":"ED25519","key":"-----BEGIN PUBLIC KEY-----\\n${base64}\\n-----END PUBLIC KEY-----\\n"}`;
}

/** A `v1/log` result, or one item of a `v2/log` result, as sent (wire-protocol §4.1, §4.2). */
interface WireLogResult {
  hash: string;
  envelope: Envelope;
  unpublished_root?: string;
  membership_proof?: string;
  consistency_proof?: string[];
}

/** The items of a `v2/log` result (or of a finished `v2/log_async`) as sent. */
function wireBulkResults(result: unknown): WireLogResult[] {
  return (result as { results: WireLogResult[] }).results;
}

/** Asserts that a wire result's `hash` is the hash of its `envelope` (wire-protocol §5.1 step 5). */
function assertHashOfEnvelope(result: WireLogResult): void {
  assert.match(result.hash, HEX64);
  assert.equal(hashEnvelope(result.envelope), result.hash);
}

describe("pangea-node-sdk 5.6.0 against Veritrail", () => {
  let server: TestServer;
  let config: PangeaConfig;
  let audit: AuditService;
  let recorder: ReturnType<typeof recordExchanges>;

  /** The last exchange with an endpoint, e.g. "/v1/log". */
  function lastExchange(path: string): Exchange {
    const found = recorder.exchanges.findLast((e) => e.path === path);
    assert.ok(found, `no request to ${path} was made`);
    return found;
  }

  /** The result of the last answer from a log endpoint, as sent. */
  function wireLogResult(path = "/v1/log"): WireLogResult {
    return lastExchange(path).response.result as WireLogResult;
  }

  /** The current tree size, read through the SDK. */
  function treeSize(): Promise<number> {
    return treeSizeOf(audit);
  }

  before(async () => {
    server = await startTestServer();
    recorder = recordExchanges(server.url);
    // No retries: a 5xx from a server bug fails the test at once instead of after the SDK's backoff.
    config = new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 });
    audit = new AuditService(server.auditToken, config);
  });

  after(async () => {
    recorder.restore();
    await server.close();
  });

  describe("v1/log", () => {
    it("A1: without verbose returns only a 64-hex hash, and the SDK checks no proof", async () => {
      const sizeBefore = await treeSize();
      const response = await audit.log({ actor: ACTOR, message: "test-message", status: "test-message" });

      assert.equal(response.status, "Success");
      assert.match(response.result.hash, HEX64);
      assert.equal(response.result.envelope, undefined);
      assert.equal(response.result.membership_proof, undefined);
      assert.equal(response.result.consistency_proof, undefined);
      assert.equal(response.result.unpublished_root, undefined);
      assert.equal(response.result.membership_verification, undefined);
      assert.equal(response.result.consistency_verification, undefined);
      assert.equal(response.result.signature_verification, "none");
      assert.deepEqual(Object.keys(wireLogResult()), ["hash"]);
      assert.equal(await treeSize(), sizeBefore + 1);
    });

    it("A2: verbose without verify returns the envelope and a membership proof but no consistency proof", async () => {
      const response = await audit.log(
        { actor: ACTOR, message: "test-message", status: "no-signed" },
        { verbose: true },
      );

      assert.equal(response.status, "Success");
      assert.match(response.result.hash, HEX64);
      assert.ok(response.result.envelope);
      assert.equal(response.result.envelope.event["message"], "test-message");
      assert.match(response.result.envelope.received_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      assert.equal(typeof response.result.membership_proof, "string");
      assert.equal(response.result.consistency_proof, undefined);
      assert.equal(response.result.membership_verification, undefined);
      assert.equal(response.result.consistency_verification, undefined);
      assert.equal(response.result.signature_verification, "none");

      const wire = wireLogResult();
      assertHashOfEnvelope(wire);
      assert.ok(
        verifyMembership({
          leafHash: wire.hash,
          rootHash: wire.unpublished_root!,
          proof: wire.membership_proof!,
        }),
      );
    });

    it("A3: the tenant id given to the client ends up in envelope.event.tenant_id", async () => {
      const withTenant = new AuditService(server.auditToken, config, "mytenantid");
      const response = await withTenant.log(
        { actor: ACTOR, message: "test-message", status: "no-signed" },
        { verbose: true },
      );

      assert.equal(response.status, "Success");
      assert.equal(lastExchange("/v1/log").request?.event?.["tenant_id"], "mytenantid");
      assert.equal(response.result.envelope.event["tenant_id"], "mytenantid");
      assert.equal(response.result.consistency_proof, undefined);
      assert.equal(typeof response.result.membership_proof, "string");
      assert.equal(response.result.membership_verification, undefined);
      assert.equal(response.result.consistency_verification, undefined);
      assert.equal(response.result.signature_verification, "none");
      assertHashOfEnvelope(wireLogResult());
    });

    it("A5: verify twice with one client passes membership, then consistency from the first root", async () => {
      const client = new AuditService(server.auditToken, config);
      const event = () => ({ actor: ACTOR, message: "test-message", status: "no-signed" });

      const first = await client.log(event(), { verify: true });
      const firstWire = lastExchange("/v1/log");
      assert.equal(first.status, "Success");
      assert.equal(firstWire.request?.verbose, true);
      assert.equal(firstWire.request?.prev_root, undefined);
      assert.equal(first.result.consistency_proof, undefined);
      assert.equal(first.result.membership_verification, "pass");
      assert.equal(first.result.consistency_verification, "none");
      assert.equal(first.result.signature_verification, "none");

      const second = await client.log(event(), { verify: true });
      const secondWire = lastExchange("/v1/log");
      assert.equal(second.status, "Success");
      assert.equal(secondWire.request?.prev_root, first.result.unpublished_root);
      assert.ok(Array.isArray(second.result.consistency_proof));
      assert.equal(second.result.membership_verification, "pass");
      assert.equal(second.result.consistency_verification, "pass");
      assert.equal(second.result.signature_verification, "none");

      assertHashOfEnvelope(secondWire.response.result as WireLogResult);
      assert.ok(
        verifyConsistency({
          oldRoot: first.result.unpublished_root!,
          newRoot: second.result.unpublished_root!,
          proof: second.result.consistency_proof!,
        }),
      );
    });

    it("A5: consistency still passes when other clients logged events between verified calls", async () => {
      const client = new AuditService(server.auditToken, config);
      const other = new AuditService(server.auditToken, config);
      const event = () => ({ actor: ACTOR, message: "test-message", status: "no-signed" });

      const first = await client.log(event(), { verify: true });
      assert.equal(first.result.membership_verification, "pass");
      assert.equal(first.result.consistency_verification, "none");

      let previousRoot = first.result.unpublished_root!;
      for (let call = 0; call < 2; call++) {
        await other.log(event(), { verify: true });
        await other.logBulk([event(), event(), event()], { verbose: true });
        await audit.log(event());

        const next = await client.log(event(), { verify: true });
        assert.equal(next.status, "Success");
        assert.equal(lastExchange("/v1/log").request?.prev_root, previousRoot);
        assert.equal(next.result.membership_verification, "pass");
        assert.equal(next.result.consistency_verification, "pass");
        assert.equal(next.result.signature_verification, "none");
        assert.ok(
          verifyConsistency({
            oldRoot: previousRoot,
            newRoot: next.result.unpublished_root!,
            proof: next.result.consistency_proof!,
          }),
        );
        previousRoot = next.result.unpublished_root!;
      }
    });

    it("A5: clients logging with verify at the same time each pass membership, then consistency", async () => {
      const clients = Array.from({ length: 6 }, () => new AuditService(server.auditToken, config));
      const event = () => ({ actor: ACTOR, message: "test-message", status: "no-signed" });

      // Concurrent requests may share a group commit: each is proved against its batch's root.
      const firsts = await Promise.all(clients.map((client) => client.log(event(), { verify: true })));
      for (const first of firsts) {
        assert.equal(first.result.membership_verification, "pass");
        assert.equal(first.result.consistency_verification, "none");
      }
      const seconds = await Promise.all(clients.map((client) => client.log(event(), { verify: true })));
      for (const second of seconds) {
        assert.equal(second.result.membership_verification, "pass");
        assert.equal(second.result.consistency_verification, "pass");
      }
    });

    it("A5: a prev_root the server never returned gets no consistency proof", async () => {
      // The SDK only sends a prev_root it was given, so this one is sent by hand.
      const { status, body } = await postJson(
        `${server.url}/v1/log`,
        { event: { actor: ACTOR, message: "test-message" }, verbose: true, prev_root: "0".repeat(64) },
        server.auditToken,
      );
      assert.equal(status, 200);
      assert.equal(body.status, "Success");
      assert.equal(body.result.consistency_proof, undefined);
      assert.equal(typeof body.result.membership_proof, "string");
    });

    it("A6: JSON new/old are stored as canonical JSON strings and come back to Node as objects", async () => {
      const response = await audit.log(
        {
          actor: ACTOR,
          message: "JSON-message",
          status: "no-signed",
          new: { customtag3: "mycustommsg3", ct4: "cm4" },
          old: { customtag5: "mycustommsg5", ct6: "cm6" },
        },
        { verbose: true },
      );

      assert.equal(response.status, "Success");
      assert.match(response.result.hash, HEX64);
      assert.equal(typeof response.result.envelope.event["message"], "string");
      assert.equal(typeof response.result.envelope.event["new"], "object");
      assert.equal(typeof response.result.envelope.event["old"], "object");
      assert.deepEqual(response.result.envelope.event["new"], { ct4: "cm4", customtag3: "mycustommsg3" });
      assert.equal(response.result.signature_verification, "none");

      const wire = wireLogResult();
      assert.equal(wire.envelope.event.new, '{"ct4":"cm4","customtag3":"mycustommsg3"}');
      assert.equal(wire.envelope.event.old, '{"ct6":"cm6","customtag5":"mycustommsg5"}');
      assertHashOfEnvelope(wire);
    });

    it("A7: a locally signed event verifies as pass and keeps the public_key with sorted keys, byte for byte", async () => {
      const signer = new TestSigner();
      const response = await audit.log(
        {
          message: "sign-test-local",
          source: "Source",
          status: "Status",
          target: "Target",
          actor: ACTOR,
          action: "Action",
          new: "New",
          old: "Old",
        },
        { verbose: true, signer },
      );

      assert.equal(response.status, "Success");
      assert.match(response.result.hash, HEX64);
      assert.equal(response.result.signature_verification, "pass");
      // Node sends {key, algorithm} in insertion order; the server re-serialises it canonically.
      assert.ok(lastExchange("/v1/log").request?.public_key?.startsWith('{"key":'));
      assert.equal(response.result.envelope.public_key, canonicalPublicKeyOf(signer));

      const wire = wireLogResult();
      assertHashOfEnvelope(wire);
      assert.ok(
        verifyText({
          text: canonicalize(wire.envelope.event),
          signature: wire.envelope.signature!,
          publicKey: wire.envelope.public_key!,
        }),
      );
    });

    it("A7: a signed event whose new/old are JSON objects verifies as pass", async () => {
      const signer = new TestSigner();
      const response = await audit.log(
        {
          actor: ACTOR,
          message: "JSON-message",
          status: "signed",
          new: { customtag3: "mycustommsg3", ct4: "cm4" },
          old: { customtag5: "mycustommsg5", ct6: "cm6" },
        },
        { verbose: true, signer },
      );

      assert.equal(response.status, "Success");
      assert.equal(response.result.signature_verification, "pass");
      assert.equal(response.result.envelope.public_key, canonicalPublicKeyOf(signer));
      assertHashOfEnvelope(wireLogResult());
    });

    it("A6: the JSON event is found again by search: count 1, membership pass, signature none, consistency none", async () => {
      const response = await audit.search(
        "message:JSON-message status:no-signed",
        { limit: 1, max_results: 1 },
        { verifyConsistency: true },
      );
      assert.equal(response.status, "Success");
      assert.equal(response.result.count, 1);
      const [found] = response.result.events;
      assert.ok(found);
      assert.equal(found.membership_verification, "pass");
      assert.equal(found.signature_verification, "none");
      // Unpublished: it is new, so nothing published covers it yet.
      assert.equal(found.consistency_verification, "none");
      assert.equal(typeof found.envelope.event["new"], "object");
    });

    it("A7: a follow-up search returns the locally signed event with signature pass and the same public_key", async () => {
      const response = await audit.search(`message:sign-test-local actor:${ACTOR}`, { limit: 1 }, {});
      assert.equal(response.status, "Success");
      const [found] = response.result.events;
      assert.ok(found);
      assert.equal(found.signature_verification, "pass");
      assert.match(
        found.envelope.public_key ?? "",
        /^\{"algorithm":"ED25519","key":"-----BEGIN PUBLIC KEY-----\\n/,
      );
    });

    it("serves the same log under the /audit/ base URL layout", async () => {
      const prefixed = new AuditService(
        server.auditToken,
        new PangeaConfig({ baseUrlTemplate: `${server.url}/{SERVICE_NAME}`, requestRetries: 0 }),
      );
      const first = await prefixed.log({ actor: ACTOR, message: "test-message" }, { verify: true });
      const second = await prefixed.log({ actor: ACTOR, message: "test-message" }, { verify: true });

      assert.equal(lastExchange("/audit/v1/log").request?.prev_root, first.result.unpublished_root);
      assert.equal(first.result.membership_verification, "pass");
      assert.equal(second.result.membership_verification, "pass");
      assert.equal(second.result.consistency_verification, "pass");
    });

    it("A11: an empty message is rejected with ValidationError and exactly one error", async () => {
      const sizeBefore = await treeSize();
      await assert.rejects(audit.log({ message: "" }), (error: unknown) => {
        assert.ok(error instanceof PangeaErrors.ValidationError);
        assert.equal(error.name, "ValidationError");
        assert.equal(error.pangeaResponse.status, "ValidationError");
        assert.equal(error.pangeaResponse.gotResponse?.status, 400);
        assert.equal(error.errors.length, 1);
        assert.equal(error.errors[0]?.code, "BelowMinLength");
        assert.equal(error.errors[0]?.source, "/event/message");
        return true;
      });
      assert.equal(await treeSize(), sizeBefore);
    });

    it("A12: a bad token is rejected with UnauthorizedError, the fixed summary and no errors", async () => {
      const sizeBefore = await treeSize();
      const badAudit = new AuditService("pts_o45qb7xukiwob7sogf_notvalidtoken", config);
      await assert.rejects(badAudit.log({ message: "mymessage" }), (error: unknown) => {
        assert.ok(error instanceof PangeaErrors.UnauthorizedError);
        assert.equal(error.name, "UnauthorizedError");
        assert.equal(error.pangeaResponse.status, "Unauthorized");
        assert.equal(error.pangeaResponse.gotResponse?.status, 401);
        assert.equal(error.summary, "Not authorized to access this resource");
        assert.equal(error.errors.length, 0);
        return true;
      });
      assert.equal(await treeSize(), sizeBefore);
    });
  });

  describe("v2/log and v2/log_async", () => {
    it("B14: bulk verbose returns one hash and envelope per event, in order, and no proofs", async () => {
      const response = await audit.logBulk(
        [
          { actor: ACTOR, message: "bulk-1", status: "no-signed" },
          { actor: ACTOR, message: "bulk-2", status: "no-signed" },
        ],
        { verbose: true },
      );

      assert.equal(response.status, "Success");
      assert.equal(response.result.results.length, 2);
      response.result.results.forEach((result, i) => {
        assert.match(result.hash, HEX64);
        assert.ok(result.envelope);
        assert.equal(result.envelope.event["message"], `bulk-${i + 1}`);
        assert.equal(result.membership_proof, undefined);
        assert.equal(result.consistency_proof, undefined);
        assert.equal(result.unpublished_root, undefined);
        assert.equal(result.membership_verification, undefined);
        assert.equal(result.consistency_verification, undefined);
        assert.equal(result.signature_verification, "none");
      });
      const wireResults = wireBulkResults(lastExchange("/v2/log").response.result);
      assert.equal(wireResults.length, 2);
      for (const wire of wireResults) {
        assert.deepEqual(Object.keys(wire).sort(), ["envelope", "hash"]);
        assertHashOfEnvelope(wire);
      }
    });

    it("B15: bulk with a local signer verifies every signature as pass with the canonical public_key", async () => {
      const signer = new TestSigner();
      const response = await audit.logBulk(
        [
          { actor: ACTOR, message: "sign-test-local", status: "signed" },
          { actor: ACTOR, message: "sign-test-local", status: "signed" },
        ],
        { verbose: true, signer },
      );

      assert.equal(response.status, "Success");
      assert.equal(response.result.results.length, 2);
      for (const result of response.result.results) {
        assert.match(result.hash, HEX64);
        assert.equal(result.membership_proof, undefined);
        assert.equal(result.consistency_proof, undefined);
        assert.equal(result.membership_verification, undefined);
        assert.equal(result.consistency_verification, undefined);
        assert.equal(result.signature_verification, "pass");
        assert.equal(result.envelope.public_key, canonicalPublicKeyOf(signer));
      }
      for (const wire of wireBulkResults(lastExchange("/v2/log").response.result)) assertHashOfEnvelope(wire);
    });

    it("B16: bulk async is Accepted at once, and its events are stored and fetchable by request id", async () => {
      const sizeBefore = await treeSize();
      const response = await audit.logBulkAsync(
        [
          { actor: ACTOR, message: "async-1", status: "no-signed" },
          { actor: ACTOR, message: "async-2", status: "no-signed" },
        ],
        { verbose: true },
      );

      assert.equal(response.status, "Accepted");
      assert.equal(response.gotResponse?.status, 202);
      assert.deepEqual(response.result, {});
      assert.ok(response.accepted_result);
      assert.equal(typeof response.accepted_result.ttl_mins, "number");
      assert.equal(typeof response.accepted_result.retry_counter, "number");
      assert.equal(response.accepted_result.location, `${server.url}/request/${response.request_id}`);
      assert.match(response.request_id, /^prq_[a-z0-9]{32}$/);

      let polled: { status: number; body: WireResponse };
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await fetch(`${server.url}/request/${response.request_id}`, {
          headers: { authorization: `Bearer ${server.auditToken}` },
        });
        polled = { status: answer.status, body: (await answer.json()) as typeof polled.body };
        if (polled.status !== 202 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(polled.status, 200);
      assert.equal(polled.body.status, "Success");
      assert.equal(polled.body.request_id, response.request_id);
      const results = wireBulkResults(polled.body.result);
      assert.deepEqual(
        results.map((r) => r.envelope.event["message"]),
        ["async-1", "async-2"],
      );
      for (const result of results) assertHashOfEnvelope(result);
      assert.equal(await treeSize(), sizeBefore + 2);
    });

    it("B16: polling a bulk async request with a bad token is Unauthorized", async () => {
      const response = await audit.logBulkAsync([{ actor: ACTOR, message: "async-private" }]);
      assert.equal(response.status, "Accepted");
      const answer = await fetch(`${server.url}/request/${response.request_id}`, {
        headers: { authorization: "Bearer pts_o45qb7xukiwob7sogf_notvalidtoken" },
      });
      const body = (await answer.json()) as { status: string; summary: string };
      assert.equal(answer.status, 401);
      assert.equal(body.status, "Unauthorized");
      assert.equal(body.summary, "Not authorized to access this resource");
    });
  });

  describe("v1/root", () => {
    before(async () => {
      // Enough leaves for roots of every shape, whatever ran before.
      for (let i = 0; i < 5; i++) await audit.log({ actor: ACTOR, message: `root-${i}` });
    });

    /** The fields upstream checks on every root (sdk-acceptance-cases.md D27). */
    function assertRootShape(data: Audit.Root): void {
      assert.equal(typeof data.published_at, "string");
      assert.match(data.published_at!, RFC3339);
      assert.equal(typeof data.tree_name, "string");
      assert.ok(data.tree_name.length > 0);
      assert.match(data.root_hash, HEX64);
      assert.equal(typeof data.size, "number");
      assert.equal(typeof data.url, "string");
      assert.ok(data.url!.length > 0);
      assert.ok(data.consistency_proof === undefined || data.consistency_proof.length >= 1);
    }

    it("D27: root() returns the current root under result.data with every field", async () => {
      const logged = await audit.log({ actor: ACTOR, message: "root-latest" }, { verbose: true });
      const response = await audit.root();

      assert.equal(response.status, "Success");
      assertRootShape(response.result.data);
      // Nothing is published yet, so the current root is the one the last log proved against.
      assert.equal(response.result.data.root_hash, logged.result.unpublished_root);
      assert.ok(
        verifyMembership({
          leafHash: logged.result.hash,
          rootHash: response.result.data.root_hash,
          proof: logged.result.membership_proof!,
        }),
      );
      assert.deepEqual(lastExchange("/v1/root").request, {});
    });

    it("D28: root(1) returns the size-1 root with every field", async () => {
      const response = await audit.root(1);

      assert.equal(response.status, "Success");
      assertRootShape(response.result.data);
      assert.equal(response.result.data.size, 1);
      assert.deepEqual(lastExchange("/v1/root").request, { tree_size: 1 });
    });

    it("D29: root(n) succeeds for every n up to the size, and each proves consistency from n-1", async () => {
      const { size, tree_name: treeName } = (await audit.root()).result.data;
      assert.ok(size >= 6);
      let previous: Audit.Root | undefined;
      for (let n = 1; n <= size; n++) {
        const { result } = await audit.root(n);
        assertRootShape(result.data);
        assert.equal(result.data.size, n);
        assert.equal(result.data.tree_name, treeName);
        if (previous) {
          assert.ok(
            verifyConsistency({
              oldRoot: previous.root_hash,
              newRoot: result.data.root_hash,
              proof: result.data.consistency_proof,
            }),
            `the size-${n} root does not prove consistency with the size-${n - 1} root`,
          );
        } else {
          assert.ok(
            result.data.consistency_proof === undefined || result.data.consistency_proof.length === 0,
          );
        }
        previous = result.data;
      }
    });

    it("D29: root beyond the tree size is rejected with TreeNotFound", async () => {
      const size = await treeSize();
      await assert.rejects(audit.root(size + 1), (error: unknown) => {
        assert.ok(error instanceof PangeaErrors.APIError);
        assert.equal(error.pangeaResponse.status, "TreeNotFound");
        assert.equal(error.pangeaResponse.gotResponse?.status, 404);
        assert.equal(error.errors[0]?.code, "NotWithinRange");
        return true;
      });
    });
  });
});
