import { CliError, type Envelope } from "./cli-error.js";

/*
 * A small typed client for the admin API (`v1beta/config…`, `v1/admin/token/…`). Every call
 * answers the envelope's `result` and `summary` on `Success`, and throws a CliError otherwise:
 * with the envelope when the server said no, with a plain message when it could not be asked.
 */

export interface SchemaFieldView {
  id: string;
  name?: string;
  description?: string;
  type: string;
  size?: number;
  required?: boolean;
  redact?: boolean;
  ui_default_visible?: boolean;
}

export interface SchemaView {
  fields: SchemaFieldView[];
  save_malformed: string;
}

/** A configuration's redaction at ingest (docs/design/redaction.md). */
export interface RedactionView {
  enabled: boolean;
  mask: string;
  rules?: Array<{
    name: string;
    detector?: string;
    pattern?: string;
    flags?: string;
    action: string;
    label?: string;
  }>;
  signed_events?: string;
}

export interface ConfigView {
  id: string;
  name: string;
  version: number;
  created_at: string;
  updated_at: string;
  tree_name: string;
  schema: SchemaView;
  hot_storage: string;
  warm_storage?: string;
  cold_storage?: string;
  vault_sign: boolean;
  vault_key_id?: string;
  redaction?: RedactionView;
  ui_metadata?: { saved_searches: unknown[] };
}

export interface ConfigList {
  count: number;
  last?: string;
  items: ConfigView[];
}

export interface SigningKeyView {
  id: string;
  vault_key_id: string;
  vault_key_version: number;
  public_key: string;
}

/** The settings a create or update body may carry. */
export interface ConfigChanges {
  name?: string;
  schema?: unknown;
  hot_storage?: string;
  warm_storage?: string;
  cold_storage?: string;
  vault_sign?: boolean;
  redaction?: { enabled: boolean; mask: string; rules?: unknown[]; signed_events?: string };
}

export interface AuditGrant {
  configs: string[] | "all";
  endpoints?: string[];
  field_restrictions?: Record<string, Record<string, string[]>>;
}

export interface Grants {
  audit?: AuditGrant;
}

/** A service token calls the data plane within its grants; an admin credential manages the project. */
export type TokenKind = "service" | "admin";

export interface TokenView {
  id: string;
  /** Absent from servers older than admin credential management, which list service tokens only. */
  kind?: TokenKind;
  /** Where it came from: `environment` (VERITRAIL_ADMIN_TOKEN…), `generated` at first start, or `api`. */
  origin?: string;
  status?: "active" | "revoked" | "expired";
  name: string;
  expires_at: string | null;
  grants: Grants;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  previous_secret_valid_until: string | null;
}

export interface TokenList {
  count: number;
  items: TokenView[];
}

/** The answer to create: the only one, with rotate's, that carries the secret. */
export interface CreatedToken {
  id: string;
  token: string;
  kind?: TokenKind;
  name: string;
  expires_at: string | null;
  grants: Grants;
  created_at: string;
}

export interface RotatedToken extends TokenView {
  token: string;
}

export interface Answer<T> {
  summary: string;
  result: T;
}

/** How long one request may take before the CLI gives up on it. */
const TIMEOUT_MS = 30_000;

export class AdminClient {
  readonly #base: URL;
  readonly #token: string;

  /** `baseUrl` is the server's address, e.g. http://127.0.0.1:8000 (a path prefix is kept). */
  constructor(baseUrl: URL, adminToken: string) {
    this.#base = new URL(baseUrl.href.endsWith("/") ? baseUrl.href : `${baseUrl.href}/`);
    this.#token = adminToken;
  }

  /** The server's address as messages show it: without any user name or password in it. */
  get displayUrl(): string {
    return `${this.#base.origin}${this.#base.pathname.replace(/\/$/, "")}`;
  }

