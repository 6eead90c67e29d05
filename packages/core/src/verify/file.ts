import { Buffer } from "#platform";
import { CompactRange } from "../merkle/tree.js";
import type {
  FileCheckpoint,
  FileConsistency,
  FileEvent,
  PublishedRoot,
  UnpublishedRoot,
  VerifiableFile,
} from "../wire/audit.js";
import { type Check, fail, none, PASS, worst } from "./check.js";
import { checkConsistency, type TreeHead } from "./proofs.js";
import { type RecordChecks, type RootTrust, verifyRecord } from "./records.js";

/*
 * Offline verification of a verifiable JSON file (a `format: json` download or a JSON export),
 * one record at a time so that a file of millions of records needs memory for one record, the
 * checkpoints, and one bit per leaf index. Nothing in the file is believed: every checkpoint is
 * opened with the caller's verifier key, every link between checkpoints is proved, every record
 * is hashed and folded, and the leaf indices must form one range with nothing left out, unless
 * the file says it holds a selection (`selection: "matches"`), whose range cannot be checked.
 */

/** A checkpoint note, opened: its signature's outcome and, when its body parsed, what it says. */
export interface OpenedNote {
  readonly signature: Check;
  readonly checkpoint?: { readonly origin: string; readonly size: number; readonly root_hash: string };
}

/** Opens a signed checkpoint note with the pinned verifier key (verify/checkpoint.ts). */
export type NoteOpener = (note: string) => OpenedNote;

export interface CheckpointReport {
  readonly size: number;
  readonly status: Check["status"];
  readonly reason?: string;
}

export interface LinkReport {
  readonly from_size: number;
  readonly to_size: number;
  readonly status: Check["status"];
  readonly reason?: string;
}

/** One record that failed a check, named by its leaf index (and its place in the file). */
export interface RecordFailure {
  readonly position: number;
  readonly leaf_index?: number;
  readonly hash?: string;
  readonly failed: { readonly check: keyof RecordChecks; readonly reason: string }[];
}

export type Tally = Record<Check["status"], number>;

export interface FileReport {
  /** No check failed anywhere in the file. */
  readonly ok: boolean;
  readonly tree_name?: string;
  readonly records: number;
  readonly leaf_range?: { readonly first: number; readonly last: number };
  /** Each checkpoint the file carries: its signature with the pinned key, its body, its size. */
  readonly checkpoints: CheckpointReport[];
  /** Each link the checkpoints (and the unpublished root) need, proved with the file's proofs. */
  readonly consistency: LinkReport[];
  /** Each checkpoint the caller held before, against the file's. */
  readonly pinned: CheckpointReport[];
  /** `root` is the last checkpoint's. */
  readonly root: Check;
  /** The leaf indices form one range, each once. */
  readonly contiguity: Check;
  /** The roots recomputed from the records themselves, when the file starts at leaf 0. */
  readonly recomputed: Check;
  /** `count` is the number of records. */
  readonly count: Check;
  readonly totals: Record<keyof RecordChecks, Tally>;
  /**
   * Records erased on request that verified as erased: no envelope to hash, their hash proved
   * in the tree (docs/design/erasure.md). A failing one is among `failures` instead.
   */
  readonly erased: number;
  /** Records past retention (`erased.reason: "expired"`) that verified as such, counted apart from `erased`. */
  readonly expired: number;
  readonly failures: RecordFailure[];
  /** Failing records beyond `maxFailures`, counted but not listed. */
  readonly failures_omitted: number;
}

export interface FileVerifierOptions {
  /** Opens each checkpoint note; without a verifier key its signature is "none". */
  open: NoteOpener;
  /** Checkpoint notes the caller held before; each must agree with the file's. */
  pinned?: readonly string[];
  /** Failing records listed in full (default 1000); the rest are counted. */
  maxFailures?: number;
}

const HEAD_KEYS = [
  "tree_name",
  "selection",
  "checkpoints",
  "consistency",
  "root",
  "unpublished_root",
] as const;
export type HeadKey = (typeof HEAD_KEYS)[number];

/** The parts of a file that come before or after its records. */
export type FileHead = Omit<VerifiableFile, "events" | "count">;

