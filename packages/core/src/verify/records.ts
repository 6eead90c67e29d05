import type { PublishedRoot, SearchEvent, UnpublishedRoot } from "../wire/audit.js";
import { type Check, fail, none } from "./check.js";
import { checkEnvelopeHash, checkEventSignature } from "./event.js";
import { checkMembership } from "./proofs.js";

/** What is known of a published root beyond the server's word, established by the caller. */
export interface RootTrust {
  /** Whether the root is that of a signed checkpoint whose signature verified with a pinned key. */
  readonly checkpoint: Check;
  /** Whether that checkpoint is consistent with the checkpoints the caller held before. */
  readonly consistency: Check;
}

/** The checks of one record. */
export interface RecordChecks {
  /** The envelope hashes to the record's hash. */
  readonly hash: Check;
  /** The hash is in the root the record names: `root` if published, else `unpublished_root`. */
  readonly membership: Check;
  /** That root is the root of a signed checkpoint (published records only). */
  readonly checkpoint: Check;
  /** That checkpoint is consistent with earlier ones (published records only). */
  readonly consistency: Check;
  /** The event's own Ed25519 signature, when it has one. */
  readonly signature: Check;
}

export interface RecordReport {
  /** The record's envelope was erased: hash and signature are "none", its proof still checked. */
  readonly erased?: boolean;
  /** The erasure was retention's (`reason: "expired"`), past the searchable tiers, not a request. */
  readonly expired?: boolean;
  readonly leaf_index?: number;
  readonly hash?: string;
  readonly checks: RecordChecks;
  /** No check failed. */
  readonly ok: boolean;
}

const UNPUBLISHED = none("the record is not yet covered by a signed checkpoint");

/**
 * Verifies one record of a search page or a file against the roots given with it. Nothing the
 * server says is taken on trust: the hash is recomputed, the proof folded, and a published
 * record's root is only as good as `trust` (a checkpoint the caller verified) says it is.
 *
 * @example verifyRecord(page.events[0], page, trust).checks.membership.status === "pass"
 */
export function verifyRecord(
  record: SearchEvent,
  roots: { root?: PublishedRoot | undefined; unpublished_root?: UnpublishedRoot | undefined },
  trust?: RootTrust,
): RecordReport {
  // An erased record (docs/design/erasure.md) has no envelope left to hash or signature to
  // check; its hash is still the leaf, so its proof is checked as any other.
  const erased =
    record.envelope === undefined &&
    typeof record.erased === "object" &&
    record.erased !== null &&
    typeof record.erased.erased_at === "string";
  const expired = erased && record.erased!.reason === "expired";
  const erasedReason = erased
    ? `the record ${expired ? "expired" : "was erased"} at ${record.erased!.erased_at} (${String(record.erased!.erasure_id)}): no envelope to check`
    : "";
  const hash = erased ? none(erasedReason) : checkEnvelopeHash(record);
  const signature = erased ? none(erasedReason) : checkEventSignature(record.envelope);
  let membership: Check;
  let checkpoint: Check = UNPUBLISHED;
  let consistency: Check = UNPUBLISHED;
  const leafIndex = record.leaf_index;
  if (leafIndex !== undefined && (!Number.isSafeInteger(leafIndex) || leafIndex < 0)) {
    membership = fail(`leaf_index ${String(leafIndex)} is not a leaf index`);
  } else if (record.membership_proof === undefined) {
    membership = none("the record carries no membership proof");
  } else if (record.published === true) {
    const root = roots.root;
    membership = root
      ? checkMembership({ leafHash: record.hash, proof: record.membership_proof, root, leafIndex })
      : fail("the record is published but no root was given");
    checkpoint = trust?.checkpoint ?? none("no signed checkpoint was checked for the root");
    consistency = trust?.consistency ?? none("no earlier checkpoint was held");
    if (root && leafIndex !== undefined && leafIndex >= root.size) {
      membership = fail(`leaf_index ${leafIndex} is not below the root's size ${root.size}`);
    }
  } else {
    const root = roots.unpublished_root;
    membership = root
      ? checkMembership({ leafHash: record.hash, proof: record.membership_proof, root, leafIndex })
      : fail("the record is unpublished but no unpublished_root was given");
  }
  if (hash.status === "fail" && membership.status === "pass") {
    // The proof is of the hash, not of this envelope.
    membership = fail("the proof is of the record's hash, which its envelope does not hash to");
  }
  const checks = { hash, membership, checkpoint, consistency, signature };
  return {
    ...(erased ? { erased: true } : {}),
    ...(expired ? { expired: true } : {}),
    ...(leafIndex === undefined ? {} : { leaf_index: leafIndex }),
    ...(typeof record.hash === "string" ? { hash: record.hash } : {}),
    checks,
    ok: Object.values(checks).every((c) => c.status !== "fail"),
  };
}
