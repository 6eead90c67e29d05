// Admin credentials have a life cycle (docs/design/tokens.md): made, listed, renamed, given an
// expiry, rotated and revoked through the token admin API like service tokens, never the last
// one that works, never on the data plane; and the credential an earlier VERITRAIL_ADMIN_TOKEN
// made is revoked at the next start, with a log line that names it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../src/config.js";
import { type Service, startServer } from "../src/main.js";
import type { Store } from "../src/store/contract/store.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { adminPost, type CreatedToken, createTokenFor, successResult } from "./support/admin.js";
import {
  type ApiResponse,
  assertApiError,
  assertUnauthorized,
  assertValidationError,
  treeSize,
} from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import type { TokenView as ServiceTokenView } from "./support/grants.js";
import { freePort, postJson, startTestServer, type TestServer } from "./support/test-server.js";
import { dropSchema, freshSchema, openSharedPostgresStore, testStoreKind } from "./support/test-store.js";

const SECRET = /^pts_[a-z2-7]{40}$/;

/** A token as the admin API renders it, with what tells an admin credential apart. */
interface TokenView extends ServiceTokenView {
  kind: "service" | "admin";
  status: "active" | "revoked" | "expired";
  origin: "environment" | "generated" | "api";
}

interface CreatedCredential extends CreatedToken {
  kind: "service" | "admin";
}

/** Every form in which a secret could leak: as given, without its prefix, and its SHA-256. */
function leakForms(secret: string): string[] {
  const digest = createHash("sha256").update(secret).digest();
  return [
    secret,
    secret.slice(4),
    digest.toString("hex"),
    digest.toString("base64"),
    digest.toString("base64url"),
  ];
}

/** The admin API, called with a given credential. */
function adminCall(server: { url: string }, secret: string, action: string, body: unknown) {
  return postJson(`${server.url}/v1/admin/token/${action}`, body, secret);
}

/** The answer of a refusal that would leave no admin credential working. */
function assertLastAdminRefused(response: ApiResponse, source: string): void {
  assertApiError(response, { http: 409, status: "Conflict", errors: [{ code: "BadState", source }] });
  assert.match(String(response.body["summary"]), /last admin credential/);
}

