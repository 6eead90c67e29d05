// The guards in front of every route, against a real server on the store the run selects:
// credentials are checked from the headers before a body is read; a parsed body is held to
// bounds on nesting, members and values; and an error answer stays small however bad the
// request (limits.ts). Every refusal asserts the exact HTTP code, status, errors and pointers,
// and that nothing was stored.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  MAX_ECHO_LENGTH,
  MAX_ERRORS_PER_ANSWER,
  MAX_FIELD_NAME_LENGTH,
  MAX_JSON_DEPTH,
  MAX_JSON_OBJECT_KEYS,
  MAX_JSON_VALUES,
} from "../src/limits.js";
import { createConfig, createToken } from "./support/admin.js";
import {
  type ApiResponse,
  assertEnvelope,
  assertUnauthorized,
  assertValidationError,
  type ExpectedError,
  fetchApi,
  logOne,
  treeSize,
} from "./support/api-assertions.js";
import { treeSizeOf } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const UNKNOWN_TOKEN = "pts_unknown00000000000000000000000000000";
const NOT_JSON = '{"event": {"message": "m"';
const DATA_PLANE = ["/v1/log", "/v2/log", "/v2/log_async", "/v1/root", "/audit/v1/log"];
const MANAGEMENT = [
  "/v1beta/config",
  "/v1beta/config/create",
  "/audit/v1beta/config/list",
  "/v1/admin/token/create",
  "/v1/admin/token/list",
];

/** `depth` arrays, each the only item of the one around it: `[[…[]…]]`. */
function nested(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/**
 * Sends only the headers and the first bytes of a body that claims `contentLength` bytes, and
 * reads the answer without ever sending the rest: an answer proves the server did not wait for
 * (let alone parse) the body.
 */
function sendBodyStart(
  url: string,
  headers: Record<string, string>,
  contentLength: number,
): Promise<ApiResponse & { connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": String(contentLength) },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        req.destroy();
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (typeof value === "string") responseHeaders.set(name, value);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: responseHeaders,
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
          connection: res.headers.connection,
        });
      });
    });
    req.write('{"event": {"message": "');
  });
}

