import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { CompactRange, verifyConsistency, verifyMembership } from "@veritrail/core";
import pg from "pg";
import { readMigrations } from "../src/store/contract/read-migrations.js";
import { freePort, TEST_ADMIN_TOKEN, TEST_AUDIT_TOKEN } from "./support/test-server.js";
import { dropSchema, freshSchema, POSTGRES_SKIP_REASON, TEST_DATABASE_URL } from "./support/test-store.js";

/*
 * Several real server processes on one PostgreSQL schema: they start together (concurrent
 * migrations and first-start setup), take appends to one tree from concurrent clients, lose one
 * process to SIGKILL in the middle of the load, and take over an async request a killed process
 * had accepted. The tree is checked against the events table and recomputed with the core.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(REPO, "packages/cli/src/main.ts");

/** Short, so a killed process's async request is taken over within the test. */
const ASYNC_LEASE_MS = 1500;
const ASYNC_POLL_MS = 200;
const FIRST_START_BANNER = "Veritrail created a default project";

const PROCESSES = 3;
const WORKERS = 30;
const REQUESTS_PER_WORKER = 8;

/** The Pangea envelope, with the `result` shapes this suite reads. */
interface ApiResponse<R> {
  status: number;
  body: { request_id: string; status: string; summary: string; result: R };
}

interface Logged {
  hash: string;
  envelope?: { event: { message: string } };
  unpublished_root?: string;
  membership_proof?: string;
  consistency_proof?: string[];
}

interface LoggedBulk {
  results: Logged[];
}

interface RootData {
  tree_name: string;
  size: number;
  root_hash: string;
  consistency_proof?: string[];
}

/** One API call, bounded; a transport failure (refused, reset, timeout) rejects. */
async function api<R = unknown>(base: string, path: string, body?: unknown): Promise<ApiResponse<R>> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${TEST_AUDIT_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as ApiResponse<R>["body"] };
}

/** Polls `check` until it returns a value, at most `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The environment of a server process: this one's, minus any VERITRAIL_* or test-runner settings. */
function serverEnv(port: number, databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("VERITRAIL_") && !name.startsWith("NODE_TEST")) env[name] = value;
  }
  return {
    ...env,
    VERITRAIL_DATABASE_URL: databaseUrl,
    VERITRAIL_HOST: "127.0.0.1",
    VERITRAIL_PORT: String(port),
    VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    VERITRAIL_INIT_AUDIT_TOKEN: TEST_AUDIT_TOKEN,
    VERITRAIL_LOG_LEVEL: "warn",
    VERITRAIL_AUTH_CACHE_MS: "0",
    VERITRAIL_ASYNC_LEASE_MS: String(ASYNC_LEASE_MS),
    VERITRAIL_ASYNC_POLL_MS: String(ASYNC_POLL_MS),
    // This suite reads the head through v1/root without tree_size, which answers the latest
    // published root once there is one: nothing is published here (test/publishing.test.ts is).
    VERITRAIL_PUBLISH_INTERVAL_MS: "86400000",
    VERITRAIL_PUBLISH_EVERY_EVENTS: "100000000",
  };
}

