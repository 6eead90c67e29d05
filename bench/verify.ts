/**
 * Client-side verification (issue 10 §6): 10,000 records of a tree of 2^20 leaves, each with its
 * 20-node membership proof, verified against a signed checkpoint by core's `verifyFile` (what
 * the SDK and the console run) and, from a file on disk, by `veritrail verify`'s streaming
 * reader. The ceiling is the raw SHA-256 work of a record on the same machine in the same run
 * (its envelope and 20 folds, nothing else), so records per second over the ceiling's says what
 * the verifier costs on top of the hashing it cannot avoid.
 *
 * The records are leaves 0…9,999; the rest of the tree is stood for by random subtree hashes on
 * the right of the first 2^14 leaves, which is all a proof of those leaves can see.
 */
import { hash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatCheckpoint,
  formatVerifierKey,
  hashChildren,
  hashEnvelope,
  noteOpener,
  type VerifiableFile,
  verifyFile,
} from "@veritrail/core";
import { verifyFilePath } from "../packages/cli/src/commands/verify.js";
import { signNote } from "../packages/core/src/checkpoint/note.js";
import { NaiveTree } from "../packages/core/src/test-support/naive-tree.js";
import { testEnvelope, testSigner } from "../packages/core/src/test-support/verifiable-file.js";

const TREE_BITS = 20;
const INNER_BITS = 14;

function buildFile(records: number): { file: VerifiableFile; key: string; texts: string[] } {
  const signer = testSigner();
  const envelopes = Array.from({ length: records }, (_, i) => testEnvelope(i));
  const hashes = envelopes.map(hashEnvelope);
  const leaves = Array.from({ length: 2 ** INNER_BITS }, (_, i) =>
    i < records ? Buffer.from(hashes[i]!, "hex") : randomBytes(32),
  );
  const inner = new NaiveTree(leaves);
  const size = 2 ** TREE_BITS;
  // The right siblings of the first 2^14 leaves' subtree, up to the root of 2^20 leaves.
  const right = Array.from({ length: TREE_BITS - INNER_BITS }, () => randomBytes(32));
  let root = inner.root(2 ** INNER_BITS);
  for (const sibling of right) root = hashChildren(root, sibling);
  const tail = right.map((h) => `r:${h.toString("hex")}`).join(",");
  const treeName = "b".repeat(64);
  const note = signNote(
    formatCheckpoint({ origin: `veritrail.test/${treeName}`, size, rootHash: root }),
    signer,
  );
  const rootHex = Buffer.from(root).toString("hex");
  const file: VerifiableFile = {
    tree_name: treeName,
    checkpoints: [{ size, published_at: "2026-01-01T00:00:00.000000Z", note }],
    consistency: [],
    root: { tree_name: treeName, size, root_hash: rootHex, published_at: "2026-01-01T00:00:00.000000Z" },
    events: envelopes.map((envelope, i) => ({
      envelope,
      hash: hashes[i]!,
      leaf_index: i,
      membership_proof: `${inner.membershipProof(i, 2 ** INNER_BITS)},${tail}`,
      published: true,
    })),
    count: records,
  };
  return { file, key: formatVerifierKey(signer), texts: envelopes.map((e) => JSON.stringify(e)) };
}

/**
 * The hashing a record's verification cannot avoid, alone: SHA-256 of its envelope text, then of
 * 20 pairs of 32-byte nodes, with the one-shot hash core uses. Records per second.
 */
function sha256Ceiling(texts: readonly string[], seconds: number): number {
  const pairs = Array.from({ length: TREE_BITS }, () => randomBytes(64));
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) {
      hash("sha256", texts[(n + i) % texts.length]!, "buffer");
      for (const pair of pairs) hash("sha256", pair, "buffer");
    }
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

export async function runVerifyBench(options: {
  records: number;
  seconds: number;
  record: (name: string, value: number, unit: string) => void;
  progress: (message: string) => void;
}): Promise<void> {
  const { records, record, progress } = options;
  progress(`verify: building ${records} records of a tree of 2^${TREE_BITS} leaves`);
  const { file, key, texts } = buildFile(records);
  const open = noteOpener(key);
  // Warm-up, then the best of three (the machine is shared).
  verifyFile(file, { open });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const report = verifyFile(file, { open });
    best = Math.min(best, performance.now() - start);
    if (!report.ok) throw new Error("the benchmark's file did not verify");
  }
  const ceiling = sha256Ceiling(texts, options.seconds);
  const perSecond = records / (best / 1000);
  record("verify_10k_records_ms", best, "ms");
  record("verify_records_per_s", perSecond, "records/s");
  record("verify_sha256_ceiling_records_per_s", ceiling, "records/s");
  record("verify_ratio_to_sha256", perSecond / ceiling, "ratio");

  const dir = mkdtempSync(join(tmpdir(), "veritrail-bench-verify-"));
  try {
    const path = join(dir, "file.json");
    writeFileSync(path, JSON.stringify(file));
    const start = performance.now();
    const report = await verifyFilePath(path, { open, every: 0 });
    if (!report.ok) throw new Error("the benchmark's file did not verify from disk");
    record("verify_file_stream_10k_ms", performance.now() - start, "ms");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
