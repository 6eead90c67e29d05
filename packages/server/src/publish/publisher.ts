import { randomUUID } from "node:crypto";
import { formatReceivedAt, parseReceivedAt, verifyConsistency } from "@veritrail/core";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { PUBLISH_LEASE_MS, PUBLISH_POLL_MS } from "../limits.js";
import { consistencyProof, rootAt } from "../log/proofs.js";
import type { CheckpointRecord, PublishableTree } from "../store/contract/checkpoint.js";
import type { Store } from "../store/contract/store.js";

/** Signs a checkpoint body as a C2SP signed note (publish/checkpoint-key.ts). */
export interface CheckpointSigner {
  /** The verifier key line of the signing key: `<name>+<8 hex key hash>+<base64(0x01 ‖ public key)>`. */
  readonly verifierKey: string;
  /** The signed note of the checkpoint `<origin>\n<size>\n<base64 root>\n`. */
  sign(checkpoint: { origin: string; size: number; rootHash: Buffer }): string;
}

/** Why a tree was not published although it had grown. */
export class PublishRefusedError extends Error {
  override readonly name = "PublishRefusedError";
}

export interface PublisherOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** The signer, loaded on first use (the key may have to be read from the store). */
  signer: () => Promise<CheckpointSigner>;
  /** The checkpoint origin is `<origin>/<tree_name>`. */
  origin: string;
  intervalMs: number;
  everyEvents: number;
  /** Told of each checkpoint this process stored (the anchors are woken by it). */
  onPublished?: (tree: PublishableTree, checkpoint: CheckpointRecord) => void;
  /** The lease owner; random per publisher by default. */
  owner?: string;
}

/**
 * Puts each tree's root on record (docs/design/publishing.md): once a tree has grown, and its
 * last checkpoint is `intervalMs` old or `everyEvents` behind, the root at the tree's current
 * size is signed as a checkpoint note and stored with the consistency proof from the previous
 * checkpoint. It adds no leaf to any tree.
 *
 * Each tree is published under its named lease (`publish:<tree id>`), so with several processes
 * on one database one of them publishes it at a time; the lease is released after each publish
 * and runs out `PUBLISH_LEASE_MS` after a process died holding it. The store refuses a checkpoint
 * that does not chain from the latest, so even a publisher whose lease ran out under it cannot
 * store a second branch. Nothing is stored until the one insert of the checkpoint: a process that
 * dies mid-publish leaves no trace but its lease.
 *
 * Before signing, the root folded from the stored subtrees must be the root recorded when the
 * size was committed, and the consistency proof from the previous checkpoint must verify: a
 * store whose hashes were changed is refused (and logged), never signed.
 *
 * `tick()` does one pass; `start()` runs it every `min(intervalMs, PUBLISH_POLL_MS)` on a timer.
 * Tests drive `tick()` and `publishNow()` directly on a `FakeClock`.
 */
