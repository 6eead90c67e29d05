// `v1/search`, `v1/results` and `v1/schema` over HTTP (wire-protocol §4.3, product-features (b),
// §4, §5): the query language, limit / max_results / count, paging and BadOffset, the verbose and
// non-verbose shapes with their proofs, sorting by received_at and by a custom field, time windows
// as RFC 3339 and relative durations, and the expiry of a result set, on a fake clock. Every
// refusal is checked for its HTTP status, status string, error code and pointer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Envelope, hashEnvelope, verifyMembership } from "@veritrail/core";
import { type ConfigView, createConfig, createToken, successResult } from "./support/admin.js";
import {
  type ApiResponse,
  assertApiError,
  assertUnauthorized,
  assertValidationError,
  RECEIVED_AT,
} from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import { getConfig } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const HEX64 = /^[0-9a-f]{64}$/;
const RESULT_ID = /^pas_[a-z0-9]{32}$/;
const DAY_MS = 86_400_000;

/** The custom schema of the SDK tests (wire-protocol §6), plus an unindexed field. */
const CUSTOM_FIELDS = [
  { id: "message", type: "text", required: true },
  { id: "field_int", type: "integer" },
  { id: "field_bool", type: "boolean" },
  { id: "field_str_short", type: "string", size: 10 },
  { id: "field_str_long", type: "text" },
  { id: "field_time", type: "datetime" },
  { id: "blob", type: "string-unindexed" },
];

/** One event of a search answer as sent. */
interface WireEvent {
  envelope: Envelope;
  hash: string;
  membership_proof?: string;
  published?: boolean;
  leaf_index?: number;
}

interface WireRoot {
  tree_name: string;
  size: number;
  root_hash: string;
}

interface SearchResult {
  id: string;
  expires_at: string;
  count: number;
  events: WireEvent[];
  unpublished_root?: WireRoot;
  root?: unknown;
}

type ResultsResult = Omit<SearchResult, "id" | "expires_at">;

let tagCount = 0;
/** A marker no other test's events contain, so each test searches only its own. */
function newTag(): string {
  tagCount += 1;
  return `t${process.pid}x${tagCount}x${Math.random().toString(36).slice(2, 8)}`;
}

