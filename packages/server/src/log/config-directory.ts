import { ApiError } from "../errors.js";
import { type ServerSigner, serverSignerFrom } from "../ingest/signer.js";
import { searchFieldNumbers } from "../store/contract/search.js";
import type { ConfigRecord, Store } from "../store/contract/store.js";
import { TtlCache } from "../ttl-cache.js";

/** A configuration with the id of its tree. */
export interface ResolvedConfig {
  config: ConfigRecord;
  treeId: number;
  treeName: string;
  /** The current signing key, when the configuration signs events (`vault_sign`). */
  signer?: ServerSigner | undefined;
  /** Each schema field's number in the search index (store/contract/search.ts). */
  fieldNumbers: ReadonlyMap<string, number>;
}

/**
 * Configurations and their trees as the data plane reads them on every request, cached for
 * `cacheMs` (tree ids and names never change; settings change rarely and `invalidate` applies a
 * local change at once).
 */
export class ConfigDirectory {
  readonly #store: Store;
  readonly #configs: TtlCache<ResolvedConfig | undefined>;
  readonly #projects: TtlCache<{ id: string; activity: boolean }[]>;

  constructor(options: { store: Store; cacheMs: number; nowMillis: () => number }) {
    this.#store = options.store;
    this.#configs = new TtlCache({ ttlMs: options.cacheMs, nowMillis: options.nowMillis });
    this.#projects = new TtlCache({ ttlMs: options.cacheMs, nowMillis: options.nowMillis });
  }

  /** The live configuration, or `Unauthorized`: a request may not learn whether an id exists. */
  async get(configId: string): Promise<ResolvedConfig> {
    const value = await this.find(configId);
    if (!value) throw ApiError.unauthorized();
    return value;
  }

  /** The live configuration, or undefined when there is none (deleted, or never created). */
  async find(configId: string): Promise<ResolvedConfig | undefined> {
    return this.#configs.get(configId, () => this.#load(configId));
  }

  /** The ids of the project's configurations, oldest first. */
  async projectConfigIds(projectId: string): Promise<string[]> {
    return (await this.#projectConfigs(projectId)).map((c) => c.id);
  }

  /**
   * The ids of the project's configurations that a grant of `all` covers: every one but the
   * admin activity log, which a token reaches only when granted it by id (docs/design/admin-activity.md).
   */
  async userConfigIds(projectId: string): Promise<string[]> {
    return (await this.#projectConfigs(projectId)).filter((c) => !c.activity).map((c) => c.id);
  }

  async #projectConfigs(projectId: string): Promise<{ id: string; activity: boolean }[]> {
    return this.#projects.get(projectId, async () =>
      (await this.#store.configs.listConfigs(projectId)).map((c) => ({
        id: c.id,
        activity: c.settings.admin_activity === true,
      })),
    );
  }

  invalidate(): void {
    this.#configs.clear();
    this.#projects.clear();
  }

  async #load(configId: string): Promise<ResolvedConfig | undefined> {
    const config = await this.#store.configs.getConfig(configId);
    const tree = config && (await this.#store.log.getTreeHead(configId));
    if (!config || !tree) return undefined;
    const key = config.settings.vault_sign ? await this.#store.configs.getSigningKey(configId) : undefined;
    return {
      config,
      treeId: tree.id,
      treeName: tree.treeName,
      signer: key && serverSignerFrom(key),
      fieldNumbers: searchFieldNumbers(config.settings.schema),
    };
  }
}
