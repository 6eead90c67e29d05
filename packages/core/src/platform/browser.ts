/**
 * The platform seam in a browser: the API of `node.ts` on audited pure-JavaScript code —
 * `@noble/hashes` (SHA-256), `@noble/curves` (Ed25519, RFC 8032) and `buffer` (Node's `Buffer`
 * API over `Uint8Array`, which core's byte handling is written against). Picked by the `browser`
 * condition of `package.json` `imports["#platform"]`; core's tests run both files on the same
 * vectors (platform.test.ts).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { Buffer } from "buffer";

export { Buffer };

const encoder = new TextEncoder();

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** SHA-256 of a UTF-8 text or of bytes. */
export function sha256(data: string | Uint8Array): Buffer {
  const digest = nobleSha256(bytesOf(data));
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** Hex SHA-256 of a UTF-8 text or of bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return sha256(data).toString("hex");
}

/** Cryptographically random bytes, from the Web Crypto API. */
export function randomBytes(size: number): Buffer {
  const bytes = new Uint8Array(size);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < size; offset += 65_536) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)));
  }
  return Buffer.from(bytes.buffer, 0, size);
}

/** An Ed25519 private key ready to sign with; opaque outside this file. */
export interface Ed25519PrivateKey {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly handle: unknown;
}

/** The key for a 32-byte Ed25519 seed (RFC 8032's private key). */
export function ed25519PrivateKey(seed: Uint8Array): Ed25519PrivateKey {
  const copy = Uint8Array.from(seed);
  return { seed: copy, publicKey: ed25519.getPublicKey(copy), handle: copy };
}

/** The 64-byte Ed25519 signature of a message. */
export function ed25519Sign(key: Ed25519PrivateKey, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, key.seed);
}

/** Whether a 64-byte signature over a message verifies with a raw 32-byte public key; never throws. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    // Strict RFC 8032 encodings, as OpenSSL (and so node.ts) accepts them: not ZIP-215's wider set.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
