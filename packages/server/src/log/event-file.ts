import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { erasureOf } from "../store/contract/erasure.js";
import type { EventSchema, LeafRecord, Store } from "../store/contract/store.js";
import { erasedFieldsOf, storedEventOf } from "./erased-record.js";
import { consistencyProof, rootAt } from "./proofs.js";
import { type ProvingRoots, proveRecords, provingRoots } from "./published.js";

/*
 * The file a download serves (wire-protocol §4.5): the events of a search's result set or of an
 * export, as gzip-compressed CSV or JSON (docs/design/exports.md). The text is made batch by
 * batch from an iterable of leaves, so no file is ever held whole in memory.
 *
 * - CSV: a header row `received_at`, the schema's field ids in schema order, `hash`; then one
 *   row per event (RFC 4180: CRLF line ends, a value holding a comma, quote or line break
 *   quoted). Values are written exactly as stored, for fidelity; only JSON can be verified.
 * - JSON: the verifiable file (docs/design/exports.md): `tree_name`; with proofs, the latest
 *   signed `checkpoints`, the `consistency` proofs linking them (and the last to
 *   `unpublished_root`), `root` (the last checkpoint) and `unpublished_root` (the root at the
 *   file's size, when records lie above the checkpoint); `events`, each
 *   `{envelope, hash, leaf_index, membership_proof, published}` with `envelope` exactly the
 *   stored canonical JSON, so `sha256(canonicalEnvelope(envelope))` is `hash`; a published
 *   record's proof folds to `root`, any other's to `unpublished_root`. A record whose proof
 *   cannot be computed (a damaged store) is written with `proof_error` instead, never dropped.
 *   Without proofs, events are `{envelope, hash, leaf_index}` and there are no roots. Then `count`.
 *
 * A JSON file says what its records are (`selection`, core `VerifiableFile`): `range`, every
 * leaf of one range of the tree (an export ordered by `received_at` that nothing filters), which
 * a verifier holds to having no leaf missing; or `matches`, what a search or a restriction
 * selected, whose leaf indices may skip.
 *
 * An event erased on request shows as erased in both formats (log/erased-record.ts). One that
 * retention expired shows as expired (its hash and leaf index, no content) in a `range`, so the
 * range stays whole and a verifier proves its hash; a `matches` file leaves it out, as
 * `v1/results` leaves it out of its pages: it is past the searchable tiers, and its content
 * lives, if anywhere, in the cold archive, which a cold export serves.
 */

export type EventFileFormat = "csv" | "json";

/** What a file's records are: one whole range of leaves, or a selection (see above). */
export type EventFileSelection = "range" | "matches";

/** Events read per batch, by downloads and exports alike. */
export const EVENT_FILE_BATCH = 1000;

/** What a file holds and how it is proved. */
export interface EventFileOptions {
  tree: { treeId: number; treeName: string };
  schema: EventSchema;
  format: EventFileFormat;
  selection: EventFileSelection;
  /** Counts the records the file holds, as they are written. */
  tally?: { events: number };
  /** The tree size every proof is against (at least each leaf index + 1); no proofs when undefined. */
  proveAt?: number | undefined;
}

/** The file name of a download, in its URL and its `Content-Disposition`: `<id>.<format>.gz`. */
export function fileNameOf(id: string, format: EventFileFormat): string {
  return `${id}.${format}.gz`;
}

/** One CSV value: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
function csvValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvHeader(schema: EventSchema): string {
  return `${["received_at", ...schema.fields.map((f) => f.id), "hash"].map(csvValue).join(",")}\r\n`;
}

function csvRow(leaf: LeafRecord, schema: EventSchema): string {
  // An erased event keeps its received_at and hash; its fields are empty (log/erased-record.ts).
  const { event, receivedAt } = storedEventOf(leaf);
  const cells = [receivedAt, ...schema.fields.map((f) => event[f.id]), leaf.hash.toString("hex")];
  return `${cells.map(csvValue).join(",")}\r\n`;
}

/**
 * The text of the file, piece by piece: one piece for the head, one per batch of leaves, one for
 * the tail. A batch's proofs come from one read of the stored subtrees.
 */
