// Hostile and malformed requests against a real server: every one answers the Pangea envelope
// with a ValidationError (or the named status) whose errors point at the bad field, stores
// nothing, and leaves the server serving (wire-protocol §3.1, §4.1, §4.2, §4.4, §6).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ApiResponse,
  assertEnvelope,
  assertValidationError,
  type ExpectedError,
  fetchApi,
  logOne,
  treeSize,
} from "./support/api-assertions.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

/** POSTs raw bytes with exactly the given headers (fetch adds no content-type for a Uint8Array). */
function postRaw(url: string, body: string, headers: Record<string, string>): Promise<ApiResponse> {
  return fetchApi(url, { method: "POST", headers, body: new TextEncoder().encode(body) });
}

/** `n` valid bulk entries. */
function entries(n: number): { event: Record<string, unknown> }[] {
  return Array.from({ length: n }, (_, i) => ({ event: { message: `bulk ${i}` } }));
}

describe("bad input on an empty tree", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("stores nothing for any rejected request: v1/root still answers TreeNotFound, then a good log succeeds", async () => {
    const bad: [string, unknown][] = [
      ["/v1/log", "{not json"],
      ["/v1/log", [{ event: { message: "in an array" } }]],
      ["/v1/log", { event: { message: "m", bogus: 1 } }],
      ["/v1/log", { event: { message: "m" }, verbose: "yes" }],
      ["/v2/log", { events: [...entries(3), { event: { message: "m", bogus: 1 } }] }],
      ["/v2/log_async", { events: [...entries(2), { event: { message: "" } }] }],
      ["/v2/log", { events: entries(1001) }],
    ];
    for (const [path, body] of bad) {
      const response = await postJson(`${server.url}${path}`, body, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.body.status, "ValidationError", `${path} ${JSON.stringify(body).slice(0, 80)}`);
      const root = await postJson(`${server.url}/v1/root`, {}, server.auditToken);
      assertEnvelope(root);
      assert.equal(root.body.status, "TreeNotFound");
      assert.equal(root.status, 404);
    }
    await logOne(server);
    assert.equal(await treeSize(server), 1);
  });
});

