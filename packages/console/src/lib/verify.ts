import type { PublishedRoot, SearchEvent, UnpublishedRoot } from "@veritrail/core";
import {
  canonicalize,
  hashEnvelope,
  openCheckpoint,
  parseVerifierKey,
  verifyMembership,
  verifyText,
} from "@veritrail/core";

/*
 * The verification lock of a row, computed here in the browser with the code the server and the
 * SDK use (`@veritrail/core`), never from what the server claims: the envelope's hash is
 * recomputed, the membership proof folded to the root the answer carries, the event's signature
 * checked, and the root's consistency with the previous published root where there is one.
 */

export type CheckState = "pass" | "fail" | "none";

export interface Check {
  name: "hash" | "membership" | "signature" | "consistency" | "checkpoint";
  label: string;
  state: CheckState;
  detail: string;
}

/** `pending`: a published record whose signed checkpoint is still being fetched and checked. */
export type LockState = "verified" | "unpublished" | "pending" | "failed";

export interface Verification {
  state: LockState;
  checks: Check[];
  /** The first failed check's label, for the lock's name. */
  failed?: string;
  root?: PublishedRoot | UnpublishedRoot;
}

/** What a page of results says about its roots, and the consistency of its published root. */
export interface PageRoots {
  root?: PublishedRoot;
  unpublished_root?: UnpublishedRoot;
  /** The outcome of checking `root` against the published root before it, when checked. */
  consistency?: { state: CheckState; detail: string };
  /** The outcome of opening the signed checkpoint note of `root` with the verifier key. */
  checkpoint?: { state: CheckState; detail: string };
}

export function verifyEvent(event: SearchEvent, roots: PageRoots): Verification {
  const checks: Check[] = [];
  let recomputed: string | undefined;
  if (!event.envelope) {
    // An erased record (docs/design/erasure.md): its content is gone, its hash stays the leaf,
    // so the proof is folded from the record's own hash and nothing else can be checked.
    recomputed = event.hash.toLowerCase();
    checks.push({
      name: "hash",
      label: "Envelope hash",
      state: "none",
      detail: event.erased
        ? `the content was erased at ${event.erased.erased_at} (erasure ${event.erased.erasure_id}); the hash is the record's own`
        : "the record carries no envelope to hash",
    });
  } else {
    try {
      recomputed = hashEnvelope(event.envelope);
    } catch (error) {
      recomputed = undefined;
      checks.push({
        name: "hash",
        label: "Envelope hash",
        state: "fail",
        detail: `cannot hash: ${String(error)}`,
      });
    }
    if (recomputed !== undefined) {
      const same = recomputed === event.hash.toLowerCase();
      checks.push({
        name: "hash",
        label: "Envelope hash",
        state: same ? "pass" : "fail",
        detail: same
          ? `SHA-256 of the canonical envelope is ${recomputed}`
          : `the envelope hashes to ${recomputed}, not the ${event.hash} the record carries`,
      });
    }
  }

  const root = event.published ? roots.root : roots.unpublished_root;
  if (!event.membership_proof && event.membership_proof !== "") {
    checks.push({
      name: "membership",
      label: "Membership proof",
      state: "fail",
      detail: "the record has no membership proof",
    });
  } else if (!root) {
    checks.push({
      name: "membership",
      label: "Membership proof",
      state: "fail",
      detail: "the answer carries no root to check the proof against",
    });
  } else {
    // The leaf is the hash recomputed here: a proof of the server's hash proves nothing about this envelope.
    const ok = verifyMembership({
      leafHash: recomputed ?? "",
      rootHash: root.root_hash,
      proof: event.membership_proof,
    });
    checks.push({
      name: "membership",
      label: "Membership proof",
      state: ok ? "pass" : "fail",
      detail: ok
        ? `the envelope's hash folds to the ${event.published ? "published" : "unpublished"} root of size ${root.size}`
        : `the proof does not lead from this envelope's hash to root ${root.root_hash.slice(0, 16)}… of size ${root.size}`,
    });
  }

  const { signature, public_key: publicKey } = event.envelope ?? {};
  if (!event.envelope) {
    checks.push({
      name: "signature",
      label: "Event signature",
      state: "none",
      detail: "the event was erased",
    });
  } else if (signature === undefined && publicKey === undefined) {
    checks.push({
      name: "signature",
      label: "Event signature",
      state: "none",
      detail: "the event is not signed",
    });
  } else if (signature === undefined || publicKey === undefined) {
    checks.push({
      name: "signature",
      label: "Event signature",
      state: "fail",
      detail: "a signature needs both signature and public_key",
    });
  } else {
    const ok = verifyText({ text: canonicalize(event.envelope.event), signature, publicKey });
    checks.push({
      name: "signature",
      label: "Event signature",
      state: ok ? "pass" : "fail",
      detail: ok
        ? "Ed25519 signature over the canonical event verified"
        : "the Ed25519 signature does not match the event",
    });
  }

  if (event.published && roots.consistency) {
    checks.push({ name: "consistency", label: "Consistency", ...roots.consistency });
  } else {
    checks.push({
      name: "consistency",
      label: "Consistency",
      state: "none",
      detail: event.published
        ? "no earlier published root to compare with"
        : "the record is not published yet",
    });
  }

  if (event.published && roots.checkpoint) {
    checks.push({ name: "checkpoint", label: "Signed checkpoint", ...roots.checkpoint });
  } else if (event.published) {
    checks.push({ name: "checkpoint", label: "Signed checkpoint", state: "none", detail: "checking…" });
  } else {
    checks.push({
      name: "checkpoint",
      label: "Signed checkpoint",
      state: "none",
      detail: "no checkpoint covers it yet",
    });
  }

  const failed = checks.find((c) => c.state === "fail");
  // Green needs the root's signed checkpoint to have opened with the verifier key.
  const state: LockState = failed
    ? "failed"
    : !event.published
      ? "unpublished"
      : roots.checkpoint?.state === "pass"
        ? "verified"
        : "pending";
  return { state, checks, ...(failed ? { failed: failed.label } : {}), ...(root ? { root } : {}) };
}

