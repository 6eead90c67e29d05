// Ids and token secrets, wire-protocol §3.1.
// Where the vectors come from: the base32 strings are the test vectors of RFC 4648 §10
// ("f" → "MY", …, "foobar" → "MZXW6YTBOI"), lower-cased and without padding.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type IdPrefix, isId, newId, newTokenSecret, randomBase32 } from "./ids.js";

/** A deterministic random source: the given bytes, then zeros; it records each request. */
function fixedSource(bytes: Buffer, requests: number[] = []): (n: number) => Buffer {
  return (n: number) => {
    requests.push(n);
    return Buffer.concat([bytes, Buffer.alloc(n)]).subarray(0, n);
  };
}

describe("randomBase32", () => {
  const rfc4648: Array<[string, string]> = [
    ["f", "my"],
    ["fo", "mzxq"],
    ["foo", "mzxw6"],
    ["foob", "mzxw6yq"],
    ["fooba", "mzxw6ytb"],
    ["foobar", "mzxw6ytboi"],
  ];
  for (const [input, expected] of rfc4648) {
    it(`encodes the bytes "${input}" as the RFC 4648 base32 "${expected}" (lower case, no padding)`, () => {
      assert.equal(randomBase32(expected.length, fixedSource(Buffer.from(input))), expected);
    });
  }

  it("asks for exactly the bytes the characters need (5 bits each)", () => {
    for (const [characters, bytes] of [
      [10, 7],
      [32, 20],
      [40, 25],
      [1, 1],
    ] as const) {
      const requests: number[] = [];
      const out = randomBase32(characters, fixedSource(Buffer.alloc(0), requests));
      assert.deepEqual(requests, [bytes]);
      assert.equal(out, "a".repeat(characters));
    }
  });

  it("uses every bit: all-ones bytes give all '7', and 0x08 0x42 0x10 0x84 0x21 gives 'bbbbbbbb'", () => {
    assert.equal(randomBase32(32, fixedSource(Buffer.alloc(20, 0xff))), "7".repeat(32));
    // 00001 repeated eight times is 40 bits: 0x08 0x42 0x10 0x84 0x21.
    assert.equal(randomBase32(8, fixedSource(Buffer.from([0x08, 0x42, 0x10, 0x84, 0x21]))), "bbbbbbbb");
  });
});

describe("newId", () => {
  const prefixes: IdPrefix[] = ["prq", "pas", "pci", "ppj", "ptk", "pvi"];

  it("gives the prefix, an underscore and 32 characters of [a-z2-7] for every kind", () => {
    for (const prefix of prefixes) {
      const id = newId(prefix);
      assert.match(id, new RegExp(`^${prefix}_[a-z2-7]{32}$`));
    }
  });

  it("gives prq_ ids that match the ^prq_[a-z0-9]{32}$ pattern download_results checks", () => {
    for (let i = 0; i < 50; i++) assert.match(newId("prq"), /^prq_[a-z0-9]{32}$/);
  });

  it("gives a different id on every call and uses the whole alphabet", () => {
    const ids = Array.from({ length: 1000 }, () => newId("pci"));
    assert.equal(new Set(ids).size, ids.length);
    // 32 000 random characters: a missing symbol has probability about 32·(31/32)^32000 ≈ 0.
    const seen = new Set(ids.join("").replaceAll("pci_", ""));
    assert.equal([...seen].sort().join(""), "234567abcdefghijklmnopqrstuvwxyz");
  });
});

describe("isId", () => {
  it("recognises what newId gives, for its own prefix only", () => {
    const id = newId("pci");
    assert.equal(isId("pci", id), true);
    assert.equal(isId("ptk", id), false);
    assert.equal(isId("prq", newId("prq")), true);
  });

  it("refuses wrong lengths, characters outside [a-z2-7], and non-strings", () => {
    for (const bad of [
      "pci_",
      `pci_${"a".repeat(31)}`,
      `pci_${"a".repeat(33)}`,
      `pci_${"A".repeat(32)}`,
      `pci_${"1".repeat(32)}`,
      `pci-${"a".repeat(32)}`,
      7,
      null,
      undefined,
    ]) {
      assert.equal(isId("pci", bad), false, String(bad));
    }
  });
});

describe("newTokenSecret", () => {
  it("is pts_ followed by 40 base32 characters, i.e. 200 ≥ 160 random bits", () => {
    const secret = newTokenSecret();
    assert.match(secret, /^pts_[a-z2-7]{40}$/);
    const bits = (secret.length - "pts_".length) * Math.log2(32);
    assert.ok(bits >= 160, `${bits} bits`);
  });

  it("differs on every call", () => {
    const secrets = new Set(Array.from({ length: 200 }, () => newTokenSecret()));
    assert.equal(secrets.size, 200);
  });
});
