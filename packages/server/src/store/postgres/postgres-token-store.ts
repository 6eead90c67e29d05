import type pg from "pg";
import {
  TOKEN_INSERT_COLUMNS,
  tokenFromRow,
  tokenInsertParams,
  tokenUpdateParams,
} from "../contract/rows.js";
import type { TokenRecord, TokenStore } from "../contract/store.js";
import { query, rowCount } from "./postgres-pool.js";

/** Audit tokens and admin credentials in PostgreSQL, found by the hash of their secret. */
export class PostgresTokenStore implements TokenStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async createToken(token: TokenRecord): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO tokens (${TOKEN_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      tokenInsertParams(token),
    );
  }

  async updateToken(token: TokenRecord, expectedUpdatedAt: string): Promise<boolean> {
    const updated = await rowCount(
      this.#pool,
      `UPDATE tokens SET name = $1, secret_hash = $2, previous_secret_hash = $3, previous_valid_until = $4,
         expires_at = $5, revoked_at = $6, grants = $7, updated_at = $8, origin = $9
       WHERE id = $10 AND updated_at = $11`,
      [...tokenUpdateParams(token), token.id, expectedUpdatedAt],
    );
    return updated === 1;
  }

  async listTokens(projectId: string): Promise<TokenRecord[]> {
    const rows = await query(
      this.#pool,
      "SELECT * FROM tokens WHERE project_id = $1 ORDER BY created_at, id",
      [projectId],
    );
    return rows.map(tokenFromRow);
  }

  async findTokenBySecretHash(secretHash: Buffer): Promise<TokenRecord | undefined> {
    const [row] = await query(
      this.#pool,
      "SELECT * FROM tokens WHERE secret_hash = $1 OR previous_secret_hash = $1",
      [secretHash],
    );
    return row && tokenFromRow(row);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM tokens WHERE id = $1", [id]);
    return row && tokenFromRow(row);
  }
}
