import { join, resolve } from "node:path";

/** Everything the server reads from its environment, parsed and validated once at start. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Where the embedded SQLite database lives when no database URL is given. */
  readonly dataDir: string;
  /** Where retention writes cold archives (`VERITRAIL_ARCHIVE_DIR`, default `<dataDir>/archive`; docs/design/retention.md). */
  readonly archiveDir: string;
  /** `postgres://…` selects PostgreSQL; undefined means the embedded SQLite store. */
  readonly databaseUrl: string | undefined;
  /** Connections each process keeps to PostgreSQL. */
  readonly databasePoolSize: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** The base URL clients reach this server at; used in `url` fields. */
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  /** Most events one group commit writes; a larger backlog is split. */
  readonly maxBatchEvents: number;
  /** Most events that may wait for one tree's next commit; beyond it requests get 503 + Retry-After. */
  readonly maxQueuedEvents: number;
  /** How long a resolved token stays cached; revocation reaches other processes within it. */
  readonly authCacheMs: number;
  /** How long an async request's result can be fetched, in minutes. */
  readonly asyncResultTtlMinutes: number;
  /** How long a process holds an async request it works on; a dead process's requests are retaken after it. */
  readonly asyncLeaseMs: number;
  /** How often each process looks for async requests to take (left over, or whose lease ran out). */
  readonly asyncPollMs: number;
  /** SQLite `synchronous`: FULL syncs the WAL on every commit (durable across power loss). */
  readonly sqliteSynchronous: "FULL" | "NORMAL";
  /**
   * Fixed admin credential (automation); only its hash is stored. When it changes, the credential
   * the previous value made is revoked at the next start.
   */
  readonly adminToken: string | undefined;
  /** Fixed initial audit token granted the default configuration (automation). */
  readonly initAuditToken: string | undefined;
  /**
   * The key that signs download links. Without it, a random key is made once and kept in the
   * database, so that every process of a cluster verifies the links any of them made.
   */
  readonly downloadSecret: string | undefined;
  /** Publishing signed checkpoints (docs/design/publishing.md). */
  readonly publish: PublishConfig;
}

/** How often roots are published, how checkpoints are signed, and where they are anchored. */
export interface PublishConfig {
  /** A tree that has grown is published at least this often. */
  readonly intervalMs: number;
  /** …and as soon as this many events arrived since its last checkpoint. */
  readonly everyEvents: number;
  /** The checkpoint origin prefix (`<origin>/<tree_name>`) and the key's name: the public URL's host by default. */
  readonly origin: string;
  /** The checkpoint signing key (PKCS#8 PEM, or base64 of the 32-byte seed); otherwise one is made and kept in the store. */
  readonly checkpointKey: string | undefined;
  /** A directory where each tree's checkpoints are appended to a file of its own. */
  readonly anchorDir: string | undefined;
  /** A URL each checkpoint note is POSTed to. */
  readonly anchorWebhookUrl: string | undefined;
  /** Another Pangea-compatible audit log (its base URL) each checkpoint is logged into, with its token. */
  readonly anchorAuditLog: { url: string; token: string; configId: string | undefined } | undefined;
}

/** A key name or origin as signed notes allow them: no spaces, no `+`, printable. */
const NOTE_NAME = /^[\x21-\x2a\x2c-\x7e]{1,200}$/;

function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw)) throw new ConfigError(name, "must be an http:// or https:// URL");
  return raw.replace(/\/+$/, "");
}

function publishConfig(env: Env, publicUrl: string): PublishConfig {
  const origin = env["VERITRAIL_ORIGIN"] || new URL(publicUrl).host;
  if (!NOTE_NAME.test(origin)) {
    throw new ConfigError(
      "VERITRAIL_ORIGIN",
      "must be printable, without spaces or '+', at most 200 characters",
    );
  }
  const auditLogUrl = httpUrl(env, "VERITRAIL_ANCHOR_AUDIT_LOG_URL");
  const auditLogToken = env["VERITRAIL_ANCHOR_AUDIT_LOG_TOKEN"] || undefined;
  if ((auditLogUrl === undefined) !== (auditLogToken === undefined)) {
    throw new ConfigError(
      auditLogUrl === undefined ? "VERITRAIL_ANCHOR_AUDIT_LOG_URL" : "VERITRAIL_ANCHOR_AUDIT_LOG_TOKEN",
      "VERITRAIL_ANCHOR_AUDIT_LOG_URL and VERITRAIL_ANCHOR_AUDIT_LOG_TOKEN go together",
    );
  }
  const checkpointKey = env["VERITRAIL_CHECKPOINT_KEY"] || undefined;
  if (checkpointKey !== undefined && checkpointKey.length > 1000) {
    throw new ConfigError("VERITRAIL_CHECKPOINT_KEY", "is longer than any Ed25519 key");
  }
  return Object.freeze({
    intervalMs: integer(env, "VERITRAIL_PUBLISH_INTERVAL_MS", 10_000, 100, 86_400_000),
    everyEvents: integer(env, "VERITRAIL_PUBLISH_EVERY_EVENTS", 10_000, 1, 100_000_000),
    origin,
    checkpointKey,
    anchorDir: env["VERITRAIL_ANCHOR_DIR"] ? resolve(env["VERITRAIL_ANCHOR_DIR"]) : undefined,
    anchorWebhookUrl: httpUrl(env, "VERITRAIL_ANCHOR_WEBHOOK_URL"),
    anchorAuditLog:
      auditLogUrl === undefined || auditLogToken === undefined
        ? undefined
        : {
            url: auditLogUrl,
            token: auditLogToken,
            configId: env["VERITRAIL_ANCHOR_AUDIT_LOG_CONFIG_ID"] || undefined,
          },
  });
}

