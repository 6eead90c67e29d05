import type { ResponseEnvelope } from "@veritrail/core";
import { ApiError, VeritrailError } from "./errors.js";

/*
 * The one place the SDK talks HTTP: `fetch` only (Node 20 and browsers alike), the Pangea
 * envelope, and retries. A 500, 502, 503 or 504 is sent again, as the official SDKs do
 * (wire-protocol §2.3), after an exponential backoff with jitter, or after the answer's
 * `Retry-After` when that is longer; each retry names the earlier attempts' request ids in
 * `X-Pangea-Retried-Request-Ids`. The server never half-commits before a 5xx, so a retried
 * write is never stored twice.
 */

/** How a client reaches the server and how hard it tries. */
export interface TransportOptions {
  /** The server's address, e.g. "http://127.0.0.1:8000" or "https://host/audit" (a path prefix is kept). */
  baseUrl: string | URL;
  /** Retries after a 5xx answer (default 3). */
  retries?: number;
  /** The first retry's delay before jitter, doubled for each next one (default 500 ms). */
  retryBaseMs?: number;
  /** The longest wait before one retry, `Retry-After` included (default 30 s). */
  maxRetryDelayMs?: number;
  /** How long one attempt may take (default 30 s). */
  timeoutMs?: number;
  /** The `fetch` to call (default the global one). */
  fetch?: typeof fetch;
  /** Waits; tests pass one that does not (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
  /** The time now in milliseconds, to read a `Retry-After` date (default Date.now). */
  now?: () => number;
}

/** One answer: the envelope and the HTTP status it came with. */
export interface Answer<T> {
  envelope: ResponseEnvelope<T>;
  httpStatus: number;
}

const RETRIED_STATUSES = new Set([500, 502, 503, 504]);

function isEnvelope(value: unknown): value is ResponseEnvelope {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ResponseEnvelope).status === "string" &&
    typeof (value as ResponseEnvelope).summary === "string" &&
    "result" in value
  );
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date, RFC 9110 §10.2.3), if readable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class Transport {
  readonly baseUrl: URL;
  readonly #fetch: typeof fetch;
  readonly #retries: number;
  readonly #retryBaseMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(options: TransportOptions) {
    const href = String(options.baseUrl);
    let base: URL;
    try {
      base = new URL(href.endsWith("/") ? href : `${href}/`);
    } catch (cause) {
      throw new VeritrailError("ERR_ARGUMENT", `baseUrl "${href}" is not a URL`, { cause });
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new VeritrailError("ERR_ARGUMENT", `baseUrl must be http:// or https://, got "${href}"`);
    }
    this.baseUrl = base;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#retries = options.retries ?? 3;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** The server's address as messages show it: without any user name or password in it. */
  get displayUrl(): string {
    return `${this.baseUrl.origin}${this.baseUrl.pathname.replace(/\/$/, "")}`;
  }

  /** An endpoint's URL: `path` joined onto the base, keeping its path prefix. */
  url(path: string): URL {
    return new URL(path.replace(/^\//, ""), this.baseUrl);
  }

  /** The wait before retry `attempt` (0 for the first): backoff with up to 25% jitter, or Retry-After. */
  retryDelay(attempt: number, retryAfter: number | undefined): number {
    const backoff = this.#retryBaseMs * 2 ** attempt * (1 - 0.25 * this.#random());
    return Math.min(this.#maxRetryDelayMs, Math.max(backoff, retryAfter ?? 0));
  }

  /**
   * Sends one request and answers its envelope, whatever its status: callers decide what a
   * non-Success means. Throws a VeritrailError when no envelope came back.
   */
  async send<T>(args: {
    method: "GET" | "POST";
    path: string | URL;
    token?: string | undefined;
    body?: unknown;
  }): Promise<Answer<T>> {
    const url = typeof args.path === "string" ? this.url(args.path) : args.path;
    const retriedIds: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const response = await this.#attempt(url, args, retriedIds);
      if (RETRIED_STATUSES.has(response.status) && attempt < this.#retries) {
        const id = response.headers.get("x-request-id");
        if (id) retriedIds.push(id);
        const after = retryAfterMs(response.headers.get("retry-after"), this.#now());
        await response.body?.cancel().catch(() => undefined);
        await this.#sleep(this.retryDelay(attempt, after));
        continue;
      }
      return { envelope: await this.#envelope<T>(url, response), httpStatus: response.status };
    }
  }

  /** Sends a request and answers the `result` of a Success; throws an ApiError otherwise. */
  async call<T>(args: {
    method: "GET" | "POST";
    path: string;
    token?: string | undefined;
    body?: unknown;
  }): Promise<ResponseEnvelope<T>> {
    const { envelope, httpStatus } = await this.send<T>(args);
    if (envelope.status !== "Success") throw new ApiError(envelope, httpStatus);
    return envelope;
  }

  /** GETs a text that is not an envelope (a note, a key); an error answer is still an envelope. */
  async text(path: string): Promise<string> {
    const url = this.url(path);
    const response = await this.#attempt(url, { method: "GET" }, []);
    if (response.ok) return response.text();
    const envelope = await this.#envelope(url, response);
    throw new ApiError(envelope, response.status);
  }

  /** GETs bytes at a full URL (a download link), without Authorization (wire-protocol §4.5). */
  async bytes(url: string): Promise<Uint8Array> {
    const target = new URL(url, this.baseUrl);
    const response = await this.#attempt(target, { method: "GET" }, []);
    if (!response.ok) throw new ApiError(await this.#envelope(target, response), response.status);
    return new Uint8Array(await response.arrayBuffer());
  }

  async #attempt(
    url: URL,
    args: { method: "GET" | "POST"; token?: string | undefined; body?: unknown },
    retriedIds: readonly string[],
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (args.token !== undefined) headers["authorization"] = `Bearer ${args.token}`;
    if (args.body !== undefined) headers["content-type"] = "application/json";
    if (retriedIds.length) headers["x-pangea-retried-request-ids"] = retriedIds.join(",");
    try {
      return await this.#fetch(url, {
        method: args.method,
        headers,
        ...(args.body === undefined ? {} : { body: JSON.stringify(args.body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
  }

  async #envelope<T>(url: URL, response: Response): Promise<ResponseEnvelope<T>> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await response.text());
    } catch (error) {
      if (isTimeout(error)) throw this.#unreachable(error);
      parsed = undefined;
    }
    if (!isEnvelope(parsed)) {
      throw new VeritrailError(
        "ERR_NOT_ENVELOPE",
        `${this.displayUrl} answered HTTP ${response.status} ${response.statusText} to ${url.pathname} without a Pangea envelope`,
      );
    }
    return parsed as ResponseEnvelope<T>;
  }

  #unreachable(error: unknown): VeritrailError {
    if (isTimeout(error)) {
      return new VeritrailError(
        "ERR_TIMEOUT",
        `no answer from ${this.displayUrl} within ${this.#timeoutMs / 1000} s`,
        {
          cause: error,
        },
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new VeritrailError("ERR_NETWORK", `cannot reach ${this.displayUrl} (${reason})`, { cause: error });
  }
}
