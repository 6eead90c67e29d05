import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CompactRange, parseQuery } from "@veritrail/core";
import Database from "better-sqlite3";
import pg from "pg";
import { describeCheckpointConformance } from "../src/store/conformance/checkpoint.js";
import { describeConfigConformance } from "../src/store/conformance/config.js";
import { describeErasureConformance } from "../src/store/conformance/erasure.js";
import { seedTree, sequenceEvents, T } from "../src/store/conformance/fixtures.js";
import { describeJobConformance } from "../src/store/conformance/job.js";
import { describeLogConformance } from "../src/store/conformance/log.js";
import {
  assertCrowdedAnswers,
  describeSearchConformance,
  searchAnswers,
  seedCrowdedTree,
} from "../src/store/conformance/search.js";
import { describeSessionConformance } from "../src/store/conformance/session.js";
import { describeStoreConformance } from "../src/store/conformance/store.js";
import { describeTokenConformance } from "../src/store/conformance/token.js";
import { searchFieldNumbers } from "../src/store/contract/search.js";
import type { Store } from "../src/store/contract/store.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { postgresStoreSql } from "./support/raw-sql.js";
import {
  dropSchema,
  freshSchema,
  openFreshTestStore,
  openSharedPostgresStore,
  POSTGRES_SKIP_REASON,
  TEST_DATABASE_URL,
} from "./support/test-store.js";

/*
 * One behaviour suite per role of the store contract (conventions: kysely, hono), each run on every
 * backend; the suites live in src/store/conformance/. PostgreSQL runs when
 * VERITRAIL_TEST_DATABASE_URL is set, and fails if that database is unreachable.
 */

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" && !TEST_DATABASE_URL ? POSTGRES_SKIP_REASON : false;

  describe(`store conformance: ${kind}`, { skip }, () => {
    const open = () => openFreshTestStore(kind);
    describeStoreConformance(open);
    describeLogConformance(open);
    describeConfigConformance(open);
    describeTokenConformance(open);
    describeJobConformance(open);
    describeSearchConformance(open);
    describeSessionConformance(open);
    describeCheckpointConformance(open);
    describeErasureConformance(open);
  });
}

