/*
 * The session role of the store: console sign-ins (docs/design/console-sessions.md). A session is
 * found by the SHA-256 of the secret its cookie carries; the secret itself is never stored.
 * `store/conformance/session.ts` holds both backends to it.
 */

export interface SessionRecord {
  /** SHA-256 of the cookie's secret; the session's key. */
  secretHash: Buffer;
  /** The token (admin credential or service token) the session was made from. */
  tokenId: string;
  /** The hash of the token secret that signed in: once it stops working, so does the session. */
  tokenSecretHash: Buffer;
  createdAt: string;
  /** After this the session no longer authenticates, whatever its token. */
  expiresAt: string;
  /** Set by sign-out: the session is over from then on. */
  endedAt?: string | undefined;
}

export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  /** The session whose secret hashes to `secretHash`, ended or not. */
  findSession(secretHash: Buffer): Promise<SessionRecord | undefined>;
  /** Ends a session that has not ended yet; false when there was none to end. */
  endSession(secretHash: Buffer, endedAt: string): Promise<boolean>;
  /** Deletes every session that expired or ended before `before`; answers how many. */
  deleteSessionsBefore(before: string): Promise<number>;
}
