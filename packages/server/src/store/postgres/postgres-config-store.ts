import type pg from "pg";
import { configFromRow, signingKeyFromRow } from "../contract/rows.js";
import type { ConfigRecord, ConfigStore, ProjectRecord, SigningKeyRecord } from "../contract/store.js";
import { query, rowCount, transaction } from "./postgres-pool.js";

/** Projects, configurations and signing keys in PostgreSQL. */
export class PostgresConfigStore implements ConfigStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async getFirstProject(): Promise<ProjectRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM projects ORDER BY created_at, id LIMIT 1");
    return row && { id: String(row["id"]), name: String(row["name"]), createdAt: String(row["created_at"]) };
  }

  async createProject(project: ProjectRecord): Promise<void> {
    await query(this.#pool, "INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)", [
      project.id,
      project.name,
      project.createdAt,
    ]);
  }

  async createConfig(config: ConfigRecord, treeName: string): Promise<void> {
    await transaction(this.#pool, async (client) => {
      await client.query(
        "INSERT INTO configs (id, project_id, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [
          config.id,
          config.projectId,
          config.name,
          JSON.stringify(config.settings),
          config.createdAt,
          config.updatedAt,
        ],
      );
      await client.query("INSERT INTO trees (config_id, tree_name) VALUES ($1, $2)", [config.id, treeName]);
    });
  }

  async getConfig(id: string): Promise<ConfigRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM configs WHERE id = $1 AND deleted_at IS NULL", [id]);
    return row && configFromRow(row);
  }

  async listConfigs(projectId: string): Promise<ConfigRecord[]> {
    const rows = await query(
      this.#pool,
      "SELECT * FROM configs WHERE project_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
      [projectId],
    );
    return rows.map(configFromRow);
  }

  async updateConfig(config: ConfigRecord, expectedUpdatedAt: string): Promise<boolean> {
    const updated = await rowCount(
      this.#pool,
      `UPDATE configs SET name = $1, settings = $2, updated_at = $3
       WHERE id = $4 AND updated_at = $5 AND deleted_at IS NULL`,
      [config.name, JSON.stringify(config.settings), config.updatedAt, config.id, expectedUpdatedAt],
    );
    return updated === 1;
  }

  async deleteConfig(id: string, deletedAt: string): Promise<boolean> {
    const deleted = await rowCount(
      this.#pool,
      "UPDATE configs SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
      [deletedAt, id],
    );
    return deleted === 1;
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO signing_keys (config_id, version, key_id, private_key, public_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [key.configId, key.version, key.keyId, key.privateKey, key.publicKey, key.createdAt],
    );
  }

  async getSigningKey(configId: string): Promise<SigningKeyRecord | undefined> {
    const [row] = await query(
      this.#pool,
      "SELECT * FROM signing_keys WHERE config_id = $1 ORDER BY version DESC LIMIT 1",
      [configId],
    );
    return row && signingKeyFromRow(row);
  }

  async ensureServerSecret(name: string, candidate: Buffer, createdAt: string): Promise<Buffer> {
    await query(
      this.#pool,
      "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
      [name, candidate, createdAt],
    );
    const [row] = await query(this.#pool, "SELECT value FROM server_secrets WHERE name = $1", [name]);
    return row!["value"] as Buffer;
  }
}
