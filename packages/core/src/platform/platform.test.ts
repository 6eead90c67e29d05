// The two sides of the `#platform` seam give the same answers: node.ts (node:crypto) and
// browser.ts (@noble/hashes, @noble/curves, buffer) run here, on Node, on the same inputs.
// Vectors: SHA-256 of "abc" from FIPS 180-2 appendix B.1; Ed25519 "TEST 1" and "TEST 2" from
// RFC 8032 §7.1 (secret key, public key, message, signature).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as browser from "./browser.js";
import * as node from "./node.js";

const RFC8032 = [
  {
    name: "TEST 1",
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "TEST 2",
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const bytes = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));

for (const [side, platform] of [
  ["node.ts", node],
  ["browser.ts", browser],
] as const) {
  describe(`#platform ${side}`, () => {
    it("hashes FIPS 180-2's 'abc' to its SHA-256, from text and from bytes", () => {
      const expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
      assert.equal(platform.sha256Hex("abc"), expected);
      assert.equal(hex(platform.sha256(new TextEncoder().encode("abc"))), expected);
      assert.equal(platform.sha256("abc").toString("hex"), expected);
    });

    it("hashes UTF-8 text as its UTF-8 bytes", () => {
      const text = "héllo \u{1F600}";
      assert.equal(platform.sha256Hex(text), node.sha256Hex(Buffer.from(text, "utf8")));
    });

    for (const vector of RFC8032) {
      it(`derives the public key and signs RFC 8032 ${vector.name} exactly`, () => {
        const key = platform.ed25519PrivateKey(bytes(vector.seed));
        assert.equal(hex(key.publicKey), vector.publicKey);
        assert.equal(hex(platform.ed25519Sign(key, bytes(vector.message))), vector.signature);
        assert.equal(
          platform.ed25519Verify(bytes(vector.publicKey), bytes(vector.message), bytes(vector.signature)),
          true,
        );
      });
    }

    it("refuses a signature with a flipped bit, a wrong-length key or signature, without throwing", () => {
      const vector = RFC8032[1]!;
      const signature = bytes(vector.signature);
      signature[10] = signature[10]! ^ 1;
      assert.equal(platform.ed25519Verify(bytes(vector.publicKey), bytes(vector.message), signature), false);
      assert.equal(
        platform.ed25519Verify(
          bytes(vector.publicKey).subarray(1),
          bytes(vector.message),
          bytes(vector.signature),
        ),
        false,
      );
      assert.equal(
        platform.ed25519Verify(
          bytes(vector.publicKey),
          bytes(vector.message),
          bytes(vector.signature).subarray(1),
        ),
        false,
      );
      assert.equal(
        platform.ed25519Verify(new Uint8Array(32).fill(0xff), bytes("72"), new Uint8Array(64)),
        false,
      );
    });

    it("draws random bytes of the asked length, more than one Web Crypto call's worth too", () => {
      assert.equal(platform.randomBytes(16).length, 16);
      const large = platform.randomBytes(70_000);
      assert.equal(large.length, 70_000);
      assert.notEqual(hex(large.subarray(0, 32)), hex(large.subarray(69_968)));
    });
  });
}

describe("#platform: each side verifies the other's signatures", () => {
  it("node signs, browser verifies, and the other way round", () => {
    const seed = node.randomBytes(32);
    const message = new TextEncoder().encode('{"message":"cross"}');
    const fromNode = node.ed25519Sign(node.ed25519PrivateKey(seed), message);
    const fromBrowser = browser.ed25519Sign(browser.ed25519PrivateKey(seed), message);
    assert.equal(hex(fromNode), hex(fromBrowser));
    const publicKey = node.ed25519PrivateKey(seed).publicKey;
    assert.equal(browser.ed25519Verify(publicKey, message, fromNode), true);
    assert.equal(node.ed25519Verify(publicKey, message, fromBrowser), true);
  });
});
