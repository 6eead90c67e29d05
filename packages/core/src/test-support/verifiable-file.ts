import { formatCheckpoint, type NoteSigner, noteSigner, signNote } from "../checkpoint/note.js";
import { generateSigningKey } from "../ed25519.js";
import { type Envelope, hashEnvelope } from "../envelope.js";
import { formatReceivedAt } from "../received-at.js";
import type { FileEvent, VerifiableFile } from "../wire/audit.js";
import { NaiveTree } from "./naive-tree.js";

/*
 * Verifiable JSON files for tests, in the format downloads and exports share: records with
 * proofs from the naive reference tree, checkpoints signed as C2SP notes by a key made here.
 */

export const TEST_TREE = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
export const TEST_ORIGIN_HOST = "veritrail.test";

/** A checkpoint signer under the name verifiers pin. */
export function testSigner(name = TEST_ORIGIN_HOST): NoteSigner {
  return noteSigner(name, generateSigningKey());
}

export function testEnvelope(i: number): Envelope {
  return {
    event: { message: `event ${i}`, actor: i % 2 ? "alice" : "bob" },
    received_at: formatReceivedAt(1_767_225_600_000_000 + i),
  };
}

/** The signed checkpoint note of the first `size` leaves of `tree`. */
export function checkpointNote(
  tree: NaiveTree,
  size: number,
  signer: NoteSigner,
  treeName = TEST_TREE,
): string {
  const body = formatCheckpoint({
    origin: `${TEST_ORIGIN_HOST}/${treeName}`,
    size,
    rootHash: tree.root(size),
  });
  return signNote(body, signer);
}

export interface BuiltFile {
  file: VerifiableFile;
  tree: NaiveTree;
  envelopes: Envelope[];
}

/**
 * A file of `records` records (leaves 0…records−1), with signed checkpoints at `checkpointSizes`
 * (ascending; the last is `root`), and `unpublished_root` when records lie above the last.
 */
export function buildVerifiableFile(args: {
  records: number;
  checkpointSizes: readonly number[];
  signer: NoteSigner;
  treeName?: string;
}): BuiltFile {
  const treeName = args.treeName ?? TEST_TREE;
  const envelopes = Array.from({ length: args.records }, (_, i) => testEnvelope(i));
  const hashes = envelopes.map(hashEnvelope);
  const tree = new NaiveTree(hashes.map((h) => Buffer.from(h, "hex")));
  const sizes = args.checkpointSizes;
  const published = sizes.at(-1) ?? 0;
  const at = (size: number) => tree.root(size).toString("hex");
  const publishedAt = "2026-01-01T00:00:00.000000Z";
  const checkpoints = sizes.map((size) => ({
    size,
    published_at: publishedAt,
    note: checkpointNote(tree, size, args.signer, treeName),
  }));
  const consistency = sizes.slice(1).map((size, i) => ({
    from_size: sizes[i]!,
    to_size: size,
    consistency_proof: tree.consistencyProof(sizes[i]!, size),
  }));
  const file: VerifiableFile = { tree_name: treeName, checkpoints, consistency, events: [] };
  if (published > 0)
    file.root = { tree_name: treeName, size: published, root_hash: at(published), published_at: publishedAt };
  if (args.records > published) {
    file.unpublished_root = { tree_name: treeName, size: args.records, root_hash: at(args.records) };
    if (published > 0) {
      consistency.push({
        from_size: published,
        to_size: args.records,
        consistency_proof: tree.consistencyProof(published, args.records),
      });
    }
  }
  file.events = envelopes.map((envelope, i): FileEvent => {
    const isPublished = i < published;
    return {
      envelope,
      hash: hashes[i]!,
      leaf_index: i,
      membership_proof: tree.membershipProof(i, isPublished ? published : args.records),
      published: isPublished,
    };
  });
  file.count = args.records;
  return { file, tree, envelopes };
}
