import { randomBytes } from "node:crypto";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * Cryptographically random bytes drawn from a pooled `randomBytes` buffer: one system call per
 * 4 KiB instead of one per id (an id per request adds up), as `crypto.randomUUID` does.
 */
function pooledRandomBytes(bytes: number): Buffer {
  if (bytes > POOL_BYTES) return randomBytes(bytes);
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  // Each byte is handed out once: the offset only moves forward, and a refill is a new buffer.
  const out = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return out;
}

/** Lower-case RFC 4648 base32 (no padding) of random bytes: 5 bits a character, unbiased. */
export function randomBase32(
  characters: number,
  random: (bytes: number) => Buffer = pooledRandomBytes,
): string {
  const bytes = random(Math.ceil((characters * 5) / 8));
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < characters) {
      out += BASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/**
 * The id kinds of the protocol (wire-protocol §3.1): a prefix and 32 base32 characters,
 * which also match the `[a-z0-9]{32}` patterns `download_results` checks.
 */
export type IdPrefix = "prq" | "pas" | "pci" | "ppj" | "ptk" | "pvi";

/** A new random id, e.g. `newId("pci")` → `pci_` + 32 of `[a-z2-7]` (160 random bits). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase32(32)}`;
}

/** True when `text` has the form `newId(prefix)` gives: the prefix, `_` and 32 of `[a-z2-7]`. */
export function isId(prefix: IdPrefix, text: unknown): text is string {
  return (
    typeof text === "string" && text.startsWith(`${prefix}_`) && ID_BODY.test(text.slice(prefix.length + 1))
  );
}

const ID_BODY = /^[a-z2-7]{32}$/;

/** A new token secret: `pts_` + 40 base32 characters, 200 random bits. */
export function newTokenSecret(): string {
  return `pts_${randomBase32(40)}`;
}
