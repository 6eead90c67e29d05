// `veritrail config create|update|get` with redaction rules and the signed-event policy
// (issue 11 §2; docs/design/redaction.md).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ConfigView } from "@veritrail/core";
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from "../../server/test/support/test-server.js";
import { type Run, runCliInProcess } from "./support/cli.js";

const SCHEMA = JSON.stringify({ fields: [{ id: "message", type: "text", required: true, redact: true }] });
const RULES = [
  { name: "emails", detector: "email_address", action: "hash" },
  { name: "orders", pattern: "ORD-\\d{6}", action: "label", label: "ORDER_ID" },
];

describe("the veritrail CLI and redaction rules", () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), "veritrail-cli-redaction-"));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]): Promise<Run> =>
    runCliInProcess(args, { VERITRAIL_URL: server.url, VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN });

  async function okJson<T>(args: string[]): Promise<T> {
    const run = await cli([...args, "--json"]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  it("creates a configuration with rules from a file and a signed-event policy, shows them, and keeps them on update", async () => {
    const file = join(dir, "rules.json");
    writeFileSync(file, JSON.stringify(RULES));
    const created = await okJson<ConfigView>([
      "config",
      "create",
      "--name",
      "redacting",
      "--schema-json",
      SCHEMA,
      "--redaction",
      "--redaction-rules",
      file,
      "--signed-events",
      "reject",
    ]);
    assert.deepEqual(created.redaction, {
      enabled: true,
      mask: "****",
      rules: RULES,
      signed_events: "reject",
    });

    const shown = await cli(["config", "get", created.id]);
    assert.equal(shown.code, 0);
    assert.match(
      shown.stdout,
      /redaction +on \(emails: email_address → hash, orders: \/ORD-\\d\{6\}\/ → label; signed events: reject\)/,
    );

    const paused = await okJson<ConfigView>(["config", "update", created.id, "--no-redaction"]);
    assert.deepEqual(paused.redaction, {
      enabled: false,
      mask: "****",
      rules: RULES,
      signed_events: "reject",
    });

    const replaced = await okJson<ConfigView>([
      "config",
      "update",
      created.id,
      "--redaction",
      "--redaction-rules-json",
      '[{"name":"cards","detector":"credit_card","action":"mask"}]',
    ]);
    assert.deepEqual(replaced.redaction?.rules, [{ name: "cards", detector: "credit_card", action: "mask" }]);
  });

  it("prints the server's pointer for a rule it refuses, and exits 1", async () => {
    const refused = await cli([
      "config",
      "create",
      "--name",
      "bad",
      "--redaction-rules-json",
      '[{"name":"x","pattern":"(a)\\\\1","action":"label"}]',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^veritrail: ValidationError: /);
    assert.match(
      refused.stderr,
      /\/redaction\/rules\/0\/pattern: pattern refused .*backreferences.*\(BadFormat\)/,
    );
  });

  it("refuses a rules option that is not a JSON list before asking the server", async () => {
    const refused = await cli([
      "config",
      "create",
      "--name",
      "bad",
      "--redaction-rules-json",
      '{"name":"x"}',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /must hold a JSON list of rules/);
  });
});