export class Publisher {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #signer: () => Promise<CheckpointSigner>;
  readonly #origin: string;
  readonly #intervalMs: number;
  readonly #everyEvents: number;
  readonly #owner: string;
  readonly #onPublished: ((tree: PublishableTree, checkpoint: CheckpointRecord) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: PublisherOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#signer = options.signer;
    this.#origin = options.origin;
    this.#intervalMs = options.intervalMs;
    this.#everyEvents = options.everyEvents;
    this.#owner = options.owner ?? `publisher-${randomUUID()}`;
    this.#onPublished = options.onPublished;
  }

  start(): void {
    this.#timer = setInterval(
      () => void this.#pass(() => this.tick()),
      Math.min(this.#intervalMs, PUBLISH_POLL_MS),
    );
    this.#timer.unref();
  }

  /** Stops the timer and waits for the pass under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Runs `fn` unless a pass is already under way (a slow database must not pile passes up). */
  async #pass(fn: () => Promise<unknown>): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = fn()
      .catch((error: unknown) => {
        this.#log.error({ err: error }, "publisher pass failed; it will try again");
      })
      .finally(() => {
        this.#running = undefined;
      });
    await this.#running;
  }

  /** One pass: publishes every tree that is due. Returns the checkpoints stored. */
  async tick(): Promise<CheckpointRecord[]> {
    const trees = await this.#store.checkpoints.listTrees();
    const due: PublishableTree[] = [];
    for (const tree of trees) if (await this.#isDue(tree)) due.push(tree);
    return this.#publishAll(due);
  }

  /** Publishes every tree that has grown since its last checkpoint, due or not. */
  async publishNow(): Promise<CheckpointRecord[]> {
    const trees = await this.#store.checkpoints.listTrees();
    return this.#publishAll(trees.filter((tree) => tree.size > tree.publishedSize));
  }

  async #publishAll(trees: readonly PublishableTree[]): Promise<CheckpointRecord[]> {
    const stored: CheckpointRecord[] = [];
    for (const tree of trees) {
      try {
        const checkpoint = await this.publishTree(tree);
        if (checkpoint) stored.push(checkpoint);
      } catch (error) {
        // One tree's trouble (a refused root, a failing read) does not hold the others back.
        this.#log.error({ err: error, treeName: tree.treeName }, "could not publish the tree");
      }
    }
    return stored;
  }

  async #isDue(tree: PublishableTree): Promise<boolean> {
    if (tree.size <= tree.publishedSize) return false;
    if (tree.size - tree.publishedSize >= this.#everyEvents) return true;
    // The interval runs from the last checkpoint, or for a tree never published from its first event.
    let since: number;
    if (tree.publishedAt !== undefined) {
      const parsed = parseReceivedAt(tree.publishedAt);
      since = Number.isFinite(parsed) ? parsed : 0;
    } else {
      since = (await this.#store.log.getLeaf(tree.treeId, 0))?.receivedAt ?? 0;
    }
    return this.#clock.nowMicros() - since >= this.#intervalMs * 1000;
  }

  /**
   * Publishes the root of `tree` at the size read in `tree`, if the lease is free and that size
   * is past the latest checkpoint. Returns the stored checkpoint, or undefined when another
   * process holds the tree or got there first.
   */
  async publishTree(tree: PublishableTree): Promise<CheckpointRecord | undefined> {
    const lease = `publish:${tree.treeId}`;
    if (!(await this.#store.jobs.tryLease(lease, this.#owner, PUBLISH_LEASE_MS, this.#clock.nowMillis()))) {
      return undefined;
    }
    try {
      const latest = await this.#store.checkpoints.latestCheckpoint(tree.treeId);
      const previousSize = latest?.size ?? 0;
      const size = tree.size;
      if (size <= previousSize) return undefined;
      const rootHash = await rootAt(this.#store, tree.treeId, size);
      if ((await this.#store.log.findSizeOfRoot(tree.treeId, rootHash)) !== size) {
        throw new PublishRefusedError(
          `the stored subtrees of tree ${tree.treeName} fold to a root at size ${size} that was never committed: the store was changed`,
        );
      }
      const proof = latest ? await consistencyProof(this.#store, tree.treeId, previousSize, size) : [];
      if (
        latest &&
        !verifyConsistency({
          oldRoot: latest.rootHash.toString("hex"),
          newRoot: rootHash.toString("hex"),
          proof,
        })
      ) {
        throw new PublishRefusedError(
          `tree ${tree.treeName} at size ${size} is not an extension of its checkpoint at size ${previousSize}: the store was changed`,
        );
      }
      const signer = await this.#signer();
      const checkpoint: CheckpointRecord = {
        treeId: tree.treeId,
        size,
        rootHash,
        publishedAt: formatReceivedAt(this.#clock.nowMicros()),
        previousSize,
        consistencyProof: proof,
        note: signer.sign({ origin: `${this.#origin}/${tree.treeName}`, size, rootHash }),
      };
      if (!(await this.#store.checkpoints.addCheckpoint(checkpoint))) return undefined;
      this.#log.info(
        { treeName: tree.treeName, size, previousSize, rootHash: rootHash.toString("hex") },
        "published a signed checkpoint",
      );
      this.#onPublished?.(tree, checkpoint);
      return checkpoint;
    } finally {
      await this.#store.jobs.releaseLease(lease, this.#owner).catch(() => undefined);
    }
  }
}
