import { randomBytes } from "#platform";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** 32 characters of 5 bits: 160 random bits, 20 bytes. */
const ID_CHARACTERS = 32;
/** 40 characters of 5 bits: 200 random bits, 25 bytes. */
const TOKEN_SECRET_CHARACTERS = 40;
const DEFAULT_POOL_BYTES = 4096;

/** Lower-case RFC 4648 base32 (no padding) of random bytes: 5 bits a character, unbiased. */
export function randomBase32(
  characters: number,
  random: (bytes: number) => Uint8Array = randomBytes,
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

/**
 * A new random id, e.g. `newId("pci")` → `pci_` + 32 of `[a-z2-7]` (160 random bits), drawn
 * straight from `randomBytes`. A caller making an id per request can own an {@link IdGenerator},
 * which gives ids of the same form from a pool.
 */
export function newId(prefix: IdPrefix): string {
  return formatId(prefix, randomBytes);
}

/** True when `text` has the form `newId(prefix)` gives: the prefix, `_` and 32 of `[a-z2-7]`. */
export function isId(prefix: IdPrefix, text: unknown): text is string {
  return (
    typeof text === "string" && text.startsWith(`${prefix}_`) && ID_BODY.test(text.slice(prefix.length + 1))
  );
}

const ID_BODY = /^[a-z2-7]{32}$/;

/** A new token secret: `pts_` + 40 base32 characters, 200 random bits, drawn straight from `randomBytes`. */
export function newTokenSecret(): string {
  return formatTokenSecret(randomBytes);
}

/** Where an {@link IdGenerator} gets its bytes, and how many it draws at a time. */
export interface IdGeneratorOptions {
  /**
   * Cryptographically random bytes, `randomBytes` unless given. Tests pass a deterministic source;
   * anything else MUST be a CSPRNG, since token secrets come from it.
   */
  random?: (bytes: number) => Uint8Array;
  /** Bytes drawn from `random` per refill of the pool: 4096 unless given. */
  poolBytes?: number;
}

/**
 * Ids and token secrets of the same form as {@link newId} and {@link newTokenSecret}, drawn from a
 * pool this object owns: one `randomBytes` call per 4 KiB instead of one per id (an id per request
 * adds up), as `crypto.randomUUID` does. Each pooled byte is handed out once: the offset only moves
 * forward, a refill is a new buffer, and the bytes left at the end of a pool that cannot hold a
 * whole request are dropped, never reused. The owner creates it (one per app, say), so no state
 * is shared between callers or tests.
 *
 * @example
 *   const ids = new IdGenerator();
 *   ids.newId("prq"); // "prq_" + 32 of [a-z2-7]
 *   ids.newTokenSecret(); // "pts_" + 40 of [a-z2-7]
 */
export class IdGenerator {
  readonly #random: (bytes: number) => Uint8Array;
  readonly #poolBytes: number;
  #pool: Uint8Array = new Uint8Array(0);
  #poolOffset = 0;

  constructor(options: IdGeneratorOptions = {}) {
    const poolBytes = options.poolBytes ?? DEFAULT_POOL_BYTES;
    if (!Number.isSafeInteger(poolBytes) || poolBytes < 1)
      throw new RangeError("poolBytes must be a positive integer");
    this.#random = options.random ?? randomBytes;
    this.#poolBytes = poolBytes;
  }

  /** A new random id of the kind `prefix`, as {@link newId} gives. */
  newId(prefix: IdPrefix): string {
    return formatId(prefix, this.#take);
  }

  /** A new token secret, as {@link newTokenSecret} gives. */
  newTokenSecret(): string {
    return formatTokenSecret(this.#take);
  }

  /** `bytes` bytes of the pool that no earlier call was given; a request larger than a pool goes straight to the source. */
  readonly #take = (bytes: number): Uint8Array => {
    if (bytes > this.#poolBytes) return this.#random(bytes);
    if (this.#poolOffset + bytes > this.#pool.length) {
      const pool = this.#random(this.#poolBytes);
      if (pool.length !== this.#poolBytes)
        throw new RangeError("the random source gave the wrong number of bytes");
      this.#pool = pool;
      this.#poolOffset = 0;
    }
    const out = this.#pool.subarray(this.#poolOffset, this.#poolOffset + bytes);
    this.#poolOffset += bytes;
    return out;
  };
}

function formatId(prefix: IdPrefix, random: (bytes: number) => Uint8Array): string {
  return `${prefix}_${randomBase32(ID_CHARACTERS, random)}`;
}

function formatTokenSecret(random: (bytes: number) => Uint8Array): string {
  return `pts_${randomBase32(TOKEN_SECRET_CHARACTERS, random)}`;
}
