import { configFromRow, type Row, signingKeyFromRow } from "../contract/rows.js";
import type { ConfigRecord, ConfigStore, ProjectRecord, SigningKeyRecord } from "../contract/store.js";
import type { StatementCache } from "./statement-cache.js";

/** Projects, configurations and signing keys in SQLite. */
export class SqliteConfigStore implements ConfigStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async getFirstProject(): Promise<ProjectRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM projects ORDER BY created_at, id LIMIT 1").get() as
      | Row
      | undefined;
    return row && { id: String(row["id"]), name: String(row["name"]), createdAt: String(row["created_at"]) };
  }

  async createProject(project: ProjectRecord): Promise<void> {
    this.#sql
      .prepare("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)")
      .run(project.id, project.name, project.createdAt);
  }

  async createConfig(config: ConfigRecord, treeName: string): Promise<void> {
    this.#sql.db.transaction(() => {
      this.#sql
        .prepare(
          "INSERT INTO configs (id, project_id, name, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(
          config.id,
          config.projectId,
          config.name,
          JSON.stringify(config.settings),
          config.createdAt,
          config.updatedAt,
        );
      this.#sql.prepare("INSERT INTO trees (config_id, tree_name) VALUES (?, ?)").run(config.id, treeName);
    })();
  }

  async getConfig(id: string): Promise<ConfigRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM configs WHERE id = ? AND deleted_at IS NULL").get(id) as
      | Row
      | undefined;
    return row && configFromRow(row);
  }

  async listConfigs(projectId: string): Promise<ConfigRecord[]> {
    const rows = this.#sql
      .prepare("SELECT * FROM configs WHERE project_id = ? AND deleted_at IS NULL ORDER BY created_at, id")
      .all(projectId) as Row[];
    return rows.map(configFromRow);
  }

  async updateConfig(config: ConfigRecord, expectedUpdatedAt: string): Promise<boolean> {
    const { changes } = this.#sql
      .prepare(
        "UPDATE configs SET name = ?, settings = ?, updated_at = ? WHERE id = ? AND updated_at = ? AND deleted_at IS NULL",
      )
      .run(config.name, JSON.stringify(config.settings), config.updatedAt, config.id, expectedUpdatedAt);
    return changes === 1;
  }

  async deleteConfig(id: string, deletedAt: string): Promise<boolean> {
    const { changes } = this.#sql
      .prepare("UPDATE configs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
      .run(deletedAt, id);
    return changes === 1;
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#sql
      .prepare(
        "INSERT INTO signing_keys (config_id, version, key_id, private_key, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(key.configId, key.version, key.keyId, key.privateKey, key.publicKey, key.createdAt);
  }

  async getSigningKey(configId: string): Promise<SigningKeyRecord | undefined> {
    const row = this.#sql
      .prepare("SELECT * FROM signing_keys WHERE config_id = ? ORDER BY version DESC LIMIT 1")
      .get(configId) as Row | undefined;
    return row && signingKeyFromRow(row);
  }

  async ensureServerSecret(name: string, candidate: Buffer, createdAt: string): Promise<Buffer> {
    this.#sql
      .prepare(
        "INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
      )
      .run(name, candidate, createdAt);
    const row = this.#sql.prepare("SELECT value FROM server_secrets WHERE name = ?").get(name) as Row;
    return row["value"] as Buffer;
  }
}
