// `veritrail config overrides set|remove` and `config get` with per-tenant retention
// (issue 11 §1; docs/design/retention.md "Per-tenant overrides").
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ConfigView } from "@veritrail/core";
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from "../../server/test/support/test-server.js";
import { type Run, runCliInProcess } from "./support/cli.js";

const SCHEMA = JSON.stringify({
  fields: [
    { id: "message", type: "text", required: true },
    { id: "tenant_id", name: "Tenant", type: "string", size: 64, partitioned: true },
  ],
});

describe("the veritrail CLI and per-tenant retention", () => {
  let server: TestServer;
  let configId = "";
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const cli = (args: string[]): Promise<Run> =>
    runCliInProcess(args, { VERITRAIL_URL: server.url, VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN });

  async function ok(args: string[]): Promise<Run> {
    const run = await cli(args);
    assert.equal(run.code, 0, `veritrail ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  async function okJson<T>(args: string[]): Promise<T> {
    return JSON.parse((await ok([...args, "--json"])).stdout) as T;
  }

  it("creates a partitioned configuration and shows it has no overrides yet", async () => {
    const created = await okJson<ConfigView>([
      "config",
      "create",
      "--name",
      "Tenants",
      "--schema-json",
      SCHEMA,
      "--warm-storage",
      "30d",
    ]);
    configId = created.id;
    assert.equal(created.schema.fields[1]?.partitioned, true);
    assert.equal(created.partition_overrides, undefined);
    const shown = await ok(["config", "get", configId]);
    assert.match(shown.stdout, /^tenant_id +string +64 +no +no +Tenant \(partitioned\)$/m);
    assert.match(
      shown.stdout,
      /Tenant retention \(partitioned by tenant_id\):\nNo overrides: every tenant has the configuration's tiers\./,
    );
  });

  it("sets overrides, shows them in config get, replaces one and removes another", async () => {
    const set = await ok([
      "config",
      "overrides",
      "set",
      configId,
      "acme",
      "--warm",
      "90d",
      "--cold",
      "16month",
    ]);
    assert.match(set.stdout, /^Updated the partition overrides of configuration pci_/);
    await ok(["config", "overrides", "set", configId, "globex", "--cold", "180d"]);
    const config = await okJson<ConfigView>(["config", "get", configId]);
    assert.deepEqual(config.partition_overrides, {
      acme: { warm_storage: "90d", cold_storage: "16month" },
      globex: { cold_storage: "180d" },
    });
    const shown = (await ok(["config", "get", configId])).stdout;
    assert.match(shown, /^VALUE +WARM +COLD$/m);
    assert.match(shown, /^acme +90d +16month$/m);
    assert.match(shown, /^globex +\(30d\) +180d$/m, "a tier not overridden shows the configuration's");

    const replaced = await okJson<ConfigView>([
      "config",
      "overrides",
      "set",
      configId,
      "acme",
      "--warm",
      "7d",
    ]);
    assert.deepEqual(replaced.partition_overrides?.["acme"], { warm_storage: "7d" });
    const removed = await okJson<ConfigView>(["config", "overrides", "remove", configId, "globex"]);
    assert.deepEqual(removed.partition_overrides, { acme: { warm_storage: "7d" } });
  });

  it("reports the server's refusal with its pointer, and usage errors with status 2", async () => {
    const before = await okJson<ConfigView>(["config", "get", configId]);
    const refused = await cli(["config", "overrides", "set", configId, "acme", "--cold", "30d"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^veritrail: ValidationError: /);
    assert.match(refused.stderr, /^ {2}\/overrides\/acme\/cold_storage: .*\(NotWithinRange\)$/m);

    const unknown = await cli(["config", "overrides", "drop", configId, "acme"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /config overrides needs set or remove, not "drop"/);
    const removeWithTier = await cli(["config", "overrides", "remove", configId, "acme", "--warm", "1d"]);
    assert.equal(removeWithTier.code, 2);
    assert.match(removeWithTier.stderr, /config overrides remove takes no --warm or --cold/);
    const missing = await cli(["config", "overrides", "set", configId]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /config overrides needs VALUE/);
    assert.deepEqual(await okJson<ConfigView>(["config", "get", configId]), before);
  });

  it("refuses overrides on a configuration without a partitioned field", async () => {
    const plain = await okJson<ConfigView>(["config", "create", "--name", "Plain"]);
    const refused = await cli(["config", "overrides", "set", plain.id, "acme", "--warm", "1d"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ {2}\/overrides: .*\(BadState\)$/m);
    assert.doesNotMatch((await ok(["config", "get", plain.id])).stdout, /Tenant retention/);
  });
});