describe("admin credentials through the token admin API", () => {
  let server: TestServer;
  const clock = new FakeClock();
  /** An ISO time `ms` from the server's present. */
  const inMs = (ms: number) => new Date(clock.nowMillis() + ms).toISOString();
  before(async () => {
    server = await startTestServer({}, { clock });
  });
  after(() => server.close());

  const admin = (path: string, body: unknown) => adminPost(server, path, body);
  const getToken = async (id: string) => successResult<TokenView>(await admin("/v1/admin/token/get", { id }));
  const listTokens = async () =>
    successResult<{ count: number; items: TokenView[] }>(await admin("/v1/admin/token/list", {}));
  const createAdmin = async (name: string, extra: Record<string, unknown> = {}) =>
    successResult<CreatedCredential>(
      await admin("/v1/admin/token/create", { kind: "admin", name, ...extra }),
    );
  /** Whether a secret is let into the admin API. */
  const manages = async (secret: string) => {
    const response = await adminCall(server, secret, "list", {});
    if (response.status === 401) return false;
    successResult(response);
    return true;
  };
  const harnessAdminId = async () => {
    const found = (await listTokens()).items.filter((t) => t.kind === "admin" && t.origin === "environment");
    assert.equal(found.length, 1, JSON.stringify(found));
    return found[0]!.id;
  };

  describe("create", () => {
    it('makes an admin credential with "kind": "admin" and no grants; its secret manages the project', async () => {
      const created = await createAdmin("ops");
      assert.deepEqual(Object.keys(created).sort(), [
        "created_at",
        "expires_at",
        "grants",
        "id",
        "kind",
        "name",
        "token",
      ]);
      assert.equal(created.kind, "admin");
      assert.equal(created.name, "ops");
      assert.deepEqual(created.grants, {});
      assert.match(created.token, SECRET);
      assert.equal(await manages(created.token), true);
      // It can make configurations and tokens like the first admin credential.
      const config = successResult<{ id: string }>(
        await postJson(`${server.url}/v1beta/config/create`, { name: "made by ops" }, created.token),
      );
      successResult(
        await adminCall(server, created.token, "create", {
          name: "ingest",
          grants: { audit: { configs: [config.id] } },
        }),
      );
    });

    it("refuses grants on an admin credential, an unknown kind, and a service token without grants; creates nothing", async () => {
      const before = (await listTokens()).count;
      assertValidationError(
        await admin("/v1/admin/token/create", {
          kind: "admin",
          name: "scoped",
          grants: { audit: { configs: "all" } },
        }),
        [{ code: "UnexpectedProperty", source: "/grants" }],
      );
      assertValidationError(await admin("/v1/admin/token/create", { kind: "root", name: "x" }), [
        { code: "NotEnumMember", source: "/kind" },
      ]);
      assertValidationError(await admin("/v1/admin/token/create", { kind: "service", name: "x" }), [
        { code: "FieldRequired", source: "/grants" },
      ]);
      assert.equal((await listTokens()).count, before);
    });
  });

  describe("list and get", () => {
    it("show admin credentials beside service tokens with kind, name, status, expiry and origin, never a secret", async () => {
      const created = await createAdmin("auditor-admin", {
        expires_at: inMs(86_400_000),
      });
      const listed = await listTokens();
      const item = listed.items.find((t) => t.id === created.id);
      assert.ok(item, "the list holds the admin credential");
      assert.equal(item.kind, "admin");
      assert.equal(item.name, "auditor-admin");
      assert.equal(item.status, "active");
      assert.equal(item.origin, "api");
      assert.equal(item.expires_at, created.expires_at);
      assert.deepEqual(item, await getToken(created.id));

      // The credentials start-up made from the environment are there too, of their kinds.
      const fromEnvironment = listed.items.filter((t) => t.origin === "environment");
      assert.deepEqual(fromEnvironment.map((t) => t.kind).sort(), ["admin", "service"]);

      const texts = [
        JSON.stringify((await admin("/v1/admin/token/list", {})).body),
        JSON.stringify((await admin("/v1/admin/token/get", { id: created.id })).body),
      ];
      for (const secret of [created.token, server.adminToken, server.auditToken]) {
        for (const needle of leakForms(secret)) {
          for (const text of texts) assert.equal(text.includes(needle), false, `${needle} leaked`);
        }
      }
    });
  });

  describe("update", () => {
    it("renames an admin credential and sets or clears its expiry", async () => {
      const created = await createAdmin("temp");
      const expiresAt = inMs(3_600_000);
      const updated = successResult<TokenView>(
        await admin("/v1/admin/token/update", { id: created.id, name: "temp-ops", expires_at: expiresAt }),
      );
      assert.equal(updated.name, "temp-ops");
      assert.equal(updated.expires_at, expiresAt);
      assert.equal(updated.kind, "admin");
      assert.deepEqual(await getToken(created.id), updated);
      const cleared = successResult<TokenView>(
        await admin("/v1/admin/token/update", { id: created.id, expires_at: null }),
      );
      assert.equal(cleared.expires_at, null);
      assert.equal(await manages(created.token), true);
    });

    it("refuses grants for an admin credential and changes nothing", async () => {
      const created = await createAdmin("no-grants");
      const before = await getToken(created.id);
      assertValidationError(
        await admin("/v1/admin/token/update", {
          id: created.id,
          name: "never",
          grants: { audit: { configs: "all" } },
        }),
        [{ code: "UnexpectedProperty", source: "/grants" }],
      );
      assert.deepEqual(await getToken(created.id), before);
    });
  });

  describe("extend", () => {
    it("is refused for an admin credential with a ValidationError at /id, changing nothing", async () => {
      const created = await createAdmin("extend-me");
      const before = await getToken(created.id);
      assertValidationError(
        await admin("/v1/admin/token/extend", {
          id: created.id,
          service: "audit",
          config_id: server.configId,
        }),
        [{ code: "BadState", source: "/id" }],
      );
      assert.deepEqual(await getToken(created.id), before);
    });
  });

  describe("rotate", () => {
    it("answers a new secret; the old one manages through the grace period, then not", async () => {
      const created = await createAdmin("rotating");
      const rotated = successResult<TokenView & { token: string }>(
        await admin("/v1/admin/token/rotate", { id: created.id, grace_period: "1s" }),
      );
      assert.match(rotated.token, SECRET);
      assert.notEqual(rotated.token, created.token);
      assert.equal(rotated.id, created.id);
      assert.equal(rotated.kind, "admin");
      assert.ok(rotated.previous_secret_valid_until);
      clock.advance(900);
      assert.equal(await manages(created.token), true, "the old secret works in its grace period");
      assert.equal(await manages(rotated.token), true);
      clock.advancePast(rotated.previous_secret_valid_until);
      assertUnauthorized(await adminCall(server, created.token, "list", {}));
      assert.equal(await manages(rotated.token), true);
    });
  });

  describe("revoke", () => {
    it("stops an admin credential at once: the admin API answers it 401 Unauthorized", async () => {
      const created = await createAdmin("leaving");
      assert.equal(await manages(created.token), true);
      const revoked = successResult<TokenView>(await admin("/v1/admin/token/revoke", { id: created.id }));
      assert.equal(revoked.status, "revoked");
      assert.ok(revoked.revoked_at);
      assertUnauthorized(await adminCall(server, created.token, "list", {}));
      assertUnauthorized(await postJson(`${server.url}/v1beta/config/list`, {}, created.token));
    });

    it("lets a credential revoke itself while another admin credential works", async () => {
      const created = await createAdmin("self");
      const revoked = successResult<TokenView>(
        await adminCall(server, created.token, "revoke", { id: created.id }),
      );
      assert.equal(revoked.status, "revoked");
      assertUnauthorized(await adminCall(server, created.token, "list", {}));
      assert.equal(await manages(server.adminToken), true);
    });
  });

  describe("the data plane", () => {
    it("answers an admin credential 401 Unauthorized on v1/log and stores nothing", async () => {
      const created = await createAdmin("not-a-logger");
      const before = await treeSize(server);
      for (const secret of [created.token, server.adminToken]) {
        assertUnauthorized(
          await postJson(`${server.url}/v1/log`, { event: { message: "from an admin" } }, secret),
        );
        assertUnauthorized(
          await postJson(
            `${server.url}/v1/log`,
            { event: { message: "from an admin" }, config_id: server.configId },
            secret,
          ),
        );
      }
      assert.equal(await treeSize(server), before);
    });
  });

  describe("the last admin credential", () => {
    it("an expiry is refused when the only other admin credential stops first, and allowed when it outlives it", async () => {
      const harness = await harnessAdminId();
      const others = (await listTokens()).items.filter((t) => t.kind === "admin" && t.id !== harness);
      for (const other of others) successResult(await admin("/v1/admin/token/revoke", { id: other.id }));
      const soon = inMs(3_600_000);
      const later = inMs(7_200_000);
      const short = await createAdmin("short-lived", { expires_at: soon });
      const before = await getToken(harness);
      assertLastAdminRefused(
        await admin("/v1/admin/token/update", { id: harness, expires_at: later }),
        "/expires_at",
      );
      assert.deepEqual(await getToken(harness), before);
      const earlier = inMs(1_800_000);
      assert.equal(
        successResult<TokenView>(await admin("/v1/admin/token/update", { id: harness, expires_at: earlier }))
          .expires_at,
        earlier,
      );
      successResult(await admin("/v1/admin/token/update", { id: harness, expires_at: null }));
      successResult(await admin("/v1/admin/token/revoke", { id: short.id }));
    });
  });

  describe("credentials", () => {
    it("a service token still cannot manage admin credentials", async () => {
      const created = await createAdmin("target");
      const service: CreatedToken = await createTokenFor(server, server.configId);
      for (const [action, body] of [
        ["get", { id: created.id }],
        ["revoke", { id: created.id }],
        ["create", { kind: "admin", name: "intruder" }],
      ] as const) {
        assertUnauthorized(await adminCall(server, service.token, action, body));
      }
      assert.equal((await getToken(created.id)).status, "active");
    });
  });
});

