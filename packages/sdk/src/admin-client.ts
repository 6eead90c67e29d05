import type {
  ConfigChanges,
  ConfigList,
  ConfigView,
  CreatedToken,
  Grants,
  PartitionOverrideView,
  RotatedToken,
  SigningKeyView,
  TokenKind,
  TokenList,
  TokenView,
} from "@veritrail/core";
import { Transport, type TransportOptions } from "./http.js";

/** An admin answer: its result, and the server's summary of what it did. */
export interface AdminAnswer<T> {
  summary: string;
  result: T;
}

export interface AdminClientOptions extends TransportOptions {
  /** An admin credential. */
  adminToken: string;
}

/**
 * A typed client for the admin API: configurations (`v1beta/config…`) and tokens
 * (`v1/admin/token/…`). Every call answers the result and summary of a Success and throws an
 * ApiError otherwise.
 *
 * @example
 *   const admin = new AdminClient({ baseUrl, adminToken });
 *   const { result: config } = await admin.createConfig("billing", {});
 */
export class AdminClient {
  readonly transport: Transport;
  readonly #token: string;

  constructor(options: AdminClientOptions) {
    this.transport = new Transport(options);
    this.#token = options.adminToken;
  }

  /** POSTs `body` to an admin endpoint. */
  async call<T>(path: string, body: object): Promise<AdminAnswer<T>> {
    const envelope = await this.transport.call<T>({ method: "POST", path, token: this.#token, body });
    return { summary: envelope.summary, result: envelope.result };
  }

  getConfig(id: string): Promise<AdminAnswer<ConfigView>> {
    return this.call("v1beta/config", { id });
  }

  createConfig(name: string, changes: ConfigChanges = {}): Promise<AdminAnswer<ConfigView>> {
    return this.call("v1beta/config/create", { ...changes, name });
  }

  /** `updatedAt` is the `updated_at` last read: a change made since in between is refused. */
  updateConfig(id: string, updatedAt: string, changes: ConfigChanges): Promise<AdminAnswer<ConfigView>> {
    return this.call("v1beta/config/update", { ...changes, id, updated_at: updatedAt });
  }

  deleteConfig(id: string): Promise<AdminAnswer<ConfigView>> {
    return this.call("v1beta/config/delete", { id });
  }

  /**
   * Per-tenant retention (`v1beta/config/partition_overrides`): sets the override of each value
   * given (keyed by the schema's partitioned field's value) and removes those given `null`;
   * the others stay. Answers the updated configuration, its `partition_overrides` included.
   *
   * @example
   *   await admin.setPartitionOverrides(configId, { acme: { warm_storage: "90d", cold_storage: "16month" }, globex: null });
   */
  setPartitionOverrides(
    id: string,
    overrides: Record<string, PartitionOverrideView | null>,
  ): Promise<AdminAnswer<ConfigView>> {
    return this.call("v1beta/config/partition_overrides", { id, overrides });
  }

  rotateSigningKey(id: string): Promise<AdminAnswer<SigningKeyView>> {
    return this.call("v1beta/config/signing_key/rotate", { id });
  }

  /** One page of configurations, from after `last`. */
  listConfigPage(args: { size?: number; last?: string } = {}): Promise<AdminAnswer<ConfigList>> {
    return this.call("v1beta/config/list", args);
  }

  /** Every configuration, page after page. */
  async listConfigs(): Promise<AdminAnswer<ConfigList>> {
    const items: ConfigView[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.listConfigPage({ size: 1000, ...(last === undefined ? {} : { last }) });
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
  }): Promise<AdminAnswer<CreatedToken>> {
    return this.call("v1/admin/token/create", body);
  }

  getToken(id: string): Promise<AdminAnswer<TokenView>> {
    return this.call("v1/admin/token/get", { id });
  }

  listTokens(): Promise<AdminAnswer<TokenList>> {
    return this.call("v1/admin/token/list", {});
  }

  updateToken(
    id: string,
    changes: { name?: string; expires_at?: string | null; grants?: Grants },
  ): Promise<AdminAnswer<TokenView>> {
    return this.call("v1/admin/token/update", { ...changes, id });
  }

  extendToken(id: string, configId: string): Promise<AdminAnswer<TokenView>> {
    return this.call("v1/admin/token/extend", { id, service: "audit", config_id: configId });
  }

  rotateToken(id: string, gracePeriod?: string): Promise<AdminAnswer<RotatedToken>> {
    return this.call("v1/admin/token/rotate", {
      id,
      ...(gracePeriod === undefined ? {} : { grace_period: gracePeriod }),
    });
  }

  revokeToken(id: string): Promise<AdminAnswer<TokenView>> {
    return this.call("v1/admin/token/revoke", { id });
  }
}
