import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuditClient } from "./audit-client.js";
import { ApiError } from "./errors.js";

function answer(status: string, result: unknown, http: number, id = "prq_slow") {
  const body = { request_id: id, request_time: "t", response_time: "t", status, summary: status, result };
  return new Response(JSON.stringify(body), { status: http });
}

describe("AuditClient", () => {
  it("polls a search the server answered 202 until its result is ready", async () => {
    const seen: string[] = [];
    const answers = [
      () => answer("Accepted", { ttl_mins: 1, retry_counter: 0, location: "request/prq_slow" }, 202),
      () => answer("Accepted", { ttl_mins: 1, retry_counter: 1, location: "request/prq_slow" }, 202),
      () => answer("Success", { id: "pas_x", expires_at: "e", count: 0, events: [] }, 200),
    ];
    const fetch = (async (url: URL, init: RequestInit) => {
      seen.push(`${init.method} ${url.pathname}`);
      return answers[seen.length - 1]!();
    }) as unknown as typeof globalThis.fetch;
    const audit = new AuditClient({ baseUrl: "http://server.test", token: "t", configId: "pci_c", fetch });
    const result = await audit.search({ query: "slow" });
    assert.equal(result.id, "pas_x");
    assert.deepEqual(seen, ["POST /v1/search", "GET /request/prq_slow", "GET /request/prq_slow"]);
  });

  it("sends config_id in the body of every POST, the call's winning over the client's", async () => {
    const bodies: unknown[] = [];
    const fetch = (async (_url: URL, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      return answer("Success", { hash: "h" }, 200);
    }) as unknown as typeof globalThis.fetch;
    const audit = new AuditClient({
      baseUrl: "http://server.test",
      token: "t",
      configId: "pci_client",
      fetch,
    });
    await audit.log({ message: "a" });
    await audit.log({ message: "b" }, { config_id: "pci_call", verbose: true });
    assert.deepEqual(bodies, [
      { event: { message: "a" }, config_id: "pci_client" },
      { event: { message: "b" }, verbose: true, config_id: "pci_call" },
    ]);
  });

  it("throws the failure of a request that failed while it was polled", async () => {
    const answers = [
      () => answer("Accepted", { ttl_mins: 1, retry_counter: 0, location: "l" }, 202),
      () => answer("InternalError", { reason: "gone" }, 500),
    ];
    let n = 0;
    const fetch = (async () => answers[Math.min(n++, 1)]!()) as unknown as typeof globalThis.fetch;
    const audit = new AuditClient({ baseUrl: "http://server.test", token: "t", fetch, retries: 0 });
    const error = await audit
      .logBulkAndWait([{ event: { message: "x" } }], { intervalMs: 1 })
      .catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, "InternalError");
  });
});
