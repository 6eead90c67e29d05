import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type FieldRestrictions,
  matchesQuery,
  newId,
  parseQuery,
  type QueryNode,
  restrictQuery,
  type SearchSchema,
} from "@veritrail/core";
import {
  type SearchOrderBy,
  type SearchQuery,
  searchFieldNumbers,
  searchValuesOf,
} from "../contract/search.js";
import type { ConfigSettings, LeafRecord, SchemaField, SequencedBatch, Store } from "../contract/store.js";
import { NOW, newTreeName, type OpenStore, sequenceIndexedEvents } from "./fixtures.js";

/**
 * The search role (store/contract/search.ts): one fixed data set, a table of queries, and for
 * every query the answer core's `matchesQuery` gives over all the events (the reference), in the
 * asked order and cut at the limit. test/store-conformance.test.ts also compares the two
 * backends' answers with each other.
 *
 * @example describeSearchConformance(() => openFreshTestStore("sqlite"));
 */
export function describeSearchConformance(open: OpenStore): void {
  describe("search role", () => {
    let store: Store | undefined;
    let data: SearchData | undefined;
    before(async () => {
      store = await open();
      await store.migrate();
      data = await seedSearchData(store);
    });
    after(async () => {
      await store?.close();
    });
    const current = () => {
      assert.ok(store && data, "the data set is seeded before the cases run");
      return { store, data };
    };

    for (const testCase of SEARCH_CASES) {
      it(`answers ${testCase.name}: ${JSON.stringify(testCase.query)} as the reference does`, async () => {
        const { store, data } = current();
        const { query, reference, hits } = referenceAnswer(testCase, data);
        const answer = await store.search.searchLeaves(query);
        assert.deepEqual(answer.leaves, reference);
        assert.equal(
          answer.treeSize,
          data.trees[testCase.tree].events.length,
          "the size of the tree searched",
        );
        assert.equal(hits, testCase.hits, "the number of events the reference matches");
      });
    }

    it("never reads another tree's events, even where they hold the same values", async () => {
      const { store, data } = current();
      const other = data.trees.other;
      for (const text of ["name=n-3", "count>-100", "", "nota", "-count=3"]) {
        const testCase: SearchCase = { name: "other tree", tree: "other", query: text, hits: -1 };
        const { query, reference } = referenceAnswer(testCase, data);
        const { leaves } = await store.search.searchLeaves(query);
        assert.deepEqual(leaves, reference);
        assert.ok(leaves.every((leaf) => leaf < other.events.length));
      }
      // The custom tree's answer for the same query holds leaves beyond the other tree's size.
      const wide = referenceAnswer(
        { name: "", tree: "custom", query: "count>-100", hits: -1, limit: 500 },
        data,
      );
      assert.ok(
        (await store.search.searchLeaves(wide.query)).leaves.some((leaf) => leaf >= other.events.length),
      );
    });

    // Values common enough that a backend may walk two of them side by side instead of probing
    // each leaf of the rarer (PostgreSQL merges them once its index is vacuumed; see
    // test/store-conformance.test.ts for that case).
    it("answers conjunctions of common exact values as the reference does", async () => {
      const { store } = current();
      await assertCrowdedAnswers(store, await seedCrowdedTree(store));
    });

    it("gets stored events by leaf index in the order asked, leaving out those it does not have", async () => {
      const { store, data } = current();
      const tree = data.trees.standard;
      const leaves = await store.search.getLeaves(tree.treeId, [7, 3, 199, 200, 3, 0]);
      assert.deepEqual(
        leaves.map((l) => l.leafIndex),
        [7, 3, 199, 3, 0],
      );
      for (const leaf of leaves) assert.equal(leaf.envelope, tree.leaves[leaf.leafIndex]?.envelope);
      assert.deepEqual(await store.search.getLeaves(tree.treeId, []), []);
      const other = await store.search.getLeaves(data.trees.other.treeId, [0, 30, 150]);
      assert.deepEqual(
        other.map((l) => l.leafIndex),
        [0],
      );
      assert.equal(other[0]?.envelope, data.trees.other.leaves[0]?.envelope);
    });

    it("stores a result set and reads it back whole", async () => {
      const { store, data } = current();
      const set = {
        id: newId("pas"),
        tokenId: "ptk_search",
        configId: data.trees.standard.configId,
        treeId: data.trees.standard.treeId,
        leaves: [199, 198, 150, 3, 0, 2 ** 40, 7, 7],
        restriction: JSON.stringify({ tenant_id: ["acme"] }),
        verbose: true,
        treeSize: 200,
        createdAt: NOW,
        expiresAt: "2026-01-02T00:00:00.000Z",
      };
      await store.search.createResultSet(set);
      assert.deepEqual(await store.search.getResultSet(set.id), set);
      const large = { ...set, id: newId("pas"), leaves: Array.from({ length: 10_000 }, (_, i) => 9_999 - i) };
      large.verbose = false;
      await store.search.createResultSet(large);
      assert.deepEqual(await store.search.getResultSet(large.id), large);
      assert.equal(await store.search.getResultSet(newId("pas")), undefined);
    });

    it("deletes the result sets that expired, and only those", async () => {
      const { store, data } = current();
      const base = {
        tokenId: "ptk_search",
        configId: data.trees.standard.configId,
        treeId: data.trees.standard.treeId,
        leaves: [1, 2],
        restriction: "{}",
        verbose: false,
        treeSize: 200,
        createdAt: NOW,
      };
      const expired = { ...base, id: newId("pas"), expiresAt: "2026-03-01T00:00:00.000Z" };
      const live = { ...base, id: newId("pas"), expiresAt: "2026-03-01T00:00:02.000Z" };
      await store.search.createResultSet(expired);
      await store.search.createResultSet(live);
      const deleted = await store.search.deleteExpiredResultSets("2026-03-01T00:00:01.000Z");
      assert.ok(deleted >= 1);
      assert.equal(await store.search.getResultSet(expired.id), undefined);
      assert.deepEqual(await store.search.getResultSet(live.id), live);
      assert.equal(await store.search.deleteExpiredResultSets("2026-03-01T00:00:01.000Z"), 0);
    });

    it("indexes nothing of a batch whose append failed", async () => {
      const { store, data } = current();
      const tree = data.trees.other;
      await assert.rejects(
        store.log.appendBatch(tree.treeId, (head) => {
          sequenceSearchEvents(head, [{ name: "lost-event", count: 424242 }], CUSTOM_SCHEMA, 9e15);
          throw new Error("boom");
        }),
        /boom/,
      );
      for (const text of ["name=lost-event", "count=424242", "lost-event"]) {
        const testCase: SearchCase = { name: "", tree: "other", query: text, hits: 0 };
        assert.deepEqual((await store.search.searchLeaves(referenceAnswer(testCase, data).query)).leaves, []);
      }
    });
  });
}