/** A `veritrail serve` child process; `output` keeps its stdout and stderr for assertions and failures. */
class ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly #databaseUrl: string;
  child: ChildProcess | undefined;
  output = "";
  exited: Promise<void> = Promise.resolve();
  #alive = false;

  constructor(name: string, port: number, databaseUrl: string) {
    this.name = name;
    this.port = port;
    this.#databaseUrl = databaseUrl;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.#alive;
  }

  start(): void {
    this.output = "";
    const child = spawn(
      process.execPath,
      ["--conditions=veritrail-source", "--import", "tsx", CLI, "serve"],
      { cwd: REPO, env: serverEnv(this.port, this.#databaseUrl), stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child = child;
    this.#alive = true;
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.output += chunk;
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.output += chunk;
    });
    this.exited = new Promise((done) => {
      child.once("exit", () => {
        this.#alive = false;
        done();
      });
    });
  }

  /** Bounded: ready once `v1/root` answers with the Pangea envelope (TreeNotFound on an empty tree). */
  async ready(timeoutMs = 30_000): Promise<void> {
    await waitFor(`${this.name} to serve`, timeoutMs, async () => {
      if (!this.#alive) throw new Error(`${this.name} exited while starting:\n${this.output}`);
      try {
        const { body } = await api(this.url, "/v1/root", {});
        return typeof body.status === "string" ? true : undefined;
      } catch {
        return undefined;
      }
    });
  }

  async kill(): Promise<void> {
    if (!this.#alive) return;
    this.child!.kill("SIGKILL");
    await this.exited;
  }

  /** Graceful first (so its connections close cleanly), then SIGKILL; bounded. */
  async stop(): Promise<void> {
    if (!this.#alive) return;
    this.child!.kill("SIGCONT");
    this.child!.kill("SIGTERM");
    const stopped = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) await this.kill();
  }
}

/** What clients were told, gathered over the whole test. */
interface Ledger {
  /** marker → hash of every acknowledged event. */
  acked: Map<string, string>;
  /** Markers of events whose request failed against a killed process: may or may not be stored. */
  unknown: Set<string>;
}

interface VerboseAck {
  hash: string;
  root: string;
  proof: string;
  via: string;
}

interface LoadReport {
  verbose: VerboseAck[];
  okByProcess: number[];
  failedByProcess: number[];
  /** Failures with their target, for the assertion message. */
  failures: string[];
  /** Successes of each process after `onHalfway` ran. */
  okAfterHalfway: number[];
}

/**
 * Concurrent clients round-robin over the processes, mixing verbose and plain `v1/log` with small
 * `v2/log` batches. Every event carries a unique marker in `message`. `onHalfway` runs once, when
 * half of the requests have been answered.
 */
async function runLoad(options: {
  tag: string;
  servers: readonly ServerProcess[];
  ledger: Ledger;
  onHalfway?: () => Promise<void>;
}): Promise<LoadReport> {
  const { tag, servers, ledger } = options;
  const report: LoadReport = {
    verbose: [],
    okByProcess: servers.map(() => 0),
    failedByProcess: servers.map(() => 0),
    failures: [],
    okAfterHalfway: servers.map(() => 0),
  };
  const total = WORKERS * REQUESTS_PER_WORKER;
  let answered = 0;
  let halfway: Promise<void> | undefined;
  let pastHalfway = false;

  async function one(worker: number, round: number): Promise<void> {
    const target = (worker + round) % servers.length;
    const server = servers[target]!;
    const kind = (worker * 7 + round) % 4;
    const base = `${tag}-w${worker}-r${round}`;
    const count = kind === 2 ? 3 : kind === 3 ? 2 : 1;
    const markers = Array.from({ length: count }, (_, i) => `${base}-e${i}`);
    const events = markers.map((message) => ({ message, actor: "cluster-test", action: `kind-${kind}` }));
    const after = pastHalfway;
    let response: ApiResponse<Logged | LoggedBulk> | undefined;
    try {
      response =
        kind < 2
          ? await api<Logged>(server.url, "/v1/log", { event: events[0], verbose: kind === 0 })
          : await api<LoggedBulk>(server.url, "/v2/log", {
              events: events.map((event) => ({ event })),
              verbose: kind === 3,
            });
      if (response.status !== 200 || response.body.status !== "Success") {
        throw new Error(`HTTP ${response.status} ${response.body.status}: ${response.body.summary}`);
      }
    } catch (error) {
      // Not acknowledged: the events may or may not be stored (a process can die after its commit).
      report.failedByProcess[target]! += 1;
      report.failures.push(`${server.name} (${base}): ${error instanceof Error ? error.message : error}`);
      for (const marker of markers) ledger.unknown.add(marker);
    }
    if (response !== undefined) {
      if (kind < 2) {
        const result = response.body.result as Logged;
        ledger.acked.set(markers[0]!, result.hash);
        if (kind === 0) {
          report.verbose.push({
            hash: result.hash,
            root: result.unpublished_root!,
            proof: result.membership_proof!,
            via: server.name,
          });
        }
      } else {
        const { results } = response.body.result as LoggedBulk;
        assert.equal(results.length, count);
        results.forEach((item, i) => {
          ledger.acked.set(markers[i]!, item.hash);
          if (kind === 3) assert.equal(item.envelope?.event.message, markers[i]);
        });
      }
      report.okByProcess[target]! += 1;
      if (after) report.okAfterHalfway[target]! += 1;
    }
    answered += 1;
    if (answered === Math.floor(total / 2) && options.onHalfway) {
      halfway = options.onHalfway().then(() => {
        pastHalfway = true;
      });
      await halfway;
    }
  }

  await Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let round = 0; round < REQUESTS_PER_WORKER; round++) await one(worker, round);
    }),
  );
  await halfway;
  return report;
}

