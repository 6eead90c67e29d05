import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SearchEvent, UnpublishedRoot } from "@veritrail/core";
import {
  canonicalize,
  encodeMembershipProof,
  formatCheckpoint,
  formatVerifierKey,
  generateSigningKey,
  hashChildren,
  hashEnvelope,
  noteSigner,
  publicKeyPem,
  signNote,
  signText,
} from "@veritrail/core";
import { checkCheckpoint, verificationArtifact, verifyEvent } from "./verify.js";

/** A two-leaf tree of real envelopes, its root and each leaf's proof, as the server answers them. */
function twoLeaves(signed = false) {
  const key = generateSigningKey();
  const envelopes = [0, 1].map((i) => {
    const event = { message: `event ${i}`, actor: "alice" };
    return {
      event,
      received_at: `2026-01-01T00:00:0${i}.000000Z`,
      ...(signed ? { signature: signText(canonicalize(event), key), public_key: publicKeyPem(key) } : {}),
    };
  });
  const hashes = envelopes.map((e) => hashEnvelope(e));
  const bytes = hashes.map((h) => Buffer.from(h, "hex"));
  const root: UnpublishedRoot = {
    tree_name: "t",
    size: 2,
    root_hash: hashChildren(bytes[0]!, bytes[1]!).toString("hex"),
  };
  const events: SearchEvent[] = envelopes.map((envelope, i) => ({
    envelope,
    hash: hashes[i]!,
    leaf_index: i,
    membership_proof: encodeMembershipProof([{ side: i === 0 ? "r" : "l", hash: bytes[1 - i]! }]),
    published: false,
  }));
  return { envelopes, events, root };
}

const stateOf = (v: ReturnType<typeof verifyEvent>, name: string) =>
  v.checks.find((c) => c.name === name)?.state;

describe("the verification lock", () => {
  it("is amber for records whose hash and proof verify against an unpublished root", () => {
    const { events, root } = twoLeaves();
    for (const event of events) {
      const v = verifyEvent(event, { unpublished_root: root });
      assert.equal(v.state, "unpublished");
      assert.equal(stateOf(v, "hash"), "pass");
      assert.equal(stateOf(v, "membership"), "pass");
      assert.equal(stateOf(v, "signature"), "none");
      assert.equal(stateOf(v, "consistency"), "none");
    }
  });

  it("is green for a published record whose root is consistent, red when the consistency check failed", () => {
    const { events, root: unpublished } = twoLeaves();
    const root = { ...unpublished, published_at: "2026-01-01T00:00:02.000000Z" };
    const published = { ...events[0]!, published: true };
    const signed = { state: "pass" as const, detail: "signed" };
    const green = verifyEvent(published, {
      root,
      consistency: { state: "pass", detail: "ok" },
      checkpoint: signed,
    });
    assert.equal(green.state, "verified");
    // Until its checkpoint is checked a published record is not green.
    assert.equal(
      verifyEvent(published, { root, consistency: { state: "pass", detail: "ok" } }).state,
      "pending",
    );
    const red = verifyEvent(published, {
      root,
      consistency: { state: "fail", detail: "bad proof" },
      checkpoint: signed,
    });
    assert.equal(red.state, "failed");
    assert.equal(red.failed, "Consistency");
  });

  it("recomputes the hash: a changed envelope is red on its hash and its proof, whatever hash the server sent", () => {
    const { envelopes, events, root } = twoLeaves();
    const changed = {
      ...events[0]!,
      envelope: { ...envelopes[0]!, event: { message: "event 9", actor: "alice" } },
    };
    const v = verifyEvent(changed, { unpublished_root: root });
    assert.equal(v.state, "failed");
    assert.equal(v.failed, "Envelope hash");
    assert.equal(stateOf(v, "membership"), "fail");
    // A server that also sent the changed envelope's hash is caught by the proof.
    const rehashed = { ...changed, hash: hashEnvelope(changed.envelope) };
    const w = verifyEvent(rehashed, { unpublished_root: root });
    assert.equal(stateOf(w, "hash"), "pass");
    assert.equal(w.failed, "Membership proof");
  });

  it("is red on a proof for another root or a missing proof or root", () => {
    const { events, root } = twoLeaves();
    const other = { ...root, root_hash: "0".repeat(64) };
    assert.equal(verifyEvent(events[0]!, { unpublished_root: other }).failed, "Membership proof");
    assert.equal(verifyEvent(events[0]!, {}).failed, "Membership proof");
    const { membership_proof: _, ...noProof } = events[0]!;
    assert.equal(verifyEvent(noProof, { unpublished_root: root }).failed, "Membership proof");
  });

  it("checks an event's Ed25519 signature", () => {
    const { envelopes, events, root } = twoLeaves(true);
    assert.equal(stateOf(verifyEvent(events[0]!, { unpublished_root: root }), "signature"), "pass");
    const forged = {
      ...events[0]!,
      envelope: { ...envelopes[0]!, signature: envelopes[1]!.signature! },
    };
    const v = verifyEvent({ ...forged, hash: hashEnvelope(forged.envelope) }, { unpublished_root: root });
    assert.equal(stateOf(v, "signature"), "fail");
  });

  it("proves an erased record by its own hash and checks nothing of the content it no longer has", () => {
    const { events, root } = twoLeaves();
    const { envelope: _, ...kept } = events[0]!;
    const erased = { ...kept, erased: { erasure_id: "er_1", erased_at: "2026-01-02T00:00:00.000000Z" } };
    const v = verifyEvent(erased, { unpublished_root: root });
    assert.equal(v.state, "unpublished");
    assert.equal(stateOf(v, "hash"), "none");
    assert.equal(stateOf(v, "membership"), "pass");
    assert.equal(stateOf(v, "signature"), "none");
    const other = { ...root, root_hash: "0".repeat(64) };
    assert.equal(verifyEvent(erased, { unpublished_root: other }).failed, "Membership proof");
  });

  it("copies an artifact holding what a verifier needs", () => {
    const { events, root } = twoLeaves();
    const artifact = JSON.parse(verificationArtifact(events[1]!, { unpublished_root: root }));
    assert.deepEqual(Object.keys(artifact).sort(), [
      "envelope",
      "hash",
      "leaf_index",
      "membership_proof",
      "published",
      "unpublished_root",
    ]);
  });

  it("opens the root's signed checkpoint with the verifier key, and refuses another key, size or root", () => {
    const { root } = twoLeaves();
    const signer = noteSigner("veritrail.test", generateSigningKey());
    const other = noteSigner("veritrail.test", generateSigningKey());
    const body = formatCheckpoint({
      origin: "veritrail.test/t",
      size: 2,
      rootHash: Buffer.from(root.root_hash, "hex"),
    });
    const note = signNote(body, signer);
    assert.equal(checkCheckpoint(root, note, formatVerifierKey(signer)).state, "pass");
    assert.equal(checkCheckpoint(root, note, formatVerifierKey(other)).state, "fail");
    assert.equal(checkCheckpoint({ ...root, size: 3 }, note, formatVerifierKey(signer)).state, "fail");
    assert.equal(
      checkCheckpoint({ ...root, root_hash: "0".repeat(64) }, note, formatVerifierKey(signer)).state,
      "fail",
    );
    assert.equal(
      checkCheckpoint(root, note.replace("\n2\n", "\n3\n"), formatVerifierKey(signer)).state,
      "fail",
    );
  });
});
