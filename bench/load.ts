/**
 * One HTTP load run with autocannon: keep-alive connections, each sending the next body of a
 * pool of pre-built requests as soon as its previous answer arrives (closed loop). Bodies are
 * encoded once, before the clock starts, so the load generator spends its CPU on sending and
 * not on making data: it shares the machine with the server.
 */
import autocannon, { type Request } from "autocannon";

export interface LoadOptions {
  /** One server, or several: the connections are spread over them in turn. */
  baseUrl: string | readonly string[];
  path: string;
  token: string;
  /** JSON bodies, sent in turn by every connection. */
  bodies: readonly string[];
  connections: number;
}

export interface LoadResult {
  /** 2xx answers per second. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Everything that went wrong; empty when every request got a 2xx answer. */
  problems: string[];
}

/** Loads `options.path` for `seconds` and sums up the answers. */
export async function runLoad(options: LoadOptions, seconds: number): Promise<LoadResult> {
  const headers = { "content-type": "application/json", authorization: `Bearer ${options.token}` };
  const requests: Request[] = options.bodies.map((body) => ({
    method: "POST",
    path: options.path,
    headers,
    body,
  }));
  const result = await autocannon({
    url: typeof options.baseUrl === "string" ? options.baseUrl : [...options.baseUrl],
    connections: options.connections,
    duration: seconds,
    timeout: 30,
    requests,
  });
  const problems: string[] = [];
  if (result.non2xx > 0) {
    const codes = Object.entries(result.statusCodeStats)
      .map(([code, { count }]) => `${count} × ${code}`)
      .join(", ");
    problems.push(`${result.non2xx} non-2xx answers (${codes})`);
  }
  if (result.errors > 0) problems.push(`${result.errors} request errors (${result.timeouts} timeouts)`);
  if (result["2xx"] === 0) problems.push("no 2xx answer at all");
  return {
    requestsPerSecond: result["2xx"] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    problems,
  };
}
