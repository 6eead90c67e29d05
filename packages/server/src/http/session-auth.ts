import type { FastifyReply, FastifyRequest } from "fastify";
import { consoleReader, csrfMatches, type Sessions } from "../auth/sessions.js";
import { ApiError } from "../errors.js";
import { MAX_COOKIE_HEADER_LENGTH, SESSION_TTL_SECONDS } from "../limits.js";
import type { TokenRecord } from "../store/contract/store.js";

/*
 * Cookie authentication for the console (docs/design/console-sessions.md). A request with an
 * `Authorization` header is a bearer request whatever cookies it carries; one without it and with
 * the session cookie is authenticated by the session. A session request other than GET or HEAD
 * must carry the session's CSRF token in `x-csrf-token`.
 */

export const SESSION_COOKIE = "veritrail_session";
export const CSRF_HEADER = "x-csrf-token";

/** The session cookie's value from a `Cookie` header, or undefined when there is none. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_COOKIE_HEADER_LENGTH) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    if (part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Whether cookies must be `Secure`: the request came over HTTPS, or the public URL is HTTPS. */
export function secureCookies(request: FastifyRequest, publicUrl: string): boolean {
  return request.protocol === "https" || publicUrl.startsWith("https:");
}

/** The `Set-Cookie` value that gives the browser a session, or (with no secret) takes it away. */
export function sessionCookie(secret: string | undefined, secure: boolean): string {
  const parts = [
    `${SESSION_COOKIE}=${secret ?? ""}`,
    "Path=/",
    `Max-Age=${secret === undefined ? 0 : SESSION_TTL_SECONDS}`,
    "HttpOnly",
    "SameSite=Strict",
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** Whether a request changes state, and so must carry the CSRF token when it comes with a session. */
function changesState(method: string): boolean {
  return method !== "GET" && method !== "HEAD";
}

/**
 * The token a session request acts as for a route of `kind`, or undefined when the request is a
 * bearer request (or has no session cookie), so the caller authenticates the header instead.
 * An admin credential's session acts on the data plane as its read-only `consoleReader`.
 */
export async function sessionToken(
  sessions: Sessions,
  request: FastifyRequest,
  kind: TokenRecord["kind"],
): Promise<TokenRecord | undefined> {
  if (request.headers.authorization !== undefined) return undefined;
  const secret = readSessionCookie(request.headers.cookie);
  if (secret === undefined) return undefined;
  const { token } = await sessions.authenticate(secret);
  if (changesState(request.method)) {
    const presented = request.headers[CSRF_HEADER];
    if (!csrfMatches(secret, typeof presented === "string" ? presented : undefined)) {
      throw ApiError.unauthorized();
    }
  }
  if (kind === "service" && token.kind === "admin") return consoleReader(token);
  return token;
}

/** An onRequest hook for a route that only a session reaches (reading or ending it). */
export function requireSession(
  sessions: Sessions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    const secret = readSessionCookie(request.headers.cookie);
    if (request.headers.authorization !== undefined || secret === undefined) throw ApiError.unauthorized();
    const token = await sessionToken(sessions, request, "admin");
    // Management kind keeps the token as it is, so the route sees an admin credential or a service token.
    request.veritrail.token = token;
  };
}
