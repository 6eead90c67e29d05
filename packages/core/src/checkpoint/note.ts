import { Buffer, sha256 } from "#platform";
import { type SigningKey, signBytes, signingKeyFromSeed, verifyBytes } from "../ed25519.js";
import { CoreError } from "../errors.js";

/*
 * Signed checkpoints in the formats of C2SP (https://c2sp.org/signed-note and
 * https://c2sp.org/tlog-checkpoint), so that any tool that reads transparency-log checkpoints
 * reads ours:
 *
 *   <origin>\n<tree size, decimal>\n<root hash, standard base64>\n   ← the checkpoint (the note's text)
 *   \n
 *   — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature of the text)>\n
 *
 * The key id is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key), 0x01
 * being signed-note's Ed25519 signature type. A verifier key is written
 * `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>`, a signer key
 * `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte seed)>`.
 */

/** The most bytes a note may have, and the most signature lines: bounds before any work. */
export const MAX_NOTE_BYTES = 64 * 1024;
export const MAX_NOTE_SIGNATURES = 100;

const ED25519_TYPE = 0x01;
const SIGNATURE_PREFIX = "\u2014 ";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A transparency-log checkpoint: the log's origin, its size and its root hash at that size. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Lines after the root hash, kept as they are (C2SP's extension lines). */
  readonly extensions: readonly string[];
}

/** The public side of a note key: what a verifier pins. */
export interface VerifierKey {
  readonly name: string;
  /** 4 bytes. */
  readonly keyId: Uint8Array;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** A key that signs notes under a name. */
export interface NoteSigner extends VerifierKey {
  readonly key: SigningKey;
}

/** A note whose text and signatures verified, with the names of the keys that signed it. */
export type OpenedNote =
  | { readonly ok: true; readonly text: string; readonly signedBy: readonly VerifierKey[] }
  | { readonly ok: false; readonly reason: string };

/** An opened note whose text also parsed as a checkpoint. */
export type OpenedCheckpoint =
  | { readonly ok: true; readonly checkpoint: Checkpoint; readonly text: string }
  | { readonly ok: false; readonly reason: string };

/** The 4-byte key id of an Ed25519 note key. */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  checkKeyName(name);
  const digest = sha256(
    Buffer.concat([Buffer.from(`${name}\n`, "utf8"), Buffer.from([ED25519_TYPE]), publicKey]),
  );
  return Uint8Array.from(digest.subarray(0, 4));
}

/** A signer for notes under `name` with an Ed25519 key. */
export function noteSigner(name: string, key: SigningKey): NoteSigner {
  return { name, keyId: noteKeyId(name, key.publicKey), publicKey: key.publicKey, key };
}

/** The verifier key line of a signer or a public key. */
export function formatVerifierKey(key: VerifierKey): string {
  const encoded = Buffer.concat([Buffer.from([ED25519_TYPE]), key.publicKey]).toString("base64");
  return `${key.name}+${Buffer.from(key.keyId).toString("hex")}+${encoded}`;
}

/** Reads a verifier key line; throws `ERR_KEY_FORMAT` when it is not one, or its id does not match. */
export function parseVerifierKey(text: string): VerifierKey {
  // The key's base64 may itself hold a '+': only the first two separate fields.
  const [name, idHex, encoded] = splitFields(text.trim(), 3);
  if (name === undefined || idHex === undefined || encoded === undefined) {
    throw keyError("a verifier key is <name>+<key id>+<key>");
  }
  const publicKey = typedKey(encoded, "verifier");
  const key = { name, keyId: noteKeyId(name, publicKey), publicKey };
  if (Buffer.from(key.keyId).toString("hex") !== idHex.toLowerCase() || !/^[0-9a-fA-F]{8}$/.test(idHex)) {
    throw keyError("the verifier key's id does not match its name and key");
  }
  return key;
}

/** The signer key line of a signer, for keeping a checkpoint key outside the store. */
export function formatSignerKey(signer: NoteSigner): string {
  const encoded = Buffer.concat([Buffer.from([ED25519_TYPE]), signer.key.seed]).toString("base64");
  return `PRIVATE+KEY+${signer.name}+${Buffer.from(signer.keyId).toString("hex")}+${encoded}`;
}

/** Reads a signer key line; throws `ERR_KEY_FORMAT` when it is not one, or its id does not match. */
export function parseSignerKey(text: string): NoteSigner {
  const [privateWord, keyWord, name, idHex, encoded] = splitFields(text.trim(), 5);
  if (
    privateWord !== "PRIVATE" ||
    keyWord !== "KEY" ||
    name === undefined ||
    idHex === undefined ||
    encoded === undefined
  ) {
    throw keyError("a signer key is PRIVATE+KEY+<name>+<key id>+<key>");
  }
  const signer = noteSigner(name, signingKeyFromSeed(typedKey(encoded, "signer")));
  if (Buffer.from(signer.keyId).toString("hex") !== idHex.toLowerCase()) {
    throw keyError("the signer key's id does not match its name and key");
  }
  return signer;
}

/** The text of a checkpoint, ending in a newline. */
export function formatCheckpoint(
  checkpoint: Omit<Checkpoint, "extensions"> & { extensions?: readonly string[] },
): string {
  if (!checkpoint.origin || /[\n\r]/.test(checkpoint.origin))
    throw noteError("an origin is one non-empty line");
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0)
    throw noteError("a tree size is an integer ≥ 0");
  const lines = [
    checkpoint.origin,
    String(checkpoint.size),
    Buffer.from(checkpoint.rootHash).toString("base64"),
  ];
  for (const line of checkpoint.extensions ?? []) {
    if (!line || /[\n\r]/.test(line)) throw noteError("an extension is one non-empty line");
    lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}

