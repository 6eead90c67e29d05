import { type Buffer, sha256 as platformSha256, sha256Hex as platformSha256Hex } from "#platform";
import { canonicalize } from "./canonical-json.js";

/** A top-level event value after normalisation: objects and arrays have become strings. */
export type EventValue = string | number | boolean;
export type NormalizedEvent = Record<string, EventValue>;

/** One malformed field of an event stored despite it: which field, what was wrong, and (unless redacted) its value. */
export interface EnvelopeError {
  field: string;
  error: string;
  value?: string;
}

/**
 * The record whose canonical JSON is hashed (wire-protocol §5.1). Keys are exactly these;
 * none is ever null.
 */
export interface Envelope {
  /** Notes on malformed fields, for configurations that store malformed events (wire-protocol §5.1 step 3). */
  err?: EnvelopeError[];
  event: NormalizedEvent;
  received_at: string;
  signature?: string;
  public_key?: string;
}

/**
 * Normalises an event as the server stores it (wire-protocol §5.1 step 1): a top-level value
 * that is an object or array becomes its canonical JSON string, null members are dropped, and
 * nothing else is rewritten (a changed byte would break client signatures).
 *
 * @example normalizeEvent({ message: "m", new: { b: 1, a: 2 }, old: null })
 *   // => { message: "m", new: '{"a":2,"b":1}' }
 */
export function normalizeEvent(event: Record<string, unknown>): NormalizedEvent {
  const out: NormalizedEvent = {};
  for (const [key, value] of Object.entries(event)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === "object" ? canonicalize(value) : (value as EventValue);
  }
  return out;
}

/**
 * The stored form of a client's `public_key` (wire-protocol §5.1 step 2): a string that parses
 * as a JSON object is re-serialised canonically (sorted keys); any other string is kept verbatim.
 */
export function canonicalPublicKey(publicKey: string): string {
  if (!publicKey.trimStart().startsWith("{")) return publicKey;
  try {
    const parsed: unknown = JSON.parse(publicKey);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return canonicalize(parsed);
  } catch {
    // Not JSON after all: stored as sent.
  }
  return publicKey;
}

/** The canonical JSON text of an envelope: the exact bytes that are hashed and stored. */
export function canonicalEnvelope(envelope: Envelope): string {
  return canonicalize(envelope);
}

/** SHA-256 of a UTF-8 text. */
export function sha256(text: string): Buffer {
  return platformSha256(text);
}

/** Lower-case hex SHA-256 of a UTF-8 text. */
export function sha256Hex(text: string): string {
  return platformSha256Hex(text);
}

/**
 * The envelope hash (wire-protocol §5.1 step 5): hex SHA-256 of the envelope's canonical JSON,
 * with no prefix and no salt. This hash is also the Merkle leaf.
 */
export function hashEnvelope(envelope: Envelope): string {
  return sha256Hex(canonicalEnvelope(envelope));
}
