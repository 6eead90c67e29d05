import type pg from "pg";
import { asyncRequestFromRow } from "../contract/rows.js";
import type { AsyncRequestRecord, JobStore, NewAsyncRequest } from "../contract/store.js";
import { query, rowCount } from "./postgres-pool.js";

/**
 * Async requests and named leases in PostgreSQL, shared by every process on the database:
 * requests are claimed with `FOR UPDATE SKIP LOCKED`, so two processes never lease the same one.
 */
export class PostgresJobStore implements JobStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async createAsyncRequest(request: NewAsyncRequest): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO async_requests (id, token_id, config_id, endpoint, state, payload, result, error, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        request.id,
        request.tokenId,
        request.configId,
        request.endpoint,
        request.state,
        request.payload,
        request.result ?? null,
        request.error ?? null,
        request.createdAt,
        request.expiresAt,
      ],
    );
  }

  async getAsyncRequest(id: string): Promise<AsyncRequestRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM async_requests WHERE id = $1", [id]);
    return row && asyncRequestFromRow(row);
  }

  async claimAsyncRequests(
    owner: string,
    nowMillis: number,
    leaseMs: number,
    limit: number,
  ): Promise<AsyncRequestRecord[]> {
    const rows = await query(
      this.#pool,
      `UPDATE async_requests SET owner = $1, lease_until = $2, attempts = attempts + 1
       WHERE id IN (SELECT id FROM async_requests
                    WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < $3)
                    ORDER BY created_at LIMIT $4
                    FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, nowMillis + leaseMs, nowMillis, limit],
    );
    return rows.map(asyncRequestFromRow);
  }

  async postponeAsyncRequest(
    id: string,
    owner: string,
    untilMillis: number,
    lastError: string,
  ): Promise<void> {
    // The lease runs until `untilMillis` with no owner: no claim takes it before then.
    await query(
      this.#pool,
      "UPDATE async_requests SET owner = NULL, lease_until = $3, last_error = $4 WHERE id = $1 AND owner = $2 AND state = 'pending'",
      [id, owner, untilMillis, lastError],
    );
  }

  async failAsyncRequest(id: string, error: string): Promise<void> {
    await query(
      this.#pool,
      "UPDATE async_requests SET state = 'failed', error = $2, payload = '', owner = NULL, lease_until = NULL WHERE id = $1 AND state = 'pending'",
      [id, error],
    );
  }

  async deleteExpiredAsyncRequests(now: string): Promise<number> {
    return rowCount(this.#pool, "DELETE FROM async_requests WHERE state <> 'pending' AND expires_at < $1", [
      now,
    ]);
  }

  async tryLease(name: string, owner: string, ms: number, nowMillis: number): Promise<boolean> {
    const rows = await query(
      this.#pool,
      `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE leases.until < $4 OR leases.owner = excluded.owner
       RETURNING owner`,
      [name, owner, nowMillis + ms, nowMillis],
    );
    return rows.length === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await query(this.#pool, "DELETE FROM leases WHERE name = $1 AND owner = $2", [name, owner]);
  }
}
