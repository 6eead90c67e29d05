// The logging and root endpoints on the wire (wire-protocol §3, §4.1, §4.2, §4.4, §5): result
// shapes, hashes that recompute, proofs that verify with the core's checkers, request polling,
// and the bad-token answer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CompactRange,
  type Envelope,
  generateSigningKey,
  hashEnvelope,
  publicKeyPem,
  signText,
  verifyConsistency,
  verifyMembership,
} from "@veritrail/core";
import { hashSecret } from "../src/auth/authenticator.js";
import {
  type ApiResponse,
  assertApiError,
  assertEnvelope,
  assertUnauthorized,
  fetchApi,
  RECEIVED_AT,
} from "./support/api-assertions.js";
import {
  postJson,
  startTestServer,
  TEST_ADMIN_TOKEN,
  TEST_AUDIT_TOKEN,
  type TestServer,
} from "./support/test-server.js";

const HEX64 = /^[0-9a-f]{64}$/;

function assertSuccess(response: ApiResponse, http = 200): void {
  assertEnvelope(response);
  assert.equal(response.body.status, "Success", JSON.stringify(response.body));
  assert.equal(response.status, http);
}

/** A verbose v1/log result. */
interface VerboseLog {
  hash: string;
  envelope: Envelope;
  unpublished_root: string;
  membership_proof: string;
  consistency_proof?: string[];
}

/** The roots of every prefix of `hashes`: `roots[s]` is the root at size s (computed here, not asked). */
function prefixRoots(hashes: readonly string[]): string[] {
  const range = new CompactRange();
  const roots = [""];
  for (const hash of hashes) {
    range.append(Buffer.from(hash, "hex"));
    roots.push(range.root()!.toString("hex"));
  }
  return roots;
}