// ---- The data set ------------------------------------------------------------------------------

type EventFields = Record<string, string | number | boolean>;

/** The standard schema's fields and types (ingest/event-schema.ts), which this rank cannot import. */
export const STANDARD_FIELDS: SchemaField[] = [
  { id: "message", type: "text" },
  { id: "actor", type: "string" },
  { id: "action", type: "string" },
  { id: "status", type: "string" },
  { id: "source", type: "string" },
  { id: "target", type: "string" },
  { id: "tenant_id", type: "string" },
  { id: "new", type: "text" },
  { id: "old", type: "text" },
  { id: "timestamp", type: "datetime" },
];

/** A custom schema with a field of every other type, `string-unindexed` included. */
export const CUSTOM_FIELDS: SchemaField[] = [
  { id: "name", type: "string" },
  { id: "note", type: "text" },
  { id: "count", type: "integer" },
  { id: "is_admin", type: "boolean" },
  { id: "created", type: "datetime" },
  { id: "secret", type: "string-unindexed" },
  { id: "code", type: "string" },
];

const STANDARD_SCHEMA: SearchSchema = { fields: STANDARD_FIELDS };
const CUSTOM_SCHEMA: SearchSchema = { fields: CUSTOM_FIELDS };

/** received_at of leaf 0: 2024-05-01T00:00:00Z; one event a second after it. */
const BASE_MICROS = 1_714_521_600_000_000;

