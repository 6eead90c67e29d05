import { newId, newTokenSecret } from "@veritrail/core";
import type { TokenRecord } from "../store/contract/store.js";
import type { TokenOrigin } from "../store/contract/token.js";
import { hashSecret } from "./authenticator.js";

/** A new token record and its secret; the secret is shown once and only its hash is stored. */
export function newToken(options: {
  projectId: string;
  name: string;
  kind: TokenRecord["kind"];
  grants: TokenRecord["grants"];
  expiresAt?: string;
  /** A fixed secret (automation); otherwise a random `pts_` secret. */
  secret?: string;
  /** Where the token comes from; absent for one made through the admin API. */
  origin?: TokenOrigin;
  now: string;
}): { record: TokenRecord; secret: string } {
  const secret = options.secret ?? newTokenSecret();
  return {
    secret,
    record: {
      id: newId("ptk"),
      projectId: options.projectId,
      name: options.name,
      kind: options.kind,
      secretHash: hashSecret(secret),
      expiresAt: options.expiresAt,
      grants: options.grants,
      ...(options.origin ? { origin: options.origin } : {}),
      createdAt: options.now,
      updatedAt: options.now,
    },
  };
}

/**
 * Whether a token still works at `atMillis` as far as its revocation and expiry go (its secrets
 * aside). `Authenticator` applies the same two rules to every request.
 *
 * @example worksAt(token, Date.now()) // false once revoked or expired
 */
export function worksAt(token: TokenRecord, atMillis: number): boolean {
  if (token.revokedAt !== undefined) return false;
  return token.expiresAt === undefined || Date.parse(token.expiresAt) > atMillis;
}

/**
 * Whether an admin credential other than `exceptId` still works at `atMillis`: the rule that keeps
 * a project from losing its last way in (docs/design/tokens.md, "The last admin credential").
 */
export function anotherAdminWorksAt(
  tokens: readonly TokenRecord[],
  exceptId: string,
  atMillis: number,
): boolean {
  return tokens.some((t) => t.kind === "admin" && t.id !== exceptId && worksAt(t, atMillis));
}