  /** POSTs `body` to `path` and answers the result of a `Success`; throws a CliError otherwise. */
  async call<T>(path: string, body: object): Promise<Answer<T>> {
    const url = new URL(path, this.#base);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${this.#token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
    let envelope: Envelope<T> | undefined;
    try {
      const text = await response.text();
      const parsed = JSON.parse(text) as unknown;
      if (isEnvelope(parsed)) envelope = parsed as Envelope<T>;
    } catch (error) {
      if (isTimeout(error)) throw this.#unreachable(error);
      // Not JSON: reported below with the HTTP status.
    }
    if (!envelope) {
      throw new CliError(
        `${this.displayUrl} answered HTTP ${response.status} ${response.statusText} to ${path} without a Pangea envelope; is this a Veritrail server?`,
      );
    }
    if (envelope.status !== "Success") {
      const hint =
        envelope.status === "Unauthorized"
          ? "  the admin credential was refused: check VERITRAIL_ADMIN_TOKEN or --admin-token"
          : undefined;
      throw CliError.fromEnvelope(envelope, hint);
    }
    return { summary: envelope.summary, result: envelope.result };
  }

  #unreachable(error: unknown): CliError {
    if (isTimeout(error)) {
      return new CliError(`no answer from ${this.displayUrl} within ${TIMEOUT_MS / 1000} s`);
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new CliError(
      `cannot reach the server at ${this.displayUrl} (${reason}); is it running? Set VERITRAIL_URL or --url`,
    );
  }

  getConfig(id: string): Promise<Answer<ConfigView>> {
    return this.call("v1beta/config", { id });
  }

  createConfig(name: string, changes: ConfigChanges): Promise<Answer<ConfigView>> {
    return this.call("v1beta/config/create", { ...changes, name });
  }

  updateConfig(id: string, updatedAt: string, changes: ConfigChanges): Promise<Answer<ConfigView>> {
    return this.call("v1beta/config/update", { ...changes, id, updated_at: updatedAt });
  }

  deleteConfig(id: string): Promise<Answer<ConfigView>> {
    return this.call("v1beta/config/delete", { id });
  }

  rotateSigningKey(id: string): Promise<Answer<SigningKeyView>> {
    return this.call("v1beta/config/signing_key/rotate", { id });
  }

  /** Every configuration, page after page. */
  async listConfigs(): Promise<Answer<ConfigList>> {
    const items: ConfigView[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.call<ConfigList>("v1beta/config/list", {
        size: 1000,
        ...(last === undefined ? {} : { last }),
      });
      items.push(...page.result.items);
      last = page.result.last;
      if (last === undefined || page.result.items.length === 0) {
        return { summary: `${items.length} configuration(s)`, result: { count: items.length, items } };
      }
    }
  }

  /** A service token (with grants) or, with `kind: "admin"`, an admin credential (without). */
  createToken(body: {
    name: string;
    kind?: TokenKind;
    grants?: Grants;
    expires_at?: string;
  }): Promise<Answer<CreatedToken>> {
    return this.call("v1/admin/token/create", body);
  }

  getToken(id: string): Promise<Answer<TokenView>> {
    return this.call("v1/admin/token/get", { id });
  }

  listTokens(): Promise<Answer<TokenList>> {
    return this.call("v1/admin/token/list", {});
  }

  updateToken(
    id: string,
    changes: { name?: string; expires_at?: string | null; grants?: Grants },
  ): Promise<Answer<TokenView>> {
    return this.call("v1/admin/token/update", { ...changes, id });
  }

  extendToken(id: string, configId: string): Promise<Answer<TokenView>> {
    return this.call("v1/admin/token/extend", { id, service: "audit", config_id: configId });
  }

  rotateToken(id: string, gracePeriod?: string): Promise<Answer<RotatedToken>> {
    return this.call("v1/admin/token/rotate", {
      id,
      ...(gracePeriod === undefined ? {} : { grace_period: gracePeriod }),
    });
  }

  revokeToken(id: string): Promise<Answer<TokenView>> {
    return this.call("v1/admin/token/revoke", { id });
  }
}

function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Envelope).status === "string" &&
    typeof (value as Envelope).summary === "string" &&
    "result" in value
  );
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}
