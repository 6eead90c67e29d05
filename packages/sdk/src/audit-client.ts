import type {
  AcceptedResult,
  DownloadResult,
  EventFileFormat,
  ExportRequest,
  LogBulkResult,
  LogEntry,
  LogResult,
  PublishedRoot,
  ResponseEnvelope,
  ResultsResult,
  RootResult,
  SchemaResult,
  SearchEvent,
  SearchRequest,
  SearchResult,
  UnpublishedRoot,
  VerifiableFile,
} from "@veritrail/core";
import { ApiError, VeritrailError } from "./errors.js";
import { Transport, type TransportOptions } from "./http.js";

/** How an audit client is made: the server, a service token, and optionally its configuration. */
export interface AuditClientOptions extends TransportOptions {
  /** A service token (`pts_…`). */
  token: string;
  /**
   * The configuration every call works on, sent as the body's `config_id` (wire-protocol §2.2);
   * a call's own `config_id` wins. Needed when the token's grant covers several configurations.
   */
  configId?: string;
}

/** Options every data-plane call takes. */
export interface CallOptions {
  /** This call's configuration, instead of the client's. */
  config_id?: string;
}

export interface LogOptions extends CallOptions {
  verbose?: boolean;
  signature?: string;
  public_key?: string;
  /** A root this client saw before; the answer then proves the new root extends it. */
  prev_root?: string;
}

export interface BulkOptions extends CallOptions {
  verbose?: boolean;
}

/** How long and how often to poll a request answered 202. */
export interface WaitOptions {
  /** Give up after this long (default 120 s, as the Node SDK). */
  timeoutMs?: number;
  /** The first wait between polls (default 250 ms), growing by half each time up to 5 s. */
  intervalMs?: number;
}

/** A request the server accepted for later (HTTP 202). */
export interface AcceptedRequest {
  /** The id to poll: `GET request/{requestId}`. */
  requestId: string;
  accepted: AcceptedResult;
}

/** One page of a search, as `searchPages` yields it. */
export interface SearchPage {
  /** The result set's id (`pas_…`), for `results` and `downloadResults`. */
  id: string;
  /** How many records the whole search matched. */
  count: number;
  /** Where this page starts in the result set. */
  offset: number;
  events: SearchEvent[];
  root?: PublishedRoot;
  unpublished_root?: UnpublishedRoot;
}

/**
 * A typed client for the audit data plane (wire-protocol §4) and the public checkpoint
 * endpoints. Every method answers the envelope's `result` on Success and throws an
 * {@link ApiError} (with `status` and `errors`) otherwise.
 *
 * @example
 *   const audit = new AuditClient({ baseUrl: "http://127.0.0.1:8000", token });
 *   const { hash } = await audit.log({ message: "hello" });
 */
export class AuditClient {
  readonly transport: Transport;
  readonly #token: string;
  readonly #configId: string | undefined;

  constructor(options: AuditClientOptions) {
    this.transport = new Transport(options);
    this.#token = options.token;
    this.#configId = options.configId;
  }

