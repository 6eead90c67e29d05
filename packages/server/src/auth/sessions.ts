import { timingSafeEqual } from "node:crypto";
import { randomBase32, sha256 } from "@veritrail/core";
import type { Clock } from "../clock.js";
import { isoAt } from "../clock.js";
import { ApiError } from "../errors.js";
import { SESSION_ROW_RETENTION_SECONDS, SESSION_TTL_SECONDS } from "../limits.js";
import type { SessionRecord, Store, TokenRecord } from "../store/contract/store.js";
import type { AuditEndpoint } from "./resolve-config.js";
import { worksAt } from "./tokens.js";

/*
 * Console sessions (docs/design/console-sessions.md). Signing in with a token makes a session:
 * a random secret for an HttpOnly cookie, of which only the SHA-256 is stored, and a CSRF token
 * derived from the secret, which the console sends in a header on every state-changing request.
 * A session authenticates as the token it was made from, while that token (and the secret that
 * signed in) still works, until it expires or is ended by sign-out.
 */

/** Characters of a session secret: 52 of base32, 260 random bits. */
const SESSION_SECRET_CHARACTERS = 52;
export const SESSION_SECRET = /^[a-z2-7]{52}$/;

/**
 * The endpoints an admin credential's session reads through in the log viewer. An admin
 * credential never calls the data plane with a bearer header; signed in to the console it
 * may read every configuration of its project, and write nothing.
 */
export const CONSOLE_ADMIN_READS: readonly AuditEndpoint[] = [
  "v1/root",
  "v1/search",
  "v1/results",
  "v1/schema",
  "v1/download_results",
];

/**
 * The record an admin credential's session acts as on the data plane: the same id and project,
 * a service grant of every configuration, reads only. Result sets and download links it makes
 * belong to the admin credential's id, so they close when the credential is revoked.
 */
export function consoleReader(admin: TokenRecord): TokenRecord {
  return {
    ...admin,
    kind: "service",
    grants: { audit: { configs: "all", endpoints: [...CONSOLE_ADMIN_READS] } },
  };
}

/** A new session's secret and CSRF token (both shown once, in the sign-in answer) and its expiry. */
export interface NewSession {
  secret: string;
  csrfToken: string;
  expiresAt: string;
  record: SessionRecord;
}

/** The CSRF token of a session: derived from its secret, so it needs no storage of its own. */
export function csrfTokenFor(secret: string): string {
  return sha256(`veritrail-csrf\n${secret}`).toString("base64url");
}

/** Whether `presented` is the CSRF token of the session `secret`, compared in constant time. */
export function csrfMatches(secret: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = sha256(csrfTokenFor(secret));
  return timingSafeEqual(expected, sha256(presented));
}

export class Sessions {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(options: { store: Store; clock: Clock }) {
    this.#store = options.store;
    this.#clock = options.clock;
  }

  /** Makes a session for `token`, which just authenticated with the secret hashing to `secretHash`. */
  async create(token: TokenRecord, tokenSecretHash: Buffer): Promise<NewSession> {
    const now = this.#clock.nowMillis();
    const secret = randomBase32(SESSION_SECRET_CHARACTERS);
    const record: SessionRecord = {
      secretHash: sha256(secret),
      tokenId: token.id,
      tokenSecretHash,
      createdAt: isoAt(now),
      expiresAt: isoAt(now + SESSION_TTL_SECONDS * 1000),
      endedAt: undefined,
    };
    await this.#store.sessions.createSession(record);
    // Sign-in is rare: it also clears the rows of sessions long over.
    await this.#store.sessions.deleteSessionsBefore(isoAt(now - SESSION_ROW_RETENTION_SECONDS * 1000));
    return { secret, csrfToken: csrfTokenFor(secret), expiresAt: record.expiresAt, record };
  }

  /**
   * The session of `secret` and the token it acts as, or `Unauthorized` when the secret is not a
   * session's, or the session ended or expired, or its token (or the token secret it signed in
   * with) no longer works.
   */
  async authenticate(secret: string): Promise<{ session: SessionRecord; token: TokenRecord }> {
    if (!SESSION_SECRET.test(secret)) throw ApiError.unauthorized();
    const hash = sha256(secret);
    const session = await this.#store.sessions.findSession(hash);
    const now = this.#clock.nowMillis();
    // The lookup found the row by its hash; compare again in constant time rather than trust it.
    if (!session || !timingSafeEqual(session.secretHash, hash)) throw ApiError.unauthorized();
    if (session.endedAt !== undefined || Date.parse(session.expiresAt) <= now) throw ApiError.unauthorized();
    const token = await this.#store.tokens.getToken(session.tokenId);
    if (!token || !worksAt(token, now) || !signedInSecretWorks(token, session.tokenSecretHash, now)) {
      throw ApiError.unauthorized();
    }
    return { session, token };
  }

  /** Ends the session of `secret`; false when it was not a live session. */
  async end(secret: string): Promise<boolean> {
    if (!SESSION_SECRET.test(secret)) return false;
    return this.#store.sessions.endSession(sha256(secret), isoAt(this.#clock.nowMillis()));
  }
}

/** Whether the token secret a session signed in with is still the token's, or in its grace period. */
function signedInSecretWorks(token: TokenRecord, secretHash: Buffer, now: number): boolean {
  if (timingSafeEqual(token.secretHash, secretHash)) return true;
  return (
    token.previousSecretHash !== undefined &&
    timingSafeEqual(token.previousSecretHash, secretHash) &&
    token.previousValidUntil !== undefined &&
    Date.parse(token.previousValidUntil) > now
  );
}