describe("search API", () => {
  let server: TestServer;
  let clock: FakeClock;
  let standard: ConfigView;
  let custom: { config: ConfigView; token: string };

  before(async () => {
    clock = new FakeClock();
    server = await startTestServer({}, { clock });
    standard = await getConfig(server, server.configId);
    const config = await createConfig(server, { name: "custom", schema: { fields: CUSTOM_FIELDS } });
    const token = await createToken(server, { audit: { configs: [config.id] } });
    custom = { config, token: token.token };
  });
  after(() => server.close());

  const search = (body: unknown, token = server.auditToken): Promise<ApiResponse> =>
    postJson(`${server.url}/v1/search`, body, token);
  const results = (body: unknown, token = server.auditToken): Promise<ApiResponse> =>
    postJson(`${server.url}/v1/results`, body, token);

  async function searchOk(body: Record<string, unknown>, token = server.auditToken): Promise<SearchResult> {
    return successResult<SearchResult>(await search(body, token));
  }
  async function resultsOk(body: Record<string, unknown>, token = server.auditToken): Promise<ResultsResult> {
    return successResult<ResultsResult>(await results(body, token));
  }

  /** Logs events with `v2/log`, in order (each gets a later received_at than the one before). */
  async function logAll(events: Record<string, unknown>[], token = server.auditToken): Promise<string[]> {
    const answer = successResult<{ results: { hash: string }[] }>(
      await postJson(`${server.url}/v2/log`, { events: events.map((event) => ({ event })) }, token),
    );
    return answer.results.map((r) => r.hash);
  }

  /** The messages of a search's events, in answer order. */
  const messages = (events: WireEvent[]) => events.map((e) => e.envelope.event["message"]);

  /** The count of a query over this test's events. */
  async function countOf(query: string, token = server.auditToken): Promise<number> {
    return (await searchOk({ query }, token)).count;
  }

  describe("the query language", () => {
    let tag: string;
    before(async () => {
      tag = newTag();
      await logAll([
        { message: `${tag} one`, actor: "alice", status: "ok" },
        { message: `${tag} two`, actor: "bob", status: "failed" },
        { message: `${tag} three`, actor: "Alice Smith", status: "ok", target: "x-ray" },
      ]);
    });

    it("ANDs field terms, matching case-sensitive substrings with : and whole values with =", async () => {
      assert.equal(await countOf(`message:${tag}`), 3);
      assert.equal(await countOf(`message:${tag} actor:alice`), 1);
      assert.equal(await countOf(`message:${tag} actor:Alice`), 1);
      assert.equal(await countOf(`message:${tag} actor:lic`), 2);
      assert.equal(await countOf(`message:${tag} actor=Alice`), 0);
      assert.equal(await countOf(`message:${tag} actor="Alice Smith"`), 1);
      assert.equal(await countOf(`message:${tag} AND status=ok`), 2);
    });

    it("reads OR, parentheses, negation and free terms", async () => {
      assert.equal(await countOf(`message:${tag} AND (status=failed OR target:x-ray)`), 2);
      assert.equal(await countOf(`message:${tag} -actor:alice`), 2);
      assert.equal(await countOf(`message:${tag} -(status=ok)`), 1);
      assert.equal(await countOf(`${tag} "Alice Smith"`), 1);
      assert.equal(await countOf(`${tag} x-ray`), 1);
    });

    it('matches every event with message:"" and with the empty query', async () => {
      const all = await countOf('message:""');
      assert.ok(all >= 3, `message:"" found ${all}`);
      assert.equal(await countOf(""), all);
    });

    it("refuses a query it cannot read: ValidationError, BadFormat at /query", async () => {
      for (const query of [`message:${tag} AND (`, "nosuch:x", "actor>5", "a OR )", 'message:"open']) {
        assertValidationError(await search({ query }), [{ code: "BadFormat", source: "/query" }]);
      }
      // string-unindexed fields are stored but cannot be searched (product-features §2).
      assertValidationError(await search({ query: "blob:x" }, custom.token), [
        { code: "BadFormat", source: "/query" },
      ]);
    });

    it("compares integers, booleans and date-times of a custom schema", async () => {
      const t = newTag();
      await logAll(
        [
          { message: `${t} a`, field_int: 3, field_bool: true, field_time: "2024-05-01T10:00:00Z" },
          { message: `${t} b`, field_int: 10, field_bool: false, field_time: "2024-06-01T10:00:00Z" },
          { message: `${t} c`, field_int: -5, blob: "not searchable" },
        ],
        custom.token,
      );
      const count = (q: string) => countOf(`message:${t} ${q}`, custom.token);
      assert.equal(await count("field_int>2"), 2);
      assert.equal(await count("field_int<0"), 1);
      assert.equal(await count("field_int=10"), 1);
      assert.equal(await count("field_bool=true"), 1);
      assert.equal(await count('field_time>"2024-05-15"'), 1);
      assert.equal(await count(`field_str_short:""`), 0);
      // The standard configuration knows no field_int: the query is refused there.
      assertValidationError(await search({ query: "field_int>2" }), [
        { code: "BadFormat", source: "/query" },
      ]);
    });
  });

  describe("limit, max_results and count", () => {
    let tag: string;
    before(async () => {
      tag = newTag();
      await logAll([1, 2, 3, 4, 5].map((n) => ({ message: `${tag} ${n}` })));
    });

    it("gives limit events on the first page and counts matches up to max_results", async () => {
      const capped = await searchOk({ query: `message:${tag}`, limit: 2, max_results: 3 });
      assert.equal(capped.events.length, 2);
      assert.equal(capped.count, 3);
      const all = await searchOk({ query: `message:${tag}`, limit: 2 });
      assert.equal(all.count, 5);
      assert.equal(all.events.length, 2);
      const defaults = await searchOk({ query: `message:${tag}` });
      assert.equal(defaults.events.length, 5, "20 per page by default");
      const one = await searchOk({ query: `message:${tag}`, max_results: 1, limit: 10 });
      assert.equal(one.count, 1);
      assert.equal(one.events.length, 1);
    });

    it("refuses bad fields of a search, each at its pointer", async () => {
      const q = { query: `message:${tag}` };
      const cases: [Record<string, unknown> | unknown[], { code: string; source: string }[]][] = [
        [{ ...q, limit: 0 }, [{ code: "NotWithinRange", source: "/limit" }]],
        [{ ...q, limit: 1001 }, [{ code: "NotWithinRange", source: "/limit" }]],
        [{ ...q, limit: "5" }, [{ code: "InvalidInteger", source: "/limit" }]],
        [{ ...q, max_results: 0 }, [{ code: "NotWithinRange", source: "/max_results" }]],
        [{ ...q, max_results: 10_001 }, [{ code: "NotWithinRange", source: "/max_results" }]],
        [{ ...q, max_results: 2.5 }, [{ code: "InvalidInteger", source: "/max_results" }]],
        [{ ...q, order: "up" }, [{ code: "NotEnumMember", source: "/order" }]],
        [{ ...q, order_by: "nosuch" }, [{ code: "NotEnumMember", source: "/order_by" }]],
        [{ ...q, order_by: 5 }, [{ code: "InvalidString", source: "/order_by" }]],
        [{ ...q, start: "yesterday" }, [{ code: "BadFormatDateTime", source: "/start" }]],
        [{ ...q, end: "2024-13-01T00:00:00Z" }, [{ code: "BadFormatDateTime", source: "/end" }]],
        [{ ...q, end: 5 }, [{ code: "InvalidString", source: "/end" }]],
        [{ ...q, start: "1d", end: "2d" }, [{ code: "NotWithinRange", source: "/start" }]],
        [{ ...q, verbose: "yes" }, [{ code: "InvalidBool", source: "/verbose" }]],
        [{ ...q, return_context: 1 }, [{ code: "InvalidBool", source: "/return_context" }]],
        [{ ...q, search_restriction: "acme" }, [{ code: "InvalidObject", source: "/search_restriction" }]],
        [
          { ...q, search_restriction: { actor: "alice" } },
          [{ code: "InvalidArray", source: "/search_restriction/actor" }],
        ],
        [
          { ...q, search_restriction: { actor: ["alice", 7] } },
          [{ code: "InvalidString", source: "/search_restriction/actor/1" }],
        ],
        [
          { ...q, search_restriction: { message: ["x"] } },
          [{ code: "UnexpectedProperty", source: "/search_restriction/message" }],
        ],
        [
          { ...q, search_restriction: { tenant_id: ["x".repeat(257)] } },
          [{ code: "AboveMaxLength", source: "/search_restriction/tenant_id/0" }],
        ],
        [
          { ...q, search_restriction: { target: Array.from({ length: 101 }, (_, i) => `t${i}`) } },
          [{ code: "AboveMaxItems", source: "/search_restriction/target" }],
        ],
        [{ ...q, tree_size: 3 }, [{ code: "UnexpectedProperty", source: "/tree_size" }]],
        [{}, [{ code: "FieldRequired", source: "/query" }]],
        [{ query: 5 }, [{ code: "InvalidString", source: "/query" }]],
        [
          { query: "(", limit: -1, order: "sideways" },
          [
            { code: "BadFormat", source: "/query" },
            { code: "NotWithinRange", source: "/limit" },
            { code: "NotEnumMember", source: "/order" },
          ],
        ],
        [[q], [{ code: "InvalidObject", source: "" }]],
      ];
      for (const [body, errors] of cases) {
        assertValidationError(await search(body), errors);
      }
      // A custom field is a sort key of its own configuration only, and never an unindexed one.
      assertValidationError(await search({ ...q, order_by: "field_int" }), [
        { code: "NotEnumMember", source: "/order_by" },
      ]);
      assertValidationError(await search({ query: "", order_by: "blob" }, custom.token), [
        { code: "NotEnumMember", source: "/order_by" },
      ]);
    });
  });

  describe("paging with v1/results", () => {
    let tag: string;
    let made: SearchResult;
    before(async () => {
      tag = newTag();
      await logAll([1, 2, 3, 4, 5].map((n) => ({ message: `${tag} ${n}` })));
      made = await searchOk({ query: `message:${tag}`, order: "asc", limit: 2 });
    });

    it("pages the stored result in order, with the search's count", async () => {
      assert.match(made.id, RESULT_ID);
      assert.deepEqual(messages(made.events), [`${tag} 1`, `${tag} 2`]);
      const seen: unknown[] = [];
      for (const offset of [0, 2, 4]) {
        const page = await resultsOk({ id: made.id, limit: 2, offset });
        assert.equal(page.count, 5);
        seen.push(...messages(page.events));
      }
      assert.deepEqual(
        seen,
        [1, 2, 3, 4, 5].map((n) => `${tag} ${n}`),
      );
      const defaults = await resultsOk({ id: made.id });
      assert.equal(defaults.events.length, 5, "limit 20 and offset 0 by default");
    });

    it("keeps the result as it was: events logged later are not in it", async () => {
      await logAll([{ message: `${tag} 6` }]);
      const page = await resultsOk({ id: made.id, limit: 10 });
      assert.equal(page.count, 5);
      assert.equal(page.events.length, 5);
    });

    it("answers an empty page at offset == count, and BadOffset past it", async () => {
      const end = await resultsOk({ id: made.id, offset: 5 });
      assert.deepEqual(end.events, []);
      assert.equal(end.count, 5);
      assertApiError(await results({ id: made.id, limit: 1, offset: 6 }), {
        http: 400,
        status: "BadOffset",
        errors: [{ code: "NotWithinRange", source: "/offset" }],
      });
    });

    it("refuses a bad results request, each at its pointer", async () => {
      const cases: [Record<string, unknown>, { code: string; source: string }[]][] = [
        [{}, [{ code: "FieldRequired", source: "/id" }]],
        [{ id: 5 }, [{ code: "InvalidString", source: "/id" }]],
        [{ id: "pas_nope" }, [{ code: "DoesNotMatchPattern", source: "/id" }]],
        [{ id: made.id, limit: 0 }, [{ code: "NotWithinRange", source: "/limit" }]],
        [{ id: made.id, limit: 1001 }, [{ code: "NotWithinRange", source: "/limit" }]],
        [{ id: made.id, offset: -1 }, [{ code: "NotWithinRange", source: "/offset" }]],
        [{ id: made.id, offset: "2" }, [{ code: "InvalidInteger", source: "/offset" }]],
        [{ id: made.id, verbose: false }, [{ code: "UnexpectedProperty", source: "/verbose" }]],
        [{ id: made.id, config_id: "pci_XYZ" }, [{ code: "DoesNotMatchPattern", source: "/config_id" }]],
        [
          { id: made.id, assert_search_restriction: [] },
          [{ code: "InvalidObject", source: "/assert_search_restriction" }],
        ],
      ];
      for (const [body, errors] of cases) {
        assertValidationError(await results(body), errors);
      }
    });

    it("answers NotFound for an id no search made", async () => {
      assertApiError(await results({ id: `pas_${"a".repeat(32)}` }), {
        http: 404,
        status: "NotFound",
        errors: [{ code: "DoesNotExist", source: "/id" }],
      });
    });

    it("takes the config_id of the result's own configuration, and checks assert_search_restriction", async () => {
      assert.equal((await resultsOk({ id: made.id, config_id: server.configId })).count, 5);
      // The search had no search_restriction: asserting none (or an empty list) holds; any other fails.
      assert.equal((await resultsOk({ id: made.id, assert_search_restriction: {} })).count, 5);
      assert.equal((await resultsOk({ id: made.id, assert_search_restriction: { actor: [] } })).count, 5);
      assertValidationError(await results({ id: made.id, assert_search_restriction: { actor: ["alice"] } }), [
        { code: "BadState", source: "/assert_search_restriction" },
      ]);
    });
  });

  describe("verbose and non-verbose answers", () => {
    let tag: string;
    let hashes: string[];
    before(async () => {
      tag = newTag();
      hashes = await logAll([1, 2, 3].map((n) => ({ message: `${tag} ${n}`, actor: "verbose" })));
    });

    /** Checks a verbose page: proofs against its unpublished root, nothing published, no root. */
    function assertVerbosePage(answer: ResultsResult, size: number): void {
      assert.equal(answer.root, undefined);
      const root = answer.unpublished_root!;
      assert.deepEqual(Object.keys(root).sort(), ["root_hash", "size", "tree_name"]);
      assert.equal(root.tree_name, standard.tree_name);
      assert.equal(root.size, size);
      assert.match(root.root_hash, HEX64);
      for (const event of answer.events) {
        assert.deepEqual(Object.keys(event).sort(), ["envelope", "hash", "membership_proof", "published"]);
        assert.equal(event.published, false);
        assert.equal(hashEnvelope(event.envelope), event.hash);
        assert.match(event.envelope.received_at, RECEIVED_AT);
        assert.ok(
          verifyMembership({
            leafHash: event.hash,
            rootHash: root.root_hash,
            proof: event.membership_proof!,
          }),
          `membership of ${event.hash} in ${root.size}`,
        );
      }
    }

    it("is verbose by default: proofs against the unpublished root at the size the search saw", async () => {
      const size = successResult<{ data: { size: number } }>(
        await postJson(`${server.url}/v1/root`, {}, server.auditToken),
      ).data.size;
      const answer = await searchOk({ query: `message:${tag}`, order: "asc" });
      assert.deepEqual(Object.keys(answer).sort(), [
        "count",
        "events",
        "expires_at",
        "id",
        "unpublished_root",
      ]);
      assert.deepEqual(
        answer.events.map((e) => e.hash),
        hashes,
      );
      assertVerbosePage(answer, size);

      // Later pages prove against the same root, even after the tree has grown.
      await logAll([{ message: `${tag} later` }]);
      const page = await resultsOk({ id: answer.id, limit: 2, offset: 1 });
      assert.deepEqual(Object.keys(page).sort(), ["count", "events", "unpublished_root"]);
      assert.equal(page.events.length, 2);
      assertVerbosePage(page, size);
    });

    it("without verbose sends only envelope and hash, and no roots, on every page", async () => {
      const answer = await searchOk({ query: `message:${tag} actor=verbose`, verbose: false, limit: 1 });
      assert.deepEqual(Object.keys(answer).sort(), ["count", "events", "expires_at", "id"]);
      assert.equal(answer.count, 3);
      for (const event of answer.events) {
        assert.deepEqual(Object.keys(event).sort(), ["envelope", "hash"]);
        assert.equal(hashEnvelope(event.envelope), event.hash);
      }
      const page = await resultsOk({ id: answer.id, offset: 1 });
      assert.deepEqual(Object.keys(page).sort(), ["count", "events"]);
      assert.equal(page.events.length, 2);
      for (const event of page.events) assert.deepEqual(Object.keys(event).sort(), ["envelope", "hash"]);
    });

    it("answers an empty verbose search with the current root and no events", async () => {
      const answer = await searchOk({ query: `message:${tag}-nothing` });
      assert.equal(answer.count, 0);
      assert.deepEqual(answer.events, []);
      assert.ok(answer.unpublished_root);
    });
  });

  describe("sorting", () => {
    const ACTORS = ["alex", "billie", "casey", "devon", "evan"];

    it("orders by received_at ascending and descending (descending by default)", async () => {
      const tag = newTag();
      // Logged one by one, shuffled by name: received_at order is the logging order.
      for (const actor of ACTORS) await logAll([{ message: tag, actor }]);
      const actors = (events: WireEvent[]) => events.map((e) => e.envelope.event["actor"]);
      const asc = await searchOk({
        query: `message:${tag}`,
        order: "asc",
        order_by: "received_at",
        limit: 5,
      });
      assert.deepEqual(actors(asc.events), ACTORS);
      const desc = await searchOk({ query: `message:${tag}`, order: "desc", limit: 5 });
      assert.deepEqual(actors(desc.events), [...ACTORS].reverse());
      const byDefault = await searchOk({ query: `message:${tag}`, limit: 5 });
      assert.deepEqual(actors(byDefault.events), [...ACTORS].reverse());
      const times = asc.events.map((e) => e.envelope.received_at);
      assert.deepEqual([...times].sort(), times);
      assert.equal(new Set(times).size, times.length, "received_at is strictly increasing");
    });

    it("orders by a standard field", async () => {
      const tag = newTag();
      await logAll(["devon", "alex", "evan", "casey", "billie"].map((actor) => ({ message: tag, actor })));
      const asc = await searchOk({ query: `message:${tag}`, order: "asc", order_by: "actor" });
      assert.deepEqual(
        asc.events.map((e) => e.envelope.event["actor"]),
        ACTORS,
      );
      const desc = await searchOk({ query: `message:${tag}`, order: "desc", order_by: "actor" });
      assert.deepEqual(
        desc.events.map((e) => e.envelope.event["actor"]),
        [...ACTORS].reverse(),
      );
    });

    it("orders by a custom field, and pages in that order", async () => {
      const tag = newTag();
      await logAll(
        [7, -2, 30, 4, 11].map((n) => ({ message: tag, field_int: n })),
        custom.token,
      );
      const ints = (events: WireEvent[]) => events.map((e) => e.envelope.event["field_int"]);
      const asc = await searchOk(
        { query: `message:${tag}`, order: "asc", order_by: "field_int", limit: 2, max_results: 3 },
        custom.token,
      );
      assert.equal(asc.count, 3);
      assert.deepEqual(ints(asc.events), [-2, 4]);
      const rest = await resultsOk({ id: asc.id, offset: 2 }, custom.token);
      assert.deepEqual(ints(rest.events), [7]);
      const desc = await searchOk(
        { query: `message:${tag}`, order: "desc", order_by: "field_int" },
        custom.token,
      );
      assert.deepEqual(ints(desc.events), [30, 11, 7, 4, -2]);
    });
  });

  describe("v1/schema", () => {
    it("answers the configuration's fields with their types, sizes and flags", async () => {
      const schema = successResult<{ fields: Record<string, unknown>[]; save_malformed: string }>(
        await postJson(`${server.url}/v1/schema`, {}, custom.token),
      );
      assert.equal(schema.save_malformed, "reject");
      assert.deepEqual(
        schema.fields.map((f) => [f["id"], f["type"]]),
        CUSTOM_FIELDS.map((f) => [f.id, f.type]),
      );
      const short = schema.fields.find((f) => f["id"] === "field_str_short")!;
      assert.equal(short["size"], 10);
      assert.equal(schema.fields[0]!["required"], true);
      assert.equal(short["required"], false);

      const standardSchema = successResult<{ fields: Record<string, unknown>[] }>(
        await postJson(`${server.url}/v1/schema`, { config_id: server.configId }, server.auditToken),
      );
      assert.deepEqual(
        standardSchema.fields.map((f) => f["id"]),
        standard.schema.fields.map((f) => f["id"]),
      );
      assert.equal(standardSchema.fields.find((f) => f["id"] === "message")!["name"], "Message");
    });

    it("goes through the grant: the endpoint, and only a configuration the token covers", async () => {
      assertUnauthorized(
        await postJson(`${server.url}/v1/schema`, { config_id: custom.config.id }, server.auditToken),
      );
      const logOnly = await createToken(server, {
        audit: { configs: [server.configId], endpoints: ["v1/log"] },
      });
      assertUnauthorized(await postJson(`${server.url}/v1/schema`, {}, logOnly.token));
      assertValidationError(await postJson(`${server.url}/v1/schema`, { fields: [] }, server.auditToken), [
        { code: "UnexpectedProperty", source: "/fields" },
      ]);
    });
  });

  // These move the fake clock forward by days: they come last, and each logs its own events.
  describe("time windows", () => {
    it("reads start and end as RFC 3339 times and as durations back from now", async () => {
      const tag = newTag();
      const t0 = clock.nowMillis();
      await logAll([{ message: `${tag} day0` }]);
      clock.advance(3 * DAY_MS);
      await logAll([{ message: `${tag} day3` }]);
      clock.advance(3 * DAY_MS);
      await logAll([{ message: `${tag} day6` }]);
      clock.advance(1000);
      const found = async (window: Record<string, unknown>) =>
        messages((await searchOk({ query: `message:${tag}`, order: "asc", ...window })).events);

      assert.deepEqual(await found({ start: "4d" }), [`${tag} day3`, `${tag} day6`]);
      assert.deepEqual(await found({ start: "96hour", end: "2d" }), [`${tag} day3`]);
      assert.deepEqual(await found({ start: "30d", end: "0d" }), [
        `${tag} day0`,
        `${tag} day3`,
        `${tag} day6`,
      ]);
      assert.deepEqual(await found({ start: "10080min" }), [`${tag} day0`, `${tag} day3`, `${tag} day6`]);
      const iso = (ms: number) => new Date(ms).toISOString();
      assert.deepEqual(await found({ start: iso(t0 + DAY_MS), end: iso(t0 + 5 * DAY_MS) }), [`${tag} day3`]);
      // Python's form: six fractional digits and a Z; and an offset other than Z.
      const micros = `${iso(t0 + 2 * DAY_MS).slice(0, -1)}000Z`;
      assert.deepEqual(await found({ start: micros }), [`${tag} day3`, `${tag} day6`]);
      const plusTwo = iso(t0 + 2 * DAY_MS + 2 * 3_600_000).replace("Z", "+02:00");
      assert.deepEqual(await found({ start: plusTwo }), [`${tag} day3`, `${tag} day6`]);
      assert.deepEqual(await found({ end: iso(t0 - 1) }), []);
      // Bounds past what any event can have say no more than the edge.
      const everything = [`${tag} day0`, `${tag} day3`, `${tag} day6`];
      assert.deepEqual(await found({ start: "999999999y", end: "9999-12-31T23:59:59.999999Z" }), everything);
      assert.deepEqual(await found({ start: "0001-01-01T00:00:00Z" }), everything);
    });

    it("looks back 14 days when no start is given", async () => {
      const tag = newTag();
      await logAll([{ message: `${tag} old` }]);
      clock.advance(10 * DAY_MS);
      await logAll([{ message: `${tag} new` }]);
      assert.deepEqual(messages((await searchOk({ query: `message:${tag}` })).events), [
        `${tag} new`,
        `${tag} old`,
      ]);
      clock.advance(5 * DAY_MS);
      assert.deepEqual(messages((await searchOk({ query: `message:${tag}` })).events), [`${tag} new`]);
      assert.equal((await searchOk({ query: `message:${tag}`, start: "30d" })).count, 2);
    });

    it("keeps a result set for two days, then answers NotFound", async () => {
      const tag = newTag();
      await logAll([{ message: tag }]);
      const made = await searchOk({ query: `message:${tag}` });
      assert.equal(Date.parse(made.expires_at) - clock.nowMillis(), 2 * DAY_MS);
      clock.advance(2 * DAY_MS - 1000);
      assert.equal((await resultsOk({ id: made.id })).count, 1);
      clock.advancePast(made.expires_at);
      assertApiError(await results({ id: made.id }), {
        http: 404,
        status: "NotFound",
        errors: [{ code: "DoesNotExist", source: "/id" }],
      });
    });
  });
});
