import { timingSafeEqual } from "node:crypto";
import { sha256 } from "@veritrail/core";
import { ApiError } from "../errors.js";
import { MAX_BEARER_LENGTH } from "../limits.js";
import type { Store, TokenRecord } from "../store/contract/store.js";
import { TtlCache } from "../ttl-cache.js";

const BEARER = new RegExp(`^Bearer\\s+(\\S{1,${MAX_BEARER_LENGTH}})\\s*$`, "i");

/** Hashes a presented secret the way tokens are stored: SHA-256 (secrets carry ≥ 160 random bits). */
export function hashSecret(secret: string): Buffer {
  return sha256(secret);
}

/**
 * Turns an `Authorization: Bearer …` header into a live token, or throws `Unauthorized` with the
 * one summary every failure shares (wire-protocol §3.2). Lookups are cached for `cacheMs`, so a
 * revocation made in another process takes effect within that time.
 */
export class Authenticator {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #tokens: TtlCache<TokenRecord | undefined>;

  constructor(options: { store: Store; cacheMs: number; nowMillis: () => number }) {
    this.#store = options.store;
    this.#now = options.nowMillis;
    this.#tokens = new TtlCache({ ttlMs: options.cacheMs, nowMillis: options.nowMillis });
  }

  async authenticate(header: string | undefined): Promise<TokenRecord> {
    const secret = BEARER.exec(header ?? "")?.[1];
    if (!secret) throw ApiError.unauthorized();
    const hash = hashSecret(secret);
    const token = await this.#tokens.get(hash.toString("base64"), () =>
      this.#store.tokens.findTokenBySecretHash(hash),
    );
    if (!token || !this.#isLive(token, hash)) throw ApiError.unauthorized();
    return token;
  }

  /** Forgets cached lookups, so a change made in this process applies at once. */
  invalidate(): void {
    this.#tokens.clear();
  }

  #isLive(token: TokenRecord, hash: Buffer): boolean {
    const now = this.#now();
    if (token.revokedAt !== undefined) return false;
    if (token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now) return false;
    // The index found the row; compare again in constant time rather than trust the lookup path.
    if (timingSafeEqual(token.secretHash, hash)) return true;
    return (
      token.previousSecretHash !== undefined &&
      timingSafeEqual(token.previousSecretHash, hash) &&
      token.previousValidUntil !== undefined &&
      Date.parse(token.previousValidUntil) > now
    );
  }
}
