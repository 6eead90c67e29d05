// Ed25519 signing and verification, wire-protocol §5.6 (signature check) and §5.8 (local signing).
// Where the vectors come from (test-vectors/README.md names the origin of each file):
// - the real Pangea record test-vectors/pangea-log-artifact.json, an in-repo copy of the shared
//   reference/pangea-log-artifact.json (pangea-python's tests/testdata/log_artifact.json): a Node
//   SDK event signed with the pangea-python test key (tests/testdata/privkey), whose public key
//   MCowBQYDK2VwAyEAlvOyDMpK2DQ16NI8G41yINl01wMHzINBahtDPoh4+mE= is quoted in wire-protocol §5.8;
// - everything else uses keys generated on the spot by node:crypto.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalize } from "./canonical-json.js";
import {
  generateSigningKey,
  loadPrivateKey,
  parsePublicKey,
  privateKeyPem,
  publicKeyPem,
  signText,
  verifyText,
} from "./ed25519.js";
import type { Envelope } from "./envelope.js";
import { CoreError } from "./errors.js";
import { readTestVector } from "./test-support/test-vectors.js";

const isCode = (code: string) => (e: unknown) => e instanceof CoreError && e.code === code;

const artifact = JSON.parse(readTestVector("pangea-log-artifact.json")) as { envelope: Envelope };

const PYTHON_TEST_KEY_SPKI_B64 = "MCowBQYDK2VwAyEAlvOyDMpK2DQ16NI8G41yINl01wMHzINBahtDPoh4+mE=";
const PYTHON_TEST_KEY_PEM = `-----BEGIN PUBLIC KEY-----\n${PYTHON_TEST_KEY_SPKI_B64}\n-----END PUBLIC KEY-----\n`;
/** The raw 32-byte key: the SPKI DER minus its 12-byte Ed25519 header. */
const PYTHON_TEST_KEY_RAW_B64 = Buffer.from(PYTHON_TEST_KEY_SPKI_B64, "base64")
  .subarray(12)
  .toString("base64");

/** Flips the lowest bit of byte `index` of a base64 value. */
function flipBase64(base64: string, index: number): string {
  const bytes = Buffer.from(base64, "base64");
  bytes[index] = bytes[index]! ^ 1;
  return bytes.toString("base64");
}

describe("signText / verifyText round trip", () => {
  const privateKey = generateSigningKey();
  const publicKey = privateKey.publicKey;
  const text = canonicalize({ message: "héllo \u{1F600}", actor: "alice", new: '{"a":1}' });

  it("produces a base64 signature of 64 bytes that verifies with the signer's PEM", () => {
    const signature = signText(text, privateKey);
    assert.match(signature, /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(Buffer.from(signature, "base64").length, 64);
    assert.equal(verifyText({ text, signature, publicKey: publicKeyPem(publicKey) }), true);
  });

  it("signs the UTF-8 bytes of the text, as node:crypto verifies them", () => {
    const signature = signText(text, privateKey);
    const utf8 = Buffer.from(text, "utf8");
    const nodeKey = createPublicKey(publicKeyPem(publicKey));
    assert.equal(verify(null, utf8, nodeKey, Buffer.from(signature, "base64")), true);
    assert.equal(verify(null, Buffer.from(text, "latin1"), nodeKey, Buffer.from(signature, "base64")), false);
  });

  it("exports the same PEM, with a trailing newline, from the private or the public key", () => {
    const pem = publicKeyPem(publicKey);
    assert.equal(publicKeyPem(privateKey), pem);
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=]{60}\n-----END PUBLIC KEY-----\n$/);
  });

  it("loads a PKCS#8 PEM private key whose signatures verify", () => {
    const loaded = loadPrivateKey(privateKeyPem(privateKey));
    assert.equal(
      verifyText({ text, signature: signText(text, loaded), publicKey: publicKeyPem(publicKey) }),
      true,
    );
  });

  it("rejects a text changed by one character", () => {
    const signature = signText(text, privateKey);
    const tampered = text.replace("alice", "alicf");
    assert.notEqual(tampered, text);
    assert.equal(verifyText({ text: tampered, signature, publicKey: publicKeyPem(publicKey) }), false);
  });

  it("rejects a signature with any one byte flipped", () => {
    const signature = signText(text, privateKey);
    const pem = publicKeyPem(publicKey);
    for (let i = 0; i < 64; i++) {
      assert.equal(
        verifyText({ text, signature: flipBase64(signature, i), publicKey: pem }),
        false,
        `byte ${i}`,
      );
    }
  });

  it("rejects a signature made by another key", () => {
    const other = generateSigningKey();
    const signature = signText(text, other);
    assert.equal(verifyText({ text, signature, publicKey: publicKeyPem(publicKey) }), false);
  });

  it("returns false, without throwing, for a truncated or non-base64 signature or an unusable key", () => {
    const signature = signText(text, privateKey);
    const pem = publicKeyPem(publicKey);
    assert.equal(verifyText({ text, signature: signature.slice(0, 40), publicKey: pem }), false);
    assert.equal(verifyText({ text, signature: "", publicKey: pem }), false);
    assert.equal(verifyText({ text, signature: "!!!not base64!!!", publicKey: pem }), false);
    assert.equal(verifyText({ text, signature, publicKey: "garbage" }), false);
  });
});

