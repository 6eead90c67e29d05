import {
  formatCheckpoint,
  formatVerifierKey,
  generateSigningKey,
  loadPrivateKey,
  type NoteSigner,
  noteSigner,
  parseSignerKey,
  type SigningKey,
  signingKeyFromSeed,
  signNote,
} from "@veritrail/core";
import type { Clock } from "../clock.js";
import { isoAt } from "../clock.js";
import { ConfigError } from "../config.js";
import type { Store } from "../store/contract/store.js";
import type { CheckpointSigner } from "./publisher.js";

/** The name of the generated checkpoint key (its 32-byte seed) in the store's server secrets. */
const SECRET_NAME = "checkpoint-key";

/**
 * Reads `VERITRAIL_CHECKPOINT_KEY`: a signed-note signer key line
 * (`PRIVATE+KEY+<name>+<key id>+<key>`, whose name then names the key), a PKCS#8 PEM Ed25519
 * private key, or base64 of the 32-byte seed. Throws a `ConfigError` naming the variable otherwise.
 */
export function parseCheckpointKey(text: string, name: string): NoteSigner {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith("PRIVATE+KEY+")) return parseSignerKey(trimmed);
    let key: SigningKey;
    if (trimmed.startsWith("-----BEGIN")) key = loadPrivateKey(trimmed);
    else {
      const seed = Buffer.from(trimmed, "base64");
      if (seed.length !== 32 || seed.toString("base64") !== trimmed)
        throw new Error("not 32 bytes of base64");
      key = signingKeyFromSeed(seed);
    }
    return noteSigner(name, key);
  } catch (cause) {
    throw new ConfigError(
      "VERITRAIL_CHECKPOINT_KEY",
      `must be a signer key line, an Ed25519 private key in PKCS#8 PEM, or base64 of the 32-byte seed (${(cause as Error).message})`,
    );
  }
}

/**
 * The checkpoint key under `name`: `VERITRAIL_CHECKPOINT_KEY` when given, else the one kept in
 * the store's server secrets, made at first start, so every process on the database signs with
 * the same key however many race to make it.
 */
export async function loadCheckpointKey(options: {
  store: Store;
  clock: Clock;
  given: string | undefined;
  name: string;
}): Promise<NoteSigner> {
  if (options.given !== undefined) return parseCheckpointKey(options.given, options.name);
  const candidate = Buffer.from(generateSigningKey().seed);
  const seed = await options.store.configs.ensureServerSecret(
    SECRET_NAME,
    candidate,
    isoAt(options.clock.nowMillis()),
  );
  return noteSigner(options.name, signingKeyFromSeed(seed));
}

/** Signs checkpoints as C2SP signed notes with `signer` (core checkpoint/note.ts). */
export function checkpointSigner(signer: NoteSigner): CheckpointSigner {
  return {
    verifierKey: formatVerifierKey(signer),
    sign: ({ origin, size, rootHash }) => signNote(formatCheckpoint({ origin, size, rootHash }), signer),
  };
}
