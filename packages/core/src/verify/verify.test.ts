import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize } from "../canonical-json.js";
import { generateSigningKey, publicKeyPem, signText } from "../ed25519.js";
import { type Envelope, hashEnvelope } from "../envelope.js";
import { NaiveTree } from "../test-support/naive-tree.js";
import { checkEnvelopeHash, checkEventSignature } from "./event.js";
import { checkConsistency, checkMembership } from "./proofs.js";
import { verifyRecord } from "./records.js";

function envelopeOf(i: number): Envelope {
  return {
    event: { message: `event ${i}`, actor: "alice" },
    received_at: `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.000000Z`,
  };
}

const envelopes = Array.from({ length: 13 }, (_, i) => envelopeOf(i));
const hashes = envelopes.map(hashEnvelope);
const tree = new NaiveTree(hashes.map((h) => Buffer.from(h, "hex")));
const head = (size: number) => ({ size, root_hash: tree.root(size).toString("hex") });

describe("verify: envelope hash", () => {
  it("passes the hash of the envelope and fails one changed byte of it", () => {
    assert.equal(checkEnvelopeHash({ envelope: envelopes[0], hash: hashes[0] }).status, "pass");
    const changed = { ...envelopes[0]!, event: { ...envelopes[0]!.event, message: "event 1" } };
    const check = checkEnvelopeHash({ envelope: changed, hash: hashes[0] });
    assert.equal(check.status, "fail");
    assert.match(check.reason ?? "", /hashes to [0-9a-f]{64}, not to the record's hash/);
    assert.equal(checkEnvelopeHash({ envelope: envelopes[0], hash: "ABC" }).status, "fail");
    assert.equal(checkEnvelopeHash({ envelope: "text", hash: hashes[0] }).status, "fail");
  });
});

describe("verify: membership", () => {
  it("passes every leaf of every size against its root, and binds the proof to the leaf index", () => {
    for (let size = 1; size <= 13; size++) {
      for (let i = 0; i < size; i++) {
        const proof = tree.membershipProof(i, size);
        const check = checkMembership({ leafHash: hashes[i]!, proof, root: head(size), leafIndex: i });
        assert.equal(check.status, "pass", `${i} in ${size}`);
      }
    }
  });

  it("fails a proof against another root, a changed node, a moved index, and a malformed proof", () => {
    const proof = tree.membershipProof(4, 7);
    assert.equal(checkMembership({ leafHash: hashes[4]!, proof, root: head(8) }).status, "fail");
    const changed = proof.replace(/^(r:)(.)/, (_, p: string, c: string) => `${p}${c === "0" ? "1" : "0"}`);
    assert.equal(checkMembership({ leafHash: hashes[4]!, proof: changed, root: head(7) }).status, "fail");
    const moved = checkMembership({ leafHash: hashes[4]!, proof, root: head(7), leafIndex: 5 });
    assert.equal(moved.status, "fail");
    assert.match(moved.reason ?? "", /not the path of leaf 5/);
    assert.equal(checkMembership({ leafHash: hashes[4]!, proof: "x:zz", root: head(7) }).status, "fail");
    assert.equal(checkMembership({ leafHash: hashes[4]!, proof: 7, root: head(7) }).status, "fail");
  });
});

describe("verify: consistency", () => {
  it("passes every pair of sizes with the proof between them", () => {
    for (let n = 2; n <= 13; n++) {
      for (let m = 1; m < n; m++) {
        const check = checkConsistency({
          older: head(m),
          newer: head(n),
          proof: tree.consistencyProof(m, n),
        });
        assert.equal(check.status, "pass", `${m} -> ${n}`);
      }
    }
    assert.equal(checkConsistency({ older: head(5), newer: head(5) }).status, "pass");
  });

  it("fails a forked root, a proof for other sizes, a reversed pair, and two roots at one size", () => {
    const forked = { size: 5, root_hash: "0".repeat(64) };
    assert.equal(
      checkConsistency({ older: forked, newer: head(9), proof: tree.consistencyProof(5, 9) }).status,
      "fail",
    );
    const other = checkConsistency({ older: head(5), newer: head(9), proof: tree.consistencyProof(4, 9) });
    assert.equal(other.status, "fail");
    assert.equal(checkConsistency({ older: head(9), newer: head(5), proof: [] }).status, "fail");
    assert.equal(checkConsistency({ older: head(5), newer: { ...head(6), size: 5 } }).status, "fail");
    assert.equal(checkConsistency({ older: head(5), newer: head(9), proof: "x" }).status, "fail");
  });
});

describe("verify: event signature", () => {
  const key = generateSigningKey();
  const event = { message: "signed", actor: "bob" };
  const signed: Envelope = {
    event,
    received_at: "2026-01-01T00:00:00.000000Z",
    signature: signText(canonicalize(event), key),
    public_key: canonicalize({ algorithm: "ED25519", key: publicKeyPem(key) }),
  };

  it("passes a good signature, fails a changed event or half a signature, and is none unsigned", () => {
    assert.equal(checkEventSignature(signed).status, "pass");
    assert.equal(checkEventSignature({ ...signed, event: { ...event, actor: "eve" } }).status, "fail");
    const { signature: _, ...half } = signed;
    assert.equal(checkEventSignature(half).status, "fail");
    assert.equal(checkEventSignature(envelopes[0]).status, "none");
  });
});

describe("verify: a record", () => {
  it("checks a published record against root and an unpublished one against unpublished_root", () => {
    const root = { tree_name: "t", ...head(8), published_at: "2026-01-01T00:00:00.000000Z" };
    const unpublished = { tree_name: "t", ...head(13) };
    const trust = {
      checkpoint: { status: "pass" as const },
      consistency: { status: "none" as const, reason: "first" },
    };
    const published = verifyRecord(
      {
        envelope: envelopes[3]!,
        hash: hashes[3]!,
        membership_proof: tree.membershipProof(3, 8),
        published: true,
        leaf_index: 3,
      },
      { root, unpublished_root: unpublished },
      trust,
    );
    assert.equal(published.ok, true);
    assert.deepEqual(Object.fromEntries(Object.entries(published.checks).map(([k, v]) => [k, v.status])), {
      hash: "pass",
      membership: "pass",
      checkpoint: "pass",
      consistency: "none",
      signature: "none",
    });
    const fresh = verifyRecord(
      {
        envelope: envelopes[10]!,
        hash: hashes[10]!,
        membership_proof: tree.membershipProof(10, 13),
        published: false,
      },
      { root, unpublished_root: unpublished },
      trust,
    );
    assert.equal(fresh.checks.membership.status, "pass");
    assert.equal(fresh.checks.checkpoint.status, "none");
    const tampered = verifyRecord(
      {
        envelope: envelopes[4]!,
        hash: hashes[3]!,
        membership_proof: tree.membershipProof(3, 8),
        published: true,
        leaf_index: 3,
      },
      { root },
      trust,
    );
    assert.equal(tampered.ok, false);
    assert.equal(tampered.checks.hash.status, "fail");
    assert.equal(tampered.checks.membership.status, "fail");
    const rootless = verifyRecord(
      { envelope: envelopes[3]!, hash: hashes[3]!, membership_proof: "", published: true, leaf_index: 3 },
      {},
    );
    assert.equal(rootless.checks.membership.status, "fail");
  });
});