describe("the last admin credential that works", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const getToken = async (id: string, secret = server.adminToken) =>
    successResult<TokenView>(await adminCall(server, secret, "get", { id }));
  const adminId = async () => {
    const { items } = successResult<{ items: TokenView[] }>(
      await adminPost(server, "/v1/admin/token/list", {}),
    );
    return items.find((t) => t.kind === "admin")!.id;
  };

  it("cannot be revoked, not even by itself: 409 Conflict, BadState at /id, and nothing changes", async () => {
    const id = await adminId();
    const before = await getToken(id);
    assertLastAdminRefused(await adminPost(server, "/v1/admin/token/revoke", { id }), "/id");
    assert.deepEqual(await getToken(id), before);
    assert.equal(before.status, "active");
  });

  it("cannot be given an expiry: 409 Conflict, BadState at /expires_at, and nothing changes", async () => {
    const id = await adminId();
    const before = await getToken(id);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    assertLastAdminRefused(
      await adminPost(server, "/v1/admin/token/update", { id, name: "renamed", expires_at: expiresAt }),
      "/expires_at",
    );
    assert.deepEqual(await getToken(id), before);
    // Renaming is no loss: it is allowed.
    assert.equal(
      successResult<TokenView>(await adminPost(server, "/v1/admin/token/update", { id, name: "first" })).name,
      "first",
    );
  });

  /** A secret of an admin credential that works, and its id, as the tests below move them on. */
  let manager = { id: "", secret: "" };
  const manages = async (secret: string) => (await adminCall(server, secret, "list", {})).status === 200;

  it("can be rotated, and revoked once another admin credential works", async () => {
    const id = await adminId();
    const rotated = successResult<{ token: string }>(
      await adminPost(server, "/v1/admin/token/rotate", { id, grace_period: "1h" }),
    );
    const second = successResult<CreatedCredential>(
      await adminCall(server, rotated.token, "create", { kind: "admin", name: "second" }),
    );
    successResult(await adminCall(server, second.token, "revoke", { id }));
    assertUnauthorized(await adminCall(server, rotated.token, "list", {}));
    assertUnauthorized(await adminCall(server, server.adminToken, "list", {}));
    // Now the second is the last one.
    assertLastAdminRefused(await adminCall(server, second.token, "revoke", { id: second.id }), "/id");
    assert.equal((await getToken(second.id, second.token)).status, "active");
    manager = { id: second.id, secret: second.token };
  });

  it("survives two credentials revoking each other at once: one of them always keeps working", async () => {
    assert.ok(manager.secret, "the test before left a working admin credential");
    for (let round = 0; round < 6; round++) {
      const b = successResult<CreatedCredential>(
        await adminCall(server, manager.secret, "create", { kind: "admin", name: `b${round}` }),
      );
      const answers = await Promise.all([
        adminCall(server, manager.secret, "revoke", { id: b.id }),
        adminCall(server, b.token, "revoke", { id: manager.id }),
      ]);
      assert.ok(
        answers.filter((r) => r.body.status === "Success").length <= 1,
        `round ${round}: both landed`,
      );
      // A request whose credential the other revoked first is not let in at all.
      for (const answer of answers) {
        if (answer.body.status === "Unauthorized") assertUnauthorized(answer);
        else if (answer.body.status !== "Success") assertLastAdminRefused(answer, "/id");
      }
      const [aWorks, bWorks] = await Promise.all([manages(manager.secret), manages(b.token)]);
      assert.ok(aWorks || bWorks, `round ${round}: no admin credential works`);
      if (aWorks && bWorks) {
        // Both were refused (each undid its change after seeing the other's): a safe outcome.
        successResult(await adminCall(server, manager.secret, "revoke", { id: b.id }));
      } else if (bWorks) {
        manager = { id: b.id, secret: b.token };
      }
    }
  });
});

