import {
  type Row,
  TOKEN_INSERT_COLUMNS,
  tokenFromRow,
  tokenInsertParams,
  tokenUpdateParams,
} from "../contract/rows.js";
import type { TokenRecord, TokenStore } from "../contract/store.js";
import type { StatementCache } from "./statement-cache.js";

/** Audit tokens and admin credentials in SQLite, found by the hash of their secret. */
export class SqliteTokenStore implements TokenStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async createToken(token: TokenRecord): Promise<void> {
    this.#sql
      .prepare(`INSERT INTO tokens (${TOKEN_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(...tokenInsertParams(token));
  }

  async updateToken(token: TokenRecord, expectedUpdatedAt: string): Promise<boolean> {
    const { changes } = this.#sql
      .prepare(
        `UPDATE tokens SET name = ?, secret_hash = ?, previous_secret_hash = ?, previous_valid_until = ?,
           expires_at = ?, revoked_at = ?, grants = ?, updated_at = ?, origin = ?
         WHERE id = ? AND updated_at = ?`,
      )
      .run(...tokenUpdateParams(token), token.id, expectedUpdatedAt);
    return changes === 1;
  }

  async listTokens(projectId: string): Promise<TokenRecord[]> {
    const rows = this.#sql
      .prepare("SELECT * FROM tokens WHERE project_id = ? ORDER BY created_at, id")
      .all(projectId) as Row[];
    return rows.map(tokenFromRow);
  }

  async findTokenBySecretHash(secretHash: Buffer): Promise<TokenRecord | undefined> {
    const row = this.#sql
      .prepare("SELECT * FROM tokens WHERE secret_hash = ? OR previous_secret_hash = ?")
      .get(secretHash, secretHash) as Row | undefined;
    return row && tokenFromRow(row);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM tokens WHERE id = ?").get(id) as Row | undefined;
    return row && tokenFromRow(row);
  }
}
