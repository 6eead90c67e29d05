// Redaction at ingest (issue 11 §2 and §4 "Redaction"): rules on the fields marked `redact`, each
// action, search by original value through the keyed hash, client-signed events under both
// policies, invalid rules refused with a pointer, and a catastrophic pattern that neither stalls
// ingestion nor lets a value through. Runs on the store the test run selects (SQLite, or
// PostgreSQL with VERITRAIL_TEST_STORE=postgres), so both backends are held to it.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { canonicalize, type Envelope, hashEnvelope } from "@veritrail/core";
import { AuditService, PangeaConfig } from "pangea-node-sdk";
import { adminPost, type ConfigView, createConfig, createToken, successResult } from "./support/admin.js";
import { type ApiResponse, assertValidationError } from "./support/api-assertions.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const FIELDS = [
  { id: "message", type: "text", required: true, redact: true },
  { id: "actor", type: "string", size: 128, redact: true },
  { id: "target", type: "string", size: 128 },
];

const RULES = [
  { name: "emails", detector: "email_address", action: "hash" },
  { name: "cards", detector: "credit_card", action: "mask" },
  { name: "ssn", detector: "us_ssn", action: "label" },
  { name: "orders", pattern: "ord-\\d{6}", flags: "i", action: "label", label: "ORDER_ID" },
];

interface Target {
  config: ConfigView;
  token: string;
}

interface Logged {
  hash: string;
  envelope: Envelope;
}

interface SearchAnswer {
  count: number;
  events: Array<{ envelope: Envelope; hash: string }>;
}

/** A client-signed entry as the SDKs send it (wire-protocol §5.8): Ed25519 over the canonical event. */
function clientSigned(event: Record<string, unknown>) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    event,
    signature: sign(null, Buffer.from(canonicalize(event), "utf8"), privateKey).toString("base64"),
    public_key: JSON.stringify({
      key: publicKey.export({ type: "spki", format: "pem" }),
      algorithm: "ED25519",
    }),
  };
}