describe("two admin credentials revoking each other when both checks pass first", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("undoes the revocation that would leave none working: one credential keeps working", async () => {
    const a = successResult<CreatedCredential>(
      await adminPost(server, "/v1/admin/token/create", { kind: "admin", name: "a" }),
    );
    const b = successResult<CreatedCredential>(
      await adminPost(server, "/v1/admin/token/create", { kind: "admin", name: "b" }),
    );
    const harness = successResult<{ items: TokenView[] }>(
      await adminPost(server, "/v1/admin/token/list", {}),
    ).items.find((t) => t.kind === "admin" && t.origin === "environment")!;
    successResult(await adminCall(server, a.token, "revoke", { id: harness.id }));

    // Hold the first two reads of the project's tokens (the two checks before writing) until
    // both requests have made them, so that each sees the other's credential still working.
    const tokens = server.service.store.tokens;
    const list = tokens.listTokens.bind(tokens);
    let held: (() => void)[] = [];
    tokens.listTokens = async (projectId) => {
      const answer = await list(projectId);
      if (held.length < 2) {
        await new Promise<void>((release) => {
          held.push(release);
          if (held.length === 2) for (const go of held) go();
        });
      }
      return answer;
    };
    let answers: ApiResponse[];
    try {
      answers = await Promise.all([
        adminCall(server, a.token, "revoke", { id: b.id }),
        adminCall(server, b.token, "revoke", { id: a.id }),
      ]);
    } finally {
      tokens.listTokens = list;
      held = [];
    }
    const outcomes = answers.map((r) => r.body.status);
    assert.ok(outcomes.includes("Conflict"), `one at least is refused: ${outcomes}`);
    for (const answer of answers) {
      if (answer.body.status !== "Success") assertLastAdminRefused(answer, "/id");
    }
    const works = await Promise.all(
      [a.token, b.token].map(async (secret) => (await adminCall(server, secret, "list", {})).status === 200),
    );
    assert.ok(works.some(Boolean), "an admin credential still works");
    // What each answer said is what happened.
    assert.equal(works[1], answers[0]!.body.status !== "Success");
    assert.equal(works[0], answers[1]!.body.status !== "Success");
  });
});

