// The token admin API (`v1/admin/token/…`, product-features §11): the secret shown only at
// create and rotate, grants replaced and extended, rotation with a grace period, revocation,
// expiry, and bad grants that create nothing.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  adminPost,
  type ConfigView,
  type CreatedToken,
  createConfig,
  createToken,
  createTokenFor,
  successResult,
} from "./support/admin.js";
import {
  type ApiResponse,
  assertApiError,
  assertEnvelope,
  assertUnauthorized,
  assertValidationError,
  type ExpectedError,
} from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import type { TokenView } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const TOKEN_ID = /^ptk_[a-z2-7]{32}$/;
const SECRET = /^pts_[a-z2-7]{40}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("the token admin API", () => {
  // The server's time: expiry and grace periods pass when the test moves it, not by sleeping.
  const clock = new FakeClock();
  let server: TestServer;
  let configA: ConfigView;
  let configB: ConfigView;
  let configC: ConfigView;
  before(async () => {
    server = await startTestServer({}, { clock });
    configA = await createConfig(server, { name: "A" });
    configB = await createConfig(server, { name: "B" });
    configC = await createConfig(server, { name: "C" });
  });
  after(() => server.close());

  const admin = (path: string, body: unknown) => adminPost(server, path, body);
  const getToken = async (id: string) => successResult<TokenView>(await admin("/v1/admin/token/get", { id }));
  const listTokens = async () =>
    successResult<{ count: number; items: TokenView[] }>(await admin("/v1/admin/token/list", {}));
  const tokenCount = async () => (await listTokens()).count;
  const treeSize = async (configId: string) => (await server.service.store.log.getTreeHead(configId))!.size;

  /** Logs one event with a token, naming a configuration or not. */
  const log = (secret: string, configId?: string): Promise<ApiResponse> =>
    postJson(
      `${server.url}/v1/log`,
      { event: { message: "from a managed token" }, ...(configId ? { config_id: configId } : {}) },
      secret,
    );

  async function assertLogs(secret: string, configId?: string): Promise<void> {
    const response = await log(secret, configId);
    assertEnvelope(response);
    assert.equal(response.body.status, "Success", JSON.stringify(response.body));
  }

  describe("create", () => {
    it("answers the id, the secret, name, expires_at, grants and created_at; the secret logs to its configuration", async () => {
      const grants = { audit: { configs: [configA.id] } };
      const created = await createToken(server, grants, { name: "ingest" });
      assert.deepEqual(Object.keys(created).sort(), [
        "created_at",
        "expires_at",
        "grants",
        "id",
        "kind",
        "name",
        "token",
      ]);
      assert.equal((created as CreatedToken & { kind: string }).kind, "service");
      assert.match(created.id, TOKEN_ID);
      assert.match(created.token, SECRET);
      assert.equal(created.name, "ingest");
      assert.equal(created.expires_at, null);
      assert.deepEqual(created.grants, grants);
      assert.match(created.created_at, ISO_TIME);
      const before = await treeSize(configA.id);
      await assertLogs(created.token);
      assert.equal(await treeSize(configA.id), before + 1);
    });

    it("gives every token its own id and secret", async () => {
      const a = await createTokenFor(server, configA.id);
      const b = await createTokenFor(server, configA.id);
      assert.notEqual(a.id, b.id);
      assert.notEqual(a.token, b.token);
    });

    it("keeps an expiry in the future, as an ISO time", async () => {
      const expiresAt = new Date(clock.nowMillis() + 86_400_000).toISOString();
      const created = await createToken(server, { audit: { configs: "all" } }, { expires_at: expiresAt });
      assert.equal(created.expires_at, expiresAt);
      assert.equal((await getToken(created.id)).expires_at, expiresAt);
      await assertLogs(created.token, configB.id);
    });

    it("limits a token to its endpoints", async () => {
      const created = await createToken(server, { audit: { configs: [configA.id], endpoints: ["v1/root"] } });
      const before = await treeSize(configA.id);
      assertUnauthorized(await log(created.token));
      assert.equal(await treeSize(configA.id), before);
    });

    it("requires a name and grants", async () => {
      const before = await tokenCount();
      assertValidationError(await admin("/v1/admin/token/create", {}), [
        { code: "FieldRequired", source: "/name" },
        { code: "FieldRequired", source: "/grants" },
      ]);
      assert.equal(await tokenCount(), before);
    });
  });

  describe("get and list", () => {
    it("never show a secret or any hash of one, current or rotated out", async () => {
      const created = await createTokenFor(server, configA.id);
      const rotated = successResult<{ token: string }>(
        await admin("/v1/admin/token/rotate", { id: created.id, grace_period: "1h" }),
      );
      const view = await getToken(created.id);
      assert.deepEqual(Object.keys(view).sort(), [
        "created_at",
        "expires_at",
        "grants",
        "id",
        "kind",
        "name",
        "origin",
        "previous_secret_valid_until",
        "revoked_at",
        "status",
        "updated_at",
      ]);
      const texts = [
        JSON.stringify((await admin("/v1/admin/token/get", { id: created.id })).body),
        JSON.stringify((await admin("/v1/admin/token/list", {})).body),
      ];
      assert.ok(texts[1]!.includes(created.id), "the list holds the token");
      for (const secret of [created.token, rotated.token]) {
        const digest = createHash("sha256").update(secret).digest();
        for (const needle of [
          secret,
          secret.slice(4),
          digest.toString("hex"),
          digest.toString("base64"),
          digest.toString("base64url"),
        ]) {
          for (const text of texts) assert.equal(text.includes(needle), false, `${needle} leaked`);
        }
      }
    });

    it("list answers every service token of the project with its count", async () => {
      const created = await createTokenFor(server, configB.id);
      const listed = await listTokens();
      assert.equal(listed.count, listed.items.length);
      assert.deepEqual(
        listed.items.find((t) => t.id === created.id),
        await getToken(created.id),
      );
      for (const item of listed.items) assert.match(item.id, TOKEN_ID);
    });

    it("answers NotFound for an unknown id", async () => {
      assertApiError(await admin("/v1/admin/token/get", { id: `ptk_${"a".repeat(32)}` }), {
        http: 404,
        status: "NotFound",
        errors: [{ code: "DoesNotExist", source: "/id" }],
      });
    });
  });

  describe("update", () => {
    it("replaces the grants and the name", async () => {
      const created = await createTokenFor(server, configA.id);
      const updated = successResult<TokenView>(
        await admin("/v1/admin/token/update", {
          id: created.id,
          name: "moved",
          grants: { audit: { configs: [configB.id] } },
        }),
      );
      assert.equal(updated.name, "moved");
      assert.deepEqual(updated.grants, { audit: { configs: [configB.id] } });
      assert.ok(updated.updated_at > created.created_at);
      assert.deepEqual(await getToken(created.id), updated);
      await assertLogs(created.token);
      assert.equal((await server.service.store.log.getTreeHead(configB.id))!.size > 0, true);
      assertUnauthorized(await log(created.token, configA.id));
    });

    it("clears the expiry with null", async () => {
      const expiresAt = new Date(clock.nowMillis() + 3_600_000).toISOString();
      const created = await createToken(
        server,
        { audit: { configs: [configA.id] } },
        { expires_at: expiresAt },
      );
      const updated = successResult<TokenView>(
        await admin("/v1/admin/token/update", { id: created.id, expires_at: null }),
      );
      assert.equal(updated.expires_at, null);
      assert.deepEqual(updated.grants, created.grants);
    });

    it("refuses bad grants and changes nothing", async () => {
      const created = await createTokenFor(server, configA.id);
      const before = await getToken(created.id);
      assertValidationError(
        await admin("/v1/admin/token/update", {
          id: created.id,
          name: "never",
          grants: { audit: { configs: [configB.id, `pci_${"x".repeat(32)}`] } },
        }),
        [{ code: "ConfigNotExist", source: "/grants/audit/configs/1" }],
      );
      assert.deepEqual(await getToken(created.id), before);
      await assertLogs(created.token);
    });
  });

  describe("extend", () => {
    const extend = (id: string, configId: string) =>
      admin("/v1/admin/token/extend", { id, service: "audit", config_id: configId });

    it("adds a configuration, and adding it again changes nothing", async () => {
      const created = await createTokenFor(server, configA.id);
      const extended = successResult<TokenView>(await extend(created.id, configB.id));
      assert.deepEqual(extended.grants, { audit: { configs: [configA.id, configB.id] } });
      const again = successResult<TokenView>(await extend(created.id, configB.id));
      assert.deepEqual(again.grants, extended.grants);
      assert.deepEqual((await getToken(created.id)).grants, extended.grants);
      await assertLogs(created.token, configB.id);
      await assertLogs(created.token, configA.id);
    });

    it("leaves an all-configurations grant as it is", async () => {
      const created = await createToken(server, { audit: { configs: "all", endpoints: ["v1/log"] } });
      const extended = successResult<TokenView>(await extend(created.id, configC.id));
      assert.deepEqual(extended.grants, { audit: { configs: "all", endpoints: ["v1/log"] } });
    });

    it("lands both of two concurrent extends to different configurations", async () => {
      for (let round = 0; round < 5; round++) {
        const created = await createTokenFor(server, configA.id);
        const answers = await Promise.all([extend(created.id, configB.id), extend(created.id, configC.id)]);
        for (const answer of answers) successResult(answer);
        const configs = (await getToken(created.id)).grants.audit!.configs as string[];
        assert.deepEqual([...configs].sort(), [configA.id, configB.id, configC.id].sort(), `round ${round}`);
      }
    });

    it("refuses an unknown configuration or service and changes nothing", async () => {
      const created = await createTokenFor(server, configA.id);
      const before = await getToken(created.id);
      assertValidationError(await extend(created.id, `pci_${"y".repeat(32)}`), [
        { code: "ConfigNotExist", source: "/config_id" },
      ]);
      assertValidationError(
        await admin("/v1/admin/token/extend", { id: created.id, service: "vault", config_id: configB.id }),
        [{ code: "DoesNotMatchPattern", source: "/service" }],
      );
      // Every problem is named at once: a missing service beside an unknown field and configuration.
      assertValidationError(
        await admin("/v1/admin/token/extend", {
          id: created.id,
          bogus: 1,
          config_id: `pci_${"y".repeat(32)}`,
        }),
        [
          { code: "UnexpectedProperty", source: "/bogus" },
          { code: "FieldRequired", source: "/service" },
          { code: "ConfigNotExist", source: "/config_id" },
        ],
      );
      assert.deepEqual(await getToken(created.id), before);
    });
  });

  describe("rotate", () => {
    const rotate = (id: string, gracePeriod?: string) =>
      admin("/v1/admin/token/rotate", { id, ...(gracePeriod ? { grace_period: gracePeriod } : {}) });

    it("answers a new secret that works, while the old one keeps working in its grace period", async () => {
      const created = await createTokenFor(server, configA.id);
      const rotated = successResult<TokenView & { token: string }>(await rotate(created.id));
      assert.match(rotated.token, SECRET);
      assert.notEqual(rotated.token, created.token);
      assert.equal(rotated.id, created.id);
      assert.deepEqual(rotated.grants, created.grants);
      // The default grace period is a day.
      const graceMs = Date.parse(rotated.previous_secret_valid_until!) - Date.parse(rotated.updated_at);
      assert.ok(Math.abs(graceMs - 86_400_000) < 60_000, `grace of ${graceMs} ms`);
      await assertLogs(rotated.token);
      await assertLogs(created.token);
    });

    it("stops the old secret once its grace period has passed; the new one keeps working", async () => {
      const created = await createTokenFor(server, configA.id);
      const rotated = successResult<TokenView & { token: string }>(await rotate(created.id, "1s"));
      clock.advance(900);
      await assertLogs(created.token);
      clock.advancePast(rotated.previous_secret_valid_until!);
      assertUnauthorized(await log(created.token));
      await assertLogs(rotated.token);
    });

    it("ends the first secret at once when the token is rotated again", async () => {
      const created = await createTokenFor(server, configA.id);
      const second = successResult<{ token: string }>(await rotate(created.id, "1h"));
      const third = successResult<{ token: string }>(await rotate(created.id, "1h"));
      assertUnauthorized(await log(created.token));
      await assertLogs(second.token);
      await assertLogs(third.token);
    });

    it("refuses a bad grace period and keeps the secret", async () => {
      const created = await createTokenFor(server, configA.id);
      assertValidationError(await rotate(created.id, "1 day"), [
        { code: "BadFormatPangeaDuration", source: "/grace_period" },
      ]);
      assertValidationError(await rotate(created.id, "31d"), [
        { code: "NotWithinRange", source: "/grace_period" },
      ]);
      assert.equal((await getToken(created.id)).previous_secret_valid_until, null);
      await assertLogs(created.token);
    });
  });

  describe("revoke", () => {
    it("stops the token at once, with its rotated-out secret, and a revoked token cannot be rotated", async () => {
      const created = await createTokenFor(server, configA.id);
      const rotated = successResult<{ token: string }>(
        await admin("/v1/admin/token/rotate", { id: created.id, grace_period: "1h" }),
      );
      await assertLogs(created.token);
      const revoked = successResult<TokenView>(await admin("/v1/admin/token/revoke", { id: created.id }));
      assert.match(revoked.revoked_at!, ISO_TIME);
      const before = await treeSize(configA.id);
      assertUnauthorized(await log(rotated.token));
      assertUnauthorized(await log(created.token));
      assert.equal(await treeSize(configA.id), before);
      assertValidationError(await admin("/v1/admin/token/rotate", { id: created.id }), [
        { code: "BadState", source: "/id" },
      ]);
      // Revoking again keeps the first revocation time.
      const again = successResult<TokenView>(await admin("/v1/admin/token/revoke", { id: created.id }));
      assert.equal(again.revoked_at, revoked.revoked_at);
      assertUnauthorized(await log(rotated.token));
    });
  });

  describe("expiry", () => {
    it("refuses an expiry in the past or not a date-time, and creates nothing", async () => {
      const before = await tokenCount();
      const grants = { audit: { configs: [configA.id] } };
      for (const expires_at of [new Date(clock.nowMillis() - 60_000).toISOString(), "2000-01-01T00:00:00Z"]) {
        assertValidationError(await admin("/v1/admin/token/create", { name: "late", grants, expires_at }), [
          { code: "NotWithinRange", source: "/expires_at" },
        ]);
      }
      for (const expires_at of ["tomorrow", "2999-01-01T00:00:00"]) {
        assertValidationError(await admin("/v1/admin/token/create", { name: "odd", grants, expires_at }), [
          { code: "BadFormatDateTime", source: "/expires_at" },
        ]);
      }
      assert.equal(await tokenCount(), before);
    });

    it("stops a token once its expiry has passed", async () => {
      const expiresAt = new Date(clock.nowMillis() + 1500).toISOString();
      const created = await createToken(
        server,
        { audit: { configs: [configA.id] } },
        { expires_at: expiresAt },
      );
      clock.advance(1400);
      await assertLogs(created.token, configA.id);
      clock.advancePast(created.expires_at!);
      const before = await treeSize(configA.id);
      assertUnauthorized(await log(created.token));
      assert.equal(await treeSize(configA.id), before);
    });
  });

  describe("bad grants answer ValidationError and create nothing", () => {
    const cases: { name: string; grants: () => unknown; errors: () => ExpectedError[] }[] = [
      {
        name: "an unknown configuration",
        grants: () => ({ audit: { configs: [`pci_${"z".repeat(32)}`] } }),
        errors: () => [{ code: "ConfigNotExist", source: "/grants/audit/configs/0" }],
      },
      {
        name: "a configuration listed twice",
        grants: () => ({ audit: { configs: [configA.id, configA.id] } }),
        errors: () => [{ code: "ItemNotUnique", source: "/grants/audit/configs/1" }],
      },
      {
        name: "an unknown endpoint",
        grants: () => ({ audit: { configs: [configA.id], endpoints: ["v1/delete_everything"] } }),
        errors: () => [{ code: "NotEnumMember", source: "/grants/audit/endpoints/0" }],
      },
      {
        name: "an unknown service",
        grants: () => ({ audit: { configs: [configA.id] }, vault: { configs: "all" } }),
        errors: () => [{ code: "UnexpectedProperty", source: "/grants/vault" }],
      },
      {
        name: "a restriction on a configuration outside the grant",
        grants: () => ({
          audit: { configs: [configA.id], field_restrictions: { [configB.id]: { tenant_id: ["acme"] } } },
        }),
        errors: () => [{ code: "ConfigNotExist", source: `/grants/audit/field_restrictions/${configB.id}` }],
      },
      {
        name: "a restriction on a field the schema lacks",
        grants: () => ({
          audit: { configs: [configA.id], field_restrictions: { [configA.id]: { shoe_size: ["42"] } } },
        }),
        errors: () => [
          { code: "DoesNotExist", source: `/grants/audit/field_restrictions/${configA.id}/shoe_size` },
        ],
      },
      {
        name: "a restriction with no allowed values",
        grants: () => ({
          audit: { configs: [configA.id], field_restrictions: { [configA.id]: { tenant_id: [] } } },
        }),
        errors: () => [
          { code: "InvalidArray", source: `/grants/audit/field_restrictions/${configA.id}/tenant_id` },
        ],
      },
      {
        name: "no configs",
        grants: () => ({ audit: { endpoints: ["v1/log"] } }),
        errors: () => [{ code: "FieldRequired", source: "/grants/audit/configs" }],
      },
      {
        name: "an unknown key in the audit grant",
        grants: () => ({ audit: { configs: "all", services: ["x"] } }),
        errors: () => [{ code: "UnexpectedProperty", source: "/grants/audit/services" }],
      },
    ];
    for (const { name, grants, errors } of cases) {
      it(name, async () => {
        const before = await tokenCount();
        assertValidationError(
          await admin("/v1/admin/token/create", { name: "bad", grants: grants() }),
          errors(),
        );
        assert.equal(await tokenCount(), before);
      });
    }

    it("a deleted configuration", async () => {
      const doomed = await createConfig(server, { name: "doomed" });
      successResult(await admin("/v1beta/config/delete", { id: doomed.id }));
      const before = await tokenCount();
      assertValidationError(
        await admin("/v1/admin/token/create", { name: "bad", grants: { audit: { configs: [doomed.id] } } }),
        [{ code: "ConfigNotExist", source: "/grants/audit/configs/0" }],
      );
      assert.equal(await tokenCount(), before);
    });
  });

  describe("credentials", () => {
    it("every token endpoint refuses a service token, a bad token and no token, and changes nothing", async () => {
      const target: CreatedToken = await createTokenFor(server, configA.id);
      const service = await createToken(server, { audit: { configs: "all" } });
      const before = await getToken(target.id);
      const countBefore = await tokenCount();
      const calls: [string, Record<string, unknown>][] = [
        ["create", { name: "intruder", grants: { audit: { configs: "all" } } }],
        ["get", { id: target.id }],
        ["list", {}],
        ["update", { id: target.id, name: "intruder" }],
        ["extend", { id: target.id, service: "audit", config_id: configB.id }],
        ["rotate", { id: target.id }],
        ["revoke", { id: target.id }],
      ];
      for (const [action, body] of calls) {
        for (const token of [server.auditToken, service.token, `pts_${"x".repeat(40)}`, undefined]) {
          assertUnauthorized(await postJson(`${server.url}/v1/admin/token/${action}`, body, token));
        }
      }
      assert.equal(await tokenCount(), countBefore);
      assert.deepEqual(await getToken(target.id), before);
      await assertLogs(target.token);
    });
  });
});
