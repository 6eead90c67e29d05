// The authorisation matrix of the data plane (docs/design/config-resolution.md, tokens.md):
// every endpoint that exists × every kind of token × every way of naming a configuration, one
// named subtest per cell. The expected outcomes are written out per token in TOKENS below, not
// derived from the server's code. After every cell the tree sizes of all three configurations
// are read back through v1/root: a refused request stored nothing, an accepted one stored
// exactly its events, in exactly the configuration it resolved to.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createConfig, createToken } from "./support/admin.js";
import {
  type ApiResponse,
  assertApiError,
  assertEnvelope,
  assertUnauthorized,
  assertValidationError,
  fetchApi,
} from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import {
  getConfig,
  pollRequest,
  pollUntilDone,
  revokeToken,
  rotateToken,
  sleep,
  treeSizeOf,
  unknownConfigId,
  updateToken,
  waitFor,
} from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const HEX64 = /^[0-9a-f]{64}$/;
const UNAUTHORIZED_SUMMARY = "Not authorized to access this resource";

/** The project's configurations: A is the default one; C is covered only by the reader token. */
type ConfigKey = "A" | "B" | "C";
const CONFIG_KEYS: readonly ConfigKey[] = ["A", "B", "C"];

/** The data-plane endpoints that exist now (resolve-config.ts AUDIT_ENDPOINTS lists more). */
const ENDPOINTS = ["v1/log", "v2/log", "v2/log_async", "v1/root"] as const;
type Endpoint = (typeof ENDPOINTS)[number];

/** How many events a successful request to each endpoint stores. */
const STORES: Record<Endpoint, number> = { "v1/log": 1, "v2/log": 2, "v2/log_async": 1, "v1/root": 0 };

/** The ways a request can name its configuration. */
type Column = "granted" | "absent" | "foreign" | "nonexistent" | "malformed";
const COLUMNS: readonly Column[] = ["granted", "absent", "foreign", "nonexistent", "malformed"];
const MALFORMED_CONFIG_ID = "pci_XYZ";

type Outcome = "Success" | "Unauthorized" | "AmbiguousConfigID" | "ValidationError";

/** A token that reaches no configuration on this endpoint: every column is refused alike. */
const REFUSED: Record<Column, Outcome> = {
  granted: "Unauthorized",
  absent: "Unauthorized",
  foreign: "Unauthorized",
  nonexistent: "Unauthorized",
  malformed: "Unauthorized",
};
/** A live token whose grant covers exactly one configuration. */
const ONE_CONFIG: Record<Column, Outcome> = {
  granted: "Success",
  absent: "Success",
  foreign: "Unauthorized",
  nonexistent: "Unauthorized",
  malformed: "ValidationError",
};
/** A live token whose grant covers two configurations. */
const TWO_CONFIGS: Record<Column, Outcome> = { ...ONE_CONFIG, absent: "AmbiguousConfigID" };

/** Which request `GET request/{id}` is tried with, and what it answers. */
type PollCase = { of: "own"; outcome: "Success" | "Unauthorized" } | { of: "another token's" };

interface TokenRow {
  name: string;
  /** The configurations the "granted" column names (a token without a grant still names A). */
  granted: ConfigKey[];
  /** A configuration of the project that the token does not cover. */
  foreign: ConfigKey;
  /** The endpoints its grant allows; the others answer REFUSED. All when absent. */
  endpoints?: readonly Endpoint[];
  outcomes: Record<Column, Outcome>;
  poll: PollCase;
}