/** The trees of the user configurations: every one but the admin activity log's (a constant query). */
const USER_TREES =
  "SELECT t.id FROM trees t JOIN configs c ON c.id = t.config_id WHERE NOT c.settings ? 'admin_activity'";

describe("a cluster of server processes on one PostgreSQL database", {
  skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
}, () => {
  let schema: string | undefined;
  let databaseUrl = "";
  let db: pg.Client | undefined;
  let lockHolder: pg.Client | undefined;
  const servers: ServerProcess[] = [];
  const ledger: Ledger = { acked: new Map(), unknown: new Set() };

  /** Live processes only. */
  const live = () => servers.filter((s) => s.alive);

  /** `v1/root` at `size` (or the head) from a process; asserts success. */
  async function rootFrom(server: ServerProcess, size?: number): Promise<RootData> {
    const { status, body } = await api<{ data: RootData }>(
      server.url,
      "/v1/root",
      size === undefined ? {} : { tree_size: size },
    );
    assert.equal(status, 200, `${server.name} v1/root ${size}: ${JSON.stringify(body)}`);
    return body.result.data;
  }

  /** A successful verbose `v1/log` through `server`, recorded as acknowledged. */
  async function logVerbose(
    server: ServerProcess,
    marker: string,
    extra: object = {},
  ): Promise<VerboseAck & { consistency?: string[] }> {
    const { body } = await api<Logged>(server.url, "/v1/log", {
      event: { message: marker, actor: "cluster-test" },
      verbose: true,
      ...extra,
    });
    assert.equal(body.status, "Success", JSON.stringify(body));
    ledger.acked.set(marker, body.result.hash);
    return {
      hash: body.result.hash,
      root: body.result.unpublished_root!,
      proof: body.result.membership_proof!,
      via: server.name,
      ...(body.result.consistency_proof ? { consistency: body.result.consistency_proof } : {}),
    };
  }

  /**
   * The tree as stored: leaf indices 0..n-1 each once, every acknowledged event present exactly
   * once with its acknowledged hash, nothing stored that no client sent, and the stored head, every
   * process's `v1/root`, the verbose answers and sampled consistency proofs all agreeing with the
   * root the core recomputes from the leaf hashes. `strict`: exactly the acknowledged events.
   */
  async function checkTree(verbose: readonly VerboseAck[], strict: boolean): Promise<number> {
    const rows = (
      await db!.query(
        `SELECT leaf_index, hash, envelope FROM events WHERE tree_id IN (${USER_TREES}) ORDER BY leaf_index`,
      )
    ).rows as { leaf_index: string; hash: Buffer; envelope: string }[];
    const byMarker = new Map<string, { leafIndex: number; hash: string }>();
    const leafOfHash = new Map<string, number>();
    const range = new CompactRange();
    /** The recomputed root at each size (index = size). */
    const roots: string[] = [""];
    const sizeOfRoot = new Map<string, number>();
    rows.forEach((row, i) => {
      assert.equal(Number(row.leaf_index), i, `leaf indices must run 0..n-1 without gaps (at ${i})`);
      const hash = row.hash.toString("hex");
      const marker = String((JSON.parse(row.envelope) as { event: { message: string } }).event.message);
      assert.ok(!byMarker.has(marker), `event ${marker} is stored twice`);
      assert.ok(!leafOfHash.has(hash), `hash ${hash} is stored twice`);
      byMarker.set(marker, { leafIndex: i, hash });
      leafOfHash.set(hash, i);
      range.append(row.hash);
      const root = range.root()!.toString("hex");
      roots.push(root);
      sizeOfRoot.set(root, i + 1);
    });
    const n = rows.length;

    for (const [marker, hash] of ledger.acked) {
      assert.equal(
        byMarker.get(marker)?.hash,
        hash,
        `acknowledged event ${marker} must be stored with its hash`,
      );
    }
    for (const marker of byMarker.keys()) {
      assert.ok(
        ledger.acked.has(marker) || ledger.unknown.has(marker),
        `stored event ${marker} was never sent, or was refused by a live process`,
      );
    }
    if (strict) assert.equal(n, ledger.acked.size, "exactly the acknowledged events are stored");

    const heads = (await db!.query(`SELECT size, root_hash FROM trees WHERE id IN (${USER_TREES})`)).rows as {
      size: string;
      root_hash: Buffer;
    }[];
    assert.equal(heads.length, 1);
    assert.equal(Number(heads[0]!.size), n);
    assert.equal(heads[0]!.root_hash.toString("hex"), roots[n], "stored root at the head = recomputed root");

    const procs = live();
    for (const server of procs) {
      const data = await rootFrom(server);
      assert.equal(data.size, n, `${server.name} head size`);
      assert.equal(data.root_hash, roots[n], `${server.name} head root`);
    }

    // Each verbose answer: its proof folds to its root, which is a root of this tree at a size that
    // holds the event, and whichever process is asked serves that same root at that size.
    await Promise.all(
      verbose.map(async (ack, i) => {
        assert.ok(
          verifyMembership({ leafHash: ack.hash, rootHash: ack.root, proof: ack.proof }),
          `membership proof from ${ack.via}`,
        );
        const size = sizeOfRoot.get(ack.root);
        assert.ok(size !== undefined, `root ${ack.root} from ${ack.via} is no root of the stored tree`);
        assert.ok(size > leafOfHash.get(ack.hash)!, "the root's tree holds the event");
        assert.equal((await rootFrom(procs[i % procs.length]!, size)).root_hash, ack.root);
      }),
    );

    // Consistency n-1 → n for a sample of sizes, the old and the new root each from another process.
    const sizes = new Set([2, 3, n]);
    for (let k = 0; k < 12; k++) sizes.add(2 + Math.floor(Math.random() * (n - 1)));
    await Promise.all(
      [...sizes]
        .filter((size) => size >= 2 && size <= n)
        .map(async (size, i) => {
          const newer = await rootFrom(procs[i % procs.length]!, size);
          const older = await rootFrom(procs[(i + 1) % procs.length]!, size - 1);
          assert.equal(newer.root_hash, roots[size]);
          assert.equal(older.root_hash, roots[size - 1]);
          assert.ok(
            verifyConsistency({
              oldRoot: older.root_hash,
              newRoot: newer.root_hash,
              proof: newer.consistency_proof ?? [],
            }),
            `consistency ${size - 1} → ${size}`,
          );
        }),
    );
    return n;
  }

  before(
    async () => {
      const name = freshSchema();
      const separator = TEST_DATABASE_URL!.includes("?") ? "&" : "?";
      databaseUrl = `${TEST_DATABASE_URL}${separator}options=-c%20search_path%3D${name}`;
      // Fails here, and so fails the suite, when the database is unreachable.
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA ${name}`);
        schema = name;
      } finally {
        await admin.end();
      }
      db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      for (let i = 0; i < PROCESSES; i++) {
        servers.push(new ServerProcess(`process ${i}`, await freePort(), databaseUrl));
      }
      // All at once: they race through migrations and first-start setup.
      for (const server of servers) server.start();
      await Promise.all(servers.map((server) => server.ready()));
    },
    { timeout: 40_000 },
  );

  after(
    async () => {
      if (lockHolder) await lockHolder.end().catch(() => undefined);
      await Promise.all(servers.map((server) => server.stop()));
      if (db) await db.end().catch(() => undefined);
      if (schema) await dropSchema(schema);
    },
    { timeout: 20_000 },
  );

  it("sets up one project, configuration and tree when all processes start at once", {
    timeout: 20_000,
  }, async () => {
    const creators = servers.filter((s) => s.output.includes(FIRST_START_BANNER));
    assert.equal(creators.length, 1, "exactly one process ran first-start setup");
    const counts = (
      await db!.query(
        `SELECT (SELECT count(*) FROM projects)::int AS projects, (SELECT count(*) FROM configs)::int AS configs,
                (SELECT count(*) FROM trees)::int AS trees, (SELECT count(*) FROM tokens)::int AS tokens`,
      )
    ).rows[0] as Record<string, number>;
    // The default configuration and the admin activity log, each with its tree.
    assert.deepEqual({ ...counts }, { projects: 1, configs: 2, trees: 2, tokens: 2 });
    const logs = await db!.query("SELECT count(*)::int AS n FROM configs WHERE settings ? 'admin_activity'");
    assert.equal(logs.rows[0].n, 1, "one admin activity log, although three processes started");
    // Every migration applied exactly once, in order, although three processes ran them.
    const versions = (await db!.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
      (r: { version: number }) => r.version,
    );
    assert.deepEqual(
      versions,
      readMigrations(new URL("../src/store/postgres/migrations/", import.meta.url)).map((m) => m.version),
    );
    assert.ok(versions.length > 0);
    const configId = String(
      (await db!.query("SELECT id FROM configs WHERE NOT settings ? 'admin_activity'")).rows[0].id,
    );
    assert.match(creators[0]!.output, new RegExp(`config id:\\s+${configId}`));

    const first = await logVerbose(servers[0]!, "first");
    const seen = await Promise.all(servers.map((s) => rootFrom(s)));
    for (const data of seen) {
      assert.deepEqual([data.tree_name, data.size, data.root_hash], [seen[0]!.tree_name, 1, first.hash]);
    }
    // Every process resolves the token to that one configuration and its tree.
    for (const server of servers) {
      const { body } = await api<{ data: RootData }>(server.url, "/v1/root", { config_id: configId });
      assert.equal(body.result.data.tree_name, seen[0]!.tree_name, JSON.stringify(body));
    }
    await checkTree([first], true);
  });

  it("orders concurrent appends through all processes into one tree", { timeout: 30_000 }, async () => {
    const report = await runLoad({ tag: "load", servers, ledger });
    assert.deepEqual(report.failures, []);
    assert.ok(report.okByProcess.every((ok) => ok > 0));
    assert.ok(report.verbose.length > 0);
    const n = await checkTree(report.verbose, true);
    assert.ok(n > 300, `only ${n} events`);
  });

  it("keeps serving and loses no acknowledged event when one process is killed mid-load", {
    timeout: 40_000,
  }, async () => {
    const victimIndex = 1;
    const victim = servers[victimIndex]!;
    const acknowledgedBefore = ledger.acked.size;
    const report = await runLoad({ tag: "kill", servers, ledger, onHalfway: () => victim.kill() });
    servers.forEach((server, i) => {
      if (i === victimIndex) return;
      assert.equal(
        report.failedByProcess[i],
        0,
        `${server.name} must keep serving:\n${report.failures.join("\n")}`,
      );
      assert.ok(report.okAfterHalfway[i]! > 0, `${server.name} served after the kill`);
    });
    assert.ok(report.okByProcess[victimIndex]! > 0, "the victim served before it was killed");
    assert.ok(report.failedByProcess[victimIndex]! > 0, "requests to the killed process fail");
    assert.equal(report.okAfterHalfway[victimIndex], 0, "a killed process acknowledges nothing");
    assert.ok(ledger.acked.size > acknowledgedBefore);
    await checkTree(report.verbose, false);

    // It rejoins on its port: migrations and setup find everything done, and it appends to the same tree.
    victim.start();
    await victim.ready();
    assert.ok(!victim.output.includes(FIRST_START_BANNER), "a restart creates nothing");
    // Its first log proves it extends a root another process served (`prev_root`, wire-protocol §4.1).
    const previous = await rootFrom(servers[0]!);
    const rejoined = await logVerbose(victim, "rejoined", { prev_root: previous.root_hash });
    assert.ok(
      verifyConsistency({
        oldRoot: previous.root_hash,
        newRoot: rejoined.root,
        proof: rejoined.consistency ?? [],
      }),
      "consistency from the previous head to the rejoined process's root",
    );
    const heads = await Promise.all(servers.map((s) => rootFrom(s)));
    for (const head of heads) {
      assert.deepEqual(
        [head.tree_name, head.size, head.root_hash],
        [heads[0]!.tree_name, heads[0]!.size, rejoined.root],
      );
    }
    await checkTree([rejoined], false);
  });

  it("finishes an async request on another process when the one that accepted it dies", {
    timeout: 30_000,
  }, async () => {
    const [victim, ...others] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const markers = ["async-0", "async-1", "async-2"];
    // Made deterministic: only the victim can lease the request (the others are paused), and it
    // cannot append it (the tree head is locked here), so it dies holding the lease, nothing written.
    lockHolder = new pg.Client({ connectionString: databaseUrl });
    await lockHolder.connect();
    await lockHolder.query("BEGIN");
    await lockHolder.query(`SELECT id FROM trees WHERE id IN (${USER_TREES}) FOR UPDATE`);
    let id = "";
    try {
      for (const other of others) other.child!.kill("SIGSTOP");
      const accepted = await api(victim.url, "/v2/log_async", {
        events: markers.map((message) => ({ event: { message } })),
        verbose: true,
      });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      id = accepted.body.request_id;
      const leased = await waitFor("the victim to lease the request", 5000, async () => {
        const [row] = (await db!.query("SELECT state, owner FROM async_requests WHERE id = $1", [id]))
          .rows as { state: string; owner: string | null }[];
        return row?.owner ? row : undefined;
      });
      assert.equal(leased.state, "pending");
      await victim.kill();
    } finally {
      for (const other of others) other.child!.kill("SIGCONT");
      await lockHolder.query("ROLLBACK");
      await lockHolder.end();
      lockHolder = undefined;
    }

    // Another process takes it over once the lease runs out; any process returns the result.
    const done = await waitFor("another process to finish the request", 15_000, async () => {
      const polled = await api<LoggedBulk>(others[0].url, `/request/${id}`);
      return polled.status === 200 ? polled : undefined;
    });
    assert.equal(done.body.status, "Success", JSON.stringify(done.body));
    assert.equal(done.body.request_id, id);
    const { results } = done.body.result;
    assert.deepEqual(
      results.map((r) => r.envelope?.event.message),
      markers,
    );
    results.forEach((r, i) => {
      ledger.acked.set(markers[i]!, r.hash);
    });
    const again = await api<LoggedBulk>(others[1].url, `/request/${id}`);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.result, done.body.result);
    const [row] = (await db!.query("SELECT state FROM async_requests WHERE id = $1", [id])).rows;
    assert.equal(row.state, "done");
    await checkTree([], false);
  });
});