const MESSAGES = [
  "user alice logged in",
  "password reset for bob",
  "viewed x-ray of patient",
  'said "hello" twice',
  "path C:\\temp\\file",
  "100% done",
  "snake_case_name updated",
  "café ünïcode naïve",
  "deactivated account",
  "Login FAILED",
];
const ACTORS = ["alice", "bob", "carol", "dave", "Alice"];
const ACTIONS = ["login", "logout", "update", "delete", "view"];
const TENANTS = ["acme", "globex", "initech"];

/** A text longer than the values index keeps whole (256 characters), and one sharing its prefix. */
export const LONG_VALUE = `${"L".repeat(250)}-long-${"x".repeat(40)}`;
const LONG_TWIN = `${"L".repeat(250)}-long-${"y".repeat(40)}`;

function standardEvent(i: number): EventFields {
  const event: EventFields = {
    message: `${MESSAGES[i % MESSAGES.length]} #${i}`,
    actor: ACTORS[i % ACTORS.length]!,
    action: ACTIONS[Math.floor(i / 3) % ACTIONS.length]!,
  };
  if (i % 7 !== 0) event["status"] = i % 4 === 0 ? "failure" : "success";
  if (i % 11 !== 0) event["tenant_id"] = TENANTS[i % TENANTS.length]!;
  if (i % 5 === 1) event["source"] = `10.0.0.${i % 13}`;
  if (i % 6 === 2) event["target"] = i % 12 === 2 ? "db" : `host-${i % 9}`;
  if (i === 17) event["new"] = LONG_VALUE;
  if (i === 18) event["new"] = LONG_TWIN;
  if (i === 19) event["old"] = LONG_VALUE.slice(0, 256);
  if (i % 10 === 3) event["old"] = `{"role":"user","n":${i}}`;
  if (i % 3 === 0) {
    // Datetimes as clients send them: with and without zone, a bare date, and one that is none.
    const hour = String(i % 24).padStart(2, "0");
    event["timestamp"] =
      i % 9 === 0 ? `2024-04-${String(1 + (i % 28)).padStart(2, "0")}` : `2024-04-15T${hour}:30:00+02:00`;
  }
  if (i === 99) event["timestamp"] = "yesterday";
  return event;
}

function customEvent(i: number): EventFields {
  const event: EventFields = { name: `n-${i % 40}`, secret: `s-${i % 4}` };
  if (i % 8 !== 5) event["count"] = (i % 21) - 10;
  if (i % 2 === 0) event["is_admin"] = i % 4 === 0;
  if (i % 3 !== 2)
    event["created"] = `2023-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:00:00.${String(i).padStart(3, "0")}Z`;
  if (i % 5 === 0) event["note"] = `note ${i} a_b 50%`;
  event["code"] = ["ab", "x", "abc", "zz"][i % 4]!;
  return event;
}

export interface SeededTree {
  configId: string;
  treeId: number;
  schema: SearchSchema;
  events: EventFields[];
  leaves: LeafRecord[];
}

export interface SearchData {
  trees: { standard: SeededTree; custom: SeededTree; other: SeededTree };
}

/** The batch the sequencer would build for `events`, with their search rows (`searchValuesOf`). */
function sequenceSearchEvents(
  head: Parameters<Parameters<Store["log"]["appendBatch"]>[1]>[0],
  events: EventFields[],
  schema: SearchSchema,
  firstMicros: number,
): SequencedBatch {
  let last = head.lastReceivedAt;
  const timed = events.map((event, i) => {
    last = Math.max(firstMicros + i * 1_000_000, last + 1);
    return { event, receivedAt: last };
  });
  return sequenceIndexedEvents(head, timed, schema);
}

async function seedTreeWith(store: Store, projectId: string, schema: SearchSchema, events: EventFields[]) {
  const configId = newId("pci");
  const settings: ConfigSettings = {
    version: 3,
    schema: { fields: schema.fields.map((f) => ({ ...f })), save_malformed: "all" },
    hot_storage: "14d",
    vault_sign: false,
  };
  await store.configs.createConfig(
    { id: configId, projectId, name: configId, settings, createdAt: NOW, updatedAt: NOW },
    newTreeName(),
  );
  const head = await store.log.getTreeHead(configId);
  assert.ok(head);
  const leaves: LeafRecord[] = [];
  // Several batches, as group commit writes them.
  for (let from = 0; from < events.length; from += 64) {
    const batch = await store.log.appendBatch(head.id, (h) =>
      sequenceSearchEvents(h, events.slice(from, from + 64), schema, BASE_MICROS + from * 1_000_000),
    );
    leaves.push(...batch.leaves);
  }
  return { configId, treeId: head.id, schema, events, leaves };
}

