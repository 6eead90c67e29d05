// How each configuration's policy shapes what is stored (product-features §2, §7, §8, §11;
// wire-protocol §5.1, §5.9, §6): custom schemas with typed fields, malformed-event capture,
// redaction, server signing across a key rotation, and tokens restricted to field values.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  canonicalize,
  type Envelope,
  generateSigningKey,
  hashEnvelope,
  publicKeyPem,
  signText,
  verifyText,
} from "@veritrail/core";
import { adminPost, type ConfigView, createConfig, createToken, successResult } from "./support/admin.js";
import { type ApiResponse, assertValidationError, type ExpectedError } from "./support/api-assertions.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

/** The custom schema of the SDK tests (wire-protocol §6), with `message` required. */
const CUSTOM_FIELDS = [
  { id: "message", type: "text", required: true },
  { id: "field_int", type: "integer" },
  { id: "field_bool", type: "boolean" },
  { id: "field_str_short", type: "string", size: 10 },
  { id: "field_str_long", type: "text" },
  { id: "field_time", type: "datetime" },
];

/** A configuration and a token granted only it. */
interface Target {
  config: ConfigView;
  token: string;
}

/** A verbose v1/log result. */
interface Logged {
  hash: string;
  envelope: Envelope;
}

/** A client-signed entry as the SDKs send it (wire-protocol §5.8). */
function clientSigned(event: Record<string, unknown>) {
  const privateKey = generateSigningKey();
  const key = publicKeyPem(privateKey);
  return {
    event,
    signature: signText(canonicalize(event), privateKey),
    public_key: JSON.stringify({ key, algorithm: "ED25519" }),
    storedPublicKey: canonicalize({ algorithm: "ED25519", key }),
  };
}

/** Whether an envelope's signature verifies over its stored event with its own public key. */
function signatureVerifies(envelope: Envelope): boolean {
  return verifyText({
    text: canonicalize(envelope.event),
    signature: envelope.signature!,
    publicKey: envelope.public_key!,
  });
}

