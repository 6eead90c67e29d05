import {
  type Check,
  checkConsistency,
  checkRootCheckpoint,
  type FileReport,
  fail,
  type NoteOpener,
  none,
  noteOpener,
  PASS,
  type PublishedRoot,
  type RecordReport,
  type RootTrust,
  type SearchEvent,
  type TreeHead,
  type UnpublishedRoot,
  type VerifiableFile,
  verifyFile,
  verifyRecord,
  worst,
} from "@veritrail/core";
import type { AuditClient, CallOptions } from "./audit-client.js";
import { ApiError } from "./errors.js";

/*
 * Verification of what the server answers, on the client's side (core/src/verify): a published
 * root is believed only once a checkpoint note for it verifies with the verifier key the caller
 * pinned, and each new checkpoint must be consistent with those the verifier already holds, so
 * a forked or rewritten log is noticed by any client that saw the log before.
 */

export interface VerifierOptions {
  /**
   * The server's checkpoint verifier key (`<name>+<key id>+<key>`), obtained out of band. It is
   * never fetched from the server it vouches for.
   */
  verifierKey: string;
  /** Checkpoint notes held from before (e.g. stored by an earlier run); each is verified first. */
  pinned?: readonly string[];
  /**
   * How many `v1/root` answers may be chained (each proves size k−1 → k) to link a new
   * checkpoint to a held one; beyond it consistency is "none", saying why (default 64).
   */
  maxConsistencySteps?: number;
}

interface Held extends TreeHead {
  readonly note: string;
}

/**
 * Verifies search pages, results pages and files for one server.
 *
 * @example
 *   const verifier = new Verifier(audit, { verifierKey });
 *   for await (const page of audit.searchPages({ query: "actor:alice" })) {
 *     for (const r of await verifier.verifyPage(page)) if (!r.ok) console.log(r.leaf_index, r.checks);
 *   }
 */
export class Verifier {
  readonly #client: AuditClient;
  readonly #open: NoteOpener;
  readonly #maxSteps: number;
  /** Verified checkpoints by tree name, ascending by size. */
  readonly #held = new Map<string, Held[]>();
  readonly #pinnedNotes: readonly string[];
  #pinnedLoaded: Promise<Check> | undefined;
  readonly #trust = new Map<string, Promise<RootTrust>>();

  constructor(client: AuditClient, options: VerifierOptions) {
    this.#client = client;
    this.#open = noteOpener(options.verifierKey);
    this.#maxSteps = options.maxConsistencySteps ?? 64;
    this.#pinnedNotes = options.pinned ?? [];
  }

  /** The checkpoints this verifier holds for a tree (pinned and verified since), ascending. */
  held(treeName: string): readonly { size: number; root_hash: string; note: string }[] {
    return this.#held.get(treeName) ?? [];
  }

