// Ids and token secrets, wire-protocol §3.1.
// Where the vectors come from: the base32 strings are the test vectors of RFC 4648 §10
// ("f" → "MY", …, "foobar" → "MZXW6YTBOI"), lower-cased and without padding. The IdGenerator
// tests decode what they get back to bytes (32 characters are exactly 20 bytes, 40 exactly 25)
// and compare them with what a deterministic source handed to the pool.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdGenerator, type IdPrefix, isId, newId, newTokenSecret, randomBase32 } from "./ids.js";

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

/** The bytes behind a body of `randomBase32`: the RFC 4648 decoding, for lengths that are whole bytes. */
function decodeBase32(text: string): number[] {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = alphabet.indexOf(char);
    assert.ok(value >= 0, `"${char}" is a base32 character`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
      buffer &= (1 << bits) - 1;
    }
  }
  assert.equal(bits, 0, "the text is a whole number of bytes");
  return out;
}

/** The bytes an id or token secret was made from: what follows its `xxx_` prefix, decoded. */
const bytesOf = (value: string) => decodeBase32(value.slice(4));

/**
 * A deterministic source that records each request and fills byte k of its c-th answer (from 0)
 * with `(c · stride + k) mod 256`, so while fewer than 256 bytes are drawn in all, every byte
 * value names the one place it came from.
 */
function countingSource(stride: number, requests: number[] = []): (n: number) => Buffer {
  return (n: number) => {
    const call = requests.length;
    requests.push(n);
    return Buffer.from(Array.from({ length: n }, (_, k) => (call * stride + k) % 256));
  };
}

describe("IdGenerator", () => {
  it("gives ids and token secrets of the form newId and newTokenSecret give", () => {
    const ids = new IdGenerator();
    for (const prefix of ["prq", "pas", "pci", "ppj", "ptk", "pvi"] as const) {
      const id = ids.newId(prefix);
      assert.match(id, new RegExp(`^${prefix}_[a-z2-7]{32}$`));
      assert.equal(isId(prefix, id), true);
    }
    assert.match(ids.newTokenSecret(), /^pts_[a-z2-7]{40}$/);
  });

  it("gives a different id on every call and uses the whole alphabet", () => {
    const ids = new IdGenerator();
    const made = Array.from({ length: 1000 }, () => ids.newId("pci"));
    assert.equal(new Set(made).size, made.length);
    const seen = new Set(made.join("").replaceAll("pci_", ""));
    assert.equal([...seen].sort().join(""), "234567abcdefghijklmnopqrstuvwxyz");
    const secrets = new Set(Array.from({ length: 200 }, () => ids.newTokenSecret()));
    assert.equal(secrets.size, 200);
  });

  it("hands each pooled byte out once, in order, dropping a pool's tail too short for a request", () => {
    // Pools of 50 bytes: two ids (20 bytes each) or one token secret and one id fit; 5 pools
    // are 250 < 256 bytes, so a repeated byte value would mean a byte handed out twice.
    const requests: number[] = [];
    const ids = new IdGenerator({ random: countingSource(50, requests), poolBytes: 50 });
    const made = [
      ids.newId("pci"), // pool 0, bytes 0-19
      ids.newId("prq"), // pool 0, bytes 20-39; 10 left
      ids.newTokenSecret(), // 25 > 10: pool 1, bytes 0-24
      ids.newId("ptk"), // pool 1, bytes 25-44; 5 left
      ids.newTokenSecret(), // pool 2, bytes 0-24
      ids.newTokenSecret(), // pool 2, bytes 25-49; 0 left
      ids.newId("pvi"), // pool 3, bytes 0-19
      ids.newId("pas"), // pool 3, bytes 20-39
      ids.newId("ppj"), // pool 4, bytes 0-19
    ];
    assert.deepEqual(requests, [50, 50, 50, 50, 50]);
    const runs = made.map(bytesOf);
    const starts = runs.map((run) => run[0]);
    // pool p starts at value 50·p
    assert.deepEqual(starts, [0, 20, 50, 75, 100, 125, 150, 170, 200]);
    for (const run of runs) {
      // each value is one more than the one before: one contiguous stretch of one pool
      assert.deepEqual(
        run,
        run.map((_, k) => run[0]! + k),
      );
    }
    const all = runs.flat();
    assert.equal(new Set(all).size, all.length, "no byte handed out twice");
  });

  it("draws one 4096-byte pool for 204 ids and a fresh one for the 205th", () => {
    const requests: number[] = [];
    const pools: Buffer[] = [];
    const source = (n: number) => {
      requests.push(n);
      const pool = Buffer.from(Array.from({ length: n }, (_, k) => (k * 7 + pools.length * 13) % 256));
      pools.push(pool);
      return pool;
    };
    const ids = new IdGenerator({ random: source });
    const first = Array.from({ length: 204 }, () => ids.newId("prq"));
    assert.deepEqual(requests, [4096]);
    assert.deepEqual(first.flatMap(bytesOf), [...pools[0]!.subarray(0, 204 * 20)]);
    const next = ids.newId("prq");
    assert.deepEqual(requests, [4096, 4096]);
    assert.deepEqual(bytesOf(next), [...pools[1]!.subarray(0, 20)]);
  });

  it("asks the source directly for a request larger than its pool", () => {
    const requests: number[] = [];
    const ids = new IdGenerator({ random: countingSource(0, requests), poolBytes: 16 });
    ids.newId("pci");
    ids.newTokenSecret();
    assert.deepEqual(requests, [20, 25]);
  });

  it("keeps its pool to itself: two generators on equal sources give equal ids, used in turn or not", () => {
    const alone = new IdGenerator({ random: countingSource(17), poolBytes: 64 });
    const expected = Array.from({ length: 6 }, () => alone.newId("pci"));
    const a = new IdGenerator({ random: countingSource(17), poolBytes: 64 });
    const b = new IdGenerator({ random: countingSource(17), poolBytes: 64 });
    const fromA: string[] = [];
    const fromB: string[] = [];
    for (let i = 0; i < 6; i++) {
      fromA.push(a.newId("pci"));
      fromB.push(b.newId("pci"));
    }
    assert.deepEqual(fromA, expected);
    assert.deepEqual(fromB, expected);
  });

  it("refuses a pool size that is not a positive integer", () => {
    for (const poolBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new IdGenerator({ poolBytes }), RangeError, String(poolBytes));
    }
  });

  it("refuses a source that gives fewer bytes than the pool asked for, instead of short ids", () => {
    const ids = new IdGenerator({ random: (n) => Buffer.alloc(n - 1), poolBytes: 64 });
    assert.throws(() => ids.newId("pci"), RangeError);
  });
});
