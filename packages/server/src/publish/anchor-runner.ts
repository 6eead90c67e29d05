import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, isoAt } from "../clock.js";
import { ANCHOR_BATCH, ANCHOR_LEASE_MS, MAX_ANCHOR_ERROR_LENGTH, PUBLISH_POLL_MS } from "../limits.js";
import type { AnchorStateRecord, PublishableTree } from "../store/contract/checkpoint.js";
import type { Store } from "../store/contract/store.js";
import type { Anchor } from "./anchors/anchor.js";

/** The delay before retry `attempts` of a failing delivery (the job runner's `retryDelayMs`). */
export type RetryDelay = (attempts: number) => number;

/**
 * One anchor's state for one tree, as the status endpoint shows it and as metrics will read it:
 * every field a gauge or a label, nothing to parse.
 */
export interface AnchorStatus {
  anchor: string;
  kind: Anchor["kind"];
  tree_name: string;
  /** Every checkpoint up to this size has been delivered. */
  delivered_size: number;
  /** The size of the tree's latest checkpoint. */
  published_size: number;
  /** Checkpoints stored but not yet delivered. */
  backlog: number;
  /** `ok` (nothing waiting), `behind` (waiting, last attempt fine) or `failing` (last attempt failed). */
  state: "ok" | "behind" | "failing";
  /** Failed attempts since the last success. */
  attempts: number;
  last_success_at?: string;
  last_error?: string;
  last_error_at?: string;
  next_attempt_at?: string;
}

/**
 * Hands every new checkpoint to each configured anchor (docs/design/publishing.md), in size
 * order, apart from ingestion and publishing: a failing anchor only stops its own deliveries.
 * Each (anchor, tree) is delivered under its named lease, so with several processes one of them
 * delivers it; a failed delivery is retried after `retryDelay(attempts)` (exponential, jittered).
 * Its state is kept in the store, so every process reports the same, and logged on each change.
 */
