/*
 * The token role of the store: audit tokens and admin credentials, stored by the hash of their
 * secret (docs/design/tokens.md). `store/conformance/token.ts` holds both backends to it.
 */

/** Which endpoints and configurations a token reaches in one service (issue "tokens"). */
export interface ServiceGrant {
  configs: string[] | "all";
  endpoints?: string[];
  /** Per configuration: field → allowed values. Every read (and write) with the token is bound to them. */
  field_restrictions?: Record<string, Record<string, string[]>>;
}

/**
 * Where a token came from when not from the admin API: `environment` (`VERITRAIL_ADMIN_TOKEN`,
 * `VERITRAIL_INIT_AUDIT_TOKEN`) or `generated` at first start. Only `environment` admin
 * credentials are replaced when their variable changes (docs/design/tokens.md).
 */
export type TokenOrigin = "environment" | "generated";

export interface TokenRecord {
  id: string;
  projectId: string;
  name: string;
  /** `admin` manages configurations and tokens; `service` calls the data plane. */
  kind: "admin" | "service";
  /** SHA-256 of the secret: the secret itself is never stored. */
  secretHash: Buffer;
  /** After a rotation the previous secret keeps working until `previousValidUntil`. */
  previousSecretHash?: Buffer | undefined;
  previousValidUntil?: string | undefined;
  expiresAt?: string | undefined;
  revokedAt?: string | undefined;
  grants: { audit?: ServiceGrant };
  /** Absent for a token made through the admin API (and for rows stored before origins were). */
  origin?: TokenOrigin;
  createdAt: string;
  updatedAt: string;
}

export interface TokenStore {
  createToken(token: TokenRecord): Promise<void>;
  /**
   * Replaces a token's mutable fields (all but id, project, kind and creation time; the origin
   * too, which start-up sets on a credential stored before origins were) if the stored
   * `updated_at` is still `expectedUpdatedAt`.
   */
  updateToken(token: TokenRecord, expectedUpdatedAt: string): Promise<boolean>;
  /** The project's tokens of every kind, oldest first. */
  listTokens(projectId: string): Promise<TokenRecord[]>;
  /** Finds the token whose current or previous secret hashes to `secretHash`. */
  findTokenBySecretHash(secretHash: Buffer): Promise<TokenRecord | undefined>;
  getToken(id: string): Promise<TokenRecord | undefined>;
}
