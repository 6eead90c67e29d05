// The official Node SDK (pangea-node-sdk 5.6.0, unmodified) verifying published records: the
// ARWEAVE halves of sdk-acceptance-cases.md C18 and C22. With `verifyConsistency`, older events
// (below the published checkpoint) give membership "pass" and consistency "pass"; the newest,
// unpublished ones membership "pass" and consistency "none". The SDK looks the published roots
// up on Arweave first; support/arweave.ts answers that look-up as Arweave does for a tree it
// never saw, so the SDK falls back to `v1/root` (wire-protocol §5.7).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Audit, AuditService, PangeaConfig } from "pangea-node-sdk";
import { redirectArweave } from "./support/arweave.js";
import { type Exchange, recordExchanges, TestSigner } from "./support/sdk.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

describe("pangea-node-sdk 5.6.0 verifying published records (C18, C22 ARWEAVE)", () => {
  let server: TestServer;
  let audit: AuditService;
  let arweave: ReturnType<typeof redirectArweave>;
  let recorder: ReturnType<typeof recordExchanges>;
  const tag = `pub${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  const PUBLISHED = 6;
  const NEWER = 3;

  before(async () => {
    server = await startTestServer();
    arweave = redirectArweave();
    recorder = recordExchanges(server.url);
    audit = new AuditService(
      server.auditToken,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
    );
    const signer = new TestSigner();
    for (let i = 0; i < PUBLISHED; i++) {
      await audit.log(
        { message: `${tag}-old-${i}`, actor: "node-sdk", status: "signed" },
        { signer, verbose: true },
      );
    }
    const published = await server.service.publishing.publisher.publishNow();
    assert.equal(published[0]?.size, PUBLISHED);
    for (let i = 0; i < NEWER; i++) await audit.log({ message: `${tag}-new-${i}`, actor: "node-sdk" });
  });

  after(async () => {
    recorder?.restore();
    arweave?.restore();
    await server?.close();
  });

  /** The checks of each event, by message, in the order they came. */
  function checks(
    events: Audit.AuditRecord[],
  ): { message: string; membership?: string; consistency?: string }[] {
    return events.map((event) => ({
      message: String((event.envelope.event as { message: unknown }).message),
      membership: event.membership_verification,
      consistency: event.consistency_verification,
    }));
  }

  function expected(order: "asc" | "desc") {
    const rows = [
      ...Array.from({ length: PUBLISHED }, (_, i) => ({
        message: `${tag}-old-${i}`,
        membership: "pass",
        consistency: "pass",
      })),
      ...Array.from({ length: NEWER }, (_, i) => ({
        message: `${tag}-new-${i}`,
        membership: "pass",
        consistency: "none",
      })),
    ];
    return order === "asc" ? rows : rows.reverse();
  }

  /** The sizes the SDK asked `v1/root` for since `from`. */
  function rootSizesAskedSince(from: number): number[] {
    return recorder.exchanges
      .slice(from)
      .filter((e: Exchange) => e.path === "/v1/root")
      .map((e: Exchange) => Number((e.request as { tree_size?: number } | undefined)?.tree_size ?? 0))
      .sort((a, b) => a - b);
  }

  it('C22: message:"" asc and desc with verifyConsistency: published pass/pass, newest pass/none', async () => {
    for (const order of ["asc", "desc"] as const) {
      const arweaveBefore = arweave.calls.length;
      const exchangesBefore = recorder.exchanges.length;
      const response = await audit.search(
        'message:""',
        { order, limit: PUBLISHED + NEWER, verbose: true },
        { verifyConsistency: true },
      );
      assert.equal(response.status, "Success");
      assert.deepEqual(checks(response.result.events), expected(order));
      assert.equal(response.result.root?.size, PUBLISHED);
      // The SDK asked Arweave for the published sizes, got nothing, and asked us instead.
      const graphql = arweave.calls
        .slice(arweaveBefore)
        .filter((c) => c.url === "https://arweave.net/graphql");
      assert.equal(graphql.length, 1);
      assert.match(graphql[0]!.body ?? "", new RegExp(response.result.root!.tree_name));
      assert.deepEqual(
        rootSizesAskedSince(exchangesBefore),
        Array.from({ length: PUBLISHED }, (_, i) => i + 1),
      );
    }
  });

  it("C18: results of a verbose search with verifyConsistency, page by page", async () => {
    const search = await audit.search(`message:${tag}`, { order: "asc", limit: 2, verbose: true }, {});
    assert.equal(search.result.count, PUBLISHED + NEWER);
    const seen: ReturnType<typeof checks> = [];
    for (let offset = 0; offset < PUBLISHED + NEWER; offset += 4) {
      const page = await audit.results(search.result.id, 4, offset, { verifyConsistency: true });
      assert.equal(page.status, "Success");
      seen.push(...checks(page.result.events));
      for (const event of page.result.events) {
        const published = String((event.envelope.event as { message: unknown }).message).includes("-old-");
        assert.equal(event.signature_verification, published ? "pass" : "none");
      }
    }
    assert.deepEqual(seen, expected("asc"));
  });

  it("C18: without verifyConsistency both checks stay undefined, published or not", async () => {
    const response = await audit.search(`message:${tag}`, { order: "asc", limit: 20, verbose: true }, {});
    for (const event of response.result.events) {
      assert.equal(event.membership_verification, undefined);
      assert.equal(event.consistency_verification, undefined);
    }
  });
});