/** Reads a checkpoint's text (a note's text, signatures removed). */
export function parseCheckpoint(text: string): Checkpoint | { readonly error: string } {
  if (!text.endsWith("\n")) return { error: "a checkpoint ends with a newline" };
  const lines = text.slice(0, -1).split("\n");
  const [origin, size, root, ...extensions] = lines;
  if (!origin) return { error: "the checkpoint has no origin line" };
  if (size === undefined || !/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    return { error: "the checkpoint's second line is not a tree size" };
  }
  if (root === undefined || !BASE64.test(root) || Buffer.from(root, "base64").length !== 32) {
    return { error: "the checkpoint's third line is not a base64 SHA-256 root hash" };
  }
  if (extensions.some((line) => line === "")) return { error: "the checkpoint has an empty line" };
  return { origin, size: Number(size), rootHash: Uint8Array.from(Buffer.from(root, "base64")), extensions };
}

/** Signs a note's text (which ends in a newline) and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  checkText(text);
  const signature = signBytes(Buffer.from(text, "utf8"), signer.key);
  const encoded = Buffer.concat([signer.keyId, signature]).toString("base64");
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${encoded}\n`;
}

/**
 * Opens a note: splits its text from its signature lines and verifies the signatures made by the
 * given keys. Succeeds when at least one of them signed it and no signature by one of them fails;
 * signatures by other keys are ignored, as signed-note says. Never throws.
 */
export function openNote(note: string, verifiers: readonly VerifierKey[]): OpenedNote {
  if (note.length > MAX_NOTE_BYTES) return { ok: false, reason: `the note is over ${MAX_NOTE_BYTES} bytes` };
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) return { ok: false, reason: "the note has no signature block" };
  const text = note.slice(0, split + 1);
  const textError = textProblem(text);
  if (textError) return { ok: false, reason: textError };
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) return { ok: false, reason: "the note has too many signatures" };
  const message = Buffer.from(text, "utf8");
  const signedBy: VerifierKey[] = [];
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    if (!match) return { ok: false, reason: "a signature line is malformed" };
    const [, name, encoded] = match as unknown as [string, string, string];
    const bytes = Buffer.from(encoded, "base64");
    if (bytes.length < 5) return { ok: false, reason: "a signature is too short" };
    const keyId = bytes.subarray(0, 4);
    const verifier = verifiers.find((v) => v.name === name && Buffer.from(v.keyId).equals(keyId));
    if (!verifier) continue;
    const signature = bytes.subarray(4);
    if (signature.length !== 64 || !verifyBytes({ message, signature, publicKey: verifier.publicKey })) {
      return { ok: false, reason: `the signature by ${name} does not verify` };
    }
    signedBy.push(verifier);
  }
  if (signedBy.length === 0) {
    const names = verifiers.map((v) => v.name).join(", ");
    return { ok: false, reason: `no signature by a known key (${names || "none given"})` };
  }
  return { ok: true, text, signedBy };
}

/** Opens a signed checkpoint with a verifier key and reads it; `origin`, when given, must match. */
export function openCheckpoint(
  note: string,
  verifier: VerifierKey,
  expected?: { readonly origin?: string },
): OpenedCheckpoint {
  const opened = openNote(note, [verifier]);
  if (!opened.ok) return opened;
  const checkpoint = parseCheckpoint(opened.text);
  if ("error" in checkpoint) return { ok: false, reason: checkpoint.error };
  if (expected?.origin !== undefined && checkpoint.origin !== expected.origin) {
    return { ok: false, reason: `the checkpoint is for ${checkpoint.origin}, not ${expected.origin}` };
  }
  return { ok: true, checkpoint, text: opened.text };
}

/** Splits at the first `count - 1` '+' signs; fewer fields when there are fewer. */
function splitFields(text: string, count: number): (string | undefined)[] {
  const fields: string[] = [];
  let rest = text;
  while (fields.length < count - 1) {
    const at = rest.indexOf("+");
    if (at < 0) break;
    fields.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  fields.push(rest);
  return fields.length === count ? fields : [];
}

function typedKey(encoded: string, what: string): Uint8Array {
  const bytes = BASE64.test(encoded) ? Buffer.from(encoded, "base64") : Buffer.alloc(0);
  if (bytes.length !== 33 || bytes[0] !== ED25519_TYPE)
    throw keyError(`the ${what} key is not an Ed25519 key`);
  return Uint8Array.from(bytes.subarray(1));
}

function checkKeyName(name: string): void {
  if (!name || /[\s+]/u.test(name)) throw keyError("a key name is non-empty, with no space and no '+'");
}

function checkText(text: string): void {
  const problem = textProblem(text);
  if (problem) throw noteError(problem);
}

function textProblem(text: string): string | undefined {
  if (!text.endsWith("\n") || text === "\n") return "a note's text is non-empty and ends with a newline";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) return "a note's text has a control character";
  return undefined;
}

function keyError(message: string): CoreError {
  return new CoreError("ERR_KEY_FORMAT", message);
}

function noteError(message: string): CoreError {
  return new CoreError("ERR_NOTE_FORMAT", message);
}
