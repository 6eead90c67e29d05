import type { EnvelopeError, NormalizedEvent } from "@veritrail/core";
import type { SearchValue } from "../store/contract/search.js";

/** An event that passed validation, normalisation, redaction and (optionally) server signing, ready to sequence. */
export interface PreparedEntry {
  event: NormalizedEvent;
  signature?: string;
  /** As stored: canonical JSON when the client sent a JSON object (wire-protocol §5.1 step 2). */
  publicKey?: string;
  /** Malformed fields, when the configuration stores malformed events (`save_malformed`). */
  err?: EnvelopeError[];
  /** Field id → the redaction rules that changed it, recorded in the envelope as `redacted_by`. */
  redactedBy?: Record<string, string[]>;
  /** The event's searchable values as stored (store/contract/search.ts), indexed with it in the append. */
  search?: SearchValue[];
}
