// Admin credentials from the `veritrail` command line (run in this process) against a live
// server: `token create --kind admin`, a KIND column in `token list`, get, update, rotate and
// revoke on an admin credential, extend refused, and the refusal to revoke the last one that
// works, which exits 1 with its one-line error.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RotatedToken, TokenList, TokenView } from "@veritrail/core";
import {
  postJson,
  startTestServer,
  TEST_ADMIN_TOKEN,
  type TestServer,
} from "../../server/test/support/test-server.js";
import { type Run, runCliInProcess } from "./support/cli.js";

/** Every token secret in a text (global: for counting with String.match). */
const SECRETS = /pts_[a-z2-7]{40}/g;

describe("the veritrail CLI and admin credentials", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  /** Runs `veritrail ...args` in this process with the server's URL and the admin credential unless `env` says otherwise. */
  function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    return runCliInProcess(args, {
      VERITRAIL_URL: server.url,
      VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ...env,
    });
  }

  /** Asserts a successful run and answers it. */
  async function ok(args: string[], env?: Record<string, string | undefined>): Promise<Run> {
    const run = await cli(args, env);
    assert.equal(run.code, 0, `veritrail ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
    return run;
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

  let opsId = "";
  let opsSecret = "";
  let harnessId = "";

  it("creates an admin credential with --kind admin, printing its secret exactly once", async () => {
    const run = await ok(["token", "create", "--kind", "admin", "--name", "ops"]);
    const output = run.stdout + run.stderr;
    const secrets = output.match(SECRETS) ?? [];
    assert.equal(secrets.length, 1, `one secret, once:\n${output}`);
    opsSecret = secrets[0]!;
    opsId = /^Created admin credential (ptk_[a-z2-7]{32})$/m.exec(run.stdout)?.[1] ?? "";
    assert.ok(opsId, run.stdout);
    assert.match(run.stdout, /shown only now/);
    assert.match(run.stdout, /^kind +admin$/m);
    assert.match(run.stdout, /^name +ops$/m);
    assert.doesNotMatch(run.stdout, /^configs /m, "an admin credential has no grant to show");

    // The new secret manages the server.
    const listed = await ok(["token", "list", "--json"], { VERITRAIL_ADMIN_TOKEN: opsSecret });
    assert.ok((JSON.parse(listed.stdout) as TokenList).items.some((t) => t.id === opsId));
  });

  it("refuses grant options and an unknown kind as usage errors", async () => {
    const [withGrant, unknownKind] = await Promise.all([
      cli(["token", "create", "--kind", "admin", "--name", "scoped", "--config", server.configId]),
      cli(["token", "create", "--kind", "root", "--name", "x"]),
    ]);
    assert.equal(withGrant.code, 2);
    assert.match(withGrant.stderr, /^veritrail: an admin credential .* takes no grant: drop --config$/m);
    assert.equal(unknownKind.code, 2);
    assert.match(unknownKind.stderr, /^veritrail: --kind is service or admin, got "root"$/m);
  });

  it("lists tokens with a KIND column, and shows an admin credential without its secret", async () => {
    const [tableRun, jsonRun, getRun] = await Promise.all([
      ok(["token", "list"]),
      ok(["token", "list", "--json"]),
      ok(["token", "get", opsId]),
    ]);
    for (const run of [tableRun, jsonRun, getRun]) {
      const output = run.stdout + run.stderr;
      assert.doesNotMatch(output, /pts_/, `no secret in:\n${output}`);
    }
    const header = tableRun.stdout.split("\n")[0]!;
    assert.match(header, /^ID +KIND +NAME +STATUS +EXPIRES +CONFIGS +ENDPOINTS +CREATED$/);
    const list = JSON.parse(jsonRun.stdout) as TokenList;
    harnessId = list.items.find((t) => t.kind === "admin" && t.origin === "environment")!.id;
    const auditId = list.items.find((t) => t.kind === "service")!.id;

    const ops = row(tableRun.stdout, opsId);
    assertCell(header, ops, "KIND", "admin");
    assertCell(header, ops, "NAME", "ops");
    assertCell(header, ops, "STATUS", "active");
    assertCell(header, ops, "CONFIGS", "-");
    assertCell(header, row(tableRun.stdout, harnessId), "KIND", "admin");
    const audit = row(tableRun.stdout, auditId);
    assertCell(header, audit, "KIND", "service");
    assertCell(header, audit, "CONFIGS", server.configId);

    assert.match(getRun.stdout, /^kind +admin$/m);
    assert.match(getRun.stdout, /^status +active$/m);
    const harness = await ok(["token", "get", harnessId]);
    assert.match(harness.stdout, /^origin +environment$/m);
  });

  it("updates an admin credential's name and expiry, and refuses to extend it", async () => {
    const [updated, extended] = await Promise.all([
      ok(["token", "update", opsId, "--name", "ops-eu", "--expires-at", "2099-01-01T00:00:00Z"]),
      cli(["token", "extend", opsId, "--config", server.configId]),
    ]);
    assert.match(updated.stdout, /^name +ops-eu$/m);
    assert.match(updated.stdout, /^expires +2099-01-01T00:00:00\.000Z$/m);
    assert.equal(extended.code, 1);
    assert.equal(extended.stdout, "");
    assert.match(extended.stderr, /^veritrail: ValidationError: /);
    assert.match(extended.stderr, /^ {2}\/id: an admin credential has no grants to extend.*\(BadState\)$/m);
  });

  it("rotates an admin credential: the new secret is printed once and both manage in the grace period", async () => {
    const run = await cli(["token", "rotate", opsId, "--grace-period", "1h", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const rotated = JSON.parse(run.stdout) as RotatedToken;
    assert.equal((run.stdout.match(SECRETS) ?? []).length, 1);
    assert.notEqual(rotated.token, opsSecret);
    assert.equal(rotated.kind, "admin");
    await Promise.all([
      ok(["token", "list"], { VERITRAIL_ADMIN_TOKEN: opsSecret }),
      ok(["token", "list"], { VERITRAIL_ADMIN_TOKEN: rotated.token }),
    ]);
    opsSecret = rotated.token;
  });

  it("revokes an admin credential, which the server then refuses", async () => {
    const { stdout } = await ok(["token", "revoke", opsId]);
    assert.match(stdout, new RegExp(`^Revoked token ${opsId}$`, "m"));
    assert.match(stdout, /^status +revoked$/m);
    const refused = await cli(["token", "list"], { VERITRAIL_ADMIN_TOKEN: opsSecret });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^veritrail: Unauthorized: /);
  });

  it("refuses to revoke the last admin credential that works: one line on stderr, exit 1", async () => {
    const refused = await cli(["token", "revoke", harnessId]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    const [first, ...details] = refused.stderr.trimEnd().split("\n");
    assert.match(first!, /^veritrail: Conflict: Refused: ptk_[a-z2-7]{32} is the last admin credential/);
    assert.deepEqual(
      details.map((line) => line.replace(/: .*\(/, ": (")),
      ["  /id: (BadState)"],
    );
    const still = await postJson(`${server.url}/v1/admin/token/get`, { id: harnessId }, TEST_ADMIN_TOKEN);
    assert.equal((still.body.result as TokenView).status, "active");
  });
});
