import { newId, newTokenSecret } from "@veritrail/core";
import type { TokenRecord } from "../store/contract/store.js";
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
      createdAt: options.now,
      updatedAt: options.now,
    },
  };
}