/** Seeds the three trees: 200 standard events, 200 custom ones, and 30 custom ones in another tree. */
export async function seedSearchData(store: Store): Promise<SearchData> {
  const projectId = newId("ppj");
  await store.configs.createProject({ id: projectId, name: "search", createdAt: NOW });
  const standard = await seedTreeWith(
    store,
    projectId,
    STANDARD_SCHEMA,
    Array.from({ length: 200 }, (_, i) => standardEvent(i)),
  );
  // The other tree first in time order of ids is irrelevant: it shares values with the custom one.
  const other = await seedTreeWith(
    store,
    projectId,
    CUSTOM_SCHEMA,
    Array.from({ length: 30 }, (_, i) => ({ ...customEvent(i), note: "nota bene" })),
  );
  const custom = await seedTreeWith(
    store,
    projectId,
    CUSTOM_SCHEMA,
    Array.from({ length: 200 }, (_, i) => customEvent(i)),
  );
  return { trees: { standard, custom, other } };
}

// ---- The cases and their reference answers -----------------------------------------------------

/**
 * Conjunctions of exact values common enough (hundreds of leaves each in a tree of 3,000) that a
 * backend may walk two of them side by side instead of probing each leaf of the rarer; the
 * standard tree of each case is the one {@link seedCrowdedTree} makes.
 */
export const CROWDED_CASES: readonly SearchCase[] = [
  { name: "two values", tree: "standard", query: "actor=alice action=login", hits: 200, limit: 10_000 },
  {
    name: "two values, oldest first",
    tree: "standard",
    query: "actor=alice action=login",
    hits: 200,
    order: "asc",
    limit: 10_000,
  },
  {
    name: "two values, limited",
    tree: "standard",
    query: "action=login actor=alice",
    hits: 200,
    limit: 7,
  },
  {
    name: "a third value probed",
    tree: "standard",
    query: "actor=alice action=login status=success",
    hits: 129,
    limit: 10_000,
  },
  {
    name: "a negation probed",
    tree: "standard",
    query: "actor=alice action=login -status=failure",
    hits: 158,
    limit: 10_000,
  },
  {
    name: "a contains term probed",
    tree: "standard",
    query: "actor=alice action=login message:logged",
    hits: 100,
    limit: 10_000,
  },
  {
    name: "a restriction and a value",
    tree: "standard",
    query: "action=login",
    hits: 181,
    restrictions: { token: { tenant_id: ["acme"] } },
    limit: 10_000,
  },
  {
    name: "two values in a window",
    tree: "standard",
    query: "actor=alice action=login",
    hits: 200,
    startSeconds: 700,
    endSeconds: 2200,
    limit: 10_000,
  },
  {
    name: "a value and a received_at bound",
    tree: "standard",
    query: 'actor=alice action=login received_at>"2024-05-01T00:30:00Z"',
    hits: 79,
    limit: 10_000,
  },
];

/** A tree of 3,000 standard events in a project of its own, for {@link CROWDED_CASES}. */
export async function seedCrowdedTree(store: Store): Promise<SeededTree> {
  const projectId = newId("ppj");
  await store.configs.createProject({ id: projectId, name: "crowded", createdAt: NOW });
  const events = Array.from({ length: 3000 }, (_, i) => standardEvent(i));
  return seedTreeWith(store, projectId, STANDARD_SCHEMA, events);
}

/** Every answer of {@link CROWDED_CASES} over `tree` is the reference's. */
export async function assertCrowdedAnswers(store: Store, tree: SeededTree): Promise<void> {
  // Every crowded case searches its standard tree: `tree` stands in for each.
  const data: SearchData = { trees: { standard: tree, custom: tree, other: tree } };
  for (const testCase of CROWDED_CASES) {
    const { query, reference, hits } = referenceAnswer(testCase, data);
    const answer = await store.search.searchLeaves(query);
    assert.deepEqual(answer.leaves, reference, testCase.name);
    assert.equal(hits, testCase.hits, `the number of events the reference matches: ${testCase.name}`);
  }
}