describe("the admin credential from VERITRAIL_ADMIN_TOKEN at start", () => {
  const FIRST = `pts_${"first".repeat(8)}`;
  const SECOND = `pts_${"second".repeat(7)}`;
  const AUDIT = `pts_${"audit".repeat(8)}`;
  const kind = testStoreKind();
  let dataDir: string;
  let schema: string;
  /** The log lines of every start, parsed. */
  let lines: { level: number; msg: string; credential?: string; [key: string]: unknown }[] = [];
  let raw = "";

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "veritrail-admin-env-"));
    schema = freshSchema();
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (kind === "postgres") await dropSchema(schema);
  });

  /** The same store every start: the SQLite file in `dataDir`, or one PostgreSQL schema. */
  function openStore(): Store {
    return kind === "postgres"
      ? openSharedPostgresStore(schema)
      : new SqliteStore({ dataDir, synchronous: "NORMAL" });
  }

  /** Starts the server the way `veritrail serve` does, with this VERITRAIL_ADMIN_TOKEN (or none). */
  async function start(adminToken: string | undefined): Promise<{ service: Service; url: string }> {
    lines = [];
    const config = loadConfig({
      VERITRAIL_HOST: "127.0.0.1",
      VERITRAIL_PORT: String(await freePort()),
      VERITRAIL_DATA_DIR: dataDir,
      VERITRAIL_LOG_LEVEL: "info",
      VERITRAIL_INIT_AUDIT_TOKEN: AUDIT,
      VERITRAIL_AUTH_CACHE_MS: "0",
      ...(adminToken === undefined ? {} : { VERITRAIL_ADMIN_TOKEN: adminToken }),
    });
    const service = await startServer(config, {
      store: openStore(),
      logDestination: {
        write(line: string) {
          raw += line;
          lines.push(JSON.parse(line));
        },
      },
      print: () => {},
    });
    return { service, url: config.publicUrl };
  }

  const list = async (url: string, secret: string) =>
    successResult<{ items: TokenView[] }>(await postJson(`${url}/v1/admin/token/list`, {}, secret)).items;
  const warnings = () => lines.filter((line) => line.level === 40);

  let firstId = "";
  let secondId = "";

  it("stores the variable's credential at first start, marked as coming from the environment", async () => {
    const { service, url } = await start(FIRST);
    try {
      const admins = (await list(url, FIRST)).filter((t) => t.kind === "admin");
      assert.equal(admins.length, 1);
      assert.equal(admins[0]!.origin, "environment");
      assert.equal(admins[0]!.status, "active");
      firstId = admins[0]!.id;
      assert.deepEqual(warnings(), []);
    } finally {
      await service.close();
    }
  });

  it("revokes it when a start brings another value, after storing the new one, and logs its id", async () => {
    const { service, url } = await start(SECOND);
    try {
      assertUnauthorized(await postJson(`${url}/v1/admin/token/list`, {}, FIRST));
      const tokens = await list(url, SECOND);
      const first = tokens.find((t) => t.id === firstId);
      assert.equal(first?.status, "revoked");
      const current = tokens.filter((t) => t.kind === "admin" && t.status === "active");
      assert.equal(current.length, 1, "the new credential is the one that works");
      assert.equal(current[0]!.origin, "environment");
      secondId = current[0]!.id;

      const revoked = warnings().filter((line) => line.credential === firstId);
      assert.equal(revoked.length, 1, raw);
      assert.match(revoked[0]!.msg, new RegExp(`revoked admin credential ${firstId}`));
      assert.match(revoked[0]!.msg, /VERITRAIL_ADMIN_TOKEN/);
      for (const secret of [FIRST, SECOND, AUDIT]) {
        for (const needle of leakForms(secret)) assert.equal(raw.includes(needle), false, `${needle} logged`);
      }
      // The audit token from the environment is left as it was.
      successResult(await postJson(`${url}/v1/log`, { event: { message: "after the change" } }, AUDIT));
    } finally {
      await service.close();
    }
  });

  it("keeps the revoked one revoked when the old value comes back, and keeps the working one", async () => {
    const { service, url } = await start(FIRST);
    try {
      assertUnauthorized(await postJson(`${url}/v1/admin/token/list`, {}, FIRST));
      const tokens = await list(url, SECOND);
      assert.equal(tokens.find((t) => t.id === secondId)?.status, "active");
      assert.equal(tokens.find((t) => t.id === firstId)?.status, "revoked");
      const stale = warnings().filter((line) => line.credential === firstId);
      assert.equal(stale.length, 1, raw);
      assert.match(stale[0]!.msg, /does not work/);
    } finally {
      await service.close();
    }
  });

  it("revokes nothing when the variable is unset", async () => {
    const { service, url } = await start(undefined);
    try {
      const tokens = await list(url, SECOND);
      assert.equal(tokens.find((t) => t.id === secondId)?.status, "active");
      assert.deepEqual(warnings(), []);
    } finally {
      await service.close();
    }
  });

  it("marks a credential stored before origins were when it is the variable's value, and replaces it later", async () => {
    // A store written by an earlier version: the row has the column's default, `api`.
    const store = openStore();
    await store.migrate();
    const stored = (await store.tokens.getToken(secondId))!;
    const { origin: _origin, ...legacy } = stored;
    assert.equal(await store.tokens.updateToken(legacy, stored.updatedAt), true);
    assert.equal((await store.tokens.getToken(secondId))!.origin, undefined);
    await store.close();

    const THIRD = `pts_${"third".repeat(8)}`;
    let started = await start(SECOND);
    try {
      const view = (await list(started.url, SECOND)).find((t) => t.id === secondId);
      assert.equal(view?.origin, "environment");
    } finally {
      await started.service.close();
    }
    started = await start(THIRD);
    try {
      assertUnauthorized(await postJson(`${started.url}/v1/admin/token/list`, {}, SECOND));
      successResult(await postJson(`${started.url}/v1/admin/token/list`, {}, THIRD));
      assert.equal(warnings().filter((line) => line.credential === secondId).length, 1, raw);
    } finally {
      await started.service.close();
    }
  });
});