export class AnchorRunner {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #anchors: readonly Anchor[];
  readonly #retryDelay: RetryDelay;
  readonly #owner = `anchors-${randomUUID()}`;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: {
    store: Store;
    clock: Clock;
    log: Logger;
    anchors: readonly Anchor[];
    retryDelay: RetryDelay;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#anchors = options.anchors;
    this.#retryDelay = options.retryDelay;
  }

  get anchors(): readonly Anchor[] {
    return this.#anchors;
  }

  start(): void {
    if (this.#anchors.length === 0) return;
    this.#timer = setInterval(() => this.wake(), PUBLISH_POLL_MS);
    this.#timer.unref();
  }

  /** Delivers now (a checkpoint was just stored); a pass under way runs once more after it. */
  wake(): void {
    if (this.#stopped || this.#anchors.length === 0) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.tick()
      .catch((error: unknown) => this.#log.error({ err: error }, "anchor pass failed; it will try again"))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async whenIdle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.whenIdle();
  }

  /** One pass: every anchor gets what it lacks of every tree, unless it is waiting out a failure. */
  async tick(): Promise<void> {
    if (this.#anchors.length === 0) return;
    const trees = (await this.#store.checkpoints.listTrees()).filter((t) => t.publishedSize > 0);
    const states = await this.#statesByKey();
    for (const anchor of this.#anchors) {
      for (const tree of trees) {
        const state = states.get(`${anchor.name}\n${tree.treeId}`) ?? emptyState(anchor, tree);
        if (state.deliveredSize >= tree.publishedSize) continue;
        if (state.nextAttemptAt > this.#clock.nowMillis()) continue;
        await this.#deliver(anchor, tree, state);
      }
    }
  }

  async #statesByKey(): Promise<Map<string, AnchorStateRecord>> {
    const states = await this.#store.checkpoints.listAnchorStates();
    return new Map(states.map((s) => [`${s.anchor}\n${s.treeId}`, s]));
  }

  async #deliver(anchor: Anchor, tree: PublishableTree, initial: AnchorStateRecord): Promise<void> {
    const lease = `anchor:${anchor.name}:${tree.treeId}`;
    if (!(await this.#store.jobs.tryLease(lease, this.#owner, ANCHOR_LEASE_MS, this.#clock.nowMillis())))
      return;
    try {
      // Read again under the lease: another process may have delivered meanwhile.
      const state = (await this.#statesByKey()).get(`${anchor.name}\n${tree.treeId}`) ?? initial;
      const pending = await this.#store.checkpoints.checkpointsAfter(
        tree.treeId,
        state.deliveredSize,
        ANCHOR_BATCH,
      );
      let current = state;
      for (const checkpoint of pending) {
        try {
          await anchor.deliver(tree, checkpoint);
        } catch (error) {
          const attempts = current.attempts + 1;
          const delay = this.#retryDelay(attempts);
          const message = (error instanceof Error ? error.message : String(error)).slice(
            0,
            MAX_ANCHOR_ERROR_LENGTH,
          );
          current = {
            ...current,
            attempts,
            nextAttemptAt: this.#clock.nowMillis() + delay,
            lastError: message,
            lastErrorAt: isoAt(this.#clock.nowMillis()),
          };
          await this.#store.checkpoints.saveAnchorState(current);
          this.#log.warn(
            {
              anchor: anchor.name,
              treeName: tree.treeName,
              size: checkpoint.size,
              attempts,
              retryInMs: delay,
              err: error,
            },
            "anchor delivery failed; it will be retried",
          );
          return;
        }
        const recovered = current.attempts > 0;
        current = {
          ...current,
          deliveredSize: checkpoint.size,
          attempts: 0,
          nextAttemptAt: 0,
          lastSuccessAt: isoAt(this.#clock.nowMillis()),
        };
        await this.#store.checkpoints.saveAnchorState(current);
        this.#log[recovered ? "info" : "debug"](
          { anchor: anchor.name, treeName: tree.treeName, size: checkpoint.size, recovered },
          "anchor delivered a checkpoint",
        );
      }
      // More than one batch behind: go on at once rather than at the next poll.
      if (pending.length === ANCHOR_BATCH) this.#again = true;
    } finally {
      await this.#store.jobs.releaseLease(lease, this.#owner).catch(() => undefined);
    }
  }

  /** Every configured anchor's state for every published tree. */
  async status(): Promise<AnchorStatus[]> {
    const trees = (await this.#store.checkpoints.listTrees()).filter((t) => t.publishedSize > 0);
    const states = await this.#statesByKey();
    const out: AnchorStatus[] = [];
    for (const anchor of this.#anchors) {
      for (const tree of trees) {
        const state = states.get(`${anchor.name}\n${tree.treeId}`) ?? emptyState(anchor, tree);
        const backlog = await this.#store.checkpoints.countCheckpointsAfter(tree.treeId, state.deliveredSize);
        out.push({
          anchor: anchor.name,
          kind: anchor.kind,
          tree_name: tree.treeName,
          delivered_size: state.deliveredSize,
          published_size: tree.publishedSize,
          backlog,
          state: state.attempts > 0 ? "failing" : backlog > 0 ? "behind" : "ok",
          attempts: state.attempts,
          ...(state.lastSuccessAt === undefined ? {} : { last_success_at: state.lastSuccessAt }),
          ...(state.lastError === undefined ? {} : { last_error: state.lastError }),
          ...(state.lastErrorAt === undefined ? {} : { last_error_at: state.lastErrorAt }),
          ...(state.attempts > 0 ? { next_attempt_at: isoAt(state.nextAttemptAt) } : {}),
        });
      }
    }
    return out;
  }
}

function emptyState(anchor: Anchor, tree: PublishableTree): AnchorStateRecord {
  return {
    anchor: anchor.name,
    treeId: tree.treeId,
    deliveredSize: 0,
    attempts: 0,
    nextAttemptAt: 0,
    lastSuccessAt: undefined,
    lastError: undefined,
    lastErrorAt: undefined,
  };
}