export interface SearchCase {
  name: string;
  tree: "standard" | "custom" | "other";
  query: string;
  /** How many events of the tree match (before the limit): what the reference finds. */
  hits: number;
  restrictions?: { token?: FieldRestrictions; request?: FieldRestrictions };
  order?: "asc" | "desc";
  /** A field id to order by; received_at when absent. */
  orderBy?: string;
  limit?: number;
  /** Seconds after leaf 0's received_at, inclusive. */
  startSeconds?: number;
  endSeconds?: number;
}

/** The table: every operator, grouping, quoting, escapes, negation, comparisons, windows, orders. */
export const SEARCH_CASES: readonly SearchCase[] = [
  // free terms
  { name: "a free term", tree: "standard", query: "alice", hits: 40 },
  { name: "a free term is case-sensitive", tree: "standard", query: "Alice", hits: 40 },
  { name: "a free term over several fields", tree: "standard", query: "login", hits: 42 },
  { name: "a free term of two characters", tree: "standard", query: "db", hits: 17 },
  { name: "a free term of one character", tree: "standard", query: "%", hits: 20 },
  { name: "a quoted phrase", tree: "standard", query: '"logged in"', hits: 20 },
  { name: "a quoted phrase with an escaped quote", tree: "standard", query: '"said \\"hello\\""', hits: 20 },
  { name: "a quoted backslash", tree: "standard", query: '"C:\\\\temp"', hits: 20 },
  { name: "an underscore taken literally", tree: "standard", query: "snake_case", hits: 20 },
  { name: "a percent sign taken literally", tree: "standard", query: '"100%"', hits: 20 },
  { name: "non-ASCII text", tree: "standard", query: "ünïcode", hits: 20 },
  { name: "a term found nowhere", tree: "standard", query: "zebra", hits: 0 },
  { name: "an empty query", tree: "standard", query: "", hits: 200, limit: 500 },
  { name: "the empty phrase", tree: "standard", query: '""', hits: 200, limit: 500 },
  // field terms on strings
  { name: "contains on a field", tree: "standard", query: "actor:ali", hits: 40 },
  { name: "contains on a field, two characters", tree: "standard", query: "actor:al", hits: 40 },
  { name: "exact on a field", tree: "standard", query: "actor=alice", hits: 40 },
  { name: "exact is whole-value", tree: "standard", query: "actor=ali", hits: 0 },
  { name: "exact is case-sensitive", tree: "standard", query: "actor=Alice", hits: 40 },
  {
    name: "exact on a quoted value with a space",
    tree: "standard",
    query: 'message="Login FAILED #9"',
    hits: 1,
  },
  { name: "contains on a text field", tree: "standard", query: 'message:"reset for"', hits: 20 },
  { name: "contains reaching past the indexed prefix", tree: "standard", query: "new:long-xxx", hits: 1 },
  { name: "exact on a value longer than 256", tree: "standard", query: `new="${LONG_VALUE}"`, hits: 1 },
  {
    name: "exact on a 256-character prefix of a long value",
    tree: "standard",
    query: `old="${LONG_VALUE.slice(0, 256)}"`,
    hits: 1,
  },
  {
    name: "exact on the long value's prefix, not a cut value",
    tree: "standard",
    query: `new="${LONG_VALUE.slice(0, 256)}"`,
    hits: 0,
  },
  { name: "a JSON-looking value", tree: "standard", query: 'old:"\\"role\\":\\"user\\""', hits: 20 },
  // boolean operators and grouping
  { name: "two terms side by side", tree: "standard", query: "actor=alice action=login", hits: 14 },
  { name: "an explicit AND", tree: "standard", query: "actor=bob AND status=failure", hits: 8 },
  { name: "OR", tree: "standard", query: "actor=alice OR actor=bob", hits: 80 },
  {
    name: "AND binds tighter than OR",
    tree: "standard",
    query: "actor=alice action=login OR actor=bob",
    hits: 54,
  },
  { name: "grouping", tree: "standard", query: "actor=alice (action=login OR action=view)", hits: 14 },
  { name: "a negated term", tree: "standard", query: "-actor=alice", hits: 160, limit: 500 },
  {
    name: "a negation includes events without the field",
    tree: "standard",
    query: "-status=success",
    hits: 71,
    limit: 500,
  },
  { name: "a negated group", tree: "standard", query: "-(actor=alice OR status:succ)", hits: 57, limit: 500 },
  { name: "a negated short contains", tree: "standard", query: "-target:db", hits: 183, limit: 500 },
  {
    name: "a nested group",
    tree: "standard",
    query: "(tenant_id=acme OR tenant_id=globex) -(action=view OR -status=failure)",
    hits: 22,
  },
  { name: "a negated long exact", tree: "standard", query: `tenant_id=acme -new="${LONG_VALUE}"`, hits: 60 },
  // A contains checked on each candidate of an exact driver, past the indexed prefix of a cut value.
  {
    name: "a contains past a cut prefix, beside an exact",
    tree: "standard",
    query: "tenant_id=initech new:long-xxx",
    hits: 1,
  },
  {
    name: "a contains within a cut prefix, beside an exact",
    tree: "standard",
    query: "tenant_id=acme new:LLLL",
    hits: 1,
  },
  {
    name: "a negated contains past a cut prefix",
    tree: "standard",
    query: "tenant_id=initech -new:long-xxx",
    hits: 59,
  },
  // datetimes
  { name: "a datetime after", tree: "standard", query: 'timestamp>"2024-04-15T10:00:00Z"', hits: 31 },
  { name: "a datetime before", tree: "standard", query: "timestamp<2024-04-10", hits: 8 },
  {
    name: "a datetime equal, given with a zone",
    tree: "standard",
    query: 'timestamp="2024-04-15T15:30:00+02:00"',
    hits: 6,
  },
  {
    name: "a datetime that is not one is never matched",
    tree: "standard",
    query: "-timestamp<2030-01-01 action=view",
    hits: 26,
  },
  { name: "received_at after", tree: "standard", query: 'received_at>"2024-05-01T00:02:00Z"', hits: 79 },
  {
    name: "received_at before, negated",
    tree: "standard",
    query: '-received_at<"2024-05-01T00:01:00Z" actor=bob',
    hits: 28,
  },
  {
    name: "received_at inside an OR",
    tree: "standard",
    query: 'received_at<"2024-05-01T00:00:10Z" OR actor=carol',
    hits: 48,
  },
  // windows, orders, limits
  {
    name: "a received_at window",
    tree: "standard",
    query: "actor=alice",
    hits: 40,
    startSeconds: 20,
    endSeconds: 59,
  },
  { name: "an empty window", tree: "standard", query: "", hits: 200, startSeconds: 500, endSeconds: 600 },
  // the window's first leaf is missing (after the last event) or its last one is (before the first)
  {
    name: "an exact match in a window after the last event",
    tree: "standard",
    query: "actor=alice",
    hits: 40,
    startSeconds: 500,
    endSeconds: 600,
  },
  {
    name: "an exact match in a window before the first event",
    tree: "standard",
    query: "actor=alice",
    hits: 40,
    startSeconds: -600,
    endSeconds: -1,
  },
  {
    name: "an exact match in a window that starts before the first event",
    tree: "standard",
    query: "actor=alice",
    hits: 40,
    startSeconds: -600,
    endSeconds: 30,
  },
  // a window alone is answered from its leaf range, without reading events
  {
    name: "the empty query in a window, newest first, limited",
    tree: "standard",
    query: "",
    hits: 200,
    startSeconds: 20,
    endSeconds: 59,
    limit: 7,
  },
  {
    name: "only received_at bounds, oldest first, limited",
    tree: "standard",
    query: 'received_at>"2024-05-01T00:02:00Z"',
    hits: 79,
    order: "asc",
    limit: 5,
  },
  {
    name: "a window that ends after the last event",
    tree: "standard",
    query: "",
    hits: 200,
    startSeconds: 190,
    endSeconds: 900,
    limit: 50,
  },
  { name: "oldest first", tree: "standard", query: "status=failure", hits: 42, order: "asc" },
  { name: "a limit", tree: "standard", query: "login", hits: 42, limit: 7 },
  {
    name: "a limit, oldest first, contains",
    tree: "standard",
    query: "action:log",
    hits: 83,
    limit: 9,
    order: "asc",
  },
  {
    name: "ordered by a string field",
    tree: "standard",
    query: "tenant_id:e",
    hits: 181,
    orderBy: "tenant_id",
    limit: 500,
  },
  {
    name: "ordered by a field some events lack",
    tree: "standard",
    query: "action=update",
    hits: 39,
    orderBy: "target",
    order: "asc",
    limit: 500,
  },
  // custom types
  { name: "an integer equal", tree: "custom", query: "count=3", hits: 7 },
  { name: "an integer with :", tree: "custom", query: "count:-10", hits: 8 },
  { name: "an integer greater", tree: "custom", query: "count>7", hits: 24 },
  { name: "an integer less than a negative", tree: "custom", query: "count<-8", hits: 17 },
  {
    name: "a negated comparison includes events without the field",
    tree: "custom",
    query: "-count>-100",
    hits: 25,
  },
  { name: "a boolean", tree: "custom", query: "is_admin=true", hits: 50 },
  { name: "a boolean false", tree: "custom", query: "is_admin:false", hits: 50 },
  {
    name: "a datetime field range",
    tree: "custom",
    query: 'created>"2023-05-01" created<"2023-08-01"',
    hits: 44,
  },
  {
    name: "a datetime with a fraction",
    tree: "custom",
    query: 'created="2023-02-11T01:00:00.001Z"',
    hits: 1,
  },
  { name: "a short string exact", tree: "custom", query: "code=ab", hits: 50 },
  { name: "a short contains on a field", tree: "custom", query: "code:ab", hits: 100 },
  { name: "an escaped underscore in a text", tree: "custom", query: "note:a_b", hits: 40 },
  { name: "a percent in a text", tree: "custom", query: 'note:"50%"', hits: 40 },
  {
    name: "ordered by an integer",
    tree: "custom",
    query: "is_admin=true",
    hits: 50,
    orderBy: "count",
    limit: 500,
  },
  {
    name: "ordered by an integer, ascending, limited",
    tree: "custom",
    query: "",
    hits: 200,
    orderBy: "count",
    order: "asc",
    limit: 30,
  },
  {
    name: "ordered by a datetime",
    tree: "custom",
    query: "code=x",
    hits: 50,
    orderBy: "created",
    order: "asc",
    limit: 500,
  },
  {
    name: "ordered by a boolean",
    tree: "custom",
    query: "count>0",
    hits: 79,
    orderBy: "is_admin",
    limit: 500,
  },
  // restrictions
  {
    name: "a token restriction",
    tree: "standard",
    query: "login",
    hits: 12,
    restrictions: { token: { tenant_id: ["acme"] } },
  },
  {
    name: "a token restriction with several values",
    tree: "standard",
    query: "",
    hits: 120,
    restrictions: { token: { tenant_id: ["acme", "initech"] } },
    limit: 500,
  },
  {
    name: "a restriction a query cannot widen",
    tree: "standard",
    query: "actor=bob OR tenant_id=globex",
    hits: 12,
    restrictions: { token: { tenant_id: ["acme"] } },
  },
  {
    name: "a restriction under a negated query",
    tree: "standard",
    query: "-(tenant_id=acme)",
    hits: 0,
    restrictions: { token: { tenant_id: ["acme"] } },
  },
  {
    name: "a token and a request restriction",
    tree: "standard",
    query: "",
    hits: 13,
    restrictions: {
      token: { tenant_id: ["acme", "globex"] },
      request: { tenant_id: ["globex"], actor: ["bob"] },
    },
  },
  {
    name: "a request outside the token's values",
    tree: "standard",
    query: "",
    hits: 0,
    restrictions: { token: { tenant_id: ["acme"] }, request: { tenant_id: ["globex"] } },
  },
  {
    name: "a restriction on a string-unindexed field",
    tree: "custom",
    query: "count>0",
    hits: 11,
    restrictions: { token: { secret: ["s-1"] } },
  },
  {
    name: "a restriction on an integer field",
    tree: "custom",
    query: "",
    hits: 15,
    restrictions: { token: { count: ["3", "5"] } },
    order: "asc",
    limit: 500,
  },
  {
    name: "a restriction with a window and a limit",
    tree: "custom",
    query: "n-",
    hits: 50,
    restrictions: { request: { code: ["abc"] } },
    startSeconds: 10,
    endSeconds: 150,
    limit: 5,
  },
];

