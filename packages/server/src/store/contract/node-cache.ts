import { type NodeId, nodeKey } from "@veritrail/core";

/**
 * Subtree hashes of stored trees, kept in memory by a log store so that proofs do not read the
 * same nodes for every request: the membership proofs of one page of results share most of their
 * upper nodes with each other and with every other page. A complete subtree's hash never changes
 * once stored (erasure and retention remove envelopes, never hashes), so an entry is never stale
 * and needs no invalidation, even with several processes on one database. Bounded: the oldest
 * entry goes first once `maxEntries` is reached.
 *
 * @example
 * const cache = new NodeCache(65_536);
 * const { found, missing } = cache.lookup(treeId, nodes); // read `missing` from the store
 * cache.remember(treeId, fetched);
 */
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
      const hash = this.#hashes.get(`${treeId}/${key}`);
      if (hash) found.set(key, hash);
      else missing.push(node);
    }
    return { found, missing };
  }

  /** Keeps the hashes just read (keyed by `nodeKey`), evicting the oldest beyond the bound. */
  remember(treeId: number, hashes: ReadonlyMap<string, Buffer>): void {
    if (this.#maxEntries <= 0) return;
    for (const [key, hash] of hashes) {
      this.#hashes.set(`${treeId}/${key}`, hash);
      if (this.#hashes.size > this.#maxEntries) {
        const oldest = this.#hashes.keys().next().value;
        if (oldest !== undefined) this.#hashes.delete(oldest);
      }
    }
  }
}
