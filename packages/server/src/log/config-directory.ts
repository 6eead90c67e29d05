import { ApiError } from "../errors.js";
import { type ServerSigner, serverSignerFrom } from "../ingest/server-signer.js";
import type { ConfigRecord, Store } from "../store/store.js";

/** A configuration with the id of its tree. */
export interface ResolvedConfig {
  config: ConfigRecord;
  treeId: number;
  treeName: string;
  /** The current signing key, when the configuration signs events (`vault_sign`). */
  signer?: ServerSigner | undefined;
}

/**
 * Configurations and their trees as the data plane reads them on every request, cached for
 * `cacheMs` (tree ids and names never change; settings change rarely and `invalidate` applies a
 * local change at once).
 */
export class ConfigDirectory {
  readonly #store: Store;
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #configs = new Map<string, { value: ResolvedConfig | undefined; until: number }>();
  readonly #projects = new Map<string, { ids: string[]; until: number }>();

  constructor(options: { store: Store; cacheMs: number; nowMillis: () => number }) {
    this.#store = options.store;
    this.#cacheMs = options.cacheMs;
    this.#now = options.nowMillis;
  }

  async get(configId: string): Promise<ResolvedConfig> {
    const now = this.#now();
    const cached = this.#configs.get(configId);
    let value = cached && cached.until > now ? cached.value : undefined;
    if (!cached || cached.until <= now) {
      const config = await this.#store.getConfig(configId);
      const tree = config && (await this.#store.getTreeHead(configId));
      const key = config?.settings.vault_sign ? await this.#store.getSigningKey(configId) : undefined;
      value =
        config && tree
          ? { config, treeId: tree.id, treeName: tree.treeName, signer: key && serverSignerFrom(key) }
          : undefined;
      this.#configs.set(configId, { value, until: now + this.#cacheMs });
    }
    if (!value) throw ApiError.unauthorized();
    return value;
  }

  /** The ids of the project's configurations, oldest first. */
  async projectConfigIds(projectId: string): Promise<string[]> {
    const now = this.#now();
    const cached = this.#projects.get(projectId);
    if (cached && cached.until > now) return cached.ids;
    const ids = (await this.#store.listConfigs(projectId)).map((c) => c.id);
    this.#projects.set(projectId, { ids, until: now + this.#cacheMs });
    return ids;
  }

  invalidate(): void {
    this.#configs.clear();
    this.#projects.clear();
  }
}