describe("verifyText: the public_key forms of wire-protocol §5.6 step 3", () => {
  const privateKey = generateSigningKey();
  const pem = publicKeyPem(privateKey.publicKey);
  const rawB64 = Buffer.from(privateKey.publicKey).toString("base64");
  const text = '{"message":"forms"}';
  const signature = signText(text, privateKey);

  it("accepts a JSON string with a `key` member (the Node SDK's insertion order)", () => {
    const json = JSON.stringify({ key: pem, algorithm: "ED25519" });
    assert.equal(verifyText({ text, signature, publicKey: json }), true);
  });

  it("accepts a bare SPKI PEM", () => {
    assert.equal(verifyText({ text, signature, publicKey: pem }), true);
  });

  it("accepts base64 of the raw 32-byte key (the legacy form)", () => {
    assert.equal(Buffer.from(rawB64, "base64").length, 32);
    assert.equal(verifyText({ text, signature, publicKey: rawB64 }), true);
  });

  it("rejects the signature in every form when the key is someone else's", () => {
    const other = publicKeyPem(generateSigningKey().publicKey);
    assert.equal(verifyText({ text, signature, publicKey: other }), false);
    assert.equal(verifyText({ text, signature, publicKey: JSON.stringify({ key: other }) }), false);
  });
});

describe("parsePublicKey / loadPrivateKey: unsupported keys", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const rsaPublicPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();
  const rsaPrivatePem = rsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

  const garbage: Array<[string, string]> = [
    ["an empty string", ""],
    ["a word", "garbage"],
    ["base64 of 31 bytes", Buffer.alloc(31, 7).toString("base64")],
    ["base64 of 33 bytes", Buffer.alloc(33, 7).toString("base64")],
    ["a JSON object without `key`", '{"algorithm":"ED25519"}'],
    ["a JSON object whose `key` is a number", '{"key":5}'],
    ["broken JSON", '{"key":'],
    ["a PEM with a corrupted body", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"],
  ];
  for (const [name, value] of garbage) {
    it(`parsePublicKey throws ERR_KEY_FORMAT for ${name}`, () => {
      assert.throws(() => parsePublicKey(value), isCode("ERR_KEY_FORMAT"));
    });
  }

  it("parsePublicKey throws ERR_KEY_FORMAT for an RSA public key, bare or inside JSON", () => {
    assert.throws(() => parsePublicKey(rsaPublicPem), isCode("ERR_KEY_FORMAT"));
    assert.throws(() => parsePublicKey(JSON.stringify({ key: rsaPublicPem })), isCode("ERR_KEY_FORMAT"));
  });

  it("verifyText returns false for an RSA public key", () => {
    assert.equal(
      verifyText({ text: "x", signature: Buffer.alloc(64).toString("base64"), publicKey: rsaPublicPem }),
      false,
    );
  });

  it("loadPrivateKey throws ERR_KEY_FORMAT for an RSA private key and for garbage", () => {
    assert.throws(() => loadPrivateKey(rsaPrivatePem), isCode("ERR_KEY_FORMAT"));
    assert.throws(() => loadPrivateKey("not a key"), isCode("ERR_KEY_FORMAT"));
  });
});

describe("the real Pangea record (test-vectors/pangea-log-artifact.json)", () => {
  const { event, signature, public_key } = artifact.envelope;
  assert.ok(signature && public_key);
  const text = canonicalize(event);

  it("has a signature that verifies over the canonical JSON of its event with its public_key", () => {
    assert.equal(verifyText({ text, signature, publicKey: public_key }), true);
  });

  it("verifies with the same key given as PEM and as base64 of the raw 32 bytes", () => {
    assert.equal(publicKeyPem(parsePublicKey(public_key)), PYTHON_TEST_KEY_PEM);
    assert.equal(verifyText({ text, signature, publicKey: PYTHON_TEST_KEY_PEM }), true);
    assert.equal(verifyText({ text, signature, publicKey: PYTHON_TEST_KEY_RAW_B64 }), true);
  });

  it("fails when the event is changed or its members are hashed in insertion order", () => {
    assert.equal(
      verifyText({ text: canonicalize({ ...event, status: "unsigned" }), signature, publicKey: public_key }),
      false,
    );
    assert.notEqual(JSON.stringify(event), text);
    assert.equal(verifyText({ text: JSON.stringify(event), signature, publicKey: public_key }), false);
  });
});

describe("loadPrivateKey: PEM forms made elsewhere", () => {
  const text = '{"message":"pem"}';

  it("loads the PKCS#8 PEM node:crypto writes, and signs as node:crypto does", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const loaded = loadPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    assert.equal(publicKeyPem(loaded), publicKey.export({ type: "spki", format: "pem" }).toString());
    const signature = signText(text, loaded);
    assert.equal(verify(null, Buffer.from(text), publicKey, Buffer.from(signature, "base64")), true);
  });

  it("loads a PKCS#8 v2 key (RFC 8410 OneAsymmetricKey with the public key appended)", () => {
    const key = generateSigningKey();
    const v2 = Buffer.concat([
      Buffer.from("3051020101300506032b657004220420", "hex"),
      key.seed,
      Buffer.from("812100", "hex"),
      key.publicKey,
    ]);
    const pem = `-----BEGIN PRIVATE KEY-----\n${v2.toString("base64")}\n-----END PRIVATE KEY-----\n`;
    assert.equal(publicKeyPem(loadPrivateKey(pem)), publicKeyPem(key));
  });

  it("writes a PEM that node:crypto reads back as the same key", () => {
    const key = generateSigningKey();
    const nodeKey = createPublicKey(createPrivateKey(privateKeyPem(key)));
    assert.equal(nodeKey.export({ type: "spki", format: "pem" }).toString(), publicKeyPem(key));
  });
});
