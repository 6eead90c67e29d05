// Envelope building and hashing, wire-protocol §5.1–§5.2.
// Where the vectors come from (test-vectors/README.md names the origin of each file):
// - the "envelope canonical" / "envelope hash" lines of test-vectors/merkle-and-hash-vectors.txt,
//   an in-repo copy of the shared vectors/merkle-and-hash-vectors.txt, verified by the Python
//   SDK's own hash checker (wire-protocol §5.2);
// - the real Pangea record test-vectors/pangea-log-artifact.json, an in-repo copy of the shared
//   reference/pangea-log-artifact.json (pangea-python's tests/testdata/log_artifact.json), whose
//   `hash` the SDKs recompute from its envelope;
// - the byte-exact stored `public_key` of case 7 of the shared spec/sdk-acceptance-cases.md, from
//   the Node SDK's `{key, algorithm}` form, written out in the test itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalEnvelope,
  canonicalPublicKey,
  type Envelope,
  hashEnvelope,
  normalizeEvent,
  sha256Hex,
} from "./envelope.js";
import { formatReceivedAt } from "./received-at.js";
import { readTestVector } from "./test-support/test-vectors.js";

const vectorText = readTestVector("merkle-and-hash-vectors.txt");

function vectorLine(label: string): string {
  const line = vectorText.split("\n").find((l) => l.startsWith(`${label}: `));
  assert.ok(line, `the vector file has a "${label}" line`);
  return line.slice(label.length + 2).trim();
}

interface Artifact {
  envelope: Envelope;
  hash: string;
}
const artifact = JSON.parse(readTestVector("pangea-log-artifact.json")) as Artifact;

describe("envelope vector (test-vectors/merkle-and-hash-vectors.txt, checked by the Python SDK)", () => {
  const expectedCanonical = vectorLine("envelope canonical");
  const expectedHash = vectorLine("envelope hash");

  it("builds the vector's canonical envelope from an event whose `new` is an object", () => {
    const envelope: Envelope = {
      event: normalizeEvent({ message: "hello world", new: { b: 1, a: "x" }, actor: "alice" }),
      received_at: formatReceivedAt(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123_456),
    };
    assert.equal(canonicalEnvelope(envelope), expectedCanonical);
    assert.equal(hashEnvelope(envelope), expectedHash);
  });

  it("hashes the vector's canonical text to the vector's hash with plain SHA-256", () => {
    assert.match(expectedHash, /^[0-9a-f]{64}$/);
    assert.ok(expectedHash.startsWith("723cc2dc"));
    assert.equal(sha256Hex(expectedCanonical), expectedHash);
  });

  it("gives a different hash when `new` is left as a non-canonical string", () => {
    // Strings are stored as sent (§5.1): '{"b":1,"a":"x"}' is not rewritten, so the hash differs.
    const envelope: Envelope = {
      event: normalizeEvent({ actor: "alice", message: "hello world", new: '{"b":1,"a":"x"}' }),
      received_at: "2024-01-02T03:04:05.123456Z",
    };
    assert.notEqual(hashEnvelope(envelope), expectedHash);
  });

  it("leaves absent signature and public_key out of the hashed text", () => {
    const envelope: Envelope = {
      event: { actor: "alice", message: "hello world", new: '{"a":"x","b":1}' },
      received_at: "2024-01-02T03:04:05.123456Z",
      signature: undefined,
      public_key: undefined,
    };
    assert.equal(hashEnvelope(envelope), expectedHash);
  });
});

