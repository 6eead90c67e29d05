/**
 * The platform seam on Node.js: `node:crypto` and Node's own `Buffer`. `browser.ts` is the same
 * API on pure-JavaScript implementations; `package.json` `imports["#platform"]` picks one by the
 * `browser` condition, so nothing else in core imports a `node:` module (docs/design/core-platform.md).
 */
import { Buffer } from "node:buffer";
import {
  createPrivateKey,
  createPublicKey,
  hash,
  randomBytes as nodeRandomBytes,
  sign,
  verify,
} from "node:crypto";

export { Buffer };

/** SHA-256 of a UTF-8 text or of bytes. One-shot `crypto.hash`: no Hash object per call. */
export function sha256(data: string | Uint8Array): Buffer {
  return hash("sha256", data, "buffer");
}

/** Hex SHA-256 of a UTF-8 text or of bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return hash("sha256", data, "hex");
}

/** Cryptographically random bytes. */
export function randomBytes(size: number): Buffer {
  return nodeRandomBytes(size);
}

/** An Ed25519 private key ready to sign with; opaque outside this file. */
export interface Ed25519PrivateKey {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly handle: unknown;
}

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The key for a 32-byte Ed25519 seed (RFC 8032's private key). */
export function ed25519PrivateKey(seed: Uint8Array): Ed25519PrivateKey {
  const handle = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(handle).export({ format: "der", type: "spki" });
  return {
    seed: Uint8Array.from(seed),
    publicKey: Uint8Array.from(spki.subarray(SPKI_PREFIX.length)),
    handle,
  };
}

/** The 64-byte Ed25519 signature of a message. */
export function ed25519Sign(key: Ed25519PrivateKey, message: Uint8Array): Uint8Array {
  return sign(null, message, key.handle as Parameters<typeof sign>[2]);
}

/** Whether a 64-byte signature over a message verifies with a raw 32-byte public key; never throws. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, publicKey]),
      format: "der",
      type: "spki",
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
