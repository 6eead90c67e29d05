import { canonicalize } from "../canonical-json.js";
import { verifyText } from "../ed25519.js";
import { type Envelope, hashEnvelope } from "../envelope.js";
import { type Check, fail, none, PASS } from "./check.js";

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The envelope hash (wire-protocol §5.1 step 5): SHA-256 of the envelope's canonical JSON must
 * be the record's `hash`. The hash is recomputed here; the server's `hash` is only compared.
 *
 * @example checkEnvelopeHash({ envelope, hash }).status === "pass"
 */
export function checkEnvelopeHash(record: { envelope?: unknown; hash?: unknown }): Check {
  if (typeof record.hash !== "string" || !HEX64.test(record.hash)) {
    return fail("hash is not 64 lower-case hex characters");
  }
  if (typeof record.envelope !== "object" || record.envelope === null || Array.isArray(record.envelope)) {
    return fail("envelope is not an object");
  }
  let computed: string;
  try {
    computed = hashEnvelope(record.envelope as Envelope);
  } catch (error) {
    return fail(`envelope cannot be hashed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return computed === record.hash
    ? PASS
    : fail(`envelope hashes to ${computed}, not to the record's hash ${record.hash}`);
}

/**
 * The event signature (wire-protocol §5.6, "Signature check"): none without `signature` and
 * `public_key`; fail with only one of them (as the Node SDK does); otherwise the Ed25519
 * signature over the canonical JSON of the stored event must verify with `public_key`.
 */
export function checkEventSignature(envelope: unknown): Check {
  if (typeof envelope !== "object" || envelope === null) return fail("envelope is not an object");
  const { event, signature, public_key: publicKey } = envelope as Envelope;
  if (signature === undefined && publicKey === undefined) return none("the event is not signed");
  if (typeof signature !== "string" || typeof publicKey !== "string") {
    return fail("the envelope has only one of signature and public_key");
  }
  let text: string;
  try {
    text = canonicalize(event);
  } catch {
    return fail("the event cannot be put in canonical JSON");
  }
  return verifyText({ text, signature, publicKey })
    ? PASS
    : fail("the signature does not verify with the envelope's public_key");
}