export async function* eventFileText(
  store: Store,
  options: EventFileOptions,
  batches: AsyncIterable<readonly LeafRecord[]>,
): AsyncGenerator<string> {
  const { tree, schema, format, proveAt, selection, tally } = options;
  const prove = proveAt !== undefined && proveAt > 0;
  batches = fileRecords(batches, selection);
  if (tally) batches = counted(batches, tally);
  if (format === "csv") {
    yield csvHeader(schema);
    for await (const leaves of batches) {
      if (leaves.length > 0) yield leaves.map((leaf) => csvRow(leaf, schema)).join("");
    }
    return;
  }
  let count = 0;
  const treeName = `${JSON.stringify(tree.treeName)},"selection":"${selection}"`;
  let roots: ProvingRoots | undefined;
  if (prove) {
    roots = await provingRoots(store, tree.treeId, proveAt);
    yield `{"tree_name":${treeName},${await proofHead(store, tree, roots)},"events":[`;
  } else {
    yield `{"tree_name":${treeName},"events":[`;
  }
  for await (const leaves of batches) {
    if (leaves.length === 0) continue;
    const proofs = roots
      ? (
          await proveRecords(
            store,
            tree.treeId,
            leaves.map((l) => l.leafIndex),
            roots,
            { tolerant: true },
          )
        ).proofs
      : undefined;
    const items = leaves.map((leaf, i) => {
      // The stored canonical JSON as it is: the exact bytes that were hashed.
      // An erased record keeps its hash and leaf index; its envelope is gone (log/erased-record.ts).
      const erased = erasedFieldsOf(leaf);
      const head = erased
        ? `{"hash":"${leaf.hash.toString("hex")}","leaf_index":${leaf.leafIndex},"erased":${JSON.stringify(erased.erased)}`
        : `{"envelope":${leaf.envelope},"hash":"${leaf.hash.toString("hex")}","leaf_index":${leaf.leafIndex}`;
      const proof = proofs?.[i];
      if (!proof) return `${head}}`;
      const published = `"published":${proof.published}`;
      return "proof" in proof
        ? `${head},"membership_proof":${JSON.stringify(proof.proof)},${published}}`
        : `${head},${published},"proof_error":${JSON.stringify(proof.error)}}`;
    });
    yield `${count === 0 ? "" : ","}${items.join(",")}`;
    count += leaves.length;
  }
  yield `],"count":${count}}`;
}

/** Counts the leaves that pass through into `tally`. */
async function* counted(
  batches: AsyncIterable<readonly LeafRecord[]>,
  tally: { events: number },
): AsyncGenerator<readonly LeafRecord[]> {
  for await (const leaves of batches) {
    tally.events += leaves.length;
    yield leaves;
  }
}

/** The records a file of `selection` holds: a `matches` file leaves out what retention expired. */
function fileRecords(
  batches: AsyncIterable<readonly LeafRecord[]>,
  selection: EventFileSelection,
): AsyncIterable<readonly LeafRecord[]> {
  return selection === "matches" ? withoutExpired(batches) : batches;
}

/** The batches without the leaves retention expired (their tombstone says `expired`). */
export async function* withoutExpired(
  batches: AsyncIterable<readonly LeafRecord[]>,
): AsyncGenerator<LeafRecord[]> {
  for await (const leaves of batches)
    yield leaves.filter((leaf) => erasureOf(leaf.envelope)?.reason !== "expired");
}

/**
 * The members of a proved file before its events: `checkpoints` (the latest, when any),
 * `consistency` (from it to the unpublished root, when both exist), `root` and
 * `unpublished_root`. A root or link that cannot be computed from a damaged store is left out,
 * and the verifier then reports the records that needed it.
 */
