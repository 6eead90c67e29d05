import { canonicalize, loadPrivateKey, type SigningKey, signText } from "@veritrail/core";
import type { SigningKeyRecord } from "../store/contract/store.js";
import type { PreparedEntry } from "./prepared-entry.js";

/** A configuration's current signing key, ready to sign ("Vault" signing, wire-protocol §5.9). */
export interface ServerSigner {
  keyId: string;
  version: number;
  privateKey: SigningKey;
  /** The stored `public_key`: canonical JSON with algorithm, key, vault_key_id, vault_key_version. */
  publicKeyJson: string;
}

export function serverSignerFrom(key: SigningKeyRecord): ServerSigner {
  return {
    keyId: key.keyId,
    version: key.version,
    privateKey: loadPrivateKey(key.privateKey),
    publicKeyJson: canonicalize({
      algorithm: "ED25519",
      key: key.publicKey,
      vault_key_id: key.keyId,
      vault_key_version: key.version,
    }),
  };
}

/** Signs the canonical JSON of the stored event, as the SDKs verify it (wire-protocol §5.6 step 4). */
export function signEntry(entry: PreparedEntry, signer: ServerSigner): void {
  entry.signature = signText(canonicalize(entry.event), signer.privateKey);
  entry.publicKey = signer.publicKeyJson;
}
