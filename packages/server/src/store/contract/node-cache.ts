import { type NodeId, nodeKey } from "@veritrail/core";

/**
 * Subtree hashes of stored trees, kept in memory by a log store so that proofs do not read the
 * same nodes for every request: the membership proofs of one page of results share most of their
 * upper nodes with each other and with every other page. A complete subtree's hash never changes
 * once stored (erasure and retention remove envelopes, never hashes), so an entry is never stale
 * and needs no invalidation, even with several processes on one database. Bounded: the oldest
 * entry goes first once `maxEntries` is reached.
 *
 * Only subtrees of 2^MIN_LEVEL leaves or more are kept. The lower ones are each shared by few
 * proofs (a leaf's own siblings), so keeping them would mostly churn the cache: an export that
 * proves a million leaves would push out the upper nodes every page needs, to keep nodes no
 * other page asks for.
 *
 * @example
 * const cache = new NodeCache(65_536);
 * const { found, missing } = cache.lookup(treeId, nodes); // read `missing` from the store
 * cache.remember(treeId, missing, fetched);
 */
/** The lowest level kept: subtrees of 16 leaves and up. */
const MIN_LEVEL = 4;

export class NodeCache {
  readonly #maxEntries: number;
  readonly #hashes = new Map<string, Buffer>();

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The cached hashes of `nodes` (keyed by `nodeKey`), and the distinct nodes still to read. */
  lookup(treeId: number, nodes: readonly NodeId[]): { found: Map<string, Buffer>; missing: NodeId[] } {
    const found = new Map<string, Buffer>();
    const missing: NodeId[] = [];
    const asked = new Set<string>();
    for (const node of nodes) {
      const key = nodeKey(node);
      if (asked.has(key)) continue;
      asked.add(key);
      const hash = node.level < MIN_LEVEL ? undefined : this.#hashes.get(`${treeId}/${key}`);
      if (hash) found.set(key, hash);
      else missing.push(node);
    }
    return { found, missing };
  }

  /** Keeps what was just read of `nodes` (`hashes` keyed by `nodeKey`), evicting the oldest beyond the bound. */
  remember(treeId: number, nodes: readonly NodeId[], hashes: ReadonlyMap<string, Buffer>): void {
    if (this.#maxEntries <= 0) return;
    for (const node of nodes) {
      if (node.level < MIN_LEVEL) continue;
      const key = nodeKey(node);
      const hash = hashes.get(key);
      if (!hash) continue;
      this.#hashes.set(`${treeId}/${key}`, hash);
      if (this.#hashes.size > this.#maxEntries) {
        const oldest = this.#hashes.keys().next().value;
        if (oldest !== undefined) this.#hashes.delete(oldest);
      }
    }
  }
}
