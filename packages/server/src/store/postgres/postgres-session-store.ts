import type pg from "pg";
import { sessionFromRow } from "../contract/rows.js";
import type { SessionRecord, SessionStore } from "../contract/store.js";
import { query, rowCount } from "./postgres-pool.js";

/** Console sessions in PostgreSQL, found by the hash of their cookie's secret. */
export class PostgresSessionStore implements SessionStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async createSession(session: SessionRecord): Promise<void> {
    await query(
      this.#pool,
      "INSERT INTO console_sessions (secret_hash, token_id, token_secret_hash, created_at, expires_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [
        session.secretHash,
        session.tokenId,
        session.tokenSecretHash,
        session.createdAt,
        session.expiresAt,
        session.endedAt ?? null,
      ],
    );
  }

  async findSession(secretHash: Buffer): Promise<SessionRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM console_sessions WHERE secret_hash = $1", [
      secretHash,
    ]);
    return row && sessionFromRow(row);
  }

  async endSession(secretHash: Buffer, endedAt: string): Promise<boolean> {
    const ended = await rowCount(
      this.#pool,
      "UPDATE console_sessions SET ended_at = $1 WHERE secret_hash = $2 AND ended_at IS NULL",
      [endedAt, secretHash],
    );
    return ended === 1;
  }

  async deleteSessionsBefore(before: string): Promise<number> {
    return rowCount(this.#pool, "DELETE FROM console_sessions WHERE expires_at < $1 OR ended_at < $1", [
      before,
    ]);
  }
}
