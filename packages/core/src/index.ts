/**
 * `@veritrail/core`: the pure maths of a tamper-evident audit log. No I/O and no `node:` import:
 * hashing, randomness and the curve go through `#platform` (src/platform/), which is `node:crypto`
 * on Node and pure JavaScript in a browser, so a console or an SDK verifies with this same code.
 */
export { canonicalize } from "./canonical-json.js";
export {
  type Checkpoint,
  formatCheckpoint,
  formatSignerKey,
  formatVerifierKey,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  type NoteSigner,
  noteKeyId,
  noteSigner,
  type OpenedCheckpoint,
  type OpenedNote,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  type VerifierKey,
} from "./checkpoint/note.js";
export { DURATION_PATTERN, parseDuration } from "./duration.js";
export {
  generateSigningKey,
  loadPrivateKey,
  parsePublicKey,
  privateKeyPem,
  publicKeyPem,
  type SigningKey,
  signBytes,
  signingKeyFromSeed,
  signText,
  verifyBytes,
  verifyText,
} from "./ed25519.js";
export {
  canonicalEnvelope,
  canonicalPublicKey,
  type Envelope,
  type EnvelopeError,
  type EventValue,
  hashEnvelope,
  type NormalizedEvent,
  normalizeEvent,
  sha256,
  sha256Hex,
} from "./envelope.js";
export { CoreError, type CoreErrorCode } from "./errors.js";
export {
  IdGenerator,
  type IdGeneratorOptions,
  type IdPrefix,
  isId,
  newId,
  newTokenSecret,
  randomBase32,
} from "./ids.js";
export {
  buildConsistencyProof,
  buildPath,
  buildPaths,
  decodeMembershipProof,
  encodeMembershipProof,
  foldPath,
  type ProofItem,
  verifyConsistency,
  verifyMembership,
} from "./merkle/proof.js";
export {
  CompactRange,
  type ConsistencyItemPlan,
  completeSubtrees,
  hashChildren,
  largestPowerOfTwoBelow,
  type MerkleNode,
  type NodeId,
  type NodeLookup,
  nodeKey,
  nodesForConsistency,
  nodesForPaths,
  nodesForSteps,
  type PathStep,
  planConsistency,
  planMembership,
  planPath,
  rangeHash,
} from "./merkle/tree.js";
export { formatReceivedAt, parseReceivedAt, ReceivedAtFormatter } from "./received-at.js";
export {
  DETECTOR_NAMES,
  DETECTORS,
  type Detector,
  type DetectorName,
  luhnValid,
  validIpv6,
} from "./redaction/detectors.js";
export {
  compilePattern,
  type FindResult,
  LinearPattern,
  MAX_PATTERN_REPEAT,
  type PatternProblem,
} from "./redaction/linear-regex.js";
export {
  type CompiledRule,
  compileRule,
  DEFAULT_PATTERN_LABEL,
  type KeyedHash,
  maskKeepingLast4,
  REDACTION_ACTIONS,
  type RedactedValue,
  type RedactionAction,
  type RedactionRuleSpec,
  redactText,
  type StepBudget,
} from "./redaction/rules.js";
export {
  type AllNode,
  type AndNode,
  type BooleanMatch,
  conjoin,
  type DatetimeMatch,
  disjoin,
  type FreeTextMatch,
  type IntegerMatch,
  MATCH_ALL,
  MATCH_NONE,
  type MatchNode,
  type NoneNode,
  type NotNode,
  negate,
  type OrNode,
  type QueryNode,
  RECEIVED_AT_FIELD,
  type SearchField,
  type SearchFieldType,
  type SearchSchema,
  type StringMatch,
} from "./search/ast.js";
export { matchesQuery, type SearchableEvent } from "./search/evaluate.js";
export {
  MAX_QUERY_DEPTH,
  MAX_QUERY_LENGTH,
  MAX_QUERY_TERMS,
  type ParseQueryResult,
  parseQuery,
  type QueryError,
} from "./search/parser.js";
export { type FieldRestrictions, restrictQuery, type SearchRestrictions } from "./search/restrict.js";
export { readBoolean, readDatetime, readInteger } from "./search/values.js";
export * from "./verify/index.js";
export type * from "./wire/admin.js";
export type * from "./wire/audit.js";
export { AUDIT_ENDPOINTS, type AuditEndpoint } from "./wire/endpoints.js";
export type { ApiErrorStatus, ApiStatus, ErrorField, ValidationCode } from "./wire/status.js";
