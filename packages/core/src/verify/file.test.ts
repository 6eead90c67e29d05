import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatVerifierKey } from "../checkpoint/note.js";
import { hashEnvelope } from "../envelope.js";
import { NaiveTree } from "../test-support/naive-tree.js";
import { buildVerifiableFile, checkpointNote, testSigner } from "../test-support/verifiable-file.js";
import type { VerifiableFile } from "../wire/audit.js";
import { noteOpener } from "./checkpoint.js";
import { type FileReport, verifyFile } from "./file.js";
import { FileStreamSplitter } from "./file-stream.js";

const signer = testSigner();
const key = formatVerifierKey(signer);
const built = () => buildVerifiableFile({ records: 40, checkpointSizes: [8, 21, 33], signer });
const verify = (file: VerifiableFile, pinned?: string[]) =>
  verifyFile(file, { open: noteOpener(key), ...(pinned ? { pinned } : {}) });
/** The leaf indices of the failing records and the checks each failed. */
const failing = (report: FileReport) =>
  report.failures.map((f) => [f.leaf_index, f.failed.map((x) => x.check).join(",")]);

describe("verify: a whole file", () => {
  it("passes an untouched file: every record, checkpoint, link, the range and the rebuilt roots", () => {
    const report = verify(built().file);
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.deepEqual(report.leaf_range, { first: 0, last: 39 });
    assert.deepEqual(
      report.checkpoints.map((c) => [c.size, c.status]),
      [
        [8, "pass"],
        [21, "pass"],
        [33, "pass"],
      ],
    );
    assert.deepEqual(
      report.consistency.map((c) => [c.from_size, c.to_size, c.status]),
      [
        [8, 21, "pass"],
        [21, 33, "pass"],
        [33, 40, "pass"],
      ],
    );
    assert.equal(report.recomputed.status, "pass");
    assert.deepEqual(report.totals.membership, { pass: 40, fail: 0, none: 0 });
    assert.deepEqual(report.totals.checkpoint, { pass: 33, fail: 0, none: 7 });
  });

  it("names the record whose envelope has one byte changed", () => {
    const { file } = built();
    const envelope = file.events[5]!.envelope!;
    envelope.event["message"] = "event 6";
    const report = verify(file);
    assert.equal(report.ok, false);
    assert.deepEqual(failing(report), [[5, "hash,membership"]]);
  });

  it("names the gap a deleted record leaves, and the count that no longer matches", () => {
    const { file } = built();
    file.events.splice(12, 1);
    const report = verify(file);
    assert.equal(report.ok, false);
    assert.equal(report.contiguity.status, "fail");
    assert.match(report.contiguity.reason ?? "", /missing inside 0-39: 12$/);
    assert.equal(report.count.status, "fail");
    // The roots rebuilt from the records hold up to the gap (size 8), then cannot be rebuilt.
    assert.equal(report.recomputed.status, "pass");
  });

  it("checks a selection's records one by one, but not that none is missing: its range is none, not pass", () => {
    const { file } = built();
    const selected = {
      ...file,
      selection: "matches" as const,
      events: file.events.filter((_, i) => i % 3 === 0),
    };
    selected.count = selected.events.length;
    const report = verify(selected);
    assert.equal(report.ok, true, JSON.stringify(report.failures));
    assert.equal(report.contiguity.status, "none");
    assert.match(report.contiguity.reason ?? "", /cannot be checked/);
    assert.deepEqual(report.totals.membership, { pass: selected.count, fail: 0, none: 0 });
    // A record twice is still a failure, selection or not.
    selected.events.push(selected.events[2]!);
    selected.count += 1;
    const twice = verify(selected);
    assert.equal(twice.contiguity.status, "fail");
    assert.match(twice.contiguity.reason ?? "", /more than once: 6$/);
    // The same gaps in a file that claims a whole range fail.
    assert.equal(verify({ ...selected, selection: "range" }).contiguity.status, "fail");
  });

  it("names a forged record inserted, whether it takes a new index or an existing one", () => {
    const { file } = built();
    const forged = { envelope: { event: { message: "forged" }, received_at: "2026-01-01T00:00:00.000000Z" } };
    const hash = hashEnvelope(forged.envelope);
    file.events.splice(20, 0, {
      ...forged,
      hash,
      leaf_index: 20,
      membership_proof: file.events[20]!.membership_proof!,
      published: true,
    });
    file.count = 41;
    const report = verify(file);
    assert.equal(report.ok, false);
    assert.deepEqual(failing(report), [[20, "membership"]]);
    assert.match(report.contiguity.reason ?? "", /more than once: 20/);
  });

  it("names both records when two records' contents are swapped", () => {
    const { file } = built();
    const [a, b] = [file.events[3]!, file.events[30]!];
    [a.envelope, b.envelope, a.hash, b.hash] = [b.envelope, a.envelope, b.hash, a.hash];
    const report = verify(file);
    assert.deepEqual(failing(report), [
      [3, "membership"],
      [30, "membership"],
    ]);
    assert.equal(report.recomputed.status, "fail");
  });

  it("names the record whose proof has a node changed", () => {
    const { file } = built();
    const proof = file.events[9]!.membership_proof!;
    file.events[9]!.membership_proof = proof.replace(
      /^(.:)(.)/,
      (_, p: string, c: string) => `${p}${c === "a" ? "b" : "a"}`,
    );
    assert.deepEqual(failing(verify(file)), [[9, "membership"]]);
  });

  it("reports a record exported without a proof, with the reason the file gives", () => {
    const { file } = built();
    delete file.events[2]!.membership_proof;
    file.events[2]!.proof_error = "node 0:2 is missing";
    const report = verify(file);
    assert.equal(report.failures[0]!.leaf_index, 2);
    assert.match(report.failures[0]!.failed[0]!.reason, /node 0:2 is missing/);
  });

  it("fails a checkpoint replaced by one of a rewritten log, or signed by another key", () => {
    const { file, envelopes } = built();
    const rewritten = new NaiveTree(
      envelopes.map((e, i) => Buffer.from(hashEnvelope(i === 0 ? { ...e, received_at: "x" } : e), "hex")),
    );
    file.checkpoints![1]!.note = checkpointNote(rewritten, 21, signer);
    const report = verify(file);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.consistency.map((c) => c.status),
      ["fail", "fail", "pass"],
    );

    const other = built().file;
    other.checkpoints![2]!.note = checkpointNote(new NaiveTree(built().tree.leaves), 33, testSigner());
    const foreign = verify(other);
    assert.equal(foreign.checkpoints[2]!.status, "fail");
    assert.match(foreign.checkpoints[2]!.reason ?? "", /does not verify with the pinned key/);
    assert.equal(foreign.root.status, "fail");
    // Every published record leans on that root, so each is named.
    assert.equal(foreign.totals.checkpoint.fail, 33);
  });

  it("fails a file inconsistent with a checkpoint the caller pinned earlier", () => {
    const { file, envelopes } = built();
    const forked = new NaiveTree(
      envelopes.map((e, i) =>
        Buffer.from(hashEnvelope(i === 3 ? { ...e, event: { message: "fork" } } : e), "hex"),
      ),
    );
    const report = verify(file, [checkpointNote(forked, 8, signer)]);
    assert.equal(report.ok, false);
    assert.equal(report.pinned[0]!.status, "fail");
    assert.match(report.pinned[0]!.reason ?? "", /two different roots at size 8/);
    // An honest pinned checkpoint passes.
    assert.equal(verify(file, [checkpointNote(built().tree, 8, signer)]).ok, true);
  });

  it("settles a pinned checkpoint the file has no proof from by rebuilding the tree from its records", () => {
    const { file, tree, envelopes } = buildVerifiableFile({ records: 40, checkpointSizes: [33], signer });
    const honest = verify(file, [checkpointNote(tree, 8, signer)]);
    assert.equal(honest.ok, true, JSON.stringify(honest.pinned));
    assert.deepEqual(honest.pinned, [{ size: 8, status: "pass" }]);
    const forked = new NaiveTree(
      envelopes.map((e, i) =>
        Buffer.from(hashEnvelope(i === 3 ? { ...e, event: { message: "fork" } } : e), "hex"),
      ),
    );
    const report = verify(file, [checkpointNote(forked, 8, signer)]);
    assert.equal(report.ok, false);
    assert.match(
      report.pinned[0]!.reason ?? "",
      /records' own hashes give root [0-9a-f]+ at size 8, not the pinned/,
    );
    // Records that do not start at leaf 0 cannot settle it: it stays a failure, saying why.
    file.events.splice(0, 1);
    assert.match(
      verify(file, [checkpointNote(tree, 8, signer)]).pinned[0]!.reason ?? "",
      /do not rebuild the tree/,
    );
  });

  it("verifies an erased record's proof and says its envelope is gone, rather than failing it", () => {
    const { file } = built();
    const { envelope: _, ...kept } = file.events[6]!;
    file.events[6] = { ...kept, erased: { erasure_id: "prq_e", erased_at: "2026-12-01T23:10:00.000Z" } };
    const report = verify(file);
    assert.equal(report.ok, true, JSON.stringify(report.failures));
    assert.deepEqual(report.totals.hash, { pass: 39, fail: 0, none: 1 });
    assert.deepEqual(report.totals.membership, { pass: 40, fail: 0, none: 0 });
    // Without `erased`, a missing envelope is a failure.
    delete file.events[6]!.erased;
    assert.deepEqual(failing(verify(file)), [[6, "hash,membership,signature"]]);
  });

  it("counts erased and expired records apart, and still fails a tampered erased record by its leaf", () => {
    const { file } = built();
    const erase = (i: number, reason?: "expired") => {
      const { envelope: _, ...kept } = file.events[i]!;
      file.events[i] = {
        ...kept,
        erased: {
          erasure_id: reason ? "retention" : "prq_e",
          erased_at: "2026-12-01T23:10:00.000Z",
          ...(reason ? { reason } : {}),
        },
      };
    };
    erase(3);
    erase(9);
    erase(12, "expired");
    const report = verify(file);
    assert.equal(report.ok, true, JSON.stringify(report.failures));
    assert.deepEqual([report.erased, report.expired], [2, 1]);
    assert.equal(verify(built().file).erased, 0, "a file with nothing erased counts none");
    // An erased record's hash changed: its proof no longer folds to the root, named by its leaf.
    file.events[9]!.hash = file.events[10]!.hash;
    const tampered = verify(file);
    assert.equal(tampered.ok, false);
    assert.deepEqual(failing(tampered), [[9, "membership"]]);
    assert.deepEqual([tampered.erased, tampered.expired], [1, 1]);
    // An erased record whose proof was swapped for another leaf's fails too.
    file.events[9]!.hash = built().file.events[9]!.hash;
    file.events[3]!.membership_proof = file.events[4]!.membership_proof;
    assert.deepEqual(failing(verify(file)), [[3, "membership"]]);
  });

  it("without a verifier key, checks everything else and says the signatures are unchecked", () => {
    const report = verifyFile(built().file, { open: noteOpener() });
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checkpoints.map((c) => c.status),
      ["none", "none", "none"],
    );
  });
});