describe("ingestion policies", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  async function target(body: Record<string, unknown>, grant: Record<string, unknown> = {}): Promise<Target> {
    const config = await createConfig(server, body);
    const token = await createToken(server, { audit: { configs: [config.id], ...grant } });
    return { config, token: token.token };
  }

  const post = (t: Target, path: string, body: Record<string, unknown>): Promise<ApiResponse> =>
    postJson(`${server.url}${path}`, body, t.token);

  async function logVerbose(t: Target, body: Record<string, unknown>): Promise<Logged> {
    return successResult<Logged>(await post(t, "/v1/log", { verbose: true, ...body }));
  }

  const treeSize = async (t: Target) => (await server.service.store.log.getTreeHead(t.config.id))!.size;

  /** The stored text of the newest leaf of a configuration's tree, and its hash. */
  async function newestLeaf(t: Target): Promise<{ text: string; envelope: Envelope; hash: string }> {
    const head = (await server.service.store.log.getTreeHead(t.config.id))!;
    const leaf = (await server.service.store.log.getLeaf(head.id, head.size - 1))!;
    return {
      text: leaf.envelope,
      envelope: JSON.parse(leaf.envelope) as Envelope,
      hash: leaf.hash.toString("hex"),
    };
  }

  /** Logs and checks the stored leaf is exactly what was answered, hashed as the SDKs hash it. */
  async function logAndCheckStored(
    t: Target,
    body: Record<string, unknown>,
  ): Promise<Logged & { text: string }> {
    const logged = await logVerbose(t, body);
    assert.equal(logged.hash, hashEnvelope(logged.envelope));
    const stored = await newestLeaf(t);
    assert.equal(stored.hash, logged.hash);
    assert.deepEqual(stored.envelope, logged.envelope);
    return { ...logged, text: stored.text };
  }

  describe("a custom schema", () => {
    let custom: Target;
    before(async () => {
      custom = await target({ name: "custom", schema: { fields: CUSTOM_FIELDS } });
    });

    it("keeps JSON types: integers stay numbers, booleans stay booleans, an object in a text field becomes canonical JSON", async () => {
      const logged = await logAndCheckStored(custom, {
        event: {
          message: "typed",
          field_int: 42,
          field_bool: false,
          field_str_short: "short",
          field_str_long: { z: [2, 1], a: { y: null, x: "é" } },
          field_time: "2024-05-06T07:08:09.123456Z",
        },
      });
      assert.deepEqual(logged.envelope.event, {
        message: "typed",
        field_int: 42,
        field_bool: false,
        field_str_short: "short",
        field_str_long: '{"a":{"x":"é","y":null},"z":[2,1]}',
        field_time: "2024-05-06T07:08:09.123456Z",
      });
      assert.ok(logged.text.includes('"field_int":42,'), logged.text);
      assert.ok(logged.text.includes('"field_bool":false,'), logged.text);
    });

    it("measures size in characters: ten emoji fit a size-10 field, eleven do not", async () => {
      const logged = await logAndCheckStored(custom, {
        event: { message: "m", field_str_short: "😀".repeat(10) },
      });
      assert.equal(logged.envelope.event["field_str_short"], "😀".repeat(10));
      const before = await treeSize(custom);
      assertValidationError(
        await post(custom, "/v1/log", { event: { message: "m", field_str_short: "😀".repeat(11) } }),
        [{ code: "AboveMaxLength", source: "/event/field_str_short" }],
      );
      assert.equal(await treeSize(custom), before);
    });

    describe("refuses a bad event at the field's pointer and stores nothing", () => {
      const cases: { name: string; event: Record<string, unknown>; errors: ExpectedError[] }[] = [
        {
          name: "a missing required field",
          event: { field_int: 1 },
          errors: [{ code: "FieldRequired", source: "/event/message" }],
        },
        {
          name: "a string over its size",
          event: { message: "m", field_str_short: "eleven char" },
          errors: [{ code: "AboveMaxLength", source: "/event/field_str_short" }],
        },
        {
          name: "an integer sent as a string",
          event: { message: "m", field_int: "42" },
          errors: [{ code: "InvalidInteger", source: "/event/field_int" }],
        },
        {
          name: "a fraction in an integer field",
          event: { message: "m", field_int: 4.5 },
          errors: [{ code: "InvalidInteger", source: "/event/field_int" }],
        },
        {
          name: "a boolean sent as a string",
          event: { message: "m", field_bool: "true" },
          errors: [{ code: "InvalidBool", source: "/event/field_bool" }],
        },
        {
          name: "a date-time that is not one",
          event: { message: "m", field_time: "yesterday" },
          errors: [{ code: "BadFormatDateTime", source: "/event/field_time" }],
        },
        {
          name: "a date that does not exist",
          event: { message: "m", field_time: "2023-02-29T00:00:00Z" },
          errors: [{ code: "BadFormatDateTime", source: "/event/field_time" }],
        },
        {
          name: "a number in a string field",
          event: { message: "m", field_str_short: 7 },
          errors: [{ code: "InvalidString", source: "/event/field_str_short" }],
        },
        {
          name: "a field the schema lacks, even a standard one",
          event: { message: "m", actor: "alice", colour: "blue" },
          errors: [
            { code: "UnexpectedProperty", source: "/event/actor" },
            { code: "UnexpectedProperty", source: "/event/colour" },
          ],
        },
        {
          name: "several problems at once",
          event: { field_int: true, field_bool: 1, field_time: 5 },
          errors: [
            { code: "InvalidInteger", source: "/event/field_int" },
            { code: "InvalidBool", source: "/event/field_bool" },
            { code: "InvalidString", source: "/event/field_time" },
            { code: "FieldRequired", source: "/event/message" },
          ],
        },
      ];
      for (const { name, event, errors } of cases) {
        it(`${name}: ${errors.map((e) => `${e.code} at ${e.source}`).join(", ")}`, async () => {
          const before = await treeSize(custom);
          assertValidationError(await post(custom, "/v1/log", { event }), errors);
          assert.equal(await treeSize(custom), before);
        });
      }

      it("a missing required field named like an Object member (constructor)", async () => {
        const odd = await target({
          schema: {
            fields: [
              { id: "constructor", type: "string", required: true },
              { id: "n", type: "integer" },
            ],
          },
        });
        assertValidationError(await post(odd, "/v1/log", { event: { n: 1 } }), [
          { code: "FieldRequired", source: "/event/constructor" },
        ]);
        assert.equal(await treeSize(odd), 0);
        const logged = await logAndCheckStored(odd, { event: { constructor: "given", n: 1 } });
        assert.deepEqual(logged.envelope.event, { constructor: "given", n: 1 });
      });

      it("in a bulk request, at /events/i/event/…, and none of the batch is stored", async () => {
        const before = await treeSize(custom);
        assertValidationError(
          await post(custom, "/v2/log", {
            events: [
              { event: { message: "fine", field_int: 1 } },
              { event: { message: "bad", field_int: "1" } },
            ],
          }),
          [{ code: "InvalidInteger", source: "/events/1/event/field_int" }],
        );
        assert.equal(await treeSize(custom), before);
      });
    });
  });

  describe("save_malformed", () => {
    const fields = [...CUSTOM_FIELDS, { id: "secret", type: "string", size: 8, redact: true }];
    let all: Target;
    let unredacted: Target;
    before(async () => {
      all = await target({ name: "keep all", schema: { fields, save_malformed: "all" } });
      unredacted = await target({
        name: "keep unredacted",
        schema: { fields, save_malformed: "unredacted" },
      });
    });

    /** err notes by field, with the error's code (the text before the colon) instead of the full text. */
    function notes(envelope: Envelope): Record<string, { code: string; value?: string }> {
      const out: Record<string, { code: string; value?: string }> = {};
      for (const note of envelope.err ?? []) {
        assert.deepEqual(
          Object.keys(note)
            .filter((k) => k !== "value")
            .sort(),
          ["error", "field"],
        );
        out[note.field] = {
          code: note.error.split(":")[0]!,
          ...(note.value !== undefined ? { value: note.value } : {}),
        };
      }
      return out;
    }

    it("all: stores a bad event without its bad fields, with err notes of field, error and value, under the hash", async () => {
      const logged = await logAndCheckStored(all, {
        event: {
          message: "kept",
          field_int: "forty-two",
          field_bool: true,
          field_str_short: "far too long for ten",
          field_time: { when: "now" },
        },
      });
      assert.deepEqual(logged.envelope.event, { message: "kept", field_bool: true });
      assert.deepEqual(notes(logged.envelope), {
        field_int: { code: "InvalidInteger", value: "forty-two" },
        field_str_short: { code: "AboveMaxLength", value: "far too long for ten" },
        field_time: { code: "InvalidString", value: '{"when":"now"}' },
      });
      for (const note of logged.envelope.err!) assert.ok(note.error.length > note.error.indexOf(":") + 2);
      // The hash covers err: without it the envelope hashes differently.
      const { err: _err, ...withoutErr } = logged.envelope;
      assert.notEqual(hashEnvelope(withoutErr), logged.hash);
    });

    it("all: stores an event missing its required field, and one with an unknown field", async () => {
      const missing = await logAndCheckStored(all, { event: { field_int: 7 } });
      assert.deepEqual(missing.envelope.event, { field_int: 7 });
      assert.deepEqual(notes(missing.envelope), { message: { code: "FieldRequired" } });
      const unknown = await logAndCheckStored(all, { event: { message: "m", shoe_size: 42 } });
      assert.deepEqual(unknown.envelope.event, { message: "m" });
      assert.deepEqual(notes(unknown.envelope), { shoe_size: { code: "UnexpectedProperty", value: "42" } });
    });

    it("all: notes a missing required field named constructor, with no value", async () => {
      const odd = await target({
        schema: { fields: [{ id: "constructor", type: "string", required: true }], save_malformed: "all" },
      });
      const logged = await logAndCheckStored(odd, { event: {} });
      assert.deepEqual(logged.envelope.event, {});
      assert.deepEqual(notes(logged.envelope), { constructor: { code: "FieldRequired" } });
    });

    it("all: a good event has no err, and a redact-marked field's bad value is kept in the note", async () => {
      const good = await logAndCheckStored(all, { event: { message: "fine", secret: "s3cret" } });
      assert.equal("err" in good.envelope, false);
      const bad = await logAndCheckStored(all, { event: { message: "m", secret: "much too secret" } });
      assert.deepEqual(notes(bad.envelope), { secret: { code: "AboveMaxLength", value: "much too secret" } });
    });

    it("unredacted: leaves out the value of a redact-marked field, and keeps other values", async () => {
      const logged = await logAndCheckStored(unredacted, {
        event: { message: "m", secret: "much too secret", field_int: "x" },
      });
      assert.deepEqual(logged.envelope.event, { message: "m" });
      assert.deepEqual(notes(logged.envelope), {
        secret: { code: "AboveMaxLength" },
        field_int: { code: "InvalidInteger", value: "x" },
      });
      assert.equal(logged.text.includes("much too secret"), false);
    });

    it("still refuses what is not a field problem, and a signed event it would have to change", async () => {
      const before = await treeSize(all);
      assertValidationError(await post(all, "/v1/log", { event: "just text" }), [
        { code: "InvalidObject", source: "/event" },
      ]);
      const signed = clientSigned({ message: "signed", field_int: "x" });
      assertValidationError(
        await post(all, "/v1/log", {
          event: signed.event,
          signature: signed.signature,
          public_key: signed.public_key,
        }),
        [{ code: "InvalidInteger", source: "/event/field_int" }],
      );
      assert.equal(await treeSize(all), before);
    });
  });

  describe("redaction", () => {
    const fields = [
      { id: "message", type: "text", required: true },
      { id: "actor", type: "string", size: 128, redact: true },
      { id: "action", type: "string", size: 32 },
    ];
    let redacting: Target;
    before(async () => {
      redacting = await target({
        name: "redacting",
        schema: { fields },
        redaction: { enabled: true, mask: "****" },
      });
    });

    it("stores unsigned events with redact-marked fields masked", async () => {
      const logged = await logAndCheckStored(redacting, {
        event: { message: "login", actor: "alice@example.com", action: "sign-in" },
      });
      assert.deepEqual(logged.envelope.event, { message: "login", actor: "****", action: "sign-in" });
      assert.equal(logged.text.includes("alice@example.com"), false);
    });

    it("masks every event of a bulk request", async () => {
      const results = successResult<{ results: Logged[] }>(
        await post(redacting, "/v2/log", {
          verbose: true,
          events: [{ event: { message: "a", actor: "bob" } }, { event: { message: "b", actor: "carol" } }],
        }),
      ).results;
      assert.deepEqual(
        results.map((r) => r.envelope.event),
        [
          { message: "a", actor: "****" },
          { message: "b", actor: "****" },
        ],
      );
    });

    it("stores client-signed events as sent, so their signatures still verify", async () => {
      const signed = clientSigned({ message: "signed", actor: "alice@example.com" });
      const logged = await logAndCheckStored(redacting, {
        event: signed.event,
        signature: signed.signature,
        public_key: signed.public_key,
      });
      assert.deepEqual(logged.envelope.event, signed.event);
      assert.equal(logged.envelope.signature, signed.signature);
      assert.equal(logged.envelope.public_key, signed.storedPublicKey);
      assert.ok(signatureVerifies(logged.envelope));
    });

    it("leaves redact-marked fields alone when the configuration's redaction is off", async () => {
      const plain = await target({ name: "not redacting", schema: { fields } });
      const logged = await logAndCheckStored(plain, { event: { message: "m", actor: "alice@example.com" } });
      assert.equal(logged.envelope.event["actor"], "alice@example.com");
    });
  });

  describe("server signing", () => {
    let signing: Target;
    before(async () => {
      signing = await target({ name: "signing", vault_sign: true });
    });

    /** The parsed `public_key` of a server-signed envelope. */
    function serverKey(envelope: Envelope): Record<string, unknown> {
      const parsed = JSON.parse(envelope.public_key!) as Record<string, unknown>;
      assert.equal(envelope.public_key, canonicalize(parsed), "public_key is canonical JSON");
      assert.deepEqual(Object.keys(parsed), ["algorithm", "key", "vault_key_id", "vault_key_version"]);
      assert.equal(parsed["algorithm"], "ED25519");
      assert.match(
        String(parsed["key"]),
        /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/,
      );
      assert.equal(parsed["vault_key_id"], signing.config.vault_key_id);
      return parsed;
    }

    it("signs unsigned events over the canonical stored event, with a public_key naming the key and version", async () => {
      const logged = await logAndCheckStored(signing, {
        event: { message: { nested: true }, actor: "alice", timestamp: "2024-01-02T03:04:05Z" },
      });
      assert.ok(signatureVerifies(logged.envelope));
      assert.equal(serverKey(logged.envelope)["vault_key_version"], 1);
      // The signature covers the event: a changed event does not verify.
      const tampered = { ...logged.envelope, event: { ...logged.envelope.event, actor: "mallory" } };
      assert.equal(signatureVerifies(tampered), false);
    });

    it("signs every event of a bulk request", async () => {
      const results = successResult<{ results: Logged[] }>(
        await post(signing, "/v2/log", {
          verbose: true,
          events: [{ event: { message: "one" } }, { event: { message: "two" } }],
        }),
      ).results;
      for (const result of results) {
        assert.ok(signatureVerifies(result.envelope));
        assert.equal(result.hash, hashEnvelope(result.envelope));
      }
    });

    it("keeps the client's own signature and key on client-signed events", async () => {
      const signed = clientSigned({ message: "mine", actor: "bob" });
      const logged = await logAndCheckStored(signing, {
        event: signed.event,
        signature: signed.signature,
        public_key: signed.public_key,
      });
      assert.equal(logged.envelope.signature, signed.signature);
      assert.equal(logged.envelope.public_key, signed.storedPublicKey);
      assert.ok(signatureVerifies(logged.envelope));
    });

    it("signs with version 2 after signing_key/rotate, while earlier events verify with the key in their own envelope", async () => {
      const before = await logAndCheckStored(signing, { event: { message: "before rotation" } });
      const rotated = successResult<{ vault_key_version: number; public_key: string }>(
        await adminPost(server, "/v1beta/config/signing_key/rotate", { id: signing.config.id }),
      );
      assert.equal(rotated.vault_key_version, 2);
      const afterRotation = await logAndCheckStored(signing, { event: { message: "after rotation" } });
      const newKey = serverKey(afterRotation.envelope);
      assert.equal(newKey["vault_key_version"], 2);
      assert.equal(newKey["key"], rotated.public_key);
      assert.ok(signatureVerifies(afterRotation.envelope));

      const oldKey = serverKey(before.envelope);
      assert.equal(oldKey["vault_key_version"], 1);
      assert.notEqual(oldKey["key"], newKey["key"]);
      // The earlier event, read back from the store, still verifies with its own key, and not with the new one.
      const head = (await server.service.store.log.getTreeHead(signing.config.id))!;
      let stored: Envelope | undefined;
      for (let i = 0; i < head.size; i++) {
        const leaf = (await server.service.store.log.getLeaf(head.id, i))!;
        if (leaf.hash.toString("hex") === before.hash) stored = JSON.parse(leaf.envelope) as Envelope;
      }
      assert.deepEqual(stored, before.envelope);
      assert.ok(signatureVerifies(stored!));
      assert.equal(signatureVerifies({ ...stored!, public_key: afterRotation.envelope.public_key! }), false);
    });

    it("signs the redacted event when the configuration also redacts", async () => {
      const both = await target({
        name: "redacting and signing",
        vault_sign: true,
        schema: {
          fields: [
            { id: "message", type: "text", required: true },
            { id: "actor", type: "string", redact: true },
          ],
        },
        redaction: { enabled: true, mask: "****" },
      });
      const logged = await logAndCheckStored(both, { event: { message: "m", actor: "alice" } });
      assert.deepEqual(logged.envelope.event, { message: "m", actor: "****" });
      assert.ok(signatureVerifies(logged.envelope));
    });
  });

  describe("a token restricted to field values", () => {
    let restricted: Target;
    let unrestricted: Target;
    before(async () => {
      const config = await createConfig(server, { name: "tenants" });
      const token = await createToken(server, {
        audit: { configs: [config.id], field_restrictions: { [config.id]: { tenant_id: ["acme"] } } },
      });
      restricted = { config, token: token.token };
      unrestricted = {
        config,
        token: (await createToken(server, { audit: { configs: [config.id] } })).token,
      };
    });

    it("logs events carrying an allowed value", async () => {
      const logged = await logAndCheckStored(restricted, { event: { message: "ok", tenant_id: "acme" } });
      assert.equal(logged.envelope.event["tenant_id"], "acme");
      const bulk = successResult<{ results: Logged[] }>(
        await post(restricted, "/v2/log", {
          events: [
            { event: { message: "a", tenant_id: "acme" } },
            { event: { message: "b", tenant_id: "acme" } },
          ],
        }),
      );
      assert.equal(bulk.results.length, 2);
    });

    it("refuses another or a missing value with NotEnumMember at /event/tenant_id, and stores nothing", async () => {
      const before = await treeSize(restricted);
      for (const event of [
        { message: "other", tenant_id: "globex" },
        { message: "missing" },
        { message: "case", tenant_id: "ACME" },
      ]) {
        assertValidationError(await post(restricted, "/v1/log", { event }), [
          { code: "NotEnumMember", source: "/event/tenant_id" },
        ]);
      }
      const signed = clientSigned({ message: "signed", tenant_id: "globex" });
      assertValidationError(
        await post(restricted, "/v1/log", {
          event: signed.event,
          signature: signed.signature,
          public_key: signed.public_key,
        }),
        [{ code: "NotEnumMember", source: "/event/tenant_id" }],
      );
      assert.equal(await treeSize(restricted), before);
    });

    it("refuses a bulk request at /events/i/event/tenant_id, storing none of it, sync or async", async () => {
      const before = await treeSize(restricted);
      const events = [
        { event: { message: "fine", tenant_id: "acme" } },
        { event: { message: "other", tenant_id: "globex" } },
        { event: { message: "missing" } },
      ];
      for (const path of ["/v2/log", "/v2/log_async"]) {
        assertValidationError(await post(restricted, path, { events }), [
          { code: "NotEnumMember", source: "/events/1/event/tenant_id" },
          { code: "NotEnumMember", source: "/events/2/event/tenant_id" },
        ]);
      }
      assert.equal(await treeSize(restricted), before);
    });

    it("binds only that token: another token of the configuration logs any tenant", async () => {
      const logged = await logAndCheckStored(unrestricted, {
        event: { message: "free", tenant_id: "globex" },
      });
      assert.equal(logged.envelope.event["tenant_id"], "globex");
    });
  });
});