  /**
   * POSTs `body` with the configuration added, answering the result. A call the server answers
   * 202 (a slow search, wire-protocol §4.3) is polled until done, as the official SDKs do.
   */
  async #post<T>(path: string, body: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const { envelope, httpStatus } = await this.transport.send<T>({
      method: "POST",
      path,
      token: this.#token,
      body: this.#withConfig(body, options),
    });
    if (envelope.status === "Accepted" && httpStatus === 202)
      return this.waitForResult<T>(envelope.request_id);
    if (envelope.status !== "Success") throw new ApiError(envelope, httpStatus);
    return envelope.result;
  }

  #withConfig(body: Record<string, unknown>, options: CallOptions): Record<string, unknown> {
    const configId = options.config_id ?? this.#configId;
    const defined = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    return configId === undefined ? defined : { ...defined, config_id: configId };
  }

  /** `v1/log`: one event. */
  log(event: Record<string, unknown>, options: LogOptions = {}): Promise<LogResult> {
    const { config_id, ...rest } = options;
    return this.#post("v1/log", { event, ...rest }, { ...(config_id ? { config_id } : {}) });
  }

  /** `v2/log`: 1 to 1000 events, stored together, answered in order. */
  logBulk(entries: readonly LogEntry[], options: BulkOptions = {}): Promise<LogBulkResult> {
    return this.#post("v2/log", { events: entries, verbose: options.verbose }, options);
  }

  /** `v2/log_async`: the events are queued; poll with `waitForResult`, or use `logBulkAndWait`. */
  async logBulkAsync(entries: readonly LogEntry[], options: BulkOptions = {}): Promise<AcceptedRequest> {
    return this.#accepted("v2/log_async", { events: entries, verbose: options.verbose }, options);
  }

  /** `v2/log_async`, then waits for its result. */
  async logBulkAndWait(
    entries: readonly LogEntry[],
    options: BulkOptions & WaitOptions = {},
  ): Promise<LogBulkResult> {
    const { requestId } = await this.logBulkAsync(entries, options);
    return this.waitForResult<LogBulkResult>(requestId, options);
  }

  async #accepted(
    path: string,
    body: Record<string, unknown>,
    options: CallOptions,
  ): Promise<AcceptedRequest> {
    const { envelope, httpStatus } = await this.transport.send<AcceptedResult>({
      method: "POST",
      path,
      token: this.#token,
      body: this.#withConfig(body, options),
    });
    if (envelope.status !== "Accepted" && envelope.status !== "Success")
      throw new ApiError(envelope, httpStatus);
    return { requestId: envelope.request_id, accepted: envelope.result };
  }

  /**
   * One poll of `GET request/{id}`: the finished result, or undefined while the request is
   * still pending. A request that failed throws its ApiError.
   */
  async pollResult<T>(requestId: string): Promise<T | undefined> {
    const { envelope, httpStatus } = await this.transport.send<T>({
      method: "GET",
      path: `request/${encodeURIComponent(requestId)}`,
      token: this.#token,
    });
    if (envelope.status === "Accepted") return undefined;
    if (envelope.status !== "Success") throw new ApiError(envelope, httpStatus);
    return envelope.result;
  }

  /** Polls `GET request/{id}` until the request is done, and answers its result. */
  async waitForResult<T>(requestId: string, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    let interval = options.intervalMs ?? 250;
    let waited = 0;
    for (;;) {
      const result = await this.pollResult<T>(requestId);
      if (result !== undefined) return result;
      if (waited >= timeoutMs) {
        throw new VeritrailError(
          "ERR_STILL_PENDING",
          `request ${requestId} was still pending after ${timeoutMs} ms`,
        );
      }
      const pause = Math.min(interval, timeoutMs - waited);
      await this.#sleep(pause);
      waited += pause;
      interval = Math.min(5000, Math.ceil(interval * 1.5));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** `v1/search`: the first page and the result set's id. */
  search(request: SearchRequest): Promise<SearchResult> {
    const { config_id, ...body } = request;
    return this.#post("v1/search", { ...body }, { ...(config_id ? { config_id } : {}) });
  }

  /** `v1/results`: a page of a result set. */
  results(args: {
    id: string;
    limit?: number;
    offset?: number;
    assert_search_restriction?: Record<string, string[]>;
    config_id?: string;
  }): Promise<ResultsResult> {
    const { config_id, ...body } = args;
    return this.#post("v1/results", body, { ...(config_id ? { config_id } : {}) });
  }

  /**
   * Every page of a search: `v1/search`, then `v1/results` from each next offset until the
   * result set's `count` records have been read.
   *
   * @example for await (const page of audit.searchPages({ query: "actor:alice", limit: 100 })) …
   */
  async *searchPages(request: SearchRequest): AsyncGenerator<SearchPage> {
    const first = await this.search(request);
    const page = (offset: number, r: ResultsResult): SearchPage => ({
      id: first.id,
      count: first.count,
      offset,
      events: r.events,
      ...(r.root ? { root: r.root } : {}),
      ...(r.unpublished_root ? { unpublished_root: r.unpublished_root } : {}),
    });
    yield page(0, first);
    let offset = first.events.length;
    const limit = request.limit ?? Math.max(first.events.length, 1);
    while (offset < first.count) {
      const next = await this.results({
        id: first.id,
        offset,
        limit,
        ...(request.config_id ? { config_id: request.config_id } : {}),
      });
      if (next.events.length === 0) return;
      yield page(offset, next);
      offset += next.events.length;
    }
  }

  /** Every record a search matches, page after page. */
  async *searchEvents(request: SearchRequest): AsyncGenerator<SearchEvent> {
    for await (const page of this.searchPages(request)) yield* page.events;
  }

  /** `v1/root`: the latest published root, or the root at `treeSize`. */
  async root(treeSize?: number, options: CallOptions = {}): Promise<PublishedRoot> {
    const result = await this.#post<RootResult>("v1/root", { tree_size: treeSize }, options);
    return result.data;
  }

  /** `v1/schema`: the configuration's fields. */
  schema(options: CallOptions = {}): Promise<SchemaResult> {
    return this.#post("v1/schema", {}, options);
  }

  /** `v1/export`: queued; download it with `downloadResults({ request_id })` once done. */
  export(request: ExportRequest = {}): Promise<AcceptedRequest> {
    const { config_id, ...body } = request;
    return this.#accepted("v1/export", body, { ...(config_id ? { config_id } : {}) });
  }

  /** `v1/export`, waited for: answers the request id to download. */
  async exportAndWait(request: ExportRequest = {}, options: WaitOptions = {}): Promise<string> {
    const { requestId } = await this.export(request);
    await this.waitForResult(requestId, options);
    return requestId;
  }

  /** `v1/download_results`: a link to the file of a search (`result_id`) or an export (`request_id`). */
  downloadResults(
    args: ({ result_id: string; request_id?: never } | { request_id: string; result_id?: never }) & {
      format?: EventFileFormat;
      return_context?: boolean;
      config_id?: string;
    },
  ): Promise<DownloadResult> {
    if ((args.result_id === undefined) === (args.request_id === undefined)) {
      throw new VeritrailError(
        "ERR_ARGUMENT",
        "downloadResults takes exactly one of result_id and request_id",
      );
    }
    const { config_id, ...body } = args;
    return this.#post("v1/download_results", body, { ...(config_id ? { config_id } : {}) });
  }

  /** The file at a download link, as the server serves it (gzip bytes). No Authorization is sent. */
  downloadFile(destUrl: string): Promise<Uint8Array> {
    return this.transport.bytes(destUrl);
  }

  /** The JSON file at a download link, unzipped and parsed. */
  async downloadJson(destUrl: string): Promise<VerifiableFile> {
    const bytes = await this.downloadFile(destUrl);
    const text = await gunzipText(bytes);
    try {
      return JSON.parse(text) as VerifiableFile;
    } catch (cause) {
      throw new VeritrailError("ERR_FORMAT", "the downloaded file is not JSON", { cause });
    }
  }

  /** `GET trees/verifier-key`: the server's checkpoint verifier key line. Pin it; do not trust it. */
  async verifierKey(): Promise<string> {
    return (await this.transport.text("trees/verifier-key")).trim();
  }

  /** `GET trees/{tree_name}/checkpoint[/{size}]`: the signed note, latest or at `size`. */
  checkpoint(treeName: string, size?: number): Promise<string> {
    const tail = size === undefined ? "" : `/${size}`;
    return this.transport.text(`trees/${encodeURIComponent(treeName)}/checkpoint${tail}`);
  }

  /** The raw envelope of any POST, for endpoints this client has no method for. */
  raw<T>(
    path: string,
    body: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<T>> {
    return this.transport
      .send<T>({
        method: "POST",
        path,
        token: this.#token,
        body: this.#withConfig(body, options),
      })
      .then((answer) => answer.envelope);
  }
}

/** Gunzips with the platform's DecompressionStream (Node 18+ and browsers); plain bytes pass through. */
export async function gunzipText(bytes: Uint8Array): Promise<string> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}