/** The JSON a verifier needs for one record: its envelope, hash, proof and the roots. */
export function verificationArtifact(event: SearchEvent, roots: PageRoots): string {
  return JSON.stringify(
    {
      envelope: event.envelope,
      ...(event.erased ? { erased: event.erased } : {}),
      hash: event.hash,
      leaf_index: event.leaf_index,
      membership_proof: event.membership_proof,
      published: event.published ?? false,
      ...(roots.root ? { root: roots.root } : {}),
      ...(roots.unpublished_root ? { unpublished_root: roots.unpublished_root } : {}),
    },
    null,
    2,
  );
}

/**
 * Opens the signed checkpoint note published for `root` with the server's verifier key (C2SP
 * signed note) and checks that it names the same size and root hash the answer carries.
 */
export function checkCheckpoint(
  root: PublishedRoot | UnpublishedRoot,
  note: string,
  verifierKey: string,
): { state: CheckState; detail: string } {
  let key: ReturnType<typeof parseVerifierKey>;
  try {
    key = parseVerifierKey(verifierKey.trim());
  } catch (error) {
    return { state: "fail", detail: `the verifier key does not parse: ${String(error)}` };
  }
  const opened = openCheckpoint(note, key);
  if (!opened.ok) return { state: "fail", detail: `the checkpoint note does not open: ${opened.reason}` };
  const hex = Array.from(opened.checkpoint.rootHash, (b) => b.toString(16).padStart(2, "0")).join("");
  if (opened.checkpoint.size !== root.size || hex !== root.root_hash.toLowerCase()) {
    return {
      state: "fail",
      detail: `the checkpoint signed for size ${opened.checkpoint.size} holds root ${hex.slice(0, 16)}…, not the answer's`,
    };
  }
  return { state: "pass", detail: `signed by ${key.name} for size ${root.size}` };
}