describe("guards", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ VERITRAIL_MAX_BODY_BYTES: String(1024 * 1024) });
  });
  after(() => server.close());

  /** Sends a bad request and checks the exact answer and that the tree did not grow. */
  async function expectRejected(
    send: () => Promise<ApiResponse>,
    errors: ExpectedError[],
    http = 400,
  ): Promise<ApiResponse> {
    const sizeBefore = await treeSize(server);
    const response = await send();
    assertValidationError(response, errors, http);
    assert.equal(await treeSize(server), sizeBefore, "nothing was stored");
    return response;
  }

  const post =
    (path: string, body: unknown, token = server.auditToken) =>
    () =>
      postJson(`${server.url}${path}`, body, token);

  describe("authentication comes before the body", () => {
    it("answers a malformed body with a missing, unknown or admin token on the data plane 401, not 400", async () => {
      const sizeBefore = await treeSize(server);
      for (const path of DATA_PLANE) {
        for (const token of [undefined, UNKNOWN_TOKEN, server.adminToken]) {
          assertUnauthorized(await postJson(`${server.url}${path}`, NOT_JSON, token));
        }
      }
      assert.equal(await treeSize(server), sizeBefore, "nothing was stored");
    });

    it("answers a malformed body with a missing, unknown or service token on the admin API 401, not 400", async () => {
      for (const path of MANAGEMENT) {
        for (const token of [undefined, UNKNOWN_TOKEN, server.auditToken]) {
          assertUnauthorized(await postJson(`${server.url}${path}`, NOT_JSON, token));
        }
      }
    });

    it("answers a body nested past the bound with a bad token 401, not AboveMaxDepth", async () => {
      const body = `{"event": {"message": "m", "new": ${nested(20_000)}}}`;
      assertUnauthorized(await postJson(`${server.url}/v1/log`, body, UNKNOWN_TOKEN));
    });

    it("answers a Content-Length over the body limit with a bad token 401 before the body is sent, and closes", async () => {
      const sizeBefore = await treeSize(server);
      for (const authorization of [undefined, `Bearer ${UNKNOWN_TOKEN}`, `Bearer ${server.adminToken}`]) {
        const response = await sendBodyStart(
          `${server.url}/v1/log`,
          authorization === undefined ? {} : { authorization },
          1024 ** 3,
        );
        assertUnauthorized(response);
        assert.equal(response.connection, "close", "the unread upload is not drained");
      }
      assert.equal(await treeSize(server), sizeBefore, "nothing was stored");
    });

    it("still answers the same Content-Length with a valid token 413 IsTooBig", async () => {
      const response = await sendBodyStart(
        `${server.url}/v1/log`,
        { authorization: `Bearer ${server.auditToken}` },
        1024 ** 3,
      );
      assertValidationError(response, [{ code: "IsTooBig", source: "" }], 413);
    });

    it("answers a valid token with a malformed body 400 BadFormat, as before", async () => {
      await expectRejected(post("/v1/log", NOT_JSON), [{ code: "BadFormat", source: "" }]);
      await expectRejected(post("/v1beta/config/create", NOT_JSON, server.adminToken), [
        { code: "BadFormat", source: "" },
      ]);
    });

    it("authenticates GET request/{id} too: no token, an unknown one or the admin credential get 401", async () => {
      const id = `prq_${"a".repeat(32)}`;
      for (const authorization of [undefined, `Bearer ${UNKNOWN_TOKEN}`, `Bearer ${server.adminToken}`]) {
        const response = await fetchApi(`${server.url}/request/${id}`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        assertUnauthorized(response);
      }
      const known = await fetchApi(`${server.url}/request/${id}`, {
        headers: { authorization: `Bearer ${server.auditToken}` },
      });
      assertEnvelope(known);
      assert.equal(known.status, 404);
      assert.equal(known.body.status, "NotFound");
    });
  });

  describe("nesting depth", () => {
    it(`answers an event nested 20,000 levels deep 400 AboveMaxDepth where level ${MAX_JSON_DEPTH + 1} starts`, async () => {
      // The body is level 1, event 2, new 3: level 33 is the array 30 levels inside new.
      const body = `{"event": {"message": "m", "new": ${nested(20_000)}}}`;
      assert.ok(body.length > 40_000);
      await expectRejected(post("/v1/log", body), [
        { code: "AboveMaxDepth", source: `/event/new${"/0".repeat(MAX_JSON_DEPTH - 2)}` },
      ]);
    });

    it("points into the bulk entry for v2/log and v2/log_async", async () => {
      for (const path of ["/v2/log", "/v2/log_async"]) {
        const body = `{"events": [{"event": {"message": "m"}}, {"event": {"message": "m", "new": ${nested(40)}}}]}`;
        await expectRejected(post(path, body), [
          { code: "AboveMaxDepth", source: `/events/1/event/new${"/0".repeat(MAX_JSON_DEPTH - 4)}` },
        ]);
      }
    });

    it("bounds admin bodies alike", async () => {
      const body = `{"name": "deep", "ui_metadata": ${nested(MAX_JSON_DEPTH)}}`;
      await expectRejected(post("/v1beta/config/create", body, server.adminToken), [
        { code: "AboveMaxDepth", source: `/ui_metadata${"/0".repeat(MAX_JSON_DEPTH - 1)}` },
      ]);
    });

    it("accepts a value nested exactly to the bound and stores it as canonical text", async () => {
      const sizeBefore = await treeSize(server);
      const body = `{"event": {"message": "m", "new": ${nested(MAX_JSON_DEPTH - 2)}}, "verbose": true}`;
      const response = await postJson(`${server.url}/v1/log`, body, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.body.status, "Success", JSON.stringify(response.body));
      assert.equal(response.body.result.envelope.event.new, nested(MAX_JSON_DEPTH - 2));
      assert.equal(await treeSize(server), sizeBefore + 1);
    });
  });

  describe("members and values", () => {
    const wide = (n: number) =>
      Object.fromEntries([["message", "m"], ...Array.from({ length: n - 1 }, (_, i) => [`f${i}`, 1])]);

    it(`answers an event of ${MAX_JSON_OBJECT_KEYS + 1} fields 400 AboveMaxProperties at /event, with one error`, async () => {
      await expectRejected(post("/v1/log", { event: wide(MAX_JSON_OBJECT_KEYS + 1) }), [
        { code: "AboveMaxProperties", source: "/event" },
      ]);
    });

    it("answers 20,000 unknown fields with one small error instead of echoing each", async () => {
      const response = await expectRejected(post("/v1/log", { event: wide(20_000) }), [
        { code: "AboveMaxProperties", source: "/event" },
      ]);
      assert.ok(JSON.stringify(response.body).length < 1024, "the answer is under 1 KiB");
    });

    it(`answers a body of more than ${MAX_JSON_VALUES} values 400 IsTooBig where the count passed it`, async () => {
      const body = { event: { message: "m", new: new Array(MAX_JSON_VALUES).fill(0) } };
      await expectRejected(post("/v1/log", body), [{ code: "IsTooBig", source: "/event/new" }]);
    });

    it("still refuses a __proto__ key as malformed JSON", async () => {
      await expectRejected(post("/v1/log", '{"event": {"message": "m"}, "__proto__": {"x": 1}}'), [
        { code: "BadFormat", source: "" },
      ]);
    });
  });

  describe("bounded error answers", () => {
    it(`lists at most ${MAX_ERRORS_PER_ANSWER} errors and one TooManyErrors that counts the rest`, async () => {
      const event = Object.fromEntries([
        ["message", "m"],
        ...Array.from({ length: MAX_JSON_OBJECT_KEYS - 1 }, (_, i) => [`unknown_${i}`, 1]),
      ]);
      const sizeBefore = await treeSize(server);
      const response = await postJson(`${server.url}/v1/log`, { event }, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.status, 400);
      assert.equal(response.body.status, "ValidationError");
      const errors = response.body.result.errors as { code: string; detail: string; source: string }[];
      assert.equal(errors.length, MAX_ERRORS_PER_ANSWER + 1);
      assert.deepEqual(
        errors.slice(0, -1).map((e) => [e.code, e.source]),
        Array.from({ length: MAX_ERRORS_PER_ANSWER }, (_, i) => [
          "UnexpectedProperty",
          `/event/unknown_${i}`,
        ]),
      );
      const last = errors.at(-1)!;
      assert.equal(last.code, "TooManyErrors");
      assert.equal(last.source, "");
      assert.match(last.detail, new RegExp(`^${MAX_JSON_OBJECT_KEYS - 1 - MAX_ERRORS_PER_ANSWER} more`));
      assert.match(String(response.body["summary"]), new RegExp(`and ${MAX_JSON_OBJECT_KEYS - 2} more`));
      assert.ok(JSON.stringify(response.body).length < 16 * 1024, "the answer is under 16 KiB");
      assert.equal(await treeSize(server), sizeBefore, "nothing was stored");
    });

    it("stops checking bulk entries once the list is full, and says where", async () => {
      const events = Array.from({ length: 1000 }, (_, i) => ({
        event: { message: `m${i}`, a: 1, b: 2, c: 3, d: 4, e: 5 },
      }));
      const sizeBefore = await treeSize(server);
      const response = await postJson(`${server.url}/v2/log`, { events }, server.auditToken);
      assertEnvelope(response);
      assert.equal(response.status, 400);
      const errors = response.body.result.errors as { code: string; detail: string; source: string }[];
      // Five problems per entry: the list passes 100 after entry 20, so entry 21 is not read.
      assert.equal(errors.length, MAX_ERRORS_PER_ANSWER + 1);
      assert.deepEqual(errors.at(-2), {
        code: "UnexpectedProperty",
        detail: "e is not a field of this configuration's schema",
        source: "/events/19/event/e",
      });
      assert.equal(errors.at(-1)!.code, "TooManyErrors");
      assert.equal(errors.at(-1)!.source, "/events/21");
      assert.match(errors.at(-1)!.detail, /^5 more .*\/events\/21/);
      assert.equal(await treeSize(server), sizeBefore, "nothing was stored");
    });

    it("cuts a long unknown name in detail and in source to 64 characters and an ellipsis", async () => {
      const name = "x".repeat(MAX_FIELD_NAME_LENGTH);
      const clipped = `${"x".repeat(MAX_ECHO_LENGTH)}…`;
      const response = await expectRejected(post("/v1/log", { event: { message: "m", [name]: 1 } }), [
        { code: "UnexpectedProperty", source: `/event/${clipped}` },
      ]);
      const [error] = response.body.result.errors as { detail: string }[];
      assert.equal(error!.detail, `${clipped} is not a field of this configuration's schema`);
      assert.ok(!String(response.body["summary"]).includes("x".repeat(MAX_ECHO_LENGTH + 1)));
    });

    it(`answers a field name over ${MAX_FIELD_NAME_LENGTH} characters InvalidPropertyName at its (cut) pointer`, async () => {
      const name = "y".repeat(MAX_FIELD_NAME_LENGTH + 1);
      const clipped = `${"y".repeat(MAX_ECHO_LENGTH)}…`;
      await expectRejected(post("/v1/log", { event: { message: "m" }, [name]: 1 }), [
        { code: "InvalidPropertyName", source: `/${clipped}` },
      ]);
      await expectRejected(post("/v1/log", { event: { message: "m", [`${name}/~`]: 1 } }), [
        { code: "InvalidPropertyName", source: `/event/${clipped}` },
      ]);
      await expectRejected(post("/v2/log", { events: [{ event: { message: "m" }, [name]: 1 }] }), [
        { code: "InvalidPropertyName", source: `/events/0/${clipped}` },
      ]);
    });

    it("refuses an over-long field name even where save_malformed keeps bad fields aside", async () => {
      const config = await createConfig(server, {
        name: "keeps malformed",
        schema: { fields: [{ id: "message", type: "text", required: true }], save_malformed: "all" },
      });
      const token = (await createToken(server, { audit: { configs: [config.id] } })).token;
      // An unknown field of ordinary length is kept aside and the event stored...
      const kept = await postJson(`${server.url}/v1/log`, { event: { message: "m", bogus: 1 } }, token);
      assert.equal(kept.body.status, "Success", JSON.stringify(kept.body));
      assert.equal(await treeSizeOf(server, token, config.id), 1);
      // ...but a name over the bound is refused, so it is never stored in envelope.err.
      const name = "z".repeat(MAX_FIELD_NAME_LENGTH + 1);
      const response = await postJson(`${server.url}/v1/log`, { event: { message: "m", [name]: 1 } }, token);
      assertValidationError(response, [
        { code: "InvalidPropertyName", source: `/event/${"z".repeat(MAX_ECHO_LENGTH)}…` },
      ]);
      assert.equal(await treeSizeOf(server, token, config.id), 1, "nothing was stored");
    });

    it("keeps serving after all of it", async () => {
      const sizeBefore = await treeSize(server);
      await logOne(server);
      assert.equal(await treeSize(server), sizeBefore + 1);
    });
  });
});
