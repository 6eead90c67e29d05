/*
 * The one fetch wrapper of the console. Every answer of the server is the Pangea envelope
 * ({request_id, status, summary, result}); anything but "Success" becomes an `ApiError` whose
 * `errors` keep the server's JSON pointers, so a form can put each message on its field.
 * Kept thin on purpose: the typed client of `@veritrail/sdk` can replace `call` later.
 */

import type { ErrorField } from "@veritrail/core";

export type { ErrorField };

export class ApiError extends Error {
  readonly status: string;
  readonly httpStatus: number;
  readonly errors: ErrorField[];

  constructor(status: string, summary: string, httpStatus: number, errors: ErrorField[] = []) {
    super(summary);
    this.name = "ApiError";
    this.status = status;
    this.httpStatus = httpStatus;
    this.errors = errors;
  }

  /** The message of the first error whose pointer is `pointer` or lies under it. */
  fieldError(pointer: string): string | undefined {
    return this.errors.find((e) => e.source === pointer || e.source.startsWith(`${pointer}/`))?.detail;
  }
}

let csrfToken: string | undefined;

/** The session's CSRF token, kept in memory only (never in browser storage). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/**
 * Called on an Unauthorized answer, so the app can check whether the session itself is gone (and
 * show the sign-in page) or only this request was beyond the session's grant.
 */
let onUnauthorized: (() => void) | undefined;
export function setUnauthorizedHandler(handler: (() => void) | undefined): void {
  onUnauthorized = handler;
}

/** GETs a public text resource (a signed checkpoint note, the verifier key); throws on any non-200. */
export async function getText(path: string): Promise<string> {
  const response = await fetch(path, { credentials: "omit", headers: { accept: "text/plain" } });
  if (!response.ok) throw new ApiError("NotFound", `${path} answered ${response.status}`, response.status);
  return response.text();
}

/** POSTs `body` to `path` with the session cookie and CSRF token; answers the envelope's `result`. */
export async function call<T>(path: string, body: unknown = {}, method: "POST" | "GET" = "POST"): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method === "POST") {
    headers["content-type"] = "application/json";
    if (csrfToken) headers["x-csrf-token"] = csrfToken;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(method === "POST" ? { body: JSON.stringify(body) } : {}),
    });
  } catch (cause) {
    throw new ApiError("NetworkError", `The server could not be reached (${String(cause)})`, 0);
  }
  let envelope: { status?: unknown; summary?: unknown; result?: unknown };
  try {
    envelope = (await response.json()) as typeof envelope;
  } catch {
    throw new ApiError(
      "InternalError",
      `The server answered ${response.status} without JSON`,
      response.status,
    );
  }
  if (envelope.status === "Success") return envelope.result as T;
  const result = envelope.result as { errors?: ErrorField[] } | null | undefined;
  const error = new ApiError(
    String(envelope.status ?? "InternalError"),
    String(envelope.summary ?? "Request failed"),
    response.status,
    Array.isArray(result?.errors) ? result.errors : [],
  );
  if (error.status === "Unauthorized" && !path.startsWith("/v1/session")) onUnauthorized?.();
  throw error;
}