  /** Opens the pinned notes once; a pinned note that does not verify fails every consistency. */
  #loadPinned(): Promise<Check> {
    this.#pinnedLoaded ??= Promise.resolve().then(() => {
      const checks: Check[] = [];
      for (const note of this.#pinnedNotes) {
        const opened = this.#open(note);
        if (opened.signature.status !== "pass" || !opened.checkpoint) {
          checks.push(
            fail(`a pinned checkpoint does not verify: ${opened.signature.reason ?? "unreadable"}`),
          );
          continue;
        }
        const { origin, size, root_hash } = opened.checkpoint;
        const tree = origin.slice(origin.lastIndexOf("/") + 1);
        const failed = this.#hold(tree, { size, root_hash, note });
        if (failed) checks.push(failed);
      }
      return checks.length ? worst(checks) : PASS;
    });
    return this.#pinnedLoaded;
  }

  /** Keeps a verified checkpoint; a different root at a held size is a fork, reported. */
  #hold(treeName: string, head: Held): Check | undefined {
    const list = this.#held.get(treeName) ?? [];
    const same = list.find((h) => h.size === head.size);
    if (same) {
      return same.root_hash === head.root_hash
        ? undefined
        : fail(`two signed checkpoints at size ${head.size}: ${same.root_hash} and ${head.root_hash}`);
    }
    list.push(head);
    list.sort((a, b) => a.size - b.size);
    this.#held.set(treeName, list);
    return undefined;
  }

  /**
   * What a published root is worth: whether the server's signed checkpoint at its size verifies
   * with the pinned key and says the same root, and whether it is consistent with the nearest
   * checkpoints held below and above it.
   */
  trustRoot(root: PublishedRoot, options: CallOptions = {}): Promise<RootTrust> {
    const key = `${root.tree_name}\n${root.size}\n${root.root_hash}`;
    let trust = this.#trust.get(key);
    if (!trust) {
      trust = this.#establish(root, options);
      this.#trust.set(key, trust);
      // A failure to ask (not a failed check) is not remembered: the next call asks again.
      trust.catch(() => this.#trust.delete(key));
    }
    return trust;
  }

  async #establish(root: PublishedRoot, options: CallOptions): Promise<RootTrust> {
    const pinned = await this.#loadPinned();
    let note: string;
    try {
      note = await this.#client.checkpoint(root.tree_name, root.size);
    } catch (error) {
      if (error instanceof ApiError && error.status === "NotFound") {
        const missing = fail(`the server has no signed checkpoint at size ${root.size}`);
        return { checkpoint: missing, consistency: none("no checkpoint to link") };
      }
      throw error;
    }
    const { check } = checkRootCheckpoint({ root, note, open: this.#open });
    if (check.status !== "pass")
      return { checkpoint: check, consistency: none("the checkpoint did not verify") };
    const held = this.#held.get(root.tree_name) ?? [];
    const below = held.filter((h) => h.size <= root.size).at(-1);
    const above = held.find((h) => h.size > root.size);
    const head = { size: root.size, root_hash: root.root_hash };
    const links: Check[] = [];
    if (pinned.status === "fail") links.push(pinned);
    if (below) links.push(await this.#link(below, head, options));
    if (above) links.push(await this.#link(head, above, options));
    const fork = this.#hold(root.tree_name, { ...head, note });
    if (fork) links.push(fork);
    const consistency = links.length ? worst(links) : none("no earlier checkpoint of this tree is held");
    return { checkpoint: check, consistency };
  }

  /** Proves `older` → `newer` by chaining `v1/root` answers, each proving size k−1 → k. */
  async #link(older: TreeHead, newer: TreeHead, options: CallOptions): Promise<Check> {
    if (older.size === newer.size) return checkConsistency({ older, newer });
    const steps = newer.size - older.size;
    if (steps > this.#maxSteps) {
      return none(
        `sizes ${older.size} and ${newer.size} are ${steps} roots apart, more than ${this.#maxSteps} to chain`,
      );
    }
    let previous = older;
    for (let size = older.size + 1; size <= newer.size; size++) {
      const root = await this.#client.root(size, options);
      const current = { size, root_hash: root.root_hash };
      const check = checkConsistency({ older: previous, newer: current, proof: root.consistency_proof });
      if (check.status !== "pass") return check;
      previous = current;
    }
    return previous.root_hash === newer.root_hash
      ? PASS
      : fail(
          `the roots from size ${older.size} lead to ${previous.root_hash} at size ${newer.size}, not ${newer.root_hash}`,
        );
  }

  /** Verifies every record of a search or results page; published records through `trustRoot`. */
  async verifyPage(
    page: { events: readonly SearchEvent[]; root?: PublishedRoot; unpublished_root?: UnpublishedRoot },
    options: CallOptions = {},
  ): Promise<RecordReport[]> {
    const trust =
      page.root && page.events.some((e) => e.published)
        ? await this.trustRoot(page.root, options)
        : undefined;
    return page.events.map((event) => verifyRecord(event, page, trust));
  }

  /**
   * Verifies a downloaded or exported file offline, with the pinned key; each checkpoint held
   * for its tree up to the file's last one must agree with the file's.
   */
  async verifyFile(file: VerifiableFile): Promise<FileReport> {
    await this.#loadPinned();
    const last = Math.max(0, ...(file.checkpoints ?? []).map((c) => c.size));
    const held = file.tree_name ? this.held(file.tree_name).filter((h) => h.size <= last) : [];
    return verifyFile(file, { open: this.#open, pinned: held.map((h) => h.note) });
  }
}
