import type { ExportFileRecord } from "../contract/job.js";
import { asyncRequestFromRow, exportFileFromRow, type Row } from "../contract/rows.js";
import {
  type AsyncRequestRecord,
  AsyncRequestTakenError,
  type JobStore,
  type NewAsyncRequest,
} from "../contract/store.js";
import type { StatementCache } from "./statement-cache.js";

/** Async requests, export files and named leases in SQLite. */
export class SqliteJobStore implements JobStore {
  readonly #sql: StatementCache;

  constructor(statements: StatementCache) {
    this.#sql = statements;
  }

  async createAsyncRequest(request: NewAsyncRequest): Promise<void> {
    this.#sql
      .prepare(
        `INSERT INTO async_requests (id, token_id, config_id, endpoint, state, payload, result, error, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
      );
  }

  async getAsyncRequest(id: string): Promise<AsyncRequestRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM async_requests WHERE id = ?").get(id) as Row | undefined;
    return row && asyncRequestFromRow(row);
  }

  async claimAsyncRequests(
    owner: string,
    nowMillis: number,
    leaseMs: number,
    limit: number,
  ): Promise<AsyncRequestRecord[]> {
    const rows = this.#sql
      .prepare(
        `UPDATE async_requests SET owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id IN (SELECT id FROM async_requests
                      WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < ?)
                      ORDER BY created_at LIMIT ?)
         RETURNING *`,
      )
      .all(owner, nowMillis + leaseMs, nowMillis, limit) as Row[];
    return rows.map(asyncRequestFromRow);
  }

  async postponeAsyncRequest(
    id: string,
    owner: string,
    untilMillis: number,
    lastError: string,
  ): Promise<void> {
    // The lease runs until `untilMillis` with no owner: no claim takes it before then.
    this.#sql
      .prepare(
        "UPDATE async_requests SET owner = NULL, lease_until = ?, last_error = ? WHERE id = ? AND owner = ? AND state = 'pending'",
      )
      .run(untilMillis, lastError, id, owner);
  }

  async renewAsyncRequest(id: string, owner: string, untilMillis: number): Promise<boolean> {
    return (
      this.#sql
        .prepare("UPDATE async_requests SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'pending'")
        .run(untilMillis, id, owner).changes === 1
    );
  }

  async failAsyncRequest(id: string, error: string): Promise<void> {
    this.#sql
      .prepare(
        "UPDATE async_requests SET state = 'failed', error = ?, payload = '', owner = NULL, lease_until = NULL WHERE id = ? AND state = 'pending'",
      )
      .run(error, id);
  }

  async writeExportChunk(requestId: string, attempt: number, seq: number, data: Buffer): Promise<void> {
    this.#sql
      .prepare(
        `INSERT INTO export_chunks (request_id, attempt, seq, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (request_id, attempt, seq) DO UPDATE SET data = excluded.data`,
      )
      .run(requestId, attempt, seq, data);
  }

  async finishExport(file: ExportFileRecord, result: string): Promise<void> {
    this.#sql.db
      .transaction(() => {
        const done = this.#sql
          .prepare(
            `UPDATE async_requests SET state = 'done', result = ?, payload = '', owner = NULL, lease_until = NULL
             WHERE id = ? AND state = 'pending'`,
          )
          .run(result, file.requestId);
        // Exactly once: another attempt already finished it, and its file stands.
        if (done.changes !== 1) throw new AsyncRequestTakenError(file.requestId);
        this.#sql
          .prepare(
            `INSERT INTO export_files (request_id, attempt, format, chunks, bytes, events, restriction, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            file.requestId,
            file.attempt,
            file.format,
            file.chunks,
            file.bytes,
            file.events,
            file.restriction,
            file.createdAt,
          );
        this.#sql
          .prepare("DELETE FROM export_chunks WHERE request_id = ? AND attempt <> ?")
          .run(file.requestId, file.attempt);
      })
      .immediate();
  }

  async discardExportChunks(requestId: string, attempt: number): Promise<void> {
    this.#sql
      .prepare(
        `DELETE FROM export_chunks WHERE request_id = ? AND attempt = ?
         AND NOT EXISTS (SELECT 1 FROM export_files f WHERE f.request_id = ? AND f.attempt = ?)`,
      )
      .run(requestId, attempt, requestId, attempt);
  }

  async getExportFile(requestId: string): Promise<ExportFileRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM export_files WHERE request_id = ?").get(requestId) as
      | Row
      | undefined;
    return row && exportFileFromRow(row);
  }

  async readExportChunk(requestId: string, attempt: number, seq: number): Promise<Buffer | undefined> {
    const row = this.#sql
      .prepare("SELECT data FROM export_chunks WHERE request_id = ? AND attempt = ? AND seq = ?")
      .get(requestId, attempt, seq) as Row | undefined;
    return row && (row["data"] as Buffer);
  }

  async deleteExpiredAsyncRequests(now: string): Promise<number> {
    // Export files and their chunks go with their requests (ON DELETE CASCADE).
    return this.#sql
      .prepare("DELETE FROM async_requests WHERE state <> 'pending' AND expires_at < ?")
      .run(now).changes;
  }

  async tryLease(name: string, owner: string, ms: number, nowMillis: number): Promise<boolean> {
    const row = this.#sql
      .prepare(
        `INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE leases.until < ? OR leases.owner = excluded.owner
         RETURNING owner`,
      )
      .get(name, owner, nowMillis + ms, nowMillis);
    return row !== undefined;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.#sql.prepare("DELETE FROM leases WHERE name = ? AND owner = ?").run(name, owner);
  }
}