function report(size: number, check: Check): CheckpointReport {
  return { size, status: check.status, ...(check.reason ? { reason: check.reason } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A growable bit set of leaf indices, relative to the first index seen. */
class LeafSet {
  #bits = new Uint8Array(1024);
  #base: number | undefined;
  #low: number[] = [];

  /** Adds an index; false if it was there already. */
  add(index: number): boolean {
    if (this.#base === undefined) this.#base = index;
    if (index < this.#base) {
      // Below the first index (a file in descending order): kept aside, then folded in.
      if (this.#low.includes(index)) return false;
      this.#low.push(index);
      return true;
    }
    const offset = index - this.#base;
    const byte = offset >>> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    const mask = 1 << (offset & 7);
    if ((this.#bits[byte]! & mask) !== 0) return false;
    this.#bits[byte]! |= mask;
    return true;
  }

  /** Missing ranges inside [first, last], at most `max` of them. */
  gaps(first: number, last: number, max: number): { from: number; to: number }[] {
    const low = new Set(this.#low);
    const base = this.#base ?? first;
    const has = (i: number) => {
      if (i < base) return low.has(i);
      const offset = i - base;
      return ((this.#bits[offset >>> 3] ?? 0) & (1 << (offset & 7))) !== 0;
    };
    const out: { from: number; to: number }[] = [];
    let start: number | undefined;
    for (let i = first; i <= last + 1; i++) {
      const present = i > last || has(i);
      if (!present && start === undefined) start = i;
      if (present && start !== undefined) {
        out.push({ from: start, to: i - 1 });
        start = undefined;
        if (out.length >= max) break;
      }
    }
    return out;
  }
}

/**
 * Verifies a file fed to it piece by piece: `head` for each top-level part other than the
 * records (before the records, or all of them first in a second pass), `record` for each record
 * in file order, then `finish`.
 *
 * @example
 *   const verifier = new FileVerifier({ open: noteOpener(verifierKey) });
 *   verifier.head(file); for (const r of file.events) verifier.record(r);
 *   const report = verifier.finish(file.count);
 */
export class FileVerifier {
  readonly #open: NoteOpener;
  readonly #pinnedNotes: readonly string[];
  readonly #maxFailures: number;
  #head: FileHead = {};
  #trust: RootTrust | undefined;
  #checkpointReports: CheckpointReport[] = [];
  #linkReports: LinkReport[] = [];
  #pinnedReports: CheckpointReport[] = [];
  #rootCheck: Check = none("the file has no root");
  /** Verified checkpoint heads by size. */
  #heads = new Map<number, TreeHead>();
  #records = 0;
  #failures: RecordFailure[] = [];
  #omitted = 0;
  #failedRecords = 0;
  #erased = 0;
  #expired = 0;
  #first: number | undefined;
  #last: number | undefined;
  #leaves = new LeafSet();
  #contiguity: Check[] = [];
  #missingIndex = 0;
  #duplicates: number[] = [];
  /** Roots recomputed from the records, while they run 0, 1, 2… */
  #range: CompactRange | undefined = new CompactRange();
  #recomputed: Check[] = [];
  /** Pinned checkpoints only the records' own hashes can link, by size. */
  #pendingPinned = new Map<number, { index: number; root_hash: string }>();
  #totals: Record<keyof RecordChecks, Tally> = {
    hash: { pass: 0, fail: 0, none: 0 },
    membership: { pass: 0, fail: 0, none: 0 },
    checkpoint: { pass: 0, fail: 0, none: 0 },
    consistency: { pass: 0, fail: 0, none: 0 },
    signature: { pass: 0, fail: 0, none: 0 },
  };

  constructor(options: FileVerifierOptions) {
    this.#open = options.open;
    this.#pinnedNotes = options.pinned ?? [];
    this.#maxFailures = options.maxFailures ?? 1000;
  }

  /** Takes the file's parts other than its records; call before the first record. */
  head(parts: FileHead): void {
    this.#head = { ...this.#head, ...parts };
    this.#trust = undefined;
  }

  /** The keys `head` reads, for a reader that splits a file by its top-level keys. */
  static readonly HEAD_KEYS: readonly HeadKey[] = HEAD_KEYS;

  #establish(): RootTrust {
    if (this.#trust) return this.#trust;
    const { tree_name: treeName, root, unpublished_root: unpublished } = this.#head;
    const checkpoints = Array.isArray(this.#head.checkpoints) ? this.#head.checkpoints : [];
    const links = Array.isArray(this.#head.consistency) ? this.#head.consistency : [];
    this.#checkpointReports = [];
    this.#linkReports = [];
    this.#pinnedReports = [];
    this.#pendingPinned.clear();
    this.#heads.clear();

    // Each checkpoint: its signature with the pinned key, its body, its place in the order.
    let previous: number | undefined;
    const opened: { size: number; head: TreeHead | undefined; check: Check }[] = [];
    for (const [i, item] of checkpoints.entries()) {
      const size = isObject(item) && typeof item["size"] === "number" ? (item["size"] as number) : Number.NaN;
      const check = this.#openCheckpoint(item as FileCheckpoint, treeName, `checkpoint ${i}`);
      let status = check.check;
      if (status.status !== "fail" && previous !== undefined && !(size > previous)) {
        status = fail(`checkpoints are not in ascending order of size (${previous} then ${size})`);
      }
      if (Number.isFinite(size)) previous = size;
      opened.push({ size, head: check.head, check: status });
      this.#checkpointReports.push(report(size, status));
      if (status.status !== "fail" && check.head) this.#heads.set(size, check.head);
    }

    // Each consecutive pair, and the last checkpoint to the unpublished root, proved.
    const proofOf = (from: number, to: number) =>
      links.find((l): l is FileConsistency => isObject(l) && l.from_size === from && l.to_size === to);
    const linkChecks: Check[] = [];
    const link = (older: TreeHead | undefined, newer: TreeHead | undefined, from: number, to: number) => {
      let check: Check;
      if (!older || !newer) check = fail(`no verified checkpoint at size ${older ? to : from} to link`);
      else {
        const proof = proofOf(from, to);
        check = proof
          ? checkConsistency({ older, newer, proof: proof.consistency_proof })
          : fail(`the file carries no consistency proof from size ${from} to size ${to}`);
      }
      linkChecks.push(check);
      this.#linkReports.push({
        from_size: from,
        to_size: to,
        status: check.status,
        ...(check.reason ? { reason: check.reason } : {}),
      });
    };
    for (let i = 1; i < opened.length; i++) {
      const a = opened[i - 1]!;
      const b = opened[i]!;
      link(a.head, b.head, a.size, b.size);
    }
    const last = opened.at(-1);
    if (isObject(unpublished) && last) {
      const head = { size: unpublished.size, root_hash: unpublished.root_hash };
      if (unpublished.size > last.size) link(last.head, head, last.size, unpublished.size);
      else if (unpublished.size < last.size) {
        linkChecks.push(
          fail(
            `unpublished_root (size ${unpublished.size}) is below the last checkpoint (size ${last.size})`,
          ),
        );
      }
    }

    // The caller's own earlier checkpoints: each must be one of the file's, or linked to one.
    for (const [i, note] of this.#pinnedNotes.entries()) {
      const pinned = this.#openCheckpoint(
        { size: Number.NaN, note },
        treeName,
        `pinned checkpoint ${i}`,
        true,
      );
      let check = pinned.check;
      const size = pinned.head?.size ?? Number.NaN;
      if (check.status !== "fail" && pinned.head) {
        const same = this.#heads.get(size);
        const later = opened.find((o) => o.head && o.size > size && proofOf(size, o.size));
        if (same) check = checkConsistency({ older: pinned.head, newer: same });
        else if (later?.head) {
          check = checkConsistency({
            older: pinned.head,
            newer: later.head,
            proof: proofOf(size, later.size)!.consistency_proof,
          });
        } else {
          // No proof in the file: the records themselves may rebuild the tree to that size
          // (#index), which settles it; until they do it stands as a failure of the file.
          this.#pendingPinned.set(size, {
            index: this.#pinnedReports.length,
            root_hash: pinned.head.root_hash,
          });
          this.#pinnedReports.push(
            report(
              size,
              fail(
                `the file carries no checkpoint at size ${size} nor a consistency proof from it, and its records do not rebuild the tree to that size`,
              ),
            ),
          );
          continue;
        }
      }
      linkChecks.push(check);
      this.#pinnedReports.push(report(size, check));
    }

    // `root` is the last checkpoint, as the file's published records are proved against it.
    if (!isObject(root)) {
      this.#rootCheck = last ? fail("the file has checkpoints but no root") : none("the file has no root");
    } else if (!last) {
      this.#rootCheck = fail("the file has a root but no signed checkpoint of it");
    } else {
      const head = this.#heads.get((root as PublishedRoot).size);
      this.#rootCheck =
        last.check.status === "fail"
          ? fail(`the last checkpoint failed: ${last.check.reason ?? ""}`)
          : root.size !== last.size
            ? fail(`root is at size ${root.size}, the last checkpoint at size ${last.size}`)
            : head && head.root_hash === root.root_hash
              ? last.check
              : fail(`root ${root.root_hash} is not the root of the signed checkpoint at size ${root.size}`);
    }
    const consistency = linkChecks.length
      ? worst(linkChecks)
      : none("the file carries one checkpoint and no earlier one was pinned");
    this.#trust = { checkpoint: this.#rootCheck, consistency };
    return this.#trust;
  }

  #openCheckpoint(
    item: FileCheckpoint,
    treeName: string | undefined,
    what: string,
    pinned = false,
  ): { check: Check; head?: TreeHead } {
    if (!isObject(item) || typeof item.note !== "string") return { check: fail(`${what} has no note`) };
    const opened = this.#open(item.note);
    if (!opened.checkpoint)
      return {
        check: opened.signature.status === "fail" ? opened.signature : fail(`${what} does not parse`),
      };
    const { origin, size, root_hash } = opened.checkpoint;
    const head = { size, root_hash };
    if (opened.signature.status === "fail") return { check: opened.signature, head };
    if (!pinned && size !== item.size)
      return { check: fail(`${what} says size ${item.size} but its note size ${size}`), head };
    if (treeName !== undefined && !origin.endsWith(`/${treeName}`)) {
      return { check: fail(`${what} is for origin ${origin}, not for tree ${treeName}`), head };
    }
    return { check: opened.signature, head };
  }

  /** Verifies one record, in file order. */
  record(record: FileEvent): void {
    const trust = this.#establish();
    const position = this.#records++;
    let checks: RecordChecks;
    let erased: "erased" | "expired" | undefined;
    if (!isObject(record)) {
      const bad = fail("the record is not an object");
      checks = { hash: bad, membership: bad, checkpoint: bad, consistency: bad, signature: bad };
    } else {
      const verified = verifyRecord(record, this.#head, trust);
      checks = verified.checks;
      if (verified.erased) erased = verified.expired ? "expired" : "erased";
      if (record.membership_proof === undefined && record.proof_error !== undefined) {
        checks = { ...checks, membership: fail(`no membership proof: ${String(record.proof_error)}`) };
      }
    }
    const leafIndex = isObject(record) ? record.leaf_index : undefined;
    this.#index(leafIndex, position, isObject(record) ? record.hash : undefined);
    const failed: RecordFailure["failed"] = [];
    for (const [name, check] of Object.entries(checks) as [keyof RecordChecks, Check][]) {
      this.#totals[name][check.status]++;
      if (check.status === "fail") failed.push({ check: name, reason: check.reason ?? "" });
    }
    if (!failed.length && erased === "erased") this.#erased++;
    if (!failed.length && erased === "expired") this.#expired++;
    if (failed.length) {
      this.#failedRecords++;
      if (this.#failures.length < this.#maxFailures) {
        this.#failures.push({
          position,
          ...(typeof leafIndex === "number" ? { leaf_index: leafIndex } : {}),
          ...(isObject(record) && typeof record.hash === "string" ? { hash: record.hash } : {}),
          failed,
        });
      } else this.#omitted++;
    }
  }

  #index(leafIndex: unknown, position: number, hash: unknown): void {
    if (typeof leafIndex !== "number" || !Number.isSafeInteger(leafIndex) || leafIndex < 0) {
      this.#missingIndex++;
      if (this.#missingIndex === 1)
        this.#contiguity.push(fail(`the record at position ${position} has no leaf_index`));
      this.#range = undefined;
      return;
    }
    if (!this.#leaves.add(leafIndex)) {
      if (this.#duplicates.length < 20) this.#duplicates.push(leafIndex);
    }
    this.#first = this.#first === undefined ? leafIndex : Math.min(this.#first, leafIndex);
    this.#last = this.#last === undefined ? leafIndex : Math.max(this.#last, leafIndex);
    // While the records run 0, 1, 2…, their hashes rebuild the tree: each checkpoint size reached
    // is checked against the root recomputed from the records themselves.
    if (this.#range) {
      if (leafIndex !== this.#range.size || typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
        this.#range = undefined;
        return;
      }
      this.#range.append(Buffer.from(hash, "hex"));
      const size = this.#range.size;
      const expected = this.#heads.get(size);
      if (expected) this.#compareRecomputed(size, expected.root_hash, "checkpoint");
      const pending = this.#pendingPinned.get(size);
      if (pending) {
        const computed = this.#range.root()?.toString("hex");
        this.#pinnedReports[pending.index] = report(
          size,
          computed === pending.root_hash
            ? PASS
            : fail(
                `the records' own hashes give root ${computed} at size ${size}, not the pinned ${pending.root_hash}`,
              ),
        );
      }
      const unpublished = this.#head.unpublished_root;
      if (isObject(unpublished) && unpublished.size === size) {
        this.#compareRecomputed(size, (unpublished as UnpublishedRoot).root_hash, "unpublished_root");
      }
    }
  }

  #compareRecomputed(size: number, rootHash: string, what: string): void {
    const root = this.#range?.root();
    const computed = root ? root.toString("hex") : "";
    this.#recomputed.push(
      computed === rootHash
        ? PASS
        : fail(
            `the records' own hashes give root ${computed} at size ${size}, not the ${what}'s ${rootHash}`,
          ),
    );
  }

  /** The report; `count` is the file's own count of its records, when it has one. */
  finish(count?: unknown): FileReport {
    this.#establish();
    const contiguity = [...this.#contiguity];
    if (this.#duplicates.length) {
      contiguity.push(fail(`leaf indices appear more than once: ${this.#duplicates.join(", ")}`));
    }
    // A selection (a search, a restriction) may skip leaves; only a whole range must have them all.
    const matches = this.#head.selection === "matches";
    if (!matches && this.#first !== undefined && this.#last !== undefined) {
      const gaps = this.#leaves.gaps(this.#first, this.#last, 20);
      if (gaps.length) {
        const text = gaps.map((g) => (g.from === g.to ? `${g.from}` : `${g.from}-${g.to}`)).join(", ");
        contiguity.push(fail(`leaf indices missing inside ${this.#first}-${this.#last}: ${text}`));
      }
    }
    const countCheck =
      count === undefined
        ? none("the file has no count")
        : count === this.#records
          ? PASS
          : fail(`count says ${String(count)} records, the file holds ${this.#records}`);
    const recomputed = this.#recomputed.length
      ? worst(this.#recomputed)
      : none("the records do not start at leaf 0 in order, or reach no checkpoint size");
    const result = {
      tree_name: typeof this.#head.tree_name === "string" ? this.#head.tree_name : undefined,
      records: this.#records,
      ...(this.#first !== undefined && this.#last !== undefined
        ? { leaf_range: { first: this.#first, last: this.#last } }
        : {}),
      checkpoints: this.#checkpointReports,
      consistency: this.#linkReports,
      pinned: this.#pinnedReports,
      root: this.#rootCheck,
      contiguity: contiguity.length
        ? worst(contiguity)
        : !this.#records
          ? none("the file has no records")
          : matches
            ? none(
                "the file holds the records a search or a restriction selected, not a whole range: that none is missing cannot be checked from it",
              )
            : PASS,
      recomputed,
      count: countCheck,
      totals: this.#totals,
      erased: this.#erased,
      expired: this.#expired,
      failures: this.#failures,
      failures_omitted: this.#omitted,
    };
    const ok =
      this.#failedRecords === 0 &&
      [result.root, result.contiguity, result.recomputed, result.count].every((c) => c.status !== "fail") &&
      [...result.checkpoints, ...result.consistency, ...result.pinned].every((c) => c.status !== "fail") &&
      !(this.#trust?.consistency.status === "fail");
    return { ok, ...result } as FileReport;
  }
}

/** Verifies a whole file held in memory. */
export function verifyFile(file: VerifiableFile, options: FileVerifierOptions): FileReport {
  const verifier = new FileVerifier(options);
  const { events, count, ...head } = file;
  verifier.head(head);
  for (const record of Array.isArray(events) ? events : []) verifier.record(record);
  return verifier.finish(count);
}
