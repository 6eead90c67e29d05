// The management commands of the `veritrail` CLI against a live server: configurations and
// tokens from creation to deletion and revocation, tables and --json, secrets shown once and
// never again, tokens that work (and stop working) on the data plane, and the failures a person
// or a script must be able to tell apart. Commands run in this process through `runCli`, with
// their output captured; a few run the real binary as a child process, so that its entry point
// (arguments, environment, output streams, exit status) stays covered.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ConfigList, ConfigView, RotatedToken, TokenList, TokenView } from "@veritrail/core";
import {
  freePort,
  postJson,
  startTestServer,
  TEST_ADMIN_TOKEN,
  type TestServer,
} from "../../server/test/support/test-server.js";
import { type Run, runCliBinary, runCliInProcess } from "./support/cli.js";

/** Every token secret in a text (global: for counting with String.match). */
const SECRETS = /pts_[a-z2-7]{40}/g;
const CONFIG_ID = /pci_[a-z2-7]{32}/;
const TOKEN_ID = /ptk_[a-z2-7]{32}/;

/** The custom schema the billing configuration is created with. */
const BILLING_SCHEMA = {
  save_malformed: "reject",
  fields: [
    { id: "message", name: "Message", type: "text", required: true },
    { id: "tenant_id", name: "Tenant", type: "string", size: 64 },
    { id: "amount", name: "Amount", type: "integer" },
    { id: "card", name: "Card", type: "string", size: 32, redact: true },
  ],
};