async function proofHead(
  store: Store,
  tree: { treeId: number; treeName: string },
  roots: ProvingRoots,
): Promise<string> {
  const { checkpoint, unpublishedSize } = roots;
  const members: string[] = [];
  const checkpoints = checkpoint
    ? [{ size: checkpoint.size, published_at: checkpoint.publishedAt, note: checkpoint.note }]
    : [];
  members.push(`"checkpoints":${JSON.stringify(checkpoints)}`);
  const unpublishedHash =
    unpublishedSize === undefined
      ? undefined
      : await rootAt(store, tree.treeId, unpublishedSize).catch(() => undefined);
  const consistency: { from_size: number; to_size: number; consistency_proof: string[] }[] = [];
  if (checkpoint && unpublishedSize !== undefined) {
    const proof = await consistencyProof(store, tree.treeId, checkpoint.size, unpublishedSize).catch(
      () => undefined,
    );
    if (proof)
      consistency.push({ from_size: checkpoint.size, to_size: unpublishedSize, consistency_proof: proof });
  }
  members.push(`"consistency":${JSON.stringify(consistency)}`);
  if (checkpoint) {
    const root = {
      tree_name: tree.treeName,
      size: checkpoint.size,
      root_hash: checkpoint.rootHash.toString("hex"),
      published_at: checkpoint.publishedAt,
    };
    members.push(`"root":${JSON.stringify(root)}`);
  }
  if (unpublishedSize !== undefined && unpublishedHash) {
    const root = {
      tree_name: tree.treeName,
      size: unpublishedSize,
      root_hash: unpublishedHash.toString("hex"),
    };
    members.push(`"unpublished_root":${JSON.stringify(root)}`);
  }
  return members.join(",");
}

/** The leaves at `leafIndices`, in that order, read `EVENT_FILE_BATCH` at a time. */
export async function* leafBatches(
  store: Store,
  treeId: number,
  leafIndices: readonly number[],
): AsyncGenerator<LeafRecord[]> {
  for (let i = 0; i < leafIndices.length; i += EVENT_FILE_BATCH) {
    yield await store.search.getLeaves(treeId, leafIndices.slice(i, i + EVENT_FILE_BATCH));
  }
}

/**
 * The gzip-compressed bytes of `text`, as a stream (what a download answers with). A failure
 * while reading (the database gone mid-file) destroys the stream, so the client sees a cut-off
 * gzip file, which no gunzip accepts, never a file that looks complete; `onError` hears of it.
 */
export function gzipStream(text: AsyncIterable<string>, onError: (error: unknown) => void): Readable {
  const gzip = createGzip();
  pipeline(Readable.from(text), gzip).catch(onError);
  return gzip;
}

/** Bytes per stored chunk of an export file: large enough for few rows, small enough for any driver. */
export const EXPORT_CHUNK_BYTES = 1024 * 1024;

/**
 * Compresses `text` with gzip and hands the bytes to `writeChunk` in chunks of about
 * `EXPORT_CHUNK_BYTES`, numbered from 0, one at a time (the compression waits for each write).
 */
export async function writeGzipChunks(
  text: AsyncIterable<string>,
  writeChunk: (seq: number, data: Buffer) => Promise<void>,
): Promise<{ chunks: number; bytes: number }> {
  let chunks = 0;
  let bytes = 0;
  await pipeline(Readable.from(text), createGzip(), async (compressed: AsyncIterable<Buffer>) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const data = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await writeChunk(chunks, data);
      chunks += 1;
      bytes += data.length;
    };
    for await (const piece of compressed) {
      pending.push(piece);
      pendingBytes += piece.length;
      if (pendingBytes >= EXPORT_CHUNK_BYTES) await flush();
    }
    if (pendingBytes > 0 || chunks === 0) await flush();
  });
  return { chunks, bytes };
}