describe("verify: splitting a file's text", () => {
  it("gives the same members and records however the text is cut", () => {
    const { file } = built();
    file.events[0]!.envelope!.event["message"] = 'braces } ] , and "quotes" \\ inside';
    const text = JSON.stringify({ ...file, events: file.events, count: file.count });
    for (const size of [1, 7, 64, 4096]) {
      const members: Record<string, unknown> = {};
      const records: unknown[] = [];
      const splitter = new FileStreamSplitter({
        member: (k, v) => {
          members[k] = v;
        },
        record: (r) => records.push(r),
      });
      for (let i = 0; i < text.length; i += size) splitter.push(text.slice(i, i + size));
      splitter.end();
      assert.deepEqual(records, file.events, `chunks of ${size}`);
      assert.deepEqual(members["checkpoints"], file.checkpoints);
      assert.equal(members["count"], 40);
    }
  });

  it("refuses text that is not one object with an events array", () => {
    for (const text of ["[1]", '{"events": 3}', '{"events": [1,]}', '{"a": 1', '{"a": 1} x']) {
      const splitter = new FileStreamSplitter({ member: () => {}, record: () => {} });
      assert.throws(
        () => {
          splitter.push(text);
          splitter.end();
        },
        (e: unknown) => (e as { code?: string }).code === "ERR_FILE_FORMAT",
        text,
      );
    }
  });
});