describe("normalizeEvent (wire-protocol §5.1 step 1)", () => {
  it("drops null and undefined members", () => {
    assert.deepEqual(normalizeEvent({ message: "m", old: null, new: undefined }), { message: "m" });
  });

  it("turns objects and arrays into their canonical JSON strings", () => {
    assert.deepEqual(
      normalizeEvent({
        message: "m",
        new: { z: [2, 1], a: { d: null, c: "é" } },
        old: [{ y: 1, x: 2 }, "s"],
        empty: {},
      }),
      { message: "m", new: '{"a":{"c":"é","d":null},"z":[2,1]}', old: '[{"x":2,"y":1},"s"]', empty: "{}" },
    );
  });

  it("leaves strings, numbers and booleans exactly as given", () => {
    const event = {
      message: "123",
      actor: "true",
      new: '{"b":1,"a":2}',
      status: "  padded  ",
      timestamp: "2024-01-02T03:04:05Z",
      field_int: 1,
      field_float: 1.5,
      field_zero: 0,
      field_bool: false,
    };
    const out = normalizeEvent(event);
    assert.deepEqual(out, event);
    assert.equal(typeof out["message"], "string");
    assert.equal(out["message"], "123");
    assert.equal(typeof out["field_int"], "number");
    assert.equal(out["field_bool"], false);
  });

  it("does not modify the event it is given", () => {
    const event = { message: "m", new: { b: 1, a: 2 }, old: null };
    normalizeEvent(event);
    assert.deepEqual(event, { message: "m", new: { b: 1, a: 2 }, old: null });
  });
});

describe("canonicalPublicKey (wire-protocol §5.1 step 2)", () => {
  // The Node SDK sends {key, algorithm} in that order; case 7 expects the stored form sorted.
  const nodeSdkForm =
    '{"key":"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAlvOyDMpK2DQ16NI8G41yINl01wMHzINBahtDPoh4+mE=\\n-----END PUBLIC KEY-----\\n","algorithm":"ED25519"}';
  const case7Stored =
    '{"algorithm":"ED25519","key":"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAlvOyDMpK2DQ16NI8G41yINl01wMHzINBahtDPoh4+mE=\\n-----END PUBLIC KEY-----\\n"}';

  it("re-serialises the Node SDK's {key, algorithm} string byte-exactly as acceptance case 7 expects", () => {
    assert.equal(canonicalPublicKey(nodeSdkForm), case7Stored);
  });

  it("keeps an already canonical JSON key unchanged (the real artifact's public_key)", () => {
    assert.equal(canonicalPublicKey(case7Stored), case7Stored);
    assert.ok(artifact.envelope.public_key);
    assert.equal(canonicalPublicKey(artifact.envelope.public_key), artifact.envelope.public_key);
  });

  it("sorts the keys of a Vault public_key and removes whitespace, keeping number types", () => {
    assert.equal(
      canonicalPublicKey(
        ' { "vault_key_version": 1, "key": "k", "vault_key_id": "pvi_x", "algorithm": "ED25519" }',
      ),
      '{"algorithm":"ED25519","key":"k","vault_key_id":"pvi_x","vault_key_version":1}',
    );
  });

  it("keeps strings that are not JSON objects verbatim", () => {
    const verbatim = [
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAlvOyDMpK2DQ16NI8G41yINl01wMHzINBahtDPoh4+mE=\n-----END PUBLIC KEY-----\n",
      "lvOyDMpK2DQ16NI8G41yINl01wMHzINBahtDPoh4+mE=",
      "{not json",
      '{"b":1,"a":2',
      '["b", "a"]',
      '"{\\"b\\":1}"',
      "",
    ];
    for (const key of verbatim) assert.equal(canonicalPublicKey(key), key);
  });
});

describe("the real Pangea record (test-vectors/pangea-log-artifact.json)", () => {
  it("hashes its envelope to its `hash`", () => {
    assert.equal(artifact.hash, "3ec7ed852a5602b051c01db8d292b2a7bddf147f1a9c7c752206c72240ee4aad");
    assert.equal(hashEnvelope(artifact.envelope), artifact.hash);
  });

  it("has an event that normalizeEvent leaves unchanged", () => {
    assert.deepEqual(normalizeEvent(artifact.envelope.event), artifact.envelope.event);
  });

  it("gives a different hash when one character of the event or the time changes", () => {
    const tampered: Envelope = {
      ...artifact.envelope,
      event: { ...artifact.envelope.event, actor: "node-sdK" },
    };
    assert.notEqual(hashEnvelope(tampered), artifact.hash);
    const retimed: Envelope = { ...artifact.envelope, received_at: "2023-06-05T17:01:28.026683Z" };
    assert.notEqual(hashEnvelope(retimed), artifact.hash);
    const unsigned: Envelope = { ...artifact.envelope, signature: undefined };
    assert.notEqual(hashEnvelope(unsigned), artifact.hash);
  });
});