/** The search a case asks for, the reference's answer, and how many events the reference matches. */
export function referenceAnswer(
  testCase: SearchCase,
  data: SearchData,
): { query: SearchQuery; reference: number[]; hits: number } {
  const tree = data.trees[testCase.tree];
  const parsed = parseQuery(testCase.query, tree.schema);
  assert.ok(parsed.ok, `the case's query parses: ${testCase.query}`);
  const where: QueryNode = testCase.restrictions
    ? restrictQuery(parsed.ast, tree.schema, testCase.restrictions)
    : parsed.ast;
  const fieldNumbers = searchFieldNumbers(tree.schema);
  let orderBy: SearchOrderBy = { kind: "received_at" };
  if (testCase.orderBy !== undefined) {
    const field = tree.schema.fields.find((f) => f.id === testCase.orderBy);
    assert.ok(field && field.type !== "string-unindexed");
    orderBy = { kind: "field", fieldId: field.id, fieldNo: fieldNumbers.get(field.id)!, type: field.type };
  }
  const order = testCase.order ?? "desc";
  const limit = testCase.limit ?? 20;
  const query: SearchQuery = {
    treeId: tree.treeId,
    schema: tree.schema,
    fieldNumbers,
    where,
    order,
    orderBy,
    limit,
    ...(testCase.startSeconds !== undefined
      ? { startMicros: BASE_MICROS + testCase.startSeconds * 1_000_000 }
      : {}),
    ...(testCase.endSeconds !== undefined
      ? { endMicros: BASE_MICROS + testCase.endSeconds * 1_000_000 }
      : {}),
  };
  const all = tree.leaves.filter((leaf) => {
    const envelope = JSON.parse(leaf.envelope) as { event: EventFields; received_at: string };
    return matchesQuery(where, { event: envelope.event, receivedAt: envelope.received_at }, tree.schema);
  });
  const windowed = all.filter(
    (leaf) =>
      (query.startMicros === undefined || leaf.receivedAt >= query.startMicros) &&
      (query.endMicros === undefined || leaf.receivedAt <= query.endMicros),
  );
  const sign = order === "asc" ? 1 : -1;
  const key = (leaf: LeafRecord) => orderKey(tree, leaf.leafIndex, orderBy);
  const sorted = [...windowed].sort((a, b) => {
    if (orderBy.kind === "field") {
      const ka = key(a);
      const kb = key(b);
      if (ka === undefined || kb === undefined) {
        if (ka !== kb) return ka === undefined ? 1 : -1;
      } else if (ka !== kb) {
        return sign * compareKeys(ka, kb);
      }
    }
    return sign * (a.leafIndex - b.leafIndex);
  });
  return { query, reference: sorted.slice(0, limit).map((leaf) => leaf.leafIndex), hits: all.length };
}

