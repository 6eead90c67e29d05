import type { ExportFileRecord } from "./job.js";
import type { SessionRecord } from "./session.js";
import type {
  AsyncRequestRecord,
  ConfigRecord,
  LeafRecord,
  SigningKeyRecord,
  TokenRecord,
  TreeHead,
} from "./store.js";
import type { TokenOrigin } from "./token.js";

/*
 * Row → record mapping shared by both stores. The drivers differ only in how they hand back
 * JSON (SQLite: text; PostgreSQL: parsed JSONB) and 64-bit integers (numbers or strings);
 * these functions accept both.
 */

export type Row = Record<string, unknown>;

function optional(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

function bytes(value: unknown): Buffer | undefined {
  return value === null || value === undefined ? undefined : (value as Buffer);
}

export function configFromRow(row: Row): ConfigRecord {
  return {
    id: String(row["id"]),
    projectId: String(row["project_id"]),
    name: String(row["name"]),
    settings: json(row["settings"]),
    createdAt: String(row["created_at"]),
    updatedAt: String(row["updated_at"]),
  };
}

export function tokenFromRow(row: Row): TokenRecord {
  return {
    id: String(row["id"]),
    projectId: String(row["project_id"]),
    name: String(row["name"]),
    kind: row["kind"] === "admin" ? "admin" : "service",
    secretHash: row["secret_hash"] as Buffer,
    previousSecretHash: bytes(row["previous_secret_hash"]),
    previousValidUntil: optional(row["previous_valid_until"]),
    expiresAt: optional(row["expires_at"]),
    revokedAt: optional(row["revoked_at"]),
    grants: json(row["grants"]),
    createdAt: String(row["created_at"]),
    updatedAt: String(row["updated_at"]),
    // `api` (the column's default) is an absent origin, so a record reads back as it was written.
    ...(isTokenOrigin(row["origin"]) ? { origin: row["origin"] } : {}),
  };
}

function isTokenOrigin(value: unknown): value is TokenOrigin {
  return value === "environment" || value === "generated";
}

export function treeFromRow(row: Row): TreeHead {
  return {
    id: Number(row["id"]),
    configId: String(row["config_id"]),
    treeName: String(row["tree_name"]),
    size: Number(row["size"]),
    rootHash: bytes(row["root_hash"]),
    lastReceivedAt: Number(row["last_received_at"]),
  };
}

export function leafFromRow(row: Row): LeafRecord {
  return {
    leafIndex: Number(row["leaf_index"]),
    receivedAt: Number(row["received_at"]),
    hash: row["hash"] as Buffer,
    envelope: String(row["envelope"]),
  };
}

export function asyncRequestFromRow(row: Row): AsyncRequestRecord {
  return {
    id: String(row["id"]),
    tokenId: String(row["token_id"]),
    configId: String(row["config_id"]),
    endpoint: String(row["endpoint"]),
    state: row["state"] as AsyncRequestRecord["state"],
    payload: String(row["payload"]),
    result: optional(row["result"]),
    error: optional(row["error"]),
    createdAt: String(row["created_at"]),
    expiresAt: String(row["expires_at"]),
    attempts: Number(row["attempts"] ?? 0),
    lastError: optional(row["last_error"]),
  };
}

export function exportFileFromRow(row: Row): ExportFileRecord {
  return {
    requestId: String(row["request_id"]),
    attempt: Number(row["attempt"]),
    format: row["format"] === "json" ? "json" : "csv",
    chunks: Number(row["chunks"]),
    bytes: Number(row["bytes"]),
    events: Number(row["events"]),
    restriction: String(row["restriction"]),
    createdAt: String(row["created_at"]),
  };
}

export function signingKeyFromRow(row: Row): SigningKeyRecord {
  return {
    configId: String(row["config_id"]),
    version: Number(row["version"]),
    keyId: String(row["key_id"]),
    privateKey: String(row["private_key"]),
    publicKey: String(row["public_key"]),
    createdAt: String(row["created_at"]),
  };
}

/** A token's columns in the order `tokenInsertParams` binds them (both stores' INSERT). */
export const TOKEN_INSERT_COLUMNS =
  "id, project_id, kind, created_at, name, secret_hash, previous_secret_hash, previous_valid_until, expires_at, revoked_at, grants, updated_at, origin";

/** The parameters of a new token, in the order of `TOKEN_INSERT_COLUMNS`. */
export function tokenInsertParams(token: TokenRecord): unknown[] {
  return [token.id, token.projectId, token.kind, token.createdAt, ...tokenUpdateParams(token)];
}

/** The parameters of a token's mutable fields, in the order both stores' UPDATE binds them. */
export function tokenUpdateParams(token: TokenRecord): unknown[] {
  return [
    token.name,
    token.secretHash,
    token.previousSecretHash ?? null,
    token.previousValidUntil ?? null,
    token.expiresAt ?? null,
    token.revokedAt ?? null,
    JSON.stringify(token.grants),
    token.updatedAt,
    token.origin ?? "api",
  ];
}

export function sessionFromRow(row: Row): SessionRecord {
  return {
    secretHash: row["secret_hash"] as Buffer,
    tokenId: String(row["token_id"]),
    tokenSecretHash: row["token_secret_hash"] as Buffer,
    createdAt: String(row["created_at"]),
    expiresAt: String(row["expires_at"]),
    endedAt: optional(row["ended_at"]),
  };
}
