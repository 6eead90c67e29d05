import type pg from "pg";
import type { ExportFileRecord } from "../contract/job.js";
import { asyncRequestFromRow, exportFileFromRow } from "../contract/rows.js";
import {
  type AsyncRequestRecord,
  AsyncRequestTakenError,
  type JobStore,
  type NewAsyncRequest,
} from "../contract/store.js";
import { query, rowCount, transaction } from "./postgres-pool.js";

/**
 * Async requests, export files and named leases in PostgreSQL, shared by every process on the database:
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

  async renewAsyncRequest(id: string, owner: string, untilMillis: number): Promise<boolean> {
    const renewed = await rowCount(
      this.#pool,
      "UPDATE async_requests SET lease_until = $3 WHERE id = $1 AND owner = $2 AND state = 'pending'",
      [id, owner, untilMillis],
    );
    return renewed === 1;
  }

  async failAsyncRequest(id: string, error: string): Promise<void> {
    await query(
      this.#pool,
      "UPDATE async_requests SET state = 'failed', error = $2, payload = '', owner = NULL, lease_until = NULL WHERE id = $1 AND state = 'pending'",
      [id, error],
    );
  }

  async writeExportChunk(requestId: string, attempt: number, seq: number, data: Buffer): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO export_chunks (request_id, attempt, seq, data) VALUES ($1, $2, $3, $4)
       ON CONFLICT (request_id, attempt, seq) DO UPDATE SET data = excluded.data`,
      [requestId, attempt, seq, data],
    );
  }

  async finishExport(file: ExportFileRecord, result: string): Promise<void> {
    await transaction(this.#pool, async (client) => {
      const done = await rowCount(
        client,
        `UPDATE async_requests SET state = 'done', result = $2, payload = '', owner = NULL, lease_until = NULL
         WHERE id = $1 AND state = 'pending'`,
        [file.requestId, result],
      );
      // Exactly once: another attempt already finished it, and its file stands.
      if (done !== 1) throw new AsyncRequestTakenError(file.requestId);
      await client.query(
        `INSERT INTO export_files (request_id, attempt, format, chunks, bytes, events, restriction, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          file.requestId,
          file.attempt,
          file.format,
          file.chunks,
          file.bytes,
          file.events,
          file.restriction,
          file.createdAt,
        ],
      );
      await client.query("DELETE FROM export_chunks WHERE request_id = $1 AND attempt <> $2", [
        file.requestId,
        file.attempt,
      ]);
    });
  }

  async discardExportChunks(requestId: string, attempt: number): Promise<void> {
    await query(
      this.#pool,
      `DELETE FROM export_chunks WHERE request_id = $1 AND attempt = $2
       AND NOT EXISTS (SELECT 1 FROM export_files f WHERE f.request_id = $1 AND f.attempt = $2)`,
      [requestId, attempt],
    );
  }

  async getExportFile(requestId: string): Promise<ExportFileRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM export_files WHERE request_id = $1", [requestId]);
    return row && exportFileFromRow(row);
  }

  async readExportChunk(requestId: string, attempt: number, seq: number): Promise<Buffer | undefined> {
    const [row] = await query(
      this.#pool,
      "SELECT data FROM export_chunks WHERE request_id = $1 AND attempt = $2 AND seq = $3",
      [requestId, attempt, seq],
    );
    return row && (row["data"] as Buffer);
  }

  async deleteExpiredAsyncRequests(now: string): Promise<number> {
    // Export files and their chunks go with their requests (ON DELETE CASCADE).
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