describe("the log API", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const post = (path: string, body: unknown) => postJson(`${server.url}${path}`, body, server.auditToken);

  async function logVerbose(body: Record<string, unknown>, prefix = ""): Promise<VerboseLog> {
    const response = await post(`${prefix}/v1/log`, { verbose: true, ...body });
    assertSuccess(response);
    return response.body.result as VerboseLog;
  }

  /** Every leaf hash of the default tree, read from the store. */
  async function storedHashes(): Promise<string[]> {
    const store = server.service.store;
    const head = (await store.log.getTreeHead(server.configId))!;
    const hashes: string[] = [];
    for (let i = 0; i < head.size; i++)
      hashes.push((await store.log.getLeaf(head.id, i))!.hash.toString("hex"));
    return hashes;
  }

  describe("v1/root on an empty tree", () => {
    it("answers TreeNotFound with HTTP 404 and no errors, with or without tree_size", async () => {
      for (const body of [{}, { tree_size: 1 }]) {
        assertApiError(await post("/v1/root", body), { http: 404, status: "TreeNotFound", errors: [] });
      }
    });
  });

  describe("v1/log", () => {
    it("the first event of a tree is its root: unpublished_root is the hash and the proof is empty", async () => {
      const result = await logVerbose({ event: { message: "first" } });
      assert.equal(result.unpublished_root, result.hash);
      assert.equal(result.membership_proof, "");
      assert.ok(verifyMembership({ leafHash: result.hash, rootHash: result.unpublished_root, proof: "" }));
    });

    it("non-verbose answers only the hash, even when prev_root is sent", async () => {
      const previous = await logVerbose({ event: { message: "before" } });
      const sizeBefore = (await storedHashes()).length;
      const hashes: string[] = [];
      for (const body of [
        { event: { message: "terse" } },
        { event: { message: "terse" }, verbose: false },
        { event: { message: "terse" }, prev_root: previous.unpublished_root },
      ]) {
        const response = await post("/v1/log", body);
        assertSuccess(response);
        assert.deepEqual(Object.keys(response.body.result), ["hash"]);
        assert.match(response.body.result.hash, HEX64);
        hashes.push(response.body.result.hash);
      }
      assert.deepEqual((await storedHashes()).slice(sizeBefore), hashes);
    });

    it("verbose answers hash, envelope, unpublished_root and a membership proof that verifies", async () => {
      const event = {
        message: "verbose",
        actor: "alice",
        action: "login",
        timestamp: "2024-01-02T03:04:05.123456",
      };
      const result = await logVerbose({ event });
      assert.deepEqual(Object.keys(result).sort(), [
        "envelope",
        "hash",
        "membership_proof",
        "unpublished_root",
      ]);
      assert.deepEqual(Object.keys(result.envelope).sort(), ["event", "received_at"]);
      assert.deepEqual(result.envelope.event, event);
      assert.match(result.envelope.received_at, RECEIVED_AT);
      assert.equal(result.hash, hashEnvelope(result.envelope));
      assert.match(result.unpublished_root, HEX64);
      assert.ok(
        verifyMembership({
          leafHash: result.hash,
          rootHash: result.unpublished_root,
          proof: result.membership_proof,
        }),
      );
      const stored = await storedHashes();
      assert.equal(stored.at(-1), result.hash);
      assert.equal(prefixRoots(stored).at(-1), result.unpublished_root);
    });

    it("stores objects as canonical JSON strings and drops null fields", async () => {
      const result = await logVerbose({
        event: { message: { z: [1, { y: true, x: null }], a: "é" }, new: ["b", "a"], old: null, actor: null },
      });
      assert.deepEqual(result.envelope.event, {
        message: '{"a":"é","z":[1,{"x":null,"y":true}]}',
        new: '["b","a"]',
      });
      assert.equal(result.hash, hashEnvelope(result.envelope));
    });

    it("keeps a client signature and stores a JSON public_key with sorted keys", async () => {
      const privateKey = generateSigningKey();
      const event = { message: "signed", actor: "bob" };
      const signature = signText(JSON.stringify({ actor: "bob", message: "signed" }), privateKey);
      const key = publicKeyPem(privateKey);
      const result = await logVerbose({
        event,
        signature,
        public_key: JSON.stringify({ key, algorithm: "ED25519" }),
      });
      assert.equal(result.envelope.signature, signature);
      assert.equal(result.envelope.public_key, JSON.stringify({ algorithm: "ED25519", key }));
      assert.equal(result.hash, hashEnvelope(result.envelope));
    });

    it("received_at strictly increases from one call to the next", async () => {
      let last = "";
      for (let i = 0; i < 8; i++) {
        const { envelope } = await logVerbose({ event: { message: `tick ${i}` } });
        assert.match(envelope.received_at, RECEIVED_AT);
        assert.ok(envelope.received_at > last, `${envelope.received_at} after ${last}`);
        last = envelope.received_at;
      }
    });

    it("with a known prev_root answers a consistency proof from that root to the new one", async () => {
      const first = await logVerbose({ event: { message: "a" } });
      const second = await logVerbose({ event: { message: "b" }, prev_root: first.unpublished_root });
      assert.ok(second.consistency_proof && second.consistency_proof.length > 0);
      assert.ok(
        verifyConsistency({
          oldRoot: first.unpublished_root,
          newRoot: second.unpublished_root,
          proof: second.consistency_proof,
        }),
      );
      // A root from several appends back works too, and the proof does not verify against another root.
      await logVerbose({ event: { message: "c" } });
      const fourth = await logVerbose({ event: { message: "d" }, prev_root: first.unpublished_root });
      assert.ok(
        verifyConsistency({
          oldRoot: first.unpublished_root,
          newRoot: fourth.unpublished_root,
          proof: fourth.consistency_proof!,
        }),
      );
      assert.ok(
        !verifyConsistency({
          oldRoot: second.unpublished_root,
          newRoot: fourth.unpublished_root,
          proof: fourth.consistency_proof!,
        }),
      );
    });

    it("answers no consistency_proof without prev_root or with a prev_root the tree never had", async () => {
      const without = await logVerbose({ event: { message: "no prev" } });
      assert.equal("consistency_proof" in without, false);
      const unknown = await logVerbose({ event: { message: "unknown prev" }, prev_root: "ab".repeat(32) });
      assert.equal("consistency_proof" in unknown, false);
      assert.deepEqual(Object.keys(unknown).sort(), [
        "envelope",
        "hash",
        "membership_proof",
        "unpublished_root",
      ]);
    });

    it("works the same under /audit/v1/log, and both layouts write one tree", async () => {
      const bare = await logVerbose({ event: { message: "bare" } });
      const prefixed = await logVerbose(
        { event: { message: "prefixed" }, prev_root: bare.unpublished_root },
        "/audit",
      );
      assert.equal(prefixed.hash, hashEnvelope(prefixed.envelope));
      assert.ok(
        verifyMembership({
          leafHash: prefixed.hash,
          rootHash: prefixed.unpublished_root,
          proof: prefixed.membership_proof,
        }),
      );
      assert.ok(
        verifyConsistency({
          oldRoot: bare.unpublished_root,
          newRoot: prefixed.unpublished_root,
          proof: prefixed.consistency_proof!,
        }),
      );
      assert.deepEqual((await storedHashes()).slice(-2), [bare.hash, prefixed.hash]);
    });

    it("accepts the token's own config_id, and answers Unauthorized for a config id it does not cover", async () => {
      const own = await post("/v1/log", { event: { message: "own config" }, config_id: server.configId });
      assertSuccess(own);
      const sizeBefore = (await storedHashes()).length;
      assertUnauthorized(
        await post("/v1/log", { event: { message: "other" }, config_id: `pci_${"a".repeat(32)}` }),
      );
      assert.equal((await storedHashes()).length, sizeBefore);
    });
  });

  describe("v2/log", () => {
    for (const prefix of ["", "/audit"]) {
      it(`${prefix}/v2/log answers one result per event in request order; envelopes only when verbose`, async () => {
        const messages = ["one", "two", "three", "four", "five"];
        const events = messages.map((message, i) => ({ event: { message, actor: `user${i}` } }));
        const sizeBefore = (await storedHashes()).length;

        const verbose = await post(`${prefix}/v2/log`, { events, verbose: true });
        assertSuccess(verbose);
        assert.deepEqual(Object.keys(verbose.body.result), ["results"]);
        const results = verbose.body.result.results as { hash: string; envelope: Envelope }[];
        assert.equal(results.length, messages.length);
        let last = "";
        results.forEach((item, i) => {
          assert.deepEqual(Object.keys(item).sort(), ["envelope", "hash"]);
          assert.deepEqual(item.envelope.event, events[i]!.event);
          assert.equal(item.hash, hashEnvelope(item.envelope));
          assert.match(item.envelope.received_at, RECEIVED_AT);
          assert.ok(item.envelope.received_at > last);
          last = item.envelope.received_at;
        });

        const terse = await post(`${prefix}/v2/log`, { events });
        assertSuccess(terse);
        const terseResults = terse.body.result.results as { hash: string }[];
        for (const item of terseResults) assert.deepEqual(Object.keys(item), ["hash"]);

        // In request order means at consecutive leaves, in that order.
        const stored = (await storedHashes()).slice(sizeBefore);
        assert.deepEqual(
          stored,
          [...results, ...terseResults].map((r) => r.hash),
        );
      });
    }
  });

  describe("v2/log_async and request polling", () => {
    /** Polls `GET request/{id}` until it is no longer Accepted, at most `attempts` times. */
    async function poll(id: string, token = server.auditToken, prefix = ""): Promise<ApiResponse> {
      for (let attempt = 0; attempt < 200; attempt++) {
        const response = await fetchApi(`${server.url}${prefix}/request/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (response.body.status !== "Accepted") return response;
        assert.equal(response.status, 202);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.fail(`request ${id} was still pending after 200 polls`);
    }

    async function logAsync(body: Record<string, unknown>, prefix = ""): Promise<string> {
      const response = await post(`${prefix}/v2/log_async`, body);
      assertEnvelope(response);
      assert.equal(response.status, 202);
      assert.equal(response.body.status, "Accepted");
      const id = response.body["request_id"] as string;
      assert.deepEqual(response.body.result, {
        ttl_mins: server.config.asyncResultTtlMinutes,
        retry_counter: 0,
        location: `${server.url}/request/${id}`,
      });
      return id;
    }

    it("answers 202 Accepted, then the same token polls 200 Success with a v2/log result", async () => {
      const events = [{ event: { message: "async 1" } }, { event: { message: "async 2", target: "t" } }];
      const id = await logAsync({ events, verbose: true });
      const done = await poll(id);
      assertSuccess(done);
      assert.equal(done.body["request_id"], id);
      assert.deepEqual(Object.keys(done.body.result), ["results"]);
      const results = done.body.result.results as { hash: string; envelope: Envelope }[];
      assert.equal(results.length, 2);
      results.forEach((item, i) => {
        assert.deepEqual(Object.keys(item).sort(), ["envelope", "hash"]);
        assert.deepEqual(item.envelope.event, events[i]!.event);
        assert.equal(item.hash, hashEnvelope(item.envelope));
      });
      assert.deepEqual(
        (await storedHashes()).slice(-2),
        results.map((r) => r.hash),
      );
      // Polling again gives the same finished answer.
      assert.deepEqual((await poll(id)).body.result, done.body.result);
    });

    it("without verbose the polled result carries hashes only; /audit/request works too", async () => {
      const id = await logAsync({ events: [{ event: { message: "async terse" } }] }, "/audit");
      const done = await poll(id, server.auditToken, "/audit");
      assertSuccess(done);
      const results = done.body.result.results as { hash: string }[];
      assert.equal(results.length, 1);
      assert.deepEqual(Object.keys(results[0]!), ["hash"]);
      assert.equal((await storedHashes()).at(-1), results[0]!.hash);
    });

    it("answers Unauthorized to another valid token, and to no token", async () => {
      const id = await logAsync({ events: [{ event: { message: "mine" } }] });
      assertSuccess(await poll(id));
      const created = await postJson(
        `${server.url}/v1/admin/token/create`,
        { name: "second audit token", grants: { audit: { configs: [server.configId] } } },
        server.adminToken,
      );
      assertSuccess(created);
      const other = { secret: created.body.result.token as string };
      // The second token works on the data plane, so only ownership can refuse it.
      assertSuccess(await postJson(`${server.url}/v1/log`, { event: { message: "second" } }, other.secret));
      assertUnauthorized(
        await fetchApi(`${server.url}/request/${id}`, {
          headers: { authorization: `Bearer ${other.secret}` },
        }),
      );
      assertUnauthorized(await fetchApi(`${server.url}/request/${id}`));
    });

    it("answers 404 NotFound for an unknown, malformed or expired id", async () => {
      const store = server.service.store;
      const expired = `prq_${"c".repeat(32)}`;
      const token = await store.tokens.findTokenBySecretHash(hashSecret(server.auditToken));
      await store.jobs.createAsyncRequest({
        id: expired,
        tokenId: token!.id,
        configId: server.configId,
        endpoint: "v2/log_async",
        state: "done",
        payload: "",
        result: JSON.stringify({ results: [] }),
        createdAt: "2020-01-01T00:00:00.000Z",
        expiresAt: "2020-01-02T00:00:00.000Z",
      });
      for (const id of [`prq_${"a".repeat(32)}`, "prq_short", "nothing", expired]) {
        for (const prefix of ["", "/audit"]) {
          const response = await fetchApi(`${server.url}${prefix}/request/${id}`, {
            headers: { authorization: `Bearer ${server.auditToken}` },
          });
          assertEnvelope(response);
          assert.equal(response.status, 404);
          assert.equal(response.body.status, "NotFound");
          assert.equal(response.body.result, null);
        }
      }
    });
  });

  describe("v1/root", () => {
    it("answers the current size and root, and every size 1..n with a proof from n-1", async () => {
      await post("/v2/log", { events: [1, 2, 3].map((i) => ({ event: { message: `root ${i}` } })) });
      const hashes = await storedHashes();
      const roots = prefixRoots(hashes);
      const n = hashes.length;
      assert.ok(n >= 20, "the earlier tests left a tree of some size");

      const latest = await post("/v1/root", {});
      assertSuccess(latest);
      assert.deepEqual(Object.keys(latest.body.result), ["data"]);
      const data = latest.body.result.data;
      assert.deepEqual(Object.keys(data).sort(), [
        "consistency_proof",
        "published_at",
        "root_hash",
        "size",
        "tree_name",
        "url",
      ]);
      assert.equal(data.size, n);
      assert.equal(data.root_hash, roots[n]);
      assert.match(data.tree_name, HEX64);
      assert.equal(typeof data.url, "string");
      assert.ok(data.url.length > 0);

      let lastPublished = "";
      for (let size = 1; size <= n; size++) {
        const response = await post("/v1/root", { tree_size: size });
        assertSuccess(response);
        const root = response.body.result.data;
        assert.equal(root.size, size);
        assert.equal(root.root_hash, roots[size], `root at size ${size}`);
        assert.equal(root.tree_name, data.tree_name);
        assert.match(root.published_at, RECEIVED_AT);
        assert.ok(root.published_at >= lastPublished, "a larger tree is not published earlier");
        lastPublished = root.published_at;
        if (size === 1) {
          assert.ok(root.consistency_proof === undefined || root.consistency_proof.length === 0);
        } else {
          assert.ok(Array.isArray(root.consistency_proof) && root.consistency_proof.length >= 1);
          assert.ok(
            verifyConsistency({
              oldRoot: roots[size - 1]!,
              newRoot: roots[size]!,
              proof: root.consistency_proof,
            }),
            `consistency ${size - 1} -> ${size}`,
          );
        }
      }
    });

    it("answers TreeNotFound with an error at /tree_size for a size beyond the tree", async () => {
      const n = (await storedHashes()).length;
      for (const treeSize of [n + 1, n + 1000]) {
        assertApiError(await post("/v1/root", { tree_size: treeSize }), {
          http: 404,
          status: "TreeNotFound",
          errors: [{ code: "NotWithinRange", source: "/tree_size" }],
        });
      }
    });

    it("answers the same under /audit/v1/root and without a body", async () => {
      const bare = await post("/v1/root", {});
      const prefixed = await post("/audit/v1/root", {});
      const noBody = await fetchApi(`${server.url}/v1/root`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.auditToken}` },
      });
      for (const response of [prefixed, noBody]) {
        assertSuccess(response);
        assert.deepEqual(response.body.result, bare.body.result);
      }
    });
  });

  describe("a bad token", () => {
    const calls: [string, string, unknown][] = [
      ["POST", "/v1/log", { event: { message: "no" } }],
      ["POST", "/audit/v1/log", { event: { message: "no" } }],
      ["POST", "/v2/log", { events: [{ event: { message: "no" } }] }],
      ["POST", "/v2/log_async", { events: [{ event: { message: "no" } }] }],
      ["POST", "/v1/root", {}],
      ["GET", `/request/prq_${"a".repeat(32)}`, undefined],
    ];
    const headers: [string, Record<string, string>][] = [
      ["a missing Authorization header", {}],
      ["the Basic scheme", { authorization: `Basic ${Buffer.from("user:pass").toString("base64")}` }],
      ["a bare token without scheme", { authorization: TEST_AUDIT_TOKEN }],
      ["an empty bearer", { authorization: "Bearer " }],
      ["an unknown token", { authorization: "Bearer pts_unknown00000000000000000000000000000" }],
      ["the admin credential", { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }],
    ];
    for (const [label, header] of headers) {
      it(`${label} answers Unauthorized, "Not authorized to access this resource", no errors, nothing stored`, async () => {
        const sizeBefore = (await storedHashes()).length;
        for (const [method, path, body] of calls) {
          const response = await fetchApi(`${server.url}${path}`, {
            method,
            headers: { ...header, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          assertUnauthorized(response);
        }
        assert.equal((await storedHashes()).length, sizeBefore);
      });
    }
  });
});

describe("polling a request another process holds", () => {
  let server: TestServer;
  before(async () => {
    // This process looks for async work only when told to, so only the lease below decides who works it.
    server = await startTestServer({ VERITRAIL_ASYNC_POLL_MS: "600000" });
  });
  after(() => server.close());

  it("answers 202 Accepted with the polled id and the Accepted result while the request is pending", async () => {
    const store = server.service.store;
    const token = await store.tokens.findTokenBySecretHash(hashSecret(server.auditToken));
    const id = `prq_${"b".repeat(32)}`;
    // The runner's pass at start-up may still be looking for work: let it finish first.
    await server.service.jobs.whenIdle();
    await store.jobs.createAsyncRequest({
      id,
      tokenId: token!.id,
      configId: server.configId,
      endpoint: "v2/log_async",
      state: "pending",
      payload: JSON.stringify({ entries: [{ event: { message: "held elsewhere" } }], verbose: false }),
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const claimed = await store.jobs.claimAsyncRequests("another-process", Date.now(), 3_600_000, 10);
    assert.deepEqual(
      claimed.map((r) => r.id),
      [id],
    );
    for (const prefix of ["", "/audit"]) {
      const pending = await fetchApi(`${server.url}${prefix}/request/${id}`, {
        headers: { authorization: `Bearer ${server.auditToken}` },
      });
      assertEnvelope(pending);
      assert.equal(pending.status, 202);
      assert.equal(pending.body.status, "Accepted");
      assert.equal(pending.body["request_id"], id);
      assert.equal(pending.headers.get("x-request-id"), id);
      assert.deepEqual(pending.body.result, {
        ttl_mins: server.config.asyncResultTtlMinutes,
        retry_counter: 0,
        location: `${server.url}/request/${id}`,
      });
    }
    assertUnauthorized(
      await fetchApi(`${server.url}/request/${id}`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      }),
    );
  });
});
