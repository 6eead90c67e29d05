// The configuration admin API (`v1beta/config…`, product-features §1, §2, §9): defaults,
// reading and listing with filters and cursors, updates guarded by updated_at with a fixed
// schema, deletion that keeps the events, signing-key rotation, and bad bodies that create
// nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { STANDARD_SCHEMA } from "../src/ingest/event-schema.js";
import { adminPost, type ConfigView, createConfig, createTokenFor, successResult } from "./support/admin.js";
import {
  type ApiResponse,
  assertApiError,
  assertUnauthorized,
  assertValidationError,
  type ExpectedError,
} from "./support/api-assertions.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const CONFIG_ID = /^pci_[a-z2-7]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A small custom schema: `message` required, and fields of several types. */
const CUSTOM_FIELDS = [
  { id: "message", name: "Message", type: "text", size: 4096, required: true },
  { id: "actor", name: "Actor", type: "string", size: 128, description: "who" },
  { id: "count", name: "Count", type: "integer" },
  { id: "secret", name: "Secret", type: "string", size: 64, redact: true },
];

/** A list answer. */
interface ConfigList {
  count: number;
  last?: string;
  items: ConfigView[];
}

describe("the configuration admin API", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const admin = (path: string, body: unknown) => adminPost(server, path, body);
  const get = async (id: string) => successResult<ConfigView>(await admin("/v1beta/config", { id }));
  const list = async (body: Record<string, unknown> = {}) =>
    successResult<ConfigList>(await admin("/v1beta/config/list", body));
  const count = async () => (await list({ size: 1 })).count;

  /** Every configuration of the project, by paging with the default order. */
  async function listAll(body: Record<string, unknown> = {}): Promise<ConfigView[]> {
    const items: ConfigView[] = [];
    let last: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await list({ ...body, size: 2, ...(last ? { last } : {}) });
      items.push(...result.items);
      if (result.last === undefined) return items;
      last = result.last;
    }
    assert.fail("paging did not end within 100 pages");
  }

  describe("create", () => {
    it("defaults to a v3 configuration with the standard schema, 14d hot storage and no signing", async () => {
      const created = await createConfig(server, { name: "defaults" });
      assert.match(created.id, CONFIG_ID);
      assert.equal(created.name, "defaults");
      assert.equal(created.version, 3);
      assert.deepEqual(created.schema, STANDARD_SCHEMA);
      assert.deepEqual(
        created.schema.fields.map((f) => f["id"]),
        ["message", "actor", "action", "status", "source", "target", "tenant_id", "new", "old", "timestamp"],
      );
      assert.equal(created.schema.fields.find((f) => f["id"] === "message")!["required"], true);
      assert.equal(created.hot_storage, "14d");
      assert.equal(created.vault_sign, false);
      assert.equal("vault_key_id" in created, false);
      assert.match(created.created_at, ISO_TIME);
      assert.equal(created.updated_at, created.created_at);
      assert.match(created.tree_name, HEX64);
    });

    it("gives every configuration its own id and tree, which the store holds empty", async () => {
      const a = await createConfig(server);
      const b = await createConfig(server);
      const original = await get(server.configId);
      assert.equal(new Set([a.id, b.id, original.id]).size, 3);
      assert.equal(new Set([a.tree_name, b.tree_name, original.tree_name]).size, 3);
      for (const config of [a, b]) {
        const head = await server.service.store.log.getTreeHead(config.id);
        assert.equal(head?.treeName, config.tree_name);
        assert.equal(head?.size, 0);
      }
    });

    it("get answers what create answered", async () => {
      const created = await createConfig(server, { name: "read back", schema: { fields: CUSTOM_FIELDS } });
      assert.deepEqual(await get(created.id), created);
    });

    it("keeps a custom schema, retention, redaction and vault signing as given; cold storage 0d is allowed", async () => {
      const created = await createConfig(server, {
        name: "custom",
        version: 3,
        schema: { fields: CUSTOM_FIELDS, save_malformed: "all" },
        hot_storage: "7d",
        warm_storage: "90d",
        cold_storage: "0d",
        vault_sign: true,
        redaction: { enabled: true, mask: "[x]" },
      });
      assert.deepEqual(created.schema, { fields: CUSTOM_FIELDS, save_malformed: "all" });
      assert.equal(created.hot_storage, "7d");
      assert.equal(created.warm_storage, "90d");
      assert.equal(created.cold_storage, "0d");
      assert.equal(created.vault_sign, true);
      assert.match(created.vault_key_id!, /^pvi_[a-z2-7]{32}$/);
      assert.deepEqual(created.redaction, { enabled: true, mask: "[x]" });
    });

    it("gives string fields without a size the largest one, and none to other types", async () => {
      const created = await createConfig(server, {
        schema: {
          fields: [
            { id: "message", type: "string", required: true },
            { id: "n", type: "integer" },
          ],
        },
      });
      assert.deepEqual(created.schema.fields, [
        { id: "message", type: "string", required: true, size: 32766 },
        { id: "n", type: "integer" },
      ]);
    });
  });

  describe("create with a bad body answers ValidationError and creates nothing", () => {
    const message = { id: "message", type: "string", required: true };
    const cases: { name: string; body: Record<string, unknown>; errors: ExpectedError[] }[] = [
      {
        name: "an unknown field type",
        body: { name: "x", schema: { fields: [message, { id: "ratio", type: "float" }] } },
        errors: [{ code: "NotEnumMember", source: "/schema/fields/1/type" }],
      },
      {
        name: "a duplicate field id",
        body: { name: "x", schema: { fields: [message, { id: "message", type: "text" }] } },
        errors: [{ code: "ItemNotUnique", source: "/schema/fields/1/id" }],
      },
      {
        name: "a field id that is not lower-case snake case",
        body: { name: "x", schema: { fields: [message, { id: "Bad-Id", type: "string" }] } },
        errors: [{ code: "DoesNotMatchPattern", source: "/schema/fields/1/id" }],
      },
      {
        name: "a field named received_at",
        body: { name: "x", schema: { fields: [message, { id: "received_at", type: "datetime" }] } },
        errors: [{ code: "InvalidConst", source: "/schema/fields/1/id" }],
      },
      {
        name: "no required field",
        body: { name: "x", schema: { fields: [{ id: "message", type: "string" }] } },
        errors: [{ code: "MustProvideOne", source: "/schema/fields" }],
      },
      {
        name: "a size on an integer field",
        body: { name: "x", schema: { fields: [message, { id: "n", type: "integer", size: 10 }] } },
        errors: [{ code: "UnexpectedProperty", source: "/schema/fields/1/size" }],
      },
      {
        name: "redact on a boolean field",
        body: { name: "x", schema: { fields: [message, { id: "b", type: "boolean", redact: true }] } },
        errors: [{ code: "UnexpectedProperty", source: "/schema/fields/1/redact" }],
      },
      {
        name: "an empty field list",
        body: { name: "x", schema: { fields: [] } },
        errors: [{ code: "BelowMinItems", source: "/schema/fields" }],
      },
      {
        name: "a schema without fields",
        body: { name: "x", schema: {} },
        errors: [{ code: "FieldRequired", source: "/schema/fields" }],
      },
      {
        name: "an unknown save_malformed policy",
        body: { name: "x", schema: { fields: [message], save_malformed: "some" } },
        errors: [{ code: "NotEnumMember", source: "/schema/save_malformed" }],
      },
      {
        name: "a duration that is not a Pangea duration",
        body: { name: "x", hot_storage: "14 days" },
        errors: [{ code: "BadFormatPangeaDuration", source: "/hot_storage" }],
      },
      {
        name: "hot storage beyond 14 days",
        body: { name: "x", hot_storage: "15d" },
        errors: [{ code: "NotWithinRange", source: "/hot_storage" }],
      },
      {
        name: "cold storage on but shorter than 180 days",
        body: { name: "x", cold_storage: "30d" },
        errors: [{ code: "NotWithinRange", source: "/cold_storage" }],
      },
      {
        name: "version 2",
        body: { name: "x", version: 2 },
        errors: [{ code: "InvalidConst", source: "/version" }],
      },
      {
        name: "an unknown top-level field",
        body: { name: "x", colour: "blue" },
        errors: [{ code: "UnexpectedProperty", source: "/colour" }],
      },
      {
        name: "an id chosen by the caller",
        body: { name: "x", id: `pci_${"a".repeat(32)}` },
        errors: [{ code: "UnexpectedProperty", source: "/id" }],
      },
      {
        name: "no name",
        body: { hot_storage: "7d" },
        errors: [{ code: "FieldRequired", source: "/name" }],
      },
      {
        name: "several problems at once, each with its pointer",
        body: { version: 2, hot_storage: "15d", schema: { fields: [message, { id: "9x", type: "string" }] } },
        errors: [
          { code: "FieldRequired", source: "/name" },
          { code: "InvalidConst", source: "/version" },
          { code: "NotWithinRange", source: "/hot_storage" },
          { code: "DoesNotMatchPattern", source: "/schema/fields/1/id" },
        ],
      },
    ];
    for (const { name, body, errors } of cases) {
      it(`${name}: ${errors.map((e) => `${e.code} at ${e.source}`).join(", ")}`, async () => {
        const before = await count();
        assertValidationError(await admin("/v1beta/config/create", body), errors);
        assert.equal(await count(), before);
      });
    }
  });

  describe("list", () => {
    /** Configurations made for this block, oldest first; the first one is updated before the tests. */
    let ours: ConfigView[];
    before(async () => {
      ours = [];
      for (let i = 0; i < 5; i++) ours.push(await createConfig(server, { name: `listed ${i}` }));
      const first = ours[0]!;
      ours[0] = successResult<ConfigView>(
        await admin("/v1beta/config/update", {
          id: first.id,
          updated_at: first.updated_at,
          name: "listed 0b",
        }),
      );
    });
    const ourIds = () => ours.map((c) => c.id);

    it("pages through every configuration exactly once with size and the last cursor, count on every page", async () => {
      const everything = await list({ size: 1000 });
      assert.equal(everything.last, undefined);
      assert.equal(everything.items.length, everything.count);
      for (const order of ["asc", "desc"]) {
        for (const order_by of ["id", "created_at", "updated_at"]) {
          const seen: string[] = [];
          let last: string | undefined;
          let pages = 0;
          do {
            const page = await list({ order, order_by, size: 2, ...(last ? { last } : {}) });
            assert.equal(page.count, everything.count);
            assert.ok(page.items.length >= 1 && page.items.length <= 2);
            seen.push(...page.items.map((c) => c.id));
            last = page.last;
            pages += 1;
          } while (last !== undefined && pages < 100);
          assert.equal(seen.length, everything.count, `${order} by ${order_by}`);
          assert.equal(new Set(seen).size, everything.count, `${order} by ${order_by}: no repeats`);
          assert.equal(pages, Math.ceil(everything.count / 2));
        }
      }
    });

    it("orders by id ascending and descending", async () => {
      const filter = { id__in: ourIds() };
      const asc = (await list({ filter, order_by: "id", order: "asc" })).items.map((c) => c.id);
      assert.deepEqual(asc, [...ourIds()].sort());
      const desc = (await list({ filter, order_by: "id", order: "desc" })).items.map((c) => c.id);
      assert.deepEqual(desc, [...ourIds()].sort().reverse());
    });

    it("orders by created_at by default, and by updated_at, where the updated configuration comes last", async () => {
      const filter = { id__in: ourIds() };
      const byCreation = (await list({ filter })).items;
      const key = (c: ConfigView, field: "created_at" | "updated_at") => `${c[field]} ${c.id}`;
      assert.deepEqual(
        byCreation.map((c) => c.id),
        [...byCreation]
          .sort((a, b) => key(a, "created_at").localeCompare(key(b, "created_at")))
          .map((c) => c.id),
      );
      const byUpdate = (await list({ filter, order_by: "updated_at" })).items;
      assert.equal(byUpdate.at(-1)!.id, ours[0]!.id);
      assert.equal((await list({ filter, order_by: "updated_at", order: "desc" })).items[0]!.id, ours[0]!.id);
    });

    it("filters by id, id__in and id__contains", async () => {
      const target = ours[2]!;
      assert.deepEqual(
        (await list({ filter: { id: target.id } })).items.map((c) => c.id),
        [target.id],
      );
      const some = [ours[1]!.id, ours[3]!.id];
      const inResult = await list({ filter: { id__in: [...some, `pci_${"z".repeat(32)}`] }, order_by: "id" });
      assert.equal(inResult.count, 2);
      assert.deepEqual(
        inResult.items.map((c) => c.id),
        [...some].sort(),
      );
      const contains = await list({ filter: { id__contains: [target.id.slice(10, 30)] } });
      assert.deepEqual(
        contains.items.map((c) => c.id),
        [target.id],
      );
      assert.equal((await list({ filter: { id__contains: ["pci_"] } })).count, await count());
      assert.equal((await list({ filter: { id: `pci_${"z".repeat(32)}` } })).count, 0);
    });

    it("filters by created_at and updated_at with exact, gt, gte, lt and lte", async () => {
      const all = await listAll();
      const pivot = ours[2]!.created_at;
      const expect = (test: (t: number) => boolean, field: "created_at" | "updated_at" = "created_at") =>
        all
          .filter((c) => test(Date.parse(c[field])))
          .map((c) => c.id)
          .sort();
      const at = Date.parse(pivot);
      const cases: [string, (t: number) => boolean][] = [
        ["created_at", (t) => t === at],
        ["created_at__gt", (t) => t > at],
        ["created_at__gte", (t) => t >= at],
        ["created_at__lt", (t) => t < at],
        ["created_at__lte", (t) => t <= at],
      ];
      for (const [key, test] of cases) {
        const result = await list({ filter: { [key]: pivot }, order_by: "id", size: 1000 });
        assert.deepEqual(
          result.items.map((c) => c.id),
          expect(test),
          key,
        );
        assert.equal(result.count, result.items.length);
      }
      // The strict and inclusive bounds differ exactly by the configurations created at the pivot.
      assert.ok(expect((t) => t === at).includes(ours[2]!.id));
      const updated = ours[0]!.updated_at;
      const after = await list({ filter: { updated_at__gte: updated }, order_by: "id", size: 1000 });
      assert.ok(after.items.some((c) => c.id === ours[0]!.id));
      assert.deepEqual(
        after.items.map((c) => c.id),
        expect((t) => t >= Date.parse(updated), "updated_at"),
      );
      const beforeUpdate = await list({ filter: { updated_at__lt: updated, id__in: ourIds() } });
      assert.equal(
        beforeUpdate.items.some((c) => c.id === ours[0]!.id),
        false,
      );
    });

    it("counts every match even when the page is smaller, and combines filters", async () => {
      const result = await list({
        filter: { id__in: ourIds(), created_at__gte: ours[1]!.created_at },
        size: 1,
      });
      assert.equal(result.items.length, 1);
      assert.equal(
        result.count,
        ours.filter((c) => Date.parse(c.created_at) >= Date.parse(ours[1]!.created_at)).length,
      );
      assert.equal(typeof result.last, "string");
    });

    it("refuses a bad order, order_by, size, cursor or filter with each pointer", async () => {
      assertValidationError(
        await admin("/v1beta/config/list", {
          order: "up",
          order_by: "name",
          size: 0,
          last: "bm90IGEgY3Vyc29y",
          filter: { name: "x", created_at__gt: "yesterday", id__in: "pci_x" },
        }),
        [
          { code: "DoesNotMatchPattern", source: "/order" },
          { code: "DoesNotMatchPattern", source: "/order_by" },
          { code: "NotWithinRange", source: "/size" },
          { code: "BadFormat", source: "/last" },
          { code: "UnexpectedProperty", source: "/filter/name" },
          { code: "BadFormatDateTime", source: "/filter/created_at__gt" },
          { code: "InvalidArray", source: "/filter/id__in" },
        ],
      );
    });
  });

  describe("update", () => {
    it("changes name, retention and vault_sign, moves updated_at forward and keeps the rest", async () => {
      const created = await createConfig(server, { name: "before", warm_storage: "30d" });
      const updated = successResult<ConfigView>(
        await admin("/v1beta/config/update", {
          id: created.id,
          updated_at: created.updated_at,
          version: 3,
          name: "after",
          hot_storage: "7d",
          cold_storage: "365d",
          vault_sign: true,
        }),
      );
      assert.equal(updated.name, "after");
      assert.equal(updated.hot_storage, "7d");
      assert.equal(updated.warm_storage, "30d");
      assert.equal(updated.cold_storage, "365d");
      assert.equal(updated.vault_sign, true);
      assert.match(updated.vault_key_id!, /^pvi_[a-z2-7]{32}$/);
      assert.deepEqual(updated.schema, created.schema);
      assert.equal(updated.created_at, created.created_at);
      assert.equal(updated.tree_name, created.tree_name);
      assert.ok(updated.updated_at > created.updated_at, "updated_at moves forward");
      assert.deepEqual(await get(created.id), updated);
    });

    it("answers Conflict (HTTP 409, BadState at /updated_at) for a stale updated_at, and changes nothing", async () => {
      const created = await createConfig(server, { name: "contended" });
      const first = successResult<ConfigView>(
        await admin("/v1beta/config/update", {
          id: created.id,
          updated_at: created.updated_at,
          name: "first",
        }),
      );
      const stale = await admin("/v1beta/config/update", {
        id: created.id,
        updated_at: created.updated_at,
        name: "second",
        hot_storage: "1d",
        vault_sign: true,
      });
      assertApiError(stale, {
        http: 409,
        status: "Conflict",
        errors: [{ code: "BadState", source: "/updated_at" }],
      });
      assert.deepEqual(await get(created.id), first);
    });

    it("requires updated_at and an existing id", async () => {
      const created = await createConfig(server);
      assertValidationError(await admin("/v1beta/config/update", { id: created.id, name: "no stamp" }), [
        { code: "FieldRequired", source: "/updated_at" },
      ]);
      assertApiError(
        await admin("/v1beta/config/update", {
          id: `pci_${"q".repeat(32)}`,
          updated_at: created.updated_at,
          name: "ghost",
        }),
        { http: 404, status: "NotFound", errors: [{ code: "DoesNotExist", source: "/id" }] },
      );
      assert.deepEqual(await get(created.id), created);
    });

    it("validates retention on update like on create, and changes nothing", async () => {
      const created = await createConfig(server);
      assertValidationError(
        await admin("/v1beta/config/update", {
          id: created.id,
          updated_at: created.updated_at,
          hot_storage: "15d",
          cold_storage: "2 years",
          version: 1,
        }),
        [
          { code: "NotWithinRange", source: "/hot_storage" },
          { code: "BadFormatPangeaDuration", source: "/cold_storage" },
          { code: "InvalidConst", source: "/version" },
        ],
      );
      assert.deepEqual(await get(created.id), created);
    });

    describe("keeps the schema fixed: a change answers IsReadOnly at its pointer and changes nothing", () => {
      type Fields = Record<string, unknown>[];
      const cases: {
        name: string;
        change: (fields: Fields) => Fields;
        save?: string;
        errors: ExpectedError[];
      }[] = [
        {
          name: "a field's type",
          change: (f) => f.map((x) => (x["id"] === "actor" ? { ...x, type: "text" } : x)),
          errors: [{ code: "IsReadOnly", source: "/schema/fields/1/type" }],
        },
        {
          name: "a field's size",
          change: (f) => f.map((x) => (x["id"] === "actor" ? { ...x, size: 256 } : x)),
          errors: [{ code: "IsReadOnly", source: "/schema/fields/1/size" }],
        },
        {
          name: "whether a field is required",
          change: (f) => f.map((x) => (x["id"] === "actor" ? { ...x, required: true } : x)),
          errors: [{ code: "IsReadOnly", source: "/schema/fields/1/required" }],
        },
        {
          name: "whether a field is redacted",
          change: (f) => f.map((x) => (x["id"] === "secret" ? { ...x, redact: false } : x)),
          errors: [{ code: "IsReadOnly", source: "/schema/fields/3/redact" }],
        },
        {
          name: "an added field",
          change: (f) => [...f, { id: "extra", type: "string" }],
          errors: [{ code: "IsReadOnly", source: "/schema/fields" }],
        },
        {
          name: "a removed field",
          change: (f) => f.filter((x) => x["id"] !== "count"),
          errors: [{ code: "IsReadOnly", source: "/schema/fields" }],
        },
        {
          name: "a renamed field id",
          change: (f) => f.map((x) => (x["id"] === "count" ? { ...x, id: "total" } : x)),
          errors: [{ code: "IsReadOnly", source: "/schema/fields" }],
        },
        {
          name: "save_malformed",
          change: (f) => f,
          save: "all",
          errors: [{ code: "IsReadOnly", source: "/schema/save_malformed" }],
        },
      ];
      for (const { name, change, save, errors } of cases) {
        it(name, async () => {
          const created = await createConfig(server, { schema: { fields: CUSTOM_FIELDS } });
          const response = await admin("/v1beta/config/update", {
            id: created.id,
            updated_at: created.updated_at,
            name: "renamed too",
            schema: {
              fields: change(structuredClone(created.schema.fields)),
              save_malformed: save ?? "reject",
            },
          });
          assertValidationError(response, errors);
          assert.deepEqual(await get(created.id), created);
        });
      }
    });

    it("allows changing field names, descriptions, default visibility and order", async () => {
      const created = await createConfig(server, { schema: { fields: CUSTOM_FIELDS } });
      const fields = structuredClone(created.schema.fields);
      fields[1] = { ...fields[1], name: "Who", description: "the acting user", ui_default_visible: false };
      fields[2] = { ...fields[2], description: "how many" };
      const reordered = [fields[3]!, fields[2]!, fields[1]!, fields[0]!];
      const updated = successResult<ConfigView>(
        await admin("/v1beta/config/update", {
          id: created.id,
          updated_at: created.updated_at,
          schema: { fields: reordered, save_malformed: "reject" },
        }),
      );
      assert.deepEqual(updated.schema, { fields: reordered, save_malformed: "reject" });
      assert.deepEqual((await get(created.id)).schema, updated.schema);
    });
  });

  describe("delete", () => {
    it("hides the configuration from get, list, update and the data plane, and keeps its events", async () => {
      const created = await createConfig(server, { name: "doomed" });
      const token = await createTokenFor(server, created.id);
      const logged = await postJson(
        `${server.url}/v1/log`,
        { event: { message: "kept forever" }, verbose: true },
        token.token,
      );
      const hash = successResult(logged).hash as string;
      const envelope = successResult(logged).envelope;
      const countBefore = await count();

      const deleted = await admin("/v1beta/config/delete", { id: created.id });
      assert.equal(successResult<ConfigView>(deleted).id, created.id);

      const notFound = { http: 404, status: "NotFound", errors: [{ code: "DoesNotExist", source: "/id" }] };
      assertApiError(await admin("/v1beta/config", { id: created.id }), notFound);
      assertApiError(await admin("/v1beta/config/delete", { id: created.id }), notFound);
      assertApiError(
        await admin("/v1beta/config/update", {
          id: created.id,
          updated_at: created.updated_at,
          name: "back",
        }),
        notFound,
      );
      assertApiError(await admin("/v1beta/config/signing_key/rotate", { id: created.id }), notFound);
      assert.equal(await count(), countBefore - 1);
      assert.equal(
        (await listAll()).some((c) => c.id === created.id),
        false,
      );
      assert.equal((await list({ filter: { id: created.id } })).count, 0);

      const data = (path: string, body: Record<string, unknown>) =>
        postJson(`${server.url}${path}`, { config_id: created.id, ...body }, token.token);
      assertUnauthorized(await data("/v1/log", { event: { message: "too late" } }));
      assertUnauthorized(await data("/v2/log", { events: [{ event: { message: "too late" } }] }));
      assertUnauthorized(await data("/v1/root", {}));
      // Without config_id the token's grant now covers no configuration at all.
      assertApiError(await postJson(`${server.url}/v1/log`, { event: { message: "x" } }, token.token), {
        http: 400,
        status: "MissingConfigID",
        errors: [],
      });

      const head = await server.service.store.log.getTreeHead(created.id);
      assert.equal(head?.size, 1);
      assert.equal(head?.treeName, created.tree_name);
      const leaf = await server.service.store.log.getLeaf(head!.id, 0);
      assert.equal(leaf?.hash.toString("hex"), hash);
      assert.deepEqual(JSON.parse(leaf!.envelope), envelope);
    });

    it("answers NotFound for an id of the wrong shape or that never existed", async () => {
      const notFound = { http: 404, status: "NotFound", errors: [{ code: "DoesNotExist", source: "/id" }] };
      assertApiError(await admin("/v1beta/config/delete", { id: "pci_nope" }), notFound);
      assertApiError(await admin("/v1beta/config", { id: `pci_${"b".repeat(32)}` }), notFound);
      assertValidationError(await admin("/v1beta/config/delete", {}), [
        { code: "FieldRequired", source: "/id" },
      ]);
    });
  });

  describe("signing_key/rotate", () => {
    it("adds a key version under the same key id each time", async () => {
      const created = await createConfig(server, { vault_sign: true });
      const rotate = async () =>
        successResult<{ id: string; vault_key_id: string; vault_key_version: number; public_key: string }>(
          await admin("/v1beta/config/signing_key/rotate", { id: created.id }),
        );
      const second = await rotate();
      assert.deepEqual(Object.keys(second).sort(), ["id", "public_key", "vault_key_id", "vault_key_version"]);
      assert.equal(second.id, created.id);
      assert.equal(second.vault_key_id, created.vault_key_id);
      assert.equal(second.vault_key_version, 2);
      assert.match(second.public_key, /^-----BEGIN PUBLIC KEY-----\n/);
      const third = await rotate();
      assert.equal(third.vault_key_version, 3);
      assert.notEqual(third.public_key, second.public_key);
      assert.equal((await get(created.id)).vault_key_id, created.vault_key_id);
    });

    it("answers BadState at /id when vault_sign is off, and adds no key", async () => {
      const created = await createConfig(server);
      assertValidationError(await admin("/v1beta/config/signing_key/rotate", { id: created.id }), [
        { code: "BadState", source: "/id" },
      ]);
      assert.equal(await server.service.store.configs.getSigningKey(created.id), undefined);
    });
  });

  describe("credentials", () => {
    const endpoints: [string, (c: ConfigView) => Record<string, unknown>][] = [
      ["/v1beta/config", (c) => ({ id: c.id })],
      ["/v1beta/config/create", () => ({ name: "intruder" })],
      ["/v1beta/config/update", (c) => ({ id: c.id, updated_at: c.updated_at, name: "intruder" })],
      ["/v1beta/config/delete", (c) => ({ id: c.id })],
      ["/v1beta/config/signing_key/rotate", (c) => ({ id: c.id })],
      ["/v1beta/config/list", () => ({})],
    ];

    it("refuses the audit token, a bad token and no token on every config endpoint, and changes nothing", async () => {
      const created = await createConfig(server, { vault_sign: true });
      const countBefore = await count();
      for (const [path, body] of endpoints) {
        for (const token of [server.auditToken, `pts_${"x".repeat(40)}`, undefined]) {
          for (const prefix of ["", "/audit"]) {
            const response: ApiResponse = await postJson(
              `${server.url}${prefix}${path}`,
              body(created),
              token,
            );
            assertUnauthorized(response);
          }
        }
      }
      assert.equal(await count(), countBefore);
      assert.deepEqual(await get(created.id), created);
      assert.equal((await server.service.store.configs.getSigningKey(created.id))?.version, 1);
    });

    it("refuses the admin token on the data plane", async () => {
      const sizeBefore = (await server.service.store.log.getTreeHead(server.configId))!.size;
      const calls: [string, Record<string, unknown>][] = [
        ["/v1/log", { event: { message: "admin" } }],
        ["/v1/log", { event: { message: "admin" }, config_id: server.configId }],
        ["/v2/log", { events: [{ event: { message: "admin" } }] }],
        ["/v2/log_async", { events: [{ event: { message: "admin" } }] }],
        ["/v1/root", {}],
      ];
      for (const [path, body] of calls) assertUnauthorized(await admin(path, body));
      assert.equal((await server.service.store.log.getTreeHead(server.configId))!.size, sizeBefore);
    });
  });
});
