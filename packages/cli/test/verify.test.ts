// `veritrail verify FILE`: offline checks of a verifiable JSON file, built here with the core
// note module and a key made for the test. Every kind of tampering must fail the run (exit 1)
// and be named: the record by its leaf index, the checkpoint by its size.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { formatVerifierKey, hashEnvelope, type VerifiableFile } from "@veritrail/core";
import { NaiveTree } from "../../core/src/test-support/naive-tree.js";
import {
  buildVerifiableFile,
  checkpointNote,
  testSigner,
} from "../../core/src/test-support/verifiable-file.js";
import { runCliBinary, runCliInProcess } from "./support/cli.js";

const signer = testSigner();
const KEY = formatVerifierKey(signer);
const build = () => buildVerifiableFile({ records: 50, checkpointSizes: [10, 32], signer });

describe("veritrail verify", () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "veritrail-verify-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(file: VerifiableFile | string, gzip = false): string {
    const path = join(dir, `file-${n++}.json${gzip ? ".gz" : ""}`);
    const text = typeof file === "string" ? file : JSON.stringify(file);
    writeFileSync(path, gzip ? gzipSync(text) : text);
    return path;
  }

  const verify = (path: string, ...extra: string[]) =>
    runCliInProcess(["verify", path, "--key", KEY, ...extra], {});

  it("passes an untouched file, gzip or not, and prints a summary", async () => {
    for (const gzip of [false, true]) {
      const run = await verify(write(build().file, gzip));
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.match(run.stdout, /records {5}50 \(leaf indices 0-49\)/);
      assert.match(run.stdout, /consistency pass \(10 -> 32\)/);
      assert.match(run.stdout, /OK: every check passed/);
    }
  });

  it("reads a file whose roots come after its records", async () => {
    const { file } = build();
    const { events, ...head } = file;
    const text = `{"events":${JSON.stringify(events)},${JSON.stringify(head).slice(1)}`;
    const run = await verify(write(text));
    assert.equal(run.code, 0, run.stdout);
  });

  it("prints a machine-readable report with --json, and progress on stderr", async () => {
    const { file } = build();
    file.events[7]!.envelope!.received_at = file.events[7]!.envelope!.received_at.replace(/.Z$/, "9Z");
    const run = await verify(write(file), "--json", "--progress", "20");
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      failures: { leaf_index: number }[];
      records: number;
    };
    assert.equal(report.ok, false);
    assert.equal(report.records, 50);
    assert.deepEqual(
      report.failures.map((f) => f.leaf_index),
      [7],
    );
    assert.match(run.stderr, /verified 20 records .*\n.*verified 40 records/);
  });

  it("verifies erased and expired records as such, counted apart in the summary and --json", async () => {
    const { file } = build();
    for (const [i, reason] of [
      [4, undefined],
      [5, undefined],
      [30, "expired"],
    ] as const) {
      const { envelope: _, ...kept } = file.events[i]!;
      file.events[i] = {
        ...kept,
        erased: {
          erasure_id: reason ? "retention" : "prq_e",
          erased_at: "2026-12-01T23:10:00.000Z",
          ...(reason ? { reason } : {}),
        },
      };
    }
    const path = write(file);
    const run = await verify(path);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /erased {6}2 \(no envelope: hash and place in the tree proved\)/);
    assert.match(run.stdout, /expired {5}1 /);
    assert.match(run.stdout, /OK: every check passed/);
    const json = await verify(path, "--json");
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout) as { erased: number; expired: number; records: number };
    assert.deepEqual([report.records, report.erased, report.expired], [50, 2, 1]);
    // A tampered erased record (its hash changed) fails, named by its leaf index.
    file.events[5]!.hash = file.events[6]!.hash;
    const tampered = await verify(write(file));
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /leaf 5: membership: /);
    assert.match(tampered.stdout, /erased {6}1 /);
  });

  /** Runs verify on a tampered file: it must fail and print each of `names`. */
  async function expectFailure(file: VerifiableFile, names: RegExp[], ...extra: string[]) {
    const run = await verify(write(file), ...extra);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /FAILED: the file does not verify/);
    for (const name of names) assert.match(run.stdout, name);
  }

  it("names the record with one byte of its envelope changed", async () => {
    const { file } = build();
    file.events[12]!.envelope!.event["actor"] = "alicf";
    await expectFailure(file, [/leaf 12: hash: envelope hashes to/]);
  });

  it("names the gap of a deleted record", async () => {
    const { file } = build();
    file.events.splice(40, 1);
    await expectFailure(file, [/range +fail: leaf indices missing inside 0-49: 40/, /count +fail/]);
  });

  it("names a forged record inserted", async () => {
    const { file } = build();
    const envelope = { event: { message: "forged" }, received_at: "2026-01-01T00:00:00.000000Z" };
    file.events.push({
      envelope,
      hash: hashEnvelope(envelope),
      leaf_index: 50,
      membership_proof: "",
      published: false,
    });
    await expectFailure(file, [/leaf 50: membership/]);
  });

  it("names both records of a swap", async () => {
    const { file } = build();
    const [a, b] = [file.events[1]!, file.events[2]!];
    [a.envelope, b.envelope, a.hash, b.hash] = [b.envelope, a.envelope, b.hash, a.hash];
    await expectFailure(file, [/leaf 1: membership/, /leaf 2: membership/]);
  });

  it("names the record whose proof has a changed node", async () => {
    const { file } = build();
    const proof = file.events[44]!.membership_proof!;
    file.events[44]!.membership_proof = `${proof.slice(0, -1)}${proof.endsWith("0") ? "1" : "0"}`;
    await expectFailure(file, [/leaf 44: membership/]);
  });

  it("names a checkpoint replaced by another log's, or signed by another key", async () => {
    const replaced = build();
    const other = new NaiveTree(
      replaced.tree.leaves.map((_, i) =>
        Buffer.from(hashEnvelope({ event: { message: `x${i}` }, received_at: "y" }), "hex"),
      ),
    );
    replaced.file.checkpoints![0]!.note = checkpointNote(other, 10, signer);
    await expectFailure(replaced.file, [/consistency fail: .*from size 10 to size 32/]);

    const foreign = build();
    foreign.file.checkpoints![1]!.note = checkpointNote(foreign.tree, 32, testSigner());
    await expectFailure(foreign.file, [
      /checkpoint +fail: size 32: the checkpoint does not verify with the pinned key/,
      /leaf 0: checkpoint/,
    ]);
  });

  it("fails a file that forks from a checkpoint pinned earlier", async () => {
    const { file, envelopes } = build();
    const forked = new NaiveTree(
      envelopes.map((e, i) => Buffer.from(hashEnvelope(i === 0 ? { ...e, received_at: "z" } : e), "hex")),
    );
    const pin = join(dir, "pinned.note");
    writeFileSync(pin, checkpointNote(forked, 10, signer));
    await expectFailure(file, [/pinned +fail: two different roots at size 10/], "--pin", pin);
  });

  it("says when no key was given, and refuses a key that is not one", async () => {
    const path = write(build().file);
    const unkeyed = await runCliInProcess(["verify", path], {});
    assert.equal(unkeyed.code, 0);
    assert.match(unkeyed.stderr, /no --key given: checkpoint signatures are not checked/);
    assert.match(unkeyed.stdout, /checkpoint +none/);
    const bad = await runCliInProcess(["verify", path, "--key", "nope"], {});
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--key is not a verifier key/);
    const missing = await runCliInProcess(["verify", join(dir, "absent.json")], {});
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*absent\.json: ENOENT/);
    const notJson = await runCliInProcess(["verify", write("[1,2]")], {});
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /is not a verifiable JSON file/);
  });

  it("runs as the binary, with the key from VERITRAIL_VERIFIER_KEY", async () => {
    const { file } = build();
    file.events[3]!.envelope!.event["message"] = "changed";
    const run = await runCliBinary(["verify", write(file)], { VERITRAIL_VERIFIER_KEY: KEY });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /leaf 3: hash/);
    assert.match(run.stdout, /checkpoint +pass \(size 32\)/);
  });
});
