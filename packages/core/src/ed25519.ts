import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { CoreError } from "./errors.js";

/*
 * Ed25519, the only algorithm the SDKs verify (wire-protocol §5.6, §5.8). The signed bytes are
 * the UTF-8 canonical JSON of the stored event; signatures travel as base64 of 64 bytes.
 */

/** A fresh Ed25519 key pair. */
export function generateSigningKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ed25519");
}

/** Loads a PKCS#8 PEM private key. */
export function loadPrivateKey(pem: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (cause) {
    throw new CoreError("ERR_KEY_FORMAT", "not an Ed25519 private key in PEM form", { cause });
  }
}

/** The SPKI PEM of a public key, with its trailing newline, as the SDKs send it. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return publicKey.export({ type: "spki", format: "pem" }).toString();
}

/** Signs a canonical event text; returns base64 of the 64-byte signature. */
export function signText(text: string, privateKey: KeyObject): string {
  return sign(null, Buffer.from(text, "utf8"), privateKey).toString("base64");
}

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Reads a `public_key` in any form the SDKs accept (wire-protocol §5.6 step 3): a JSON string
 * with a `key` member, an SPKI PEM, or base64 of the raw 32-byte key.
 */
export function parsePublicKey(publicKey: string): KeyObject {
  try {
    let text = publicKey.trim();
    if (text.startsWith("{")) {
      const parsed = JSON.parse(text) as { key?: unknown };
      if (typeof parsed.key !== "string") throw new Error("no key member");
      text = parsed.key.trim();
    }
    const key = text.startsWith("-----BEGIN")
      ? createPublicKey(text)
      : createPublicKey({
          key: Buffer.concat([ED25519_SPKI_PREFIX, rawKey(text)]),
          format: "der",
          type: "spki",
        });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (cause) {
    throw new CoreError("ERR_KEY_FORMAT", "public_key is not an Ed25519 key in a supported form", { cause });
  }
}

function rawKey(base64: string): Buffer {
  const raw = Buffer.from(base64, "base64");
  if (raw.length !== 32) throw new Error("a raw Ed25519 key is 32 bytes");
  return raw;
}

/** Verifies a base64 signature over a text; false on a bad key or signature, never throws. */
export function verifyText(args: { text: string; signature: string; publicKey: string }): boolean {
  try {
    const key = parsePublicKey(args.publicKey);
    return verify(null, Buffer.from(args.text, "utf8"), key, Buffer.from(args.signature, "base64"));
  } catch {
    return false;
  }
}