const TOKENS: readonly TokenRow[] = [
  {
    name: "no audit grant",
    granted: ["A"],
    foreign: "B",
    outcomes: REFUSED,
    poll: { of: "another token's" },
  },
  {
    name: "grant for A only",
    granted: ["A"],
    foreign: "B",
    outcomes: ONE_CONFIG,
    poll: { of: "own", outcome: "Success" },
  },
  {
    name: "grant for another configuration (B) only",
    granted: ["B"],
    foreign: "A",
    outcomes: ONE_CONFIG,
    poll: { of: "own", outcome: "Success" },
  },
  {
    name: "grant for both configurations",
    granted: ["A", "B"],
    foreign: "C",
    outcomes: TWO_CONFIGS,
    poll: { of: "own", outcome: "Success" },
  },
  {
    name: "endpoint-restricted to v1/log",
    granted: ["A"],
    foreign: "B",
    endpoints: ["v1/log"],
    outcomes: ONE_CONFIG,
    poll: { of: "another token's" },
  },
  {
    name: "field-restricted to tenant_id acme",
    granted: ["A"],
    foreign: "B",
    outcomes: ONE_CONFIG,
    poll: { of: "own", outcome: "Success" },
  },
  {
    name: "expired",
    granted: ["A"],
    foreign: "B",
    outcomes: REFUSED,
    poll: { of: "own", outcome: "Unauthorized" },
  },
  {
    name: "revoked",
    granted: ["A"],
    foreign: "B",
    outcomes: REFUSED,
    poll: { of: "own", outcome: "Unauthorized" },
  },
  {
    name: "rotated, old secret inside its grace period",
    granted: ["A"],
    foreign: "B",
    outcomes: ONE_CONFIG,
    poll: { of: "own", outcome: "Success" },
  },
  {
    name: "rotated, old secret after its grace period",
    granted: ["A"],
    foreign: "B",
    outcomes: REFUSED,
    poll: { of: "own", outcome: "Unauthorized" },
  },
  {
    name: "rotated, new secret",
    granted: ["A"],
    foreign: "B",
    outcomes: ONE_CONFIG,
    poll: { of: "own", outcome: "Success" },
  },
  {
    name: "admin credential",
    granted: ["A"],
    foreign: "B",
    outcomes: REFUSED,
    poll: { of: "another token's" },
  },
  {
    name: "unknown secret",
    granted: ["A"],
    foreign: "B",
    outcomes: REFUSED,
    poll: { of: "another token's" },
  },
];

/** One cell: the configuration it names (for the granted column, which one) and its label. */
interface Cell {
  endpoint: Endpoint;
  row: TokenRow;
  column: Column;
  named?: ConfigKey;
  outcome: Outcome;
  label: string;
}

function cellsOf(endpoint: Endpoint, row: TokenRow): Cell[] {
  const allowed = !row.endpoints || row.endpoints.includes(endpoint);
  const outcomes = allowed ? row.outcomes : REFUSED;
  return COLUMNS.flatMap((column) => {
    const named: (ConfigKey | undefined)[] =
      column === "granted" ? row.granted : column === "foreign" ? [row.foreign] : [undefined];
    return named.map((key) => {
      const outcome = outcomes[column];
      const coordinate = key === undefined ? `config_id ${column}` : `config_id ${column} (${key})`;
      const cell: Cell = {
        endpoint,
        row,
        column,
        outcome,
        label: `${endpoint} × ${row.name} × ${coordinate}`,
      };
      if (key !== undefined) cell.named = key;
      return cell;
    });
  });
}