describe("bad input", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  /**
   * Sends a bad request and checks the exact answer, that the tree did not grow, and that a
   * good log right after it succeeds.
   */
  async function expectRejected(
    send: () => Promise<ApiResponse>,
    errors: ExpectedError[],
    http = 400,
  ): Promise<ApiResponse> {
    const sizeBefore = await treeSize(server);
    const response = await send();
    assertValidationError(response, errors, http);
    assert.equal(await treeSize(server), sizeBefore, "nothing was stored");
    await logOne(server);
    assert.equal(await treeSize(server), sizeBefore + 1, "the server keeps serving");
    return response;
  }

  const post = (path: string, body: unknown) => () =>
    postJson(`${server.url}${path}`, body, server.auditToken);

  describe("the body as a whole", () => {
    it("a malformed JSON body answers BadFormat at the root pointer", async () => {
      await expectRejected(post("/v1/log", '{"event": {"message": "m"'), [{ code: "BadFormat", source: "" }]);
    });

    it("an empty body with content-type application/json answers BadFormat", async () => {
      await expectRejected(post("/v1/log", ""), [{ code: "BadFormat", source: "" }]);
    });

    for (const [label, body] of [
      ["an array", "[]"],
      ["a string", '"event"'],
      ["a number", "42"],
      ["null", "null"],
    ] as const) {
      it(`a body that is ${label} answers only InvalidObject at the root pointer`, async () => {
        for (const path of ["/v1/log", "/v2/log", "/v2/log_async"]) {
          await expectRejected(post(path, body), [{ code: "InvalidObject", source: "" }]);
        }
        // v1/root takes no body at all, and reads a JSON null like that.
        if (body !== "null") {
          await expectRejected(post("/v1/root", body), [{ code: "InvalidObject", source: "" }]);
        }
      });
    }

    it("a body without content-type answers HTTP 415 BadFormat", async () => {
      const response = await expectRejected(
        () =>
          postRaw(`${server.url}/v1/log`, JSON.stringify({ event: { message: "m" } }), {
            authorization: `Bearer ${server.auditToken}`,
          }),
        [{ code: "BadFormat", source: "" }],
        415,
      );
      assert.match(response.body["summary"] as string, /application\/json/);
    });

    it("a form-encoded body answers HTTP 415 BadFormat", async () => {
      await expectRejected(
        () =>
          postRaw(`${server.url}/v1/log`, "event=x", {
            authorization: `Bearer ${server.auditToken}`,
            "content-type": "application/x-www-form-urlencoded",
          }),
        [{ code: "BadFormat", source: "" }],
        415,
      );
    });

    it("a text/plain body, even one holding JSON, answers HTTP 415 BadFormat", async () => {
      await expectRejected(
        () =>
          postRaw(`${server.url}/v1/log`, JSON.stringify({ event: { message: "m" } }), {
            authorization: `Bearer ${server.auditToken}`,
            "content-type": "text/plain",
          }),
        [{ code: "BadFormat", source: "" }],
        415,
      );
    });

    it("unknown top-level fields answer UnexpectedProperty at each field's pointer", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m" }, bogus: 1, "a/b~c": true }), [
        { code: "UnexpectedProperty", source: "/bogus" },
        { code: "UnexpectedProperty", source: "/a~1b~0c" },
      ]);
      await expectRejected(post("/v2/log", { events: entries(1), prev_root: "0".repeat(64) }), [
        { code: "UnexpectedProperty", source: "/prev_root" },
      ]);
      await expectRejected(post("/v1/root", { tree_size: 1, size: 1 }), [
        { code: "UnexpectedProperty", source: "/size" },
      ]);
    });

    it("reports every problem of one request together", async () => {
      await expectRejected(
        post("/v1/log", { event: { actor: 7, bogus: "x" }, verbose: 1, prev_root: "ABC", extra: null }),
        [
          { code: "UnexpectedProperty", source: "/extra" },
          { code: "InvalidBool", source: "/verbose" },
          { code: "DoesNotMatchPattern", source: "/prev_root" },
          { code: "InvalidString", source: "/event/actor" },
          { code: "UnexpectedProperty", source: "/event/bogus" },
          { code: "FieldRequired", source: "/event/message" },
        ],
      );
    });
  });

  describe("v1/log", () => {
    it("no event answers FieldRequired at /event", async () => {
      await expectRejected(post("/v1/log", {}), [{ code: "FieldRequired", source: "/event" }]);
      await expectRejected(post("/v1/log", { verbose: true }), [{ code: "FieldRequired", source: "/event" }]);
    });

    it("an event that is not an object answers InvalidObject at /event", async () => {
      await expectRejected(post("/v1/log", { event: "hello" }), [
        { code: "InvalidObject", source: "/event" },
      ]);
      await expectRejected(post("/v1/log", { event: [{ message: "m" }] }), [
        { code: "InvalidObject", source: "/event" },
      ]);
    });

    it("an event without message, or with an empty one, answers exactly one error at /event/message", async () => {
      await expectRejected(post("/v1/log", { event: { actor: "alice" } }), [
        { code: "FieldRequired", source: "/event/message" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "" } }), [
        { code: "BelowMinLength", source: "/event/message" },
      ]);
    });

    it("verbose as a string answers InvalidBool at /verbose", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m" }, verbose: "true" }), [
        { code: "InvalidBool", source: "/verbose" },
      ]);
    });

    it("standard fields of the wrong type answer at their own pointers", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m", actor: 42 } }), [
        { code: "InvalidString", source: "/event/actor" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: true } }), [
        { code: "InvalidString", source: "/event/message" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m", timestamp: 1700000000 } }), [
        { code: "InvalidString", source: "/event/timestamp" },
      ]);
    });

    it("a timestamp that is not a date-time answers BadFormatDateTime", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m", timestamp: "yesterday" } }), [
        { code: "BadFormatDateTime", source: "/event/timestamp" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m", timestamp: "2024-02-30T10:00:00Z" } }), [
        { code: "BadFormatDateTime", source: "/event/timestamp" },
      ]);
    });

    it("unknown event fields answer UnexpectedProperty under /event", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m", bogus: "x" } }), [
        { code: "UnexpectedProperty", source: "/event/bogus" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m", received_at: "x" } }), [
        { code: "UnexpectedProperty", source: "/event/received_at" },
      ]);
    });

    it("fields one character over their size answer AboveMaxLength", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m", actor: "a".repeat(129) } }), [
        { code: "AboveMaxLength", source: "/event/actor" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m", action: "a".repeat(33) } }), [
        { code: "AboveMaxLength", source: "/event/action" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m".repeat(32767) } }), [
        { code: "AboveMaxLength", source: "/event/message" },
      ]);
      // Sizes count code points: 32767 astral characters are 65534 UTF-16 units.
      await expectRejected(post("/v1/log", { event: { message: "😀".repeat(32767) } }), [
        { code: "AboveMaxLength", source: "/event/message" },
      ]);
    });

    it("fields exactly at their size are accepted and stored as sent", async () => {
      const event = {
        message: "😀".repeat(32766),
        actor: "a".repeat(128),
        action: "b".repeat(32),
        status: "c".repeat(32),
        source: "d".repeat(128),
        target: "e".repeat(128),
        tenant_id: "f".repeat(128),
        new: "g".repeat(32766),
        old: "h".repeat(32766),
      };
      const response = await postJson(`${server.url}/v1/log`, { event, verbose: true }, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.body.status, "Success");
      assert.deepEqual(response.body.result.envelope.event, event);
    });

    it("a signature without public_key (or the reverse) answers IsDependentOn at the missing one", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m" }, signature: "c2lnbmF0dXJl" }), [
        { code: "IsDependentOn", source: "/public_key" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m" }, public_key: "a2V5" }), [
        { code: "IsDependentOn", source: "/signature" },
      ]);
    });

    it("a signature that is not base64 or too long answers at /signature", async () => {
      const withKey = { event: { message: "m" }, public_key: "a2V5" };
      await expectRejected(post("/v1/log", { ...withKey, signature: "not base64!" }), [
        { code: "DoesNotMatchPattern", source: "/signature" },
      ]);
      await expectRejected(post("/v1/log", { ...withKey, signature: "A".repeat(257) }), [
        { code: "AboveMaxLength", source: "/signature" },
      ]);
    });

    it("prev_root that is not 64 lower-case hex answers at /prev_root", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m" }, prev_root: "A".repeat(64) }), [
        { code: "DoesNotMatchPattern", source: "/prev_root" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m" }, prev_root: 12 }), [
        { code: "InvalidString", source: "/prev_root" },
      ]);
    });

    it("a config_id that is not a config id answers DoesNotMatchPattern at /config_id", async () => {
      await expectRejected(post("/v1/log", { event: { message: "m" }, config_id: "default" }), [
        { code: "DoesNotMatchPattern", source: "/config_id" },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m" }, config_id: 5 }), [
        { code: "DoesNotMatchPattern", source: "/config_id" },
      ]);
    });
  });

  describe("v2/log and v2/log_async", () => {
    for (const path of ["/v2/log", "/v2/log_async"]) {
      it(`${path}: no events answers FieldRequired at /events`, async () => {
        await expectRejected(post(path, {}), [{ code: "FieldRequired", source: "/events" }]);
        await expectRejected(post(path, { event: { message: "m" } }), [
          { code: "UnexpectedProperty", source: "/event" },
          { code: "FieldRequired", source: "/events" },
        ]);
      });

      it(`${path}: events that is not an array answers InvalidArray at /events`, async () => {
        await expectRejected(post(path, { events: { event: { message: "m" } } }), [
          { code: "InvalidArray", source: "/events" },
        ]);
      });

      it(`${path}: an empty events array answers BelowMinItems at /events`, async () => {
        await expectRejected(post(path, { events: [] }), [{ code: "BelowMinItems", source: "/events" }]);
      });

      it(`${path}: 1001 events answer AboveMaxItems at /events`, async () => {
        await expectRejected(post(path, { events: entries(1001) }), [
          { code: "AboveMaxItems", source: "/events" },
        ]);
      });

      it(`${path}: one bad event among good ones rejects the whole request, pointing into /events/i`, async () => {
        const events: unknown[] = entries(6);
        events[3] = { event: { message: "m", bogus: 1 } };
        events[5] = { event: { message: "m" }, bogus: 2 };
        await expectRejected(post(path, { events }), [
          { code: "UnexpectedProperty", source: "/events/3/event/bogus" },
          { code: "UnexpectedProperty", source: "/events/5/bogus" },
        ]);
      });

      it(`${path}: an entry that is not an object answers only InvalidObject at /events/i`, async () => {
        await expectRejected(post(path, { events: [...entries(1), "m"] }), [
          { code: "InvalidObject", source: "/events/1" },
        ]);
      });

      it(`${path}: entry-level problems point into the entry`, async () => {
        await expectRejected(
          post(path, {
            events: [
              { event: { message: "" } },
              { event: "m" },
              {},
              { event: { message: "m", action: "x".repeat(33) }, signature: "c2ln" },
            ],
            verbose: "no",
          }),
          [
            { code: "InvalidBool", source: "/verbose" },
            { code: "BelowMinLength", source: "/events/0/event/message" },
            { code: "InvalidObject", source: "/events/1/event" },
            { code: "FieldRequired", source: "/events/2/event" },
            { code: "AboveMaxLength", source: "/events/3/event/action" },
            { code: "IsDependentOn", source: "/events/3/public_key" },
          ],
        );
      });
    }

    it("1000 events, the most allowed, are accepted", async () => {
      const response = await postJson(`${server.url}/v2/log`, { events: entries(1000) }, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.body.status, "Success");
      assert.equal(response.body.result.results.length, 1000);
    });
  });

  describe("v1/root", () => {
    for (const [label, treeSizeValue, code] of [
      ["a string", "1", "InvalidInteger"],
      ["a fraction", 1.5, "InvalidInteger"],
      ["0", 0, "NotWithinRange"],
      ["-1", -1, "NotWithinRange"],
    ] as const) {
      it(`tree_size as ${label} answers ${code} at /tree_size`, async () => {
        await expectRejected(post("/v1/root", { tree_size: treeSizeValue }), [
          { code, source: "/tree_size" },
        ]);
      });
    }
  });

  describe("unknown routes", () => {
    for (const [method, path] of [
      ["POST", "/v1/nothing"],
      ["POST", "/audit/v1/nothing"],
      ["GET", "/v1/log"],
      ["GET", "/audit/v1/root"],
      ["POST", "/v3/log"],
      ["POST", "/other/v1/log"],
      // `/` redirects to the web console (http/routes/console-static.ts).
      ["GET", "/nothing"],
    ] as const) {
      it(`${method} ${path} answers the NotFound envelope with HTTP 404`, async () => {
        const response = await fetchApi(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${server.auditToken}`, "content-type": "application/json" },
          ...(method === "POST" ? { body: "{}" } : {}),
        });
        assertEnvelope(response);
        assert.equal(response.status, 404);
        assert.equal(response.body.status, "NotFound");
        assert.equal(response.body.result, null);
      });
    }
  });
});

describe("a body over VERITRAIL_MAX_BODY_BYTES", () => {
  const limit = 4096;
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ VERITRAIL_MAX_BODY_BYTES: String(limit) });
  });
  after(() => server.close());

  /** A v1/log body of exactly `bytes` bytes. */
  function bodyOf(bytes: number): string {
    const empty = JSON.stringify({ event: { message: "" } });
    return JSON.stringify({ event: { message: "m".repeat(bytes - empty.length) } });
  }

  it("answers HTTP 413 ValidationError IsTooBig one byte over the limit and for far larger bodies", async () => {
    for (const bytes of [limit + 1, 64 * limit]) {
      const before = await treeSize(server);
      const response = await postJson(`${server.url}/v1/log`, bodyOf(bytes), server.auditToken);
      assertValidationError(response, [{ code: "IsTooBig", source: "" }], 413);
      assert.equal(await treeSize(server), before);
      await logOne(server);
    }
  });

  it("accepts a body of exactly the limit", async () => {
    const body = bodyOf(limit);
    assert.equal(Buffer.byteLength(body), limit);
    const response = await postJson(`${server.url}/v1/log`, body, server.auditToken);
    assertEnvelope(response);
    assert.equal(response.body.status, "Success");
  });
});
