import { type Row, sessionFromRow } from "../contract/rows.js";
import type { SessionRecord, SessionStore } from "../contract/store.js";
import type { StatementCache } from "./statement-cache.js";

/** Console sessions in SQLite, found by the hash of their cookie's secret. */
export class SqliteSessionStore implements SessionStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.#sql
      .prepare(
        "INSERT INTO console_sessions (secret_hash, token_id, token_secret_hash, created_at, expires_at, ended_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(
        session.secretHash,
        session.tokenId,
        session.tokenSecretHash,
        session.createdAt,
        session.expiresAt,
        session.endedAt ?? null,
      );
  }

  async findSession(secretHash: Buffer): Promise<SessionRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM console_sessions WHERE secret_hash = ?").get(secretHash) as
      | Row
      | undefined;
    return row && sessionFromRow(row);
  }

  async endSession(secretHash: Buffer, endedAt: string): Promise<boolean> {
    const { changes } = this.#sql
      .prepare("UPDATE console_sessions SET ended_at = ? WHERE secret_hash = ? AND ended_at IS NULL")
      .run(endedAt, secretHash);
    return changes === 1;
  }

  async deleteSessionsBefore(before: string): Promise<number> {
    const { changes } = this.#sql
      .prepare("DELETE FROM console_sessions WHERE expires_at < ? OR ended_at < ?")
      .run(before, before);
    return changes;
  }
}
