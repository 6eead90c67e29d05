import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CompactRange } from "@veritrail/core";
import { describeConfigConformance } from "../src/store/conformance/config.js";
import { seedTree, sequenceEvents, T } from "../src/store/conformance/fixtures.js";
import { describeJobConformance } from "../src/store/conformance/job.js";
import { describeLogConformance } from "../src/store/conformance/log.js";
import { describeStoreConformance } from "../src/store/conformance/store.js";
import { describeTokenConformance } from "../src/store/conformance/token.js";
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