describe("redaction at ingest", () => {
  let server: TestServer;
  let main: Target;
  before(async () => {
    server = await startTestServer();
    main = await target({ enabled: true, rules: RULES });
  });
  after(() => server.close());

  async function target(redaction: Record<string, unknown>, fields: unknown[] = FIELDS): Promise<Target> {
    const config = await createConfig(server, { name: "redacting", schema: { fields }, redaction });
    const token = await createToken(server, { audit: { configs: [config.id] } });
    return { config, token: token.token };
  }

  const post = (t: Target, path: string, body: Record<string, unknown>): Promise<ApiResponse> =>
    postJson(`${server.url}${path}`, body, t.token);

  async function log(t: Target, body: Record<string, unknown>): Promise<Logged> {
    const logged = successResult<Logged>(await post(t, "/v1/log", { verbose: true, ...body }));
    assert.equal(logged.hash, hashEnvelope(logged.envelope));
    const head = (await server.service.store.log.getTreeHead(t.config.id))!;
    const leaf = (await server.service.store.log.getLeaf(head.id, head.size - 1))!;
    assert.equal(leaf.hash.toString("hex"), logged.hash);
    assert.deepEqual(JSON.parse(leaf.envelope), logged.envelope);
    return logged;
  }

  async function search(t: Target, query: string): Promise<SearchAnswer> {
    return successResult<SearchAnswer>(await post(t, "/v1/search", { query, verbose: false }));
  }

  describe("each action, on the fields marked redact only", () => {
    let logged: Logged;
    before(async () => {
      logged = await log(main, {
        event: {
          message: "alice@example.com paid with 4111 1111 1111 1111 for ORD-123456, ssn 123-45-6789",
          actor: "Alice@Example.com",
          target: "bob@example.com",
        },
      });
    });

    it("stores label, partial mask and keyed hash in place of the values, under the hash", () => {
      const { message, actor, target: notRedacted } = logged.envelope.event as Record<string, string>;
      const hashed = /^<EMAIL_ADDRESS:[0-9a-f]{20}>$/;
      const [emailPart] = message!.split(" ");
      assert.match(emailPart!, hashed);
      assert.equal(actor, emailPart, "one address in any case hashes the same");
      assert.equal(
        message!.slice(emailPart!.length),
        " paid with **** **** **** 1111 for <ORDER_ID>, ssn <US_SSN>",
      );
      assert.equal(notRedacted, "bob@example.com");
    });

    it("records which rules fired per field, by name and never by value", () => {
      assert.deepEqual(logged.envelope.redacted_by, {
        actor: ["emails"],
        message: ["emails", "cards", "ssn", "orders"],
      });
    });

    it("keeps the originals out of the stored envelope and out of search results", async () => {
      const found = await search(main, 'target="bob@example.com"');
      assert.equal(found.count, 1);
      const text = JSON.stringify(found.events);
      for (const original of ["alice", "4111 1111 1111 1111", "123456", "123-45-6789"]) {
        assert.equal(text.includes(original), false, original);
      }
      assert.equal(found.events[0]!.hash, logged.hash);
    });

    it("finds the event by an original hashed value, exact and contains, in any case the detector folds", async () => {
      assert.equal((await search(main, 'actor="alice@example.com"')).count, 1);
      assert.equal((await search(main, "actor:ALICE@example.com")).count, 1);
      assert.equal((await search(main, 'message:"alice@example.com"')).count, 1);
      assert.equal((await search(main, 'message:"alice@example.com" AND target:bob')).count, 1);
      assert.equal((await search(main, '-actor="alice@example.com" AND target:bob')).count, 0);
      // A free term: in any field, hashed where the field is redacted.
      assert.equal((await search(main, '"alice@example.com" AND target:bob')).count, 1);
      assert.equal(
        (await search(main, '"bob@example.com"')).count,
        1,
        "a value of a field not redacted, as written",
      );
    });

    it("finds nothing for another address, nor for an original that was labelled or masked", async () => {
      assert.equal((await search(main, 'actor="carol@example.com"')).count, 0);
      assert.equal((await search(main, 'message:"123-45-6789"')).count, 0);
      assert.equal((await search(main, 'message:"4111 1111 1111 1111"')).count, 0);
    });

    it("restricts by a hashed field: a token limited to an address sees that address's events", async () => {
      const token = await createToken(server, {
        audit: {
          configs: [main.config.id],
          field_restrictions: { [main.config.id]: { actor: ["alice@example.com"] } },
        },
      });
      const found = successResult<SearchAnswer>(
        await postJson(`${server.url}/v1/search`, { query: "", verbose: false }, token.token),
      );
      assert.equal(found.count, 1);
    });

    it("leaves an event without matches untouched and without redacted_by", async () => {
      const plain = await log(main, { event: { message: "nothing to hide here", actor: "svc-7" } });
      assert.deepEqual(plain.envelope.event, { message: "nothing to hide here", actor: "svc-7" });
      assert.equal("redacted_by" in plain.envelope, false);
    });

    it("redacts every event of a bulk request alike", async () => {
      const results = successResult<{ results: Logged[] }>(
        await post(main, "/v2/log", {
          verbose: true,
          events: [
            { event: { message: "a dave@example.org" } },
            { event: { message: "b dave@example.org" } },
          ],
        }),
      ).results;
      const [a, b] = results.map((r) => r.envelope.event["message"] as string);
      assert.equal(a!.slice(2), b!.slice(2));
      assert.match(a!, /^a <EMAIL_ADDRESS:[0-9a-f]{20}>$/);
      for (const r of results) assert.equal(r.hash, hashEnvelope(r.envelope));
    });
  });

  describe("the official Node SDK", () => {
    it("verifies the hash and membership of redacted events on log and search", async () => {
      const sdk = new AuditService(
        main.token,
        new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      );
      const logged = await sdk.log(
        { message: "sdk erin@example.net ssn 078-05-1120", actor: "sdk" },
        { verbose: true, verify: true },
      );
      assert.equal(logged.result.membership_verification, "pass");
      assert.deepEqual((logged.result.envelope as unknown as Envelope).redacted_by, {
        message: ["emails", "ssn"],
      });
      const found = await sdk.search(
        'message:"erin@example.net"',
        { verbose: true },
        { verifyConsistency: true },
      );
      assert.equal(found.result.count, 1);
      assert.equal(found.result.events[0]!.membership_verification, "pass");
    });
  });

  describe("client-signed events", () => {
    const secretEvent = { message: "signed by frank@example.com", actor: "frank" };

    it("reject: refuses a signed event that would be redacted, with a pointer to the field, and stores nothing", async () => {
      const strict = await target({ enabled: true, rules: RULES, signed_events: "reject" });
      const before = (await server.service.store.log.getTreeHead(strict.config.id))!.size;
      const response = await post(strict, "/v1/log", clientSigned(secretEvent));
      assertValidationError(response, [{ code: "BadState", source: "/event/message" }]);
      const bulk = await post(strict, "/v2/log", {
        events: [{ event: { message: "fine" } }, clientSigned(secretEvent)],
      });
      assertValidationError(bulk, [{ code: "BadState", source: "/events/1/event/message" }]);
      assert.equal((await server.service.store.log.getTreeHead(strict.config.id))!.size, before);
      // A signed event with nothing to redact is taken as signed.
      const clean = await log(strict, clientSigned({ message: "nothing personal", actor: "frank" }));
      assert.equal(clean.envelope.event["message"], "nothing personal");
      assert.ok(clean.envelope.signature);
    });

    it("store_unredacted (the default): keeps a signed event exactly as signed, so its signature verifies", async () => {
      const signed = clientSigned(secretEvent);
      const logged = await log(main, signed);
      assert.deepEqual(logged.envelope.event, secretEvent);
      assert.equal(logged.envelope.signature, signed.signature);
      assert.equal("redacted_by" in logged.envelope, false);
      // Found by its original value like the hashed events are.
      assert.equal((await search(main, 'message:"frank@example.com"')).count, 1);
    });
  });

  describe("the configuration document", () => {
    it("refuses invalid rules with a ValidationError and a pointer for each, and creates nothing", async () => {
      const before = successResult<{ count: number }>(
        await adminPost(server, "/v1beta/config/list", {}),
      ).count;
      const response = await adminPost(server, "/v1beta/config/create", {
        name: "bad rules",
        schema: { fields: FIELDS },
        redaction: {
          enabled: true,
          signed_events: "sometimes",
          rules: [
            { name: "a", detector: "passport", action: "label" },
            { name: "b", detector: "email_address", action: "encrypt" },
            { name: "c", pattern: "(\\w+)\\1", action: "label" },
            { name: "d", detector: "jwt", pattern: "x", action: "label" },
            { name: "a", detector: "jwt", action: "label" },
            { name: "Bad Name", detector: "jwt", action: "label", label: "lower" },
            { name: "e", pattern: "(a|)*", action: "mask" },
            { name: "f", action: "label" },
            { name: "g", detector: "jwt", action: "label", flags: "i", extra: 1 },
          ],
        },
      });
      assertValidationError(response, [
        { code: "NotEnumMember", source: "/redaction/signed_events" },
        { code: "NotEnumMember", source: "/redaction/rules/0/detector" },
        { code: "NotEnumMember", source: "/redaction/rules/1/action" },
        { code: "BadFormat", source: "/redaction/rules/2/pattern" },
        { code: "MutuallyExclusive", source: "/redaction/rules/3/pattern" },
        { code: "ItemNotUnique", source: "/redaction/rules/4/name" },
        { code: "DoesNotMatchPattern", source: "/redaction/rules/5/name" },
        { code: "DoesNotMatchPattern", source: "/redaction/rules/5/label" },
        { code: "BadFormat", source: "/redaction/rules/6/pattern" },
        { code: "MustProvideOne", source: "/redaction/rules/7" },
        { code: "UnexpectedProperty", source: "/redaction/rules/8/extra" },
        { code: "IsDependentOn", source: "/redaction/rules/8/flags" },
      ]);
      const after = successResult<{ count: number }>(
        await adminPost(server, "/v1beta/config/list", {}),
      ).count;
      assert.equal(after, before);
    });

    it("keeps rules and policy through an update that changes only enabled or mask", async () => {
      const t = await target({ enabled: true, rules: RULES, signed_events: "reject" });
      const updated = successResult<ConfigView>(
        await adminPost(server, "/v1beta/config/update", {
          id: t.config.id,
          name: t.config.name,
          updated_at: t.config.updated_at,
          redaction: { enabled: false, mask: "[x]" },
        }),
      );
      assert.deepEqual(updated.redaction, {
        enabled: false,
        mask: "[x]",
        rules: RULES,
        signed_events: "reject",
      });
    });

    it("redacts the kept value of a malformed redacted field too (save_malformed: all)", async () => {
      const config = await createConfig(server, {
        name: "malformed",
        schema: {
          save_malformed: "all",
          fields: [
            { id: "message", type: "text", required: true },
            { id: "actor", type: "string", size: 10, redact: true },
          ],
        },
        redaction: { enabled: true, rules: RULES },
      });
      const token = await createToken(server, { audit: { configs: [config.id] } });
      const logged = await log(
        { config, token: token.token },
        { event: { message: "m", actor: "henry@example.com" } },
      );
      assert.equal(logged.envelope.err?.length, 1);
      assert.match(logged.envelope.err![0]!.value!, /^<EMAIL_ADDRESS:[0-9a-f]{20}>$/);
    });

    it("keeps the older whole-value mask working while a configuration has no rules", async () => {
      const legacy = await target({ enabled: true, mask: "[hidden]" });
      const logged = await log(legacy, { event: { message: "alice@example.com", actor: "a", target: "t" } });
      assert.deepEqual(logged.envelope.event, { message: "[hidden]", actor: "[hidden]", target: "t" });
      assert.equal("redacted_by" in logged.envelope, false);
    });
  });

  describe("custom patterns that would backtrack", () => {
    it("runs a catastrophic pattern in linear time: ingestion answers, and the value is judged correctly", async () => {
      const t = await target({
        enabled: true,
        rules: [{ name: "evil", pattern: "(a+)+$", action: "label" }],
      });
      // A JavaScript RegExp would take exponential time on this value; the test's timeout is
      // what a stall would hit.
      const value = `${"a".repeat(20_000)}!`;
      const logged = await log(t, { event: { message: value } });
      assert.equal(logged.envelope.event["message"], value);
      const matched = await log(t, { event: { message: "aaaa" } });
      assert.equal(matched.envelope.event["message"], "<REDACTED>");
    });

    it("bounds the steps of one request's patterns together: later events of a costly bulk request fail closed", async () => {
      const t = await target({
        enabled: true,
        rules: [{ name: "wide", pattern: "[a-z]{0,100}y", action: "label", label: "CUT_OFF" }],
      });
      // Each value costs about 200 steps per character and has no match; the request's budget
      // (MAX_REDACTION_STEPS_PER_REQUEST) covers the first few of them only.
      const value = "x".repeat(30_000);
      const results = successResult<{ results: Logged[] }>(
        await post(t, "/v2/log", {
          verbose: true,
          events: Array.from({ length: 8 }, () => ({ event: { message: value } })),
        }),
      ).results;
      const messages = results.map((r) => r.envelope.event["message"]);
      assert.equal(messages[0], value);
      assert.equal(messages[7], "<CUT_OFF>");
      assert.deepEqual(results[7]!.envelope.redacted_by, { message: ["wide"] });
      // A request of its own gets a budget of its own.
      assert.equal((await log(t, { event: { message: value } })).envelope.event["message"], value);
    });

    it("cuts off a pattern that runs past its step budget and fails closed: the whole value is redacted", async () => {
      const t = await target({
        enabled: true,
        rules: [
          { name: "emails", detector: "email_address", action: "label" },
          { name: "rescans", pattern: "a[^x]*x|ab", action: "label", label: "CUT_OFF" },
        ],
      });
      const logged = await log(t, { event: { message: `gina@example.com ${"ab".repeat(15_000)}` } });
      assert.equal(logged.envelope.event["message"], "<CUT_OFF>");
      assert.deepEqual(logged.envelope.redacted_by, { message: ["rescans"] });
    });
  });
});