describe("authorisation matrix of the data plane", () => {
  /** The server's time: the setup moves it past the expiry and the short grace period. */
  const clock = new FakeClock();
  let server: TestServer;
  const ids = {} as Record<ConfigKey, string>;
  const treeNames = {} as Record<ConfigKey, string>;
  const missingConfigId = unknownConfigId();
  /** A token covering all three configurations, used only to read tree sizes. */
  let reader: string;
  /** The secret each row presents. */
  const secrets = new Map<string, string>();
  /** The request each row polls (its own when it could make one). */
  const pollTargets = new Map<string, string>();
  /** The tree sizes every cell must leave behind; successful writes add to them. */
  const ledger = {} as Record<ConfigKey, number>;
  /** Answers of the foreign and nonexistent cells, compared once both ran. */
  const answers = new Map<string, ApiResponse>();

  async function sizes(): Promise<Record<ConfigKey, number>> {
    const out = {} as Record<ConfigKey, number>;
    for (const key of CONFIG_KEYS) out[key] = await treeSizeOf(server, reader, ids[key]);
    return out;
  }

  async function logAsync(token: string, configId?: string): Promise<string> {
    const response = await postJson(
      `${server.url}/v2/log_async`,
      {
        events: [{ event: { message: "setup", tenant_id: "acme" } }],
        ...(configId ? { config_id: configId } : {}),
      },
      token,
    );
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const id = response.body.request_id as string;
    const done = await pollUntilDone(server, id, token);
    assert.equal(done.body.status, "Success", JSON.stringify(done.body));
    return id;
  }

  function configIdOf(cell: Cell): string | undefined {
    switch (cell.column) {
      case "granted":
      case "foreign":
        return ids[cell.named!];
      case "absent":
        return undefined;
      case "nonexistent":
        return missingConfigId;
      case "malformed":
        return MALFORMED_CONFIG_ID;
    }
  }

  function bodyOf(cell: Cell): Record<string, unknown> {
    const configId = configIdOf(cell);
    const event = (i: number) => ({ event: { message: `matrix ${cell.label} #${i}`, tenant_id: "acme" } });
    const body: Record<string, unknown> =
      cell.endpoint === "v1/log"
        ? event(0)
        : cell.endpoint === "v1/root"
          ? {}
          : { events: Array.from({ length: STORES[cell.endpoint] }, (_, i) => event(i)) };
    if (configId !== undefined) body["config_id"] = configId;
    return body;
  }

  /** The configuration a successful cell works on: the one named, or the token's only one. */
  function targetOf(cell: Cell): ConfigKey {
    return cell.named ?? cell.row.granted[0]!;
  }

  async function assertSuccess(cell: Cell, response: ApiResponse): Promise<void> {
    assertEnvelope(response);
    const target = targetOf(cell);
    const where = `${cell.label}: ${JSON.stringify(response.body)}`;
    switch (cell.endpoint) {
      case "v1/log":
        assert.equal(response.status, 200, where);
        assert.equal(response.body.status, "Success", where);
        assert.deepEqual(Object.keys(response.body.result), ["hash"], where);
        assert.match(response.body.result.hash, HEX64, where);
        ledger[target] += 1;
        break;
      case "v2/log":
        assert.equal(response.status, 200, where);
        assert.equal(response.body.status, "Success", where);
        assert.equal(response.body.result.results.length, 2, where);
        ledger[target] += 2;
        break;
      case "v2/log_async": {
        assert.equal(response.status, 202, where);
        assert.equal(response.body.status, "Accepted", where);
        assert.deepEqual(
          Object.keys(response.body.result).sort(),
          ["location", "retry_counter", "ttl_mins"],
          where,
        );
        assert.equal(
          response.body.result.location,
          `${server.url}/request/${response.body.request_id}`,
          where,
        );
        ledger[target] += 1;
        await waitFor(`${cell.label}: the accepted event in ${target}`, async () => {
          return (await treeSizeOf(server, reader, ids[target])) === ledger[target];
        });
        break;
      }
      case "v1/root":
        assert.equal(response.status, 200, where);
        assert.equal(response.body.status, "Success", where);
        assert.equal(
          response.body.result.data.tree_name,
          treeNames[target],
          `${where}: the tree of ${target}`,
        );
        assert.equal(response.body.result.data.size, ledger[target], `${where}: the size of ${target}`);
        break;
    }
  }

  async function runCell(cell: Cell): Promise<void> {
    const response = await postJson(
      `${server.url}/${cell.endpoint}`,
      bodyOf(cell),
      secrets.get(cell.row.name),
    );
    if (cell.column === "foreign" || cell.column === "nonexistent") {
      answers.set(`${cell.endpoint}|${cell.row.name}|${cell.column}`, response);
    }
    switch (cell.outcome) {
      case "Success":
        await assertSuccess(cell, response);
        break;
      case "Unauthorized":
        assertUnauthorized(response);
        break;
      case "AmbiguousConfigID":
        assertApiError(response, {
          http: 400,
          status: "AmbiguousConfigID",
          errors: [{ code: "FieldRequired", source: "/config_id" }],
        });
        assert.match(String(response.body["summary"]), /config_id/, cell.label);
        break;
      case "ValidationError":
        assertValidationError(response, [{ code: "DoesNotMatchPattern", source: "/config_id" }]);
        break;
    }
    assert.deepEqual(await sizes(), ledger, `${cell.label}: tree sizes of A, B and C afterwards`);
  }

  before(async () => {
    server = await startTestServer({}, { clock });
    ids.A = server.configId;
    treeNames.A = (await getConfig(server, ids.A)).tree_name;
    for (const key of ["B", "C"] as const) {
      const config = await createConfig(server, { name: `config ${key}` });
      ids[key] = config.id;
      treeNames[key] = config.tree_name;
    }
    reader = (await createToken(server, { audit: { configs: [ids.A, ids.B, ids.C] } })).token;
    // A and B hold an event each, so that their roots exist; C stays empty (TreeNotFound).
    for (const key of ["A", "B"] as const) {
      const seeded = await postJson(
        `${server.url}/v1/log`,
        { event: { message: "seed" }, config_id: ids[key] },
        reader,
      );
      assert.equal(seeded.body.status, "Success");
    }

    // The server's clock stands still until the end of the setup, so the expiring token and the
    // short grace period still work for the requests made here.
    const expiresAt = clock.nowMillis() + 1200;
    const expired = await createToken(
      server,
      { audit: { configs: [ids.A] } },
      { expires_at: new Date(expiresAt).toISOString() },
    );
    secrets.set("expired", expired.token);
    pollTargets.set("expired", await logAsync(expired.token));

    const grantFor = async (name: string, audit: Record<string, unknown> | undefined) => {
      const created = await createToken(server, audit ? { audit } : {});
      secrets.set(name, created.token);
      return created;
    };
    await grantFor("no audit grant", undefined);
    await grantFor("grant for A only", { configs: [ids.A] });
    await grantFor("grant for another configuration (B) only", { configs: [ids.B] });
    await grantFor("grant for both configurations", { configs: [ids.A, ids.B] });
    await grantFor("endpoint-restricted to v1/log", { configs: [ids.A], endpoints: ["v1/log"] });
    await grantFor("field-restricted to tenant_id acme", {
      configs: [ids.A],
      field_restrictions: { [ids.A]: { tenant_id: ["acme"] } },
    });
    const revoked = await grantFor("revoked", { configs: [ids.A] });
    const inGrace = await grantFor("rotated, old secret inside its grace period", { configs: [ids.A] });
    const pastGrace = await grantFor("rotated, old secret after its grace period", { configs: [ids.A] });
    secrets.set("admin credential", server.adminToken);
    secrets.set("unknown secret", "pts_unknownunknownunknownunknownunknown00");

    // Requests made while these tokens still worked, to poll once they no longer do.
    pollTargets.set("revoked", await logAsync(revoked.token));
    pollTargets.set("rotated, old secret after its grace period", await logAsync(pastGrace.token));
    await revokeToken(server, revoked.id);
    secrets.set("rotated, new secret", (await rotateToken(server, inGrace.id, "1h")).token);
    const graceEnd = Date.parse(
      (await rotateToken(server, pastGrace.id, "1s")).previous_secret_valid_until ?? "",
    );
    assert.ok(Number.isFinite(graceEnd));

    for (const row of TOKENS) {
      if (row.poll.of !== "own" || pollTargets.has(row.name)) continue;
      const granted = row.granted.length > 1 ? ids[row.granted[0]!] : undefined;
      pollTargets.set(row.name, await logAsync(secrets.get(row.name)!, granted));
    }
    for (const row of TOKENS) {
      if (row.poll.of === "another token's") pollTargets.set(row.name, pollTargets.get("grant for A only")!);
    }

    // Now the expiry and the short grace period are both over; the one-hour grace is not.
    clock.advancePast(Math.max(expiresAt, graceEnd));
    Object.assign(ledger, await sizes());
  });

  after(async () => {
    await server?.close();
  });

  for (const endpoint of ENDPOINTS) {
    describe(endpoint, () => {
      for (const row of TOKENS) {
        for (const cell of cellsOf(endpoint, row)) {
          it(`${cell.label} → ${cell.outcome}`, () => runCell(cell));
        }
        it(`${endpoint} × ${row.name}: config_id foreign and nonexistent answer byte for byte alike`, () => {
          const foreign = answers.get(`${endpoint}|${row.name}|foreign`);
          const missing = answers.get(`${endpoint}|${row.name}|nonexistent`);
          assert.ok(foreign && missing, `${endpoint} × ${row.name}: both cells ran`);
          const visible = (r: ApiResponse) => ({
            http: r.status,
            status: r.body.status,
            summary: r.body["summary"],
            result: JSON.stringify(r.body.result),
          });
          assert.deepEqual(
            visible(foreign),
            visible(missing),
            `${endpoint} × ${row.name}: foreign ≡ nonexistent`,
          );
          assert.equal(foreign.body.status, "Unauthorized");
        });
      }
    });
  }

  describe("GET request/{id}", () => {
    for (const row of TOKENS) {
      const expected = row.poll.of === "own" ? row.poll.outcome : "Unauthorized";
      it(`GET request/{id} × ${row.name} × ${row.poll.of} v2/log_async request → ${expected}`, async () => {
        const requestId = pollTargets.get(row.name)!;
        const response = await pollRequest(server, requestId, secrets.get(row.name)!);
        if (expected === "Unauthorized") {
          assertUnauthorized(response);
        } else {
          assertEnvelope(response);
          assert.equal(response.status, 200, JSON.stringify(response.body));
          assert.equal(response.body.status, "Success");
          assert.equal(response.body.request_id, requestId);
          assert.equal(response.body.result.results.length, 1);
        }
      });
    }

    it("GET request/{id} × grant for both configurations × a request of another token on a covered configuration → Unauthorized", async () => {
      // Covering the configuration is not enough: only the token that made a request reads it.
      const response = await pollRequest(
        server,
        pollTargets.get("grant for A only")!,
        secrets.get("grant for both configurations")!,
      );
      assertUnauthorized(response);
    });

    it("GET request/{id} × rotated, new secret × the request made with the old secret → Success", async () => {
      const response = await pollRequest(
        server,
        pollTargets.get("rotated, old secret inside its grace period")!,
        secrets.get("rotated, new secret")!,
      );
      assert.equal(response.status, 200);
      assert.equal(response.body.status, "Success");
    });

    it("GET request/{id} × grant for A only × a well-formed id no request has → 404 NotFound", async () => {
      const response = await pollRequest(server, `prq_${"a".repeat(32)}`, secrets.get("grant for A only")!);
      assertEnvelope(response);
      assert.equal(response.status, 404);
      assert.equal(response.body.status, "NotFound");
      assert.equal(response.body.result, null);
    });
  });

  describe("a grant narrowed after its token made a v2/log_async request", () => {
    let tokenId: string;
    let secret: string;
    let requestId: string;

    before(async () => {
      const created = await createToken(server, { audit: { configs: [ids.A] } });
      tokenId = created.id;
      secret = created.token;
      requestId = await logAsync(secret);
      ledger.A += 1;
    });

    const narrowings: [string, () => Record<string, unknown>][] = [
      ["no audit grant", () => ({})],
      ["grant moved to B", () => ({ audit: { configs: [ids.B] } })],
      ["endpoints narrowed to v1/log", () => ({ audit: { configs: [ids.A], endpoints: ["v1/log"] } })],
    ];
    for (const [name, grants] of narrowings) {
      it(`GET request/{id} × ${name} × own request on A → Unauthorized`, async () => {
        await updateToken(server, tokenId, { grants: grants() });
        assertUnauthorized(await pollRequest(server, requestId, secret));
      });
    }

    it("GET request/{id} × grant for A restored × own request on A → Success", async () => {
      await updateToken(server, tokenId, { grants: { audit: { configs: [ids.A] } } });
      const response = await pollRequest(server, requestId, secret);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.status, "Success");
    });
  });

  describe("field restrictions (tenant_id acme on A)", () => {
    const restricted = "field-restricted to tenant_id acme";
    const event = (tenant: string | undefined, message = "field restriction") =>
      tenant === undefined ? { message } : { message, tenant_id: tenant };

    it("v1/log × field-restricted × tenant_id acme → Success", async () => {
      const response = await postJson(
        `${server.url}/v1/log`,
        { event: event("acme") },
        secrets.get(restricted),
      );
      assert.equal(response.body.status, "Success");
      ledger.A += 1;
      assert.deepEqual(await sizes(), ledger);
    });

    for (const [tenant, what] of [
      ["globex", "tenant_id globex"],
      [undefined, "no tenant_id"],
    ] as const) {
      it(`v1/log × field-restricted × ${what} → ValidationError NotEnumMember at /event/tenant_id`, async () => {
        const response = await postJson(
          `${server.url}/v1/log`,
          { event: event(tenant) },
          secrets.get(restricted),
        );
        assertValidationError(response, [{ code: "NotEnumMember", source: "/event/tenant_id" }]);
        assert.deepEqual(await sizes(), ledger, `v1/log × ${what}: nothing stored`);
      });
    }

    for (const endpoint of ["v2/log", "v2/log_async"] as const) {
      it(`${endpoint} × field-restricted × second of two events tenant_id globex → NotEnumMember at /events/1/event/tenant_id, neither stored`, async () => {
        const response = await postJson(
          `${server.url}/${endpoint}`,
          { events: [{ event: event("acme") }, { event: event("globex") }] },
          secrets.get(restricted),
        );
        assertValidationError(response, [{ code: "NotEnumMember", source: "/events/1/event/tenant_id" }]);
        // An accepted async job would land later: give it the time one would take.
        await sleep(100);
        assert.deepEqual(await sizes(), ledger, `${endpoint}: nothing stored`);
      });
    }

    it("v1/log × grant for A only (no restriction) × tenant_id globex → Success", async () => {
      const response = await postJson(
        `${server.url}/v1/log`,
        { event: event("globex") },
        secrets.get("grant for A only"),
      );
      assert.equal(response.body.status, "Success");
      ledger.A += 1;
      assert.deepEqual(await sizes(), ledger);
    });
  });

  describe("the read endpoints", () => {
    it("v1/search × grant for both configurations → Success; × no audit grant and × no token → the one 401", async () => {
      const call = (token: string | undefined) =>
        fetchApi(`${server.url}/v1/search`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query: "message:matrix", config_id: ids.A }),
        });
      const granted = await call(secrets.get("grant for both configurations"));
      assertEnvelope(granted);
      assert.equal(granted.status, 200);
      assert.equal(granted.body.status, "Success");
      for (const [who, token] of [
        ["no audit grant", secrets.get("no audit grant")],
        ["no token", undefined],
      ] as const) {
        const refused = await call(token);
        assertEnvelope(refused);
        assert.deepEqual(
          [refused.status, refused.body.status, refused.body["summary"], refused.body.result],
          [401, "Unauthorized", UNAUTHORIZED_SUMMARY, { errors: [] }],
          `v1/search × ${who}`,
        );
      }
    });
  });

  it("the foreign and nonexistent refusals all carry the one summary, and the trees hold exactly what the cells stored", async () => {
    for (const [key, response] of answers) {
      assert.equal(response.body["summary"], UNAUTHORIZED_SUMMARY, key);
    }
    // Late writes (an async job accepted by mistake) would show up here.
    await sleep(100);
    assert.deepEqual(await sizes(), ledger);
  });
});