describe("the veritrail CLI", () => {
  let server: TestServer;
  let dir: string;
  let schemaFile: string;

  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), "veritrail-cli-"));
    schemaFile = join(dir, "billing-schema.json");
    writeFileSync(schemaFile, JSON.stringify(BILLING_SCHEMA));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI's environment: the server's URL and the admin credential unless `env` says otherwise. */
  function cliEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
    return { VERITRAIL_URL: server.url, VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env };
  }

  /** Runs `veritrail ...args` in this process, as the binary would, capturing its output. */
  function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    return runCliInProcess(args, cliEnv(env));
  }

  /** Runs the real `veritrail` binary as a child process, with the same environment. */
  function binary(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    return runCliBinary(args, cliEnv(env));
  }

  /** Asserts a successful run and answers it. */
  async function ok(args: string[], env?: Record<string, string | undefined>): Promise<Run> {
    const run = await cli(args, env);
    assert.equal(run.code, 0, `veritrail ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  /** Runs with --json and answers the parsed result. */
  async function okJson<T>(args: string[]): Promise<T> {
    const run = await ok([...args, "--json"]);
    return JSON.parse(run.stdout) as T;
  }

  /** The line of a table that starts with `id`. */
  function row(output: string, id: string): string {
    const line = output.split("\n").find((l) => l.startsWith(id));
    assert.ok(line, `no row for ${id} in:\n${output}`);
    return line;
  }

  /** Asserts that `line` holds `value` in the column of the table whose header line is `header`. */
  function assertCell(header: string, line: string, column: string, value: string): void {
    const start = header.indexOf(` ${column} `) + 1 || header.indexOf(` ${column}`) + 1;
    assert.ok(start > 0, `no column ${column} in ${header}`);
    assert.equal(line[start - 1], " ", `a column boundary before ${column} in:\n${header}\n${line}`);
    const cell = line.slice(start).split("  ")[0]!.trimEnd();
    assert.equal(cell, value, `${column} in:\n${header}\n${line}`);
  }

  function logEvent(secret: string, configId: string, event: Record<string, unknown>) {
    return postJson(`${server.url}/v1/log`, { event, config_id: configId }, secret);
  }

  let billingId = "";
  let secondId = "";
  let tokenId = "";
  let firstSecret = "";
  let secondSecret = "";

  describe("configurations", () => {
    it("creates a configuration with a custom schema file and prints its details", async () => {
      const created = await okJson<ConfigView>([
        "config",
        "create",
        "--name",
        "Billing",
        "--schema",
        schemaFile,
        "--hot-storage",
        "7d",
        "--warm-storage",
        "90d",
        "--save-malformed",
        "all",
      ]);
      assert.match(created.id, CONFIG_ID);
      billingId = created.id;
      assert.equal(created.name, "Billing");
      assert.equal(created.hot_storage, "7d");
      assert.equal(created.warm_storage, "90d");
      assert.equal(created.vault_sign, false);
      assert.equal(created.schema.save_malformed, "all");
      assert.deepEqual(
        created.schema.fields.map((f) => f.id),
        ["message", "tenant_id", "amount", "card"],
      );

      // Without --json: the server's summary, then the details and the schema as tables.
      // No --schema: the standard schema, with its malformed-event mode set.
      const second = await ok([
        "config",
        "create",
        "--name",
        "Second log",
        "--cold-storage",
        "1y",
        "--save-malformed",
        "all",
      ]);
      const id = /^Created configuration (pci_[a-z2-7]{32})$/m.exec(second.stdout)?.[1];
      assert.ok(id, second.stdout);
      secondId = id;
      assert.match(second.stdout, /^name +Second log$/m);
      assert.match(second.stdout, /^cold storage +1y$/m);
      assert.match(second.stdout, /^malformed events +all$/m);
      assert.match(second.stdout, /^FIELD +TYPE +SIZE +REQUIRED +REDACT +NAME$/m);
      assert.match(second.stdout, /^message +text +32766 +yes +no +Message$/m);
      assert.equal(second.stderr, "");
    });

    it("lists configurations as an aligned table and as JSON", async () => {
      const [tableRun, jsonRun] = await Promise.all([
        ok(["config", "list"]),
        ok(["config", "list", "--json"]),
      ]);
      const lines = tableRun.stdout.trimEnd().split("\n");
      assert.match(lines[0]!, /^ID +NAME +HOT +WARM +COLD +SIGNING +FIELDS +CREATED$/);
      assert.equal(lines.length, 5, "a header, three configurations and the admin activity log");
      const header = lines[0]!;
      const billing = row(tableRun.stdout, billingId);
      const second = row(tableRun.stdout, secondId);
      assertCell(header, billing, "NAME", "Billing");
      assertCell(header, second, "NAME", "Second log");
      assertCell(header, billing, "HOT", "7d");
      assertCell(header, billing, "WARM", "90d");
      assert.match(row(tableRun.stdout, server.configId), / off +10 +/);

      const list = JSON.parse(jsonRun.stdout) as ConfigList;
      assert.equal(list.count, 4);
      const activity = list.items.find((c) => c.name === "Admin activity");
      assert.ok(activity);
      assert.deepEqual(
        list.items.map((c) => c.id).sort(),
        [server.configId, billingId, secondId, activity.id].sort(),
      );
    });

    it("shows one configuration", async () => {
      const { stdout } = await ok(["config", "get", billingId]);
      assert.match(stdout, new RegExp(`^id +${billingId}$`, "m"));
      assert.match(stdout, /^name +Billing$/m);
      assert.match(stdout, /^hot storage +7d$/m);
      assert.match(stdout, /^vault signing +off$/m);
      assert.match(stdout, /^malformed events +all$/m);
      assert.match(stdout, /^tenant_id +string +64 +no +no +Tenant$/m);
      assert.match(stdout, /^amount +integer +- +no +no +Amount$/m);
      assert.match(stdout, /^card +string +32 +no +yes +Card$/m);
    });

    it("updates the name and turns server signing on, reading updated_at first", async () => {
      const before = await okJson<ConfigView>(["config", "get", billingId]);
      const { stdout } = await ok(["config", "update", billingId, "--name", "Billing EU", "--vault-sign"]);
      assert.match(stdout, new RegExp(`^Updated configuration ${billingId}$`, "m"));
      assert.match(stdout, /^name +Billing EU$/m);
      assert.match(stdout, /^vault signing +on \(key pvi_[a-z2-7]{32}\)$/m);

      const after = await okJson<ConfigView>(["config", "get", billingId]);
      assert.equal(after.name, "Billing EU");
      assert.equal(after.vault_sign, true);
      assert.match(after.vault_key_id ?? "", /^pvi_/);
      assert.equal(after.hot_storage, "7d", "what the update did not name is kept");
      assert.deepEqual(after.schema, before.schema);
      assert.ok(after.updated_at > before.updated_at);
    });

    it("relabels fields with the schema as the server shows it, and refuses a changed type", async () => {
      const shown = await okJson<ConfigView>(["config", "get", server.configId]);
      const relabelled = {
        ...shown.schema,
        fields: shown.schema.fields.map((f) => (f.id === "timestamp" ? { ...f, name: "Event time" } : f)),
      };
      const retyped = {
        ...shown.schema,
        fields: shown.schema.fields.map((f) => (f.id === "actor" ? { ...f, type: "text" } : f)),
      };
      const [updated, refused] = await Promise.all([
        ok(["config", "update", server.configId, "--schema-json", JSON.stringify(relabelled)]),
        cli(["config", "update", server.configId, "--schema-json", JSON.stringify(retyped)]),
      ]);
      assert.match(updated.stdout, /^timestamp +datetime +128 +no +no +Event time$/m);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^ {2}\/schema\/fields\/1\/type: .*\(IsReadOnly\)$/m);
    });

    it("rotates the signing key of a signing configuration, and refuses one that does not sign", async () => {
      const [rotated, refused] = await Promise.all([
        ok(["config", "rotate-key", billingId]),
        cli(["config", "rotate-key", secondId]),
      ]);
      assert.match(rotated.stdout, new RegExp(`^Signing key of ${billingId} is now version 2$`, "m"));
      assert.match(rotated.stdout, /^version +2$/m);
      assert.match(rotated.stdout, /-----BEGIN PUBLIC KEY-----/);
      assert.doesNotMatch(rotated.stdout, /PRIVATE/);

      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, "");
      assert.match(refused.stderr, /^veritrail: ValidationError: /);
      assert.match(refused.stderr, /\/id: vault_sign is off for this configuration \(BadState\)/);
    });
  });

  describe("tokens", () => {
    it("creates a token, prints its secret exactly once, and the secret logs events", async () => {
      // The real binary: the secret is counted in what its output streams carried.
      const run = await binary([
        "token",
        "create",
        "--name",
        "ingest",
        "--config",
        billingId,
        "--endpoint",
        "v1/log",
        "--restrict",
        `${billingId}:tenant_id=acme,globex`,
        "--expires-at",
        "2099-01-01T00:00:00Z",
      ]);
      assert.equal(run.code, 0, `veritrail token create failed:\n${run.stdout}\n${run.stderr}`);
      const output = run.stdout + run.stderr;
      const secrets = output.match(SECRETS) ?? [];
      assert.equal(secrets.length, 1, `one secret, once:\n${output}`);
      firstSecret = secrets[0]!;
      assert.match(run.stdout, /shown only now/);
      tokenId = /^Created token (ptk_[a-z2-7]{32})$/m.exec(run.stdout)?.[1] ?? "";
      assert.match(tokenId, TOKEN_ID);
      assert.match(run.stdout, /^name +ingest$/m);
      assert.match(run.stdout, /^expires +2099-01-01T00:00:00\.000Z$/m);
      assert.match(run.stdout, new RegExp(`^configs +${billingId}$`, "m"));
      assert.match(run.stdout, /^endpoints +v1\/log$/m);
      assert.match(run.stdout, new RegExp(`^restrictions +${billingId}: tenant_id=acme,globex$`, "m"));

      const logged = await logEvent(firstSecret, billingId, {
        message: "charged",
        tenant_id: "acme",
        amount: 12,
      });
      assert.equal(logged.status, 200, JSON.stringify(logged.body));
      assert.equal(logged.body.status, "Success");
      const restricted = await logEvent(firstSecret, billingId, { message: "charged", tenant_id: "initech" });
      assert.equal(restricted.body.status, "ValidationError", "the restriction the CLI sent is enforced");
    });

    it("lists and shows tokens without any secret", async () => {
      const [tableRun, jsonRun, getRun, getJson] = await Promise.all([
        ok(["token", "list"]),
        ok(["token", "list", "--json"]),
        ok(["token", "get", tokenId]),
        ok(["token", "get", tokenId, "--json"]),
      ]);
      for (const run of [tableRun, jsonRun, getRun, getJson]) {
        const output = run.stdout + run.stderr;
        assert.doesNotMatch(output, /pts_/, `no secret in:\n${output}`);
        assert.ok(!output.includes(firstSecret));
        assert.ok(!output.includes(TEST_ADMIN_TOKEN));
      }

      const header = tableRun.stdout.split("\n")[0]!;
      assert.match(header, /^ID +KIND +NAME +STATUS +EXPIRES +CONFIGS +ENDPOINTS +CREATED$/);
      const line = row(tableRun.stdout, tokenId);
      assertCell(header, line, "NAME", "ingest");
      assertCell(header, line, "STATUS", "active");
      assertCell(header, line, "EXPIRES", "2099-01-01T00:00:00Z");
      assertCell(header, line, "CONFIGS", billingId);

      const list = JSON.parse(jsonRun.stdout) as TokenList;
      const listed = list.items.find((t) => t.id === tokenId);
      assert.equal(listed?.name, "ingest");
      assert.equal("token" in listed, false);

      assert.match(getRun.stdout, /^status +active$/m);
      assert.match(getRun.stdout, /^endpoints +v1\/log$/m);
      const token = JSON.parse(getJson.stdout) as TokenView;
      assert.deepEqual(token.grants, {
        audit: {
          configs: [billingId],
          endpoints: ["v1/log"],
          field_restrictions: { [billingId]: { tenant_id: ["acme", "globex"] } },
        },
      });
    });

    it("updates the name and expiry, and grant options replace the grant", async () => {
      const { stdout, stderr } = await ok([
        "token",
        "update",
        tokenId,
        "--name",
        "ingest-eu",
        "--no-expiry",
        "--config",
        billingId,
        "--endpoint",
        "v1/log",
        "--endpoint",
        "v1/root",
      ]);
      assert.doesNotMatch(stdout + stderr, /pts_/);
      assert.match(stdout, /^name +ingest-eu$/m);
      assert.match(stdout, /^expires +never$/m);
      assert.match(stdout, /^endpoints +v1\/log, v1\/root$/m);
      assert.match(stdout, /^restrictions +none$/m);
      const token = await okJson<TokenView>(["token", "get", tokenId]);
      assert.equal(token.name, "ingest-eu");
      assert.equal(token.expires_at, null);
      assert.deepEqual(token.grants, { audit: { configs: [billingId], endpoints: ["v1/log", "v1/root"] } });
    });

    it("extends the token to a second configuration, which it can then log to", async () => {
      const before = await logEvent(firstSecret, secondId, { message: "not yet" });
      assert.equal(before.status, 401);
      const token = await okJson<TokenView>(["token", "extend", tokenId, "--config", secondId]);
      assert.deepEqual(token.grants.audit?.configs, [billingId, secondId]);
      assert.deepEqual(token.grants.audit?.endpoints, ["v1/log", "v1/root"], "the rest of the grant is kept");
      const logged = await logEvent(firstSecret, secondId, { message: "now allowed" });
      assert.equal(logged.body.status, "Success", JSON.stringify(logged.body));
    });

    it("rotates the secret: the new one is printed once, and both work within the grace period", async () => {
      const run = await cli(["token", "rotate", tokenId, "--grace-period", "1h", "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const rotated = JSON.parse(run.stdout) as RotatedToken;
      assert.match(rotated.token, /^pts_[a-z2-7]{40}$/);
      secondSecret = rotated.token;
      assert.notEqual(secondSecret, firstSecret);
      assert.equal((run.stdout.match(SECRETS) ?? []).length, 1);
      assert.match(run.stderr, /shown only now/, "the warning goes to stderr, keeping stdout JSON");
      assert.ok(rotated.previous_secret_valid_until);

      const [withOld, withNew] = await Promise.all([
        logEvent(firstSecret, billingId, { message: "old secret", tenant_id: "acme" }),
        logEvent(secondSecret, billingId, { message: "new secret", tenant_id: "acme" }),
      ]);
      assert.equal(withOld.body.status, "Success", JSON.stringify(withOld.body));
      assert.equal(withNew.body.status, "Success", JSON.stringify(withNew.body));

      const shown = await ok(["token", "get", tokenId]);
      assert.match(shown.stdout, /^previous secret until +\d{4}-/m);
      assert.doesNotMatch(shown.stdout, /pts_/);
    });

    it("revokes the token: its secrets then answer 401 Unauthorized", async () => {
      const { stdout } = await ok(["token", "revoke", tokenId]);
      assert.match(stdout, new RegExp(`^Revoked token ${tokenId}$`, "m"));
      assert.match(stdout, /^status +revoked$/m);
      assert.doesNotMatch(stdout, /pts_/);
      for (const secret of [secondSecret, firstSecret]) {
        const refused = await logEvent(secret, billingId, { message: "after revocation", tenant_id: "acme" });
        assert.equal(refused.status, 401);
        assert.equal(refused.body.status, "Unauthorized");
      }
      const listed = await ok(["token", "list"]);
      assert.match(row(listed.stdout, tokenId), / revoked /);
    });
  });

  describe("deleting", () => {
    it("deletes a configuration, which then is not found", async () => {
      const { stdout } = await ok(["config", "delete", secondId]);
      assert.match(stdout, new RegExp(`^Deleted configuration ${secondId}`, "m"));
      const [gone, list] = await Promise.all([
        cli(["config", "get", secondId]),
        okJson<ConfigList>(["config", "list"]),
      ]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /^veritrail: NotFound: /);
      assert.match(gone.stderr, /\/id: no configuration has this id/);
      assert.equal(
        list.items.some((c) => c.id === secondId),
        false,
      );
    });
  });

  describe("failures", () => {
    it("exits non-zero with a clear message, and takes the credential and URL from flags", async () => {
      const port = await freePort();
      const [noToken, badToken, invalid, unknownCommand, unknownOption, unreachable, withFlag, missingId] =
        await Promise.all([
          cli(["config", "list"], { VERITRAIL_ADMIN_TOKEN: undefined }),
          cli(["token", "list"], { VERITRAIL_ADMIN_TOKEN: "pts_notthetoken000000000000000000000000" }),
          cli(["config", "create", "--name", "Too hot", "--hot-storage", "15d"]),
          binary(["frobnicate"]),
          cli(["config", "list", "--colour"]),
          cli(["--url", `http://127.0.0.1:${port}`, "config", "list"]),
          cli(["config", "list", "--admin-token", TEST_ADMIN_TOKEN], { VERITRAIL_ADMIN_TOKEN: undefined }),
          cli(["token", "get"]),
        ]);

      assert.notEqual(noToken.code, 0);
      assert.match(noToken.stderr, /VERITRAIL_ADMIN_TOKEN/);
      assert.equal(noToken.stdout, "");

      assert.equal(badToken.code, 1);
      assert.match(badToken.stderr, /^veritrail: Unauthorized: /);
      assert.ok(!badToken.stderr.includes("pts_notthetoken"), "the credential is not echoed");

      assert.equal(invalid.code, 1);
      assert.equal(invalid.stdout, "");
      assert.match(invalid.stderr, /^veritrail: ValidationError: /);
      assert.match(invalid.stderr, /^ {2}\/hot_storage: .*\(NotWithinRange\)$/m);

      assert.equal(unknownCommand.code, 2);
      assert.match(unknownCommand.stderr, /unknown command "frobnicate"/);
      assert.match(unknownCommand.stderr, /Usage: veritrail <command>/);

      assert.equal(unknownOption.code, 2);
      assert.match(unknownOption.stderr, /unknown option --colour for config list/);
      assert.match(unknownOption.stderr, /Usage: veritrail config list/);

      assert.equal(unreachable.code, 1);
      assert.match(
        unreachable.stderr,
        new RegExp(`cannot reach the server at http://127\\.0\\.0\\.1:${port}`),
      );
      assert.match(unreachable.stderr, /ECONNREFUSED/);

      assert.equal(withFlag.code, 0, withFlag.stderr);
      assert.match(withFlag.stdout, new RegExp(billingId));

      assert.equal(missingId.code, 2);
      assert.match(missingId.stderr, /token get needs ID/);

      // Nothing was created by the invalid request.
      const list = await okJson<ConfigList>(["config", "list"]);
      assert.equal(
        list.items.some((c) => c.name === "Too hot"),
        false,
      );
    });

    it("prints help on request and exits 0", async () => {
      const [top, command] = await Promise.all([binary(["--help"]), ok(["token", "create", "--help"])]);
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, /config rotate-key ID/);
      assert.match(top.stdout, /VERITRAIL_ADMIN_TOKEN/);
      assert.match(command.stdout, /^Usage: veritrail token create /);
      assert.match(command.stdout, /--restrict ID:FIELD=V1,V2/);
    });
  });
});