/**
 * What a field orders an event by: its value in the index (a text's first 256 characters, a
 * datetime's instant, a boolean as 0 or 1); undefined when the index has none, which sorts last.
 */
function orderKey(tree: SeededTree, leafIndex: number, orderBy: SearchOrderBy): string | number | undefined {
  if (orderBy.kind !== "field") return undefined;
  const numbers = searchFieldNumbers(tree.schema);
  const value = searchValuesOf(tree.events[leafIndex]!, tree.schema, numbers).find(
    (v) => v.fieldNo === orderBy.fieldNo,
  );
  if (!value) return undefined;
  return value.number ?? value.text?.slice(0, 256);
}

/** Numbers numerically, texts by code point (as SQLite's BINARY and PostgreSQL's "C" collation do). */
function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = [...String(a)].map((c) => c.codePointAt(0)!);
  const y = [...String(b)].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Every case's answer from one store, for comparing backends with each other. */
export async function searchAnswers(store: Store): Promise<Map<string, number[]>> {
  const data = await seedSearchData(store);
  const answers = new Map<string, number[]>();
  for (const testCase of SEARCH_CASES) {
    answers.set(
      `${testCase.name}: ${testCase.query}`,
      (await store.search.searchLeaves(referenceAnswer(testCase, data).query)).leaves,
    );
  }
  return answers;
}
