/**
 * A lookup cache for what every request reads (tokens, configurations): an entry lives `ttlMs`,
 * then the next read loads it again. With `ttlMs` 0 nothing is kept. Past `maxEntries` the cache
 * starts over, so keys chosen by callers (presented secrets) cannot grow it without bound.
 */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(options: { ttlMs: number; nowMillis: () => number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.nowMillis;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** The cached value of `key`, or what `load` gives (then cached). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.#now();
    const cached = this.#entries.get(key);
    if (cached && cached.until > now) return cached.value;
    const value = await load();
    if (this.#ttlMs > 0) {
      if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
      this.#entries.set(key, { value, until: now + this.#ttlMs });
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }
}