describe("postgres: several processes on one database", {
  skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
}, () => {
  it("migrates once when several processes start at once", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await Promise.all(stores.map((s) => s.migrate()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  it("gives a contested lease to exactly one of several processes", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await stores[0]!.migrate();
      for (let round = 0; round < 20; round++) {
        const now = T + round;
        const won = await Promise.all(
          stores.map((s, i) => s.jobs.tryLease(`round-${round}`, `owner-${i}`, 60_000, now)),
        );
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });

  it("forms one tree from concurrent appends through different store instances", async () => {
    const schema = freshSchema();
    const stores = [1, 2, 3].map(() => openSharedPostgresStore(schema));
    try {
      await stores[0]!.migrate();
      const { treeId, configId } = await seedTree(stores[0]!);
      await Promise.all(
        stores.flatMap((store, s) =>
          Array.from({ length: 10 }, (_, i) =>
            store.log.appendBatch(treeId, (head) =>
              sequenceEvents(head, 3, { tag: `s${s}i${i}`, nowMicros: 1 }),
            ),
          ),
        ),
      );
      const head = await stores[1]!.log.getTreeHead(configId);
      assert.equal(head?.size, 90);
      const reference = new CompactRange();
      const messages = new Set<string>();
      for (let i = 0; i < 90; i++) {
        const leaf = await stores[2]!.log.getLeaf(treeId, i);
        assert.ok(leaf);
        reference.append(leaf.hash);
        messages.add(JSON.parse(leaf.envelope).event.message);
      }
      assert.equal(messages.size, 90);
      assert.deepEqual(head?.rootHash, reference.root());
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });
});

// The search role's own cases run on tables never vacuumed, where PostgreSQL probes rather than
// merges two common exact values (postgres-search-store.ts, MERGE_VISIBLE_SHARE): this runs the
// same cases once VACUUM has marked the index's pages visible, so that the merge answers them.
describe("postgres: common exact values merged once the index is vacuumed", {
  skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
}, () => {
  it("answers conjunctions of common exact values as the reference does", async () => {
    const store = await openFreshTestStore("postgres");
    try {
      await store.migrate();
      const tree = await seedCrowdedTree(store);
      await postgresStoreSql(store, "VACUUM search_texts");
      const [row] = await postgresStoreSql(
        store,
        "SELECT relallvisible::float8 / NULLIF(relpages, 0) AS share FROM pg_class WHERE oid = 'search_texts'::regclass",
      );
      assert.ok(Number(row?.["share"]) >= 0.5, `VACUUM left ${row?.["share"]} of search_texts visible`);
      await assertCrowdedAnswers(store, tree);
    } finally {
      await store.close();
    }
  });
});

describe("sqlite search with no contains term counted rare", () => {
  // Each contains term of a residual is then checked by instr on the candidates' values, the path
  // the data set's 200 events would otherwise never take.
  describeSearchConformance(
    async () => new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL", searchRareTermMatches: 0 }),
  );
});

/** Undoes migration 007 (its objects and its row), keeping the events stored under it. */
const UNDO_SEARCH_INDEX = [
  "DROP TABLE search_values",
  "DROP TABLE search_trigrams",
  "DROP TABLE result_sets",
  "DROP INDEX events_by_received_at",
  "DELETE FROM schema_migrations WHERE version = 7",
];
/** In PostgreSQL, with 012 too: it altered `search_texts`, so it goes with the table. */
const UNDO_SEARCH_INDEX_POSTGRES = [
  "DROP TABLE search_texts",
  "DROP TABLE search_numbers",
  "DROP TABLE result_sets",
  "DROP INDEX events_by_received_at",
  "DELETE FROM schema_migrations WHERE version IN (7, 12)",
];

/** Stores 12 events without index rows, as a database made before the search index holds them. */
async function seedUnindexed(store: Store): Promise<{ configId: string; treeId: number }> {
  const { configId, treeId } = await seedTree(store);
  for (const tag of ["old", "older"]) {
    await store.log.appendBatch(treeId, (head) => sequenceEvents(head, 6, { tag, nowMicros: 1 }));
  }
  return { configId, treeId };
}

/** Every event of the seeded tree whose message contains `term`, newest first. */
async function searchMessages(
  store: Store,
  configId: string,
  treeId: number,
  term: string,
): Promise<number[]> {
  const config = await store.configs.getConfig(configId);
  assert.ok(config);
  const schema = config.settings.schema;
  const parsed = parseQuery(term, schema);
  assert.ok(parsed.ok);
  const { leaves } = await store.search.searchLeaves({
    treeId,
    schema,
    fieldNumbers: searchFieldNumbers(schema),
    where: parsed.ast,
    order: "desc",
    orderBy: { kind: "received_at" },
    limit: 100,
  });
  return leaves;
}

describe("search index migration", () => {
  it("indexes the events a SQLite database held before it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "veritrail-backfill-"));
    try {
      const before = new SqliteStore({ dataDir, synchronous: "NORMAL" });
      await before.migrate();
      const { configId, treeId } = await seedUnindexed(before);
      await before.close();
      const db = new Database(join(dataDir, "veritrail.db"));
      for (const sql of UNDO_SEARCH_INDEX) db.exec(sql);
      db.close();
      const after = new SqliteStore({ dataDir, synchronous: "NORMAL" });
      try {
        await after.migrate();
        assert.deepEqual(
          await searchMessages(after, configId, treeId, "message:older-"),
          [11, 10, 9, 8, 7, 6],
        );
        assert.deepEqual(await searchMessages(after, configId, treeId, "message=old-2"), [2]);
        assert.deepEqual(await searchMessages(after, configId, treeId, "der-4"), [10]);
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("indexes the events a PostgreSQL database held before it", {
    skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
  }, async () => {
    const schema = freshSchema();
    const store = openSharedPostgresStore(schema);
    try {
      await store.migrate();
      const { configId, treeId } = await seedUnindexed(store);
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query("SELECT set_config('search_path', $1, false)", [schema]);
        for (const sql of UNDO_SEARCH_INDEX_POSTGRES) await client.query(sql);
      } finally {
        await client.end();
      }
      await store.migrate();
      assert.deepEqual(await searchMessages(store, configId, treeId, "message:older-"), [11, 10, 9, 8, 7, 6]);
      assert.deepEqual(await searchMessages(store, configId, treeId, "message=old-2"), [2]);
      assert.deepEqual(await searchMessages(store, configId, treeId, "der-4"), [10]);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});

describe("search on both backends", { skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON }, () => {
  it("gives identical answers to every query of the search table", async () => {
    const answers = [];
    for (const kind of ["sqlite", "postgres"] as const) {
      const store = await openFreshTestStore(kind);
      try {
        await store.migrate();
        answers.push(await searchAnswers(store));
      } finally {
        await store.close();
      }
    }
    assert.deepEqual(answers[0], answers[1]);
  });
});

/** Every TypeScript source under `dir`. */
function sourcesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourcesUnder(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/**
 * The only expressions a template literal of SQL may interpolate in the stores: identifiers
 * checked where they are made (the PostgreSQL schema name, the SQLite synchronous mode) and the
 * constant column list of tokens (contract/rows.ts) and the constant tree query of the checkpoint
 * stores. Values
 * are bound parameters; compiled searches join constant fragments and placeholders.
 */
const SQL_INTERPOLATION_ALLOWED = new Set([
  "this.#schema",
  "options.synchronous",
  "TOKEN_INSERT_COLUMNS",
  "TREES_WITH_LATEST",
]);

describe("store SQL", () => {
  it("puts no value into SQL: a template literal of SQL interpolates only allowed identifiers", () => {
    const storeDir = fileURLToPath(new URL("../src/store/", import.meta.url));
    const offenders: string[] = [];
    let sqlTemplates = 0;
    for (const file of sourcesUnder(storeDir)) {
      // Comments quote names in backticks; only code is scanned.
      const text = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      for (const match of text.matchAll(/`(?:[^`\\]|\\.)*`/gs)) {
        const literal = match[0];
        if (!/\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|VALUES|WHERE)\b/.test(literal))
          continue;
        sqlTemplates += 1;
        for (const interpolation of literal.matchAll(/\$\{([^}]*)\}/g)) {
          const expression = interpolation[1]!.trim();
          if (!SQL_INTERPOLATION_ALLOWED.has(expression)) {
            offenders.push(`${relative(storeDir, file)}: \${${expression}}`);
          }
        }
      }
    }
    assert.ok(sqlTemplates > 0, "the scan finds the stores' SQL template literals");
    assert.deepEqual(offenders, []);
  });
});
