import {
  Buffer,
  type Ed25519PrivateKey,
  ed25519PrivateKey,
  ed25519Sign,
  ed25519Verify,
  randomBytes,
} from "#platform";
import { CoreError } from "./errors.js";

/*
 * Ed25519, the only algorithm the SDKs verify (wire-protocol §5.6, §5.8). The signed bytes are
 * the UTF-8 canonical JSON of the stored event; signatures travel as base64 of 64 bytes. Keys are
 * read and written here, in the DER forms of RFC 8410, so the same code runs on Node and in a
 * browser (`#platform` does the curve arithmetic).
 */

/** An Ed25519 private key with its public half. */
export type SigningKey = Ed25519PrivateKey;

/** PKCS#8 v1 (RFC 8410 §7) of an Ed25519 key: this header, then the 32-byte seed. */
const PKCS8_V1_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** The algorithm identifier and private-key octet string header, shared by PKCS#8 v1 and v2. */
const PKCS8_KEY_HEADER = Buffer.from("300506032b657004220420", "hex");
/** SubjectPublicKeyInfo of an Ed25519 key: this header, then the 32-byte key. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** A fresh Ed25519 key. */
export function generateSigningKey(): SigningKey {
  return ed25519PrivateKey(randomBytes(32));
}

/** The key of a 32-byte seed, for callers that keep keys in their raw form. */
export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new CoreError("ERR_KEY_FORMAT", "an Ed25519 seed is 32 bytes");
  return ed25519PrivateKey(seed);
}

/** Loads a PKCS#8 PEM private key (v1, or v2 with its public key appended). */
export function loadPrivateKey(pem: string): SigningKey {
  const der = pemBody(pem, "PRIVATE KEY");
  const seedStart = 5 + PKCS8_KEY_HEADER.length;
  // SEQUENCE, INTEGER version 0 (v1) or 1 (v2), then the shared header at byte 5: every length
  // in an Ed25519 key is short-form, so the offsets are fixed.
  const isEd25519 =
    der !== undefined &&
    der.length >= seedStart + 32 &&
    der[0] === 0x30 &&
    der[2] === 0x02 &&
    der[3] === 0x01 &&
    (der[4] === 0 || der[4] === 1) &&
    der.subarray(5, seedStart).equals(PKCS8_KEY_HEADER);
  if (!isEd25519) throw new CoreError("ERR_KEY_FORMAT", "not an Ed25519 private key in PEM form");
  return ed25519PrivateKey(der.subarray(seedStart, seedStart + 32));
}

/** The PKCS#8 (v1) PEM of a private key, as the store keeps it. */
export function privateKeyPem(key: SigningKey): string {
  return pem("PRIVATE KEY", Buffer.concat([PKCS8_V1_PREFIX, key.seed]));
}

/** The SPKI PEM of a public key (or a key pair's), with its trailing newline, as the SDKs send it. */
export function publicKeyPem(key: SigningKey | Uint8Array): string {
  const raw = key instanceof Uint8Array ? key : key.publicKey;
  return pem("PUBLIC KEY", Buffer.concat([SPKI_PREFIX, raw]));
}

/** Signs a canonical event text; returns base64 of the 64-byte signature. */
export function signText(text: string, key: SigningKey): string {
  return Buffer.from(ed25519Sign(key, Buffer.from(text, "utf8"))).toString("base64");
}

/** Signs bytes; returns the 64-byte signature. */
export function signBytes(message: Uint8Array, key: SigningKey): Uint8Array {
  return ed25519Sign(key, message);
}

/**
 * Reads a `public_key` in any form the SDKs accept (wire-protocol §5.6 step 3): a JSON string
 * with a `key` member, an SPKI PEM, or base64 of the raw 32-byte key. Returns the raw 32 bytes.
 */
export function parsePublicKey(publicKey: string): Uint8Array {
  const fail = (why: string) =>
    new CoreError("ERR_KEY_FORMAT", `public_key is not an Ed25519 key in a supported form: ${why}`);
  let text = publicKey.trim();
  if (text.startsWith("{")) {
    let parsed: { key?: unknown };
    try {
      parsed = JSON.parse(text) as { key?: unknown };
    } catch {
      throw fail("broken JSON");
    }
    if (typeof parsed?.key !== "string") throw fail("no key member");
    text = parsed.key.trim();
  }
  if (text.startsWith("-----BEGIN")) {
    const der = pemBody(text, "PUBLIC KEY");
    if (der?.length !== SPKI_PREFIX.length + 32 || !der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) {
      throw fail("not an Ed25519 SubjectPublicKeyInfo");
    }
    return Uint8Array.from(der.subarray(SPKI_PREFIX.length));
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw fail("not base64");
  const raw = Buffer.from(text, "base64");
  if (raw.length !== 32) throw fail("a raw Ed25519 key is 32 bytes");
  return Uint8Array.from(raw);
}

/** Verifies a base64 signature over a text; false on a bad key or signature, never throws. */
export function verifyText(args: { text: string; signature: string; publicKey: string }): boolean {
  try {
    const key = parsePublicKey(args.publicKey);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(args.signature)) return false;
    return ed25519Verify(key, Buffer.from(args.text, "utf8"), Buffer.from(args.signature, "base64"));
  } catch {
    return false;
  }
}

/** Verifies a 64-byte signature over bytes with a raw 32-byte key; never throws. */
export function verifyBytes(args: {
  message: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}): boolean {
  return ed25519Verify(args.publicKey, args.message, args.signature);
}

/** The DER inside a PEM block of the given label, or undefined when it is not one. */
function pemBody(text: string, label: string): Buffer | undefined {
  const match = new RegExp(
    `^-----BEGIN ${label}-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END ${label}-----\\s*$`,
  ).exec(text.trim());
  if (!match?.[1]) return undefined;
  return Buffer.from(match[1].replace(/\s+/g, ""), "base64");
}

function pem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