/** A configuration problem, naming the variable at fault. */
export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!value) throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  return value;
}

/**
 * The fewest characters a secret given by environment may have. A generated secret carries 200
 * random bits in 44 characters; 32 characters hold 128 bits even when chosen as hex, and
 * an unsalted SHA-256 is only as strong as what it hashes (docs/design/tokens.md).
 */
export const MIN_SECRET_LENGTH = 32;

function secret(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (raw.length < MIN_SECRET_LENGTH || raw.length > 200 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      name,
      `must be ${MIN_SECRET_LENGTH} to 200 printable characters without spaces (got ${raw.length} characters)`,
    );
  }
  return raw;
}

/**
 * Reads the server configuration from environment variables (README "Configuration").
 * Fails fast with a `ConfigError` naming the bad variable; the result is frozen.
 */
export function loadConfig(env: Env): ServerConfig {
  const host = env["VERITRAIL_HOST"] || "127.0.0.1";
  const port = integer(env, "VERITRAIL_PORT", 8000, 0, 65535);
  const databaseUrl = env["VERITRAIL_DATABASE_URL"] || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("VERITRAIL_DATABASE_URL", "must start with postgres:// or postgresql://");
  }
  const publicUrl = (
    env["VERITRAIL_PUBLIC_URL"] || `http://${host.includes(":") ? `[${host}]` : host}:${port}`
  ).replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s]+$/.test(publicUrl)) {
    throw new ConfigError("VERITRAIL_PUBLIC_URL", "must be an http:// or https:// URL");
  }
  const adminToken = secret(env, "VERITRAIL_ADMIN_TOKEN");
  const initAuditToken = secret(env, "VERITRAIL_INIT_AUDIT_TOKEN");
  // One secret for both would be stored once, as whichever came first: an audit token that
  // manages, or an admin credential that logs.
  if (adminToken !== undefined && adminToken === initAuditToken) {
    throw new ConfigError("VERITRAIL_INIT_AUDIT_TOKEN", "must differ from VERITRAIL_ADMIN_TOKEN");
  }
  return Object.freeze({
    host,
    port,
    dataDir: resolve(env["VERITRAIL_DATA_DIR"] || "data"),
    archiveDir: resolve(env["VERITRAIL_ARCHIVE_DIR"] || join(env["VERITRAIL_DATA_DIR"] || "data", "archive")),
    databaseUrl,
    databasePoolSize: integer(env, "VERITRAIL_DATABASE_POOL_SIZE", 10, 2, 1000),
    logLevel: oneOf(env, "VERITRAIL_LOG_LEVEL", "info", [
      "fatal",
      "error",
      "warn",
      "info",
      "debug",
      "trace",
      "silent",
    ] as const),
    publicUrl,
    maxBodyBytes: integer(env, "VERITRAIL_MAX_BODY_BYTES", 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxBatchEvents: integer(env, "VERITRAIL_MAX_BATCH_EVENTS", 4000, 1, 100_000),
    maxQueuedEvents: integer(env, "VERITRAIL_MAX_QUEUED_EVENTS", 50_000, 1000, 10_000_000),
    authCacheMs: integer(env, "VERITRAIL_AUTH_CACHE_MS", 1000, 0, 3_600_000),
    asyncResultTtlMinutes: integer(env, "VERITRAIL_ASYNC_RESULT_TTL_MINUTES", 60 * 24, 1, 60 * 24 * 30),
    // At least a second: a lease that runs out while its process still works makes another retake it.
    asyncLeaseMs: integer(env, "VERITRAIL_ASYNC_LEASE_MS", 60_000, 1000, 3_600_000),
    asyncPollMs: integer(env, "VERITRAIL_ASYNC_POLL_MS", 1000, 50, 600_000),
    sqliteSynchronous: oneOf(env, "VERITRAIL_SQLITE_SYNCHRONOUS", "FULL", ["FULL", "NORMAL"] as const),
    adminToken,
    initAuditToken,
    downloadSecret: secret(env, "VERITRAIL_DOWNLOAD_SECRET"),
    publish: publishConfig(env, publicUrl),
  });
}
