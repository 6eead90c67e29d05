// loadConfig: the defaults, one ConfigError naming the variable for each bad value, a frozen result.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "./config.js";

/** Asserts that `env` fails to load with a ConfigError naming `variable`. */
function assertRejects(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
      assert.equal(error.name, "ConfigError");
      assert.equal(error.variable, variable);
      assert.ok(error.message.startsWith(`${variable}: `), error.message);
      return true;
    },
  );
}

describe("loadConfig", () => {
  it("gives the documented defaults for an empty environment", () => {
    const config = loadConfig({});
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 8000);
    assert.equal(config.dataDir, resolve("data"));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.databasePoolSize, 10);
    assert.equal(config.logLevel, "info");
    assert.equal(config.publicUrl, "http://127.0.0.1:8000");
    assert.equal(config.maxBodyBytes, 16 * 1024 * 1024);
    assert.equal(config.maxBatchEvents, 4000);
    assert.equal(config.authCacheMs, 1000);
    assert.equal(config.asyncResultTtlMinutes, 1440);
    assert.equal(config.asyncLeaseMs, 60_000);
    assert.equal(config.asyncPollMs, 1000);
    assert.equal(config.sqliteSynchronous, "FULL");
    assert.equal(config.adminToken, undefined);
    assert.equal(config.initAuditToken, undefined);
  });

  it("treats an empty variable as unset", () => {
    const config = loadConfig({
      VERITRAIL_PORT: "",
      VERITRAIL_LOG_LEVEL: "",
      VERITRAIL_DATABASE_URL: "",
      VERITRAIL_ADMIN_TOKEN: "",
      VERITRAIL_PUBLIC_URL: "",
    });
    assert.equal(config.port, 8000);
    assert.equal(config.logLevel, "info");
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.adminToken, undefined);
    assert.equal(config.publicUrl, "http://127.0.0.1:8000");
  });

  it("reads every variable it is given", () => {
    const config = loadConfig({
      VERITRAIL_HOST: "0.0.0.0",
      VERITRAIL_PORT: "9123",
      VERITRAIL_DATA_DIR: "/var/lib/veritrail",
      VERITRAIL_DATABASE_URL: "postgresql://u:p@db:5432/veritrail",
      VERITRAIL_DATABASE_POOL_SIZE: "20",
      VERITRAIL_LOG_LEVEL: "WARN",
      VERITRAIL_PUBLIC_URL: "https://audit.example.com/base//",
      VERITRAIL_MAX_BODY_BYTES: "1024",
      VERITRAIL_MAX_BATCH_EVENTS: "1",
      VERITRAIL_AUTH_CACHE_MS: "0",
      VERITRAIL_ASYNC_RESULT_TTL_MINUTES: "5",
      VERITRAIL_ASYNC_LEASE_MS: "5000",
      VERITRAIL_ASYNC_POLL_MS: "200",
      VERITRAIL_SQLITE_SYNCHRONOUS: "normal",
      VERITRAIL_ADMIN_TOKEN: "a".repeat(32),
      VERITRAIL_INIT_AUDIT_TOKEN: `pts_${"b".repeat(196)}`,
    });
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, 9123);
    assert.equal(config.dataDir, "/var/lib/veritrail");
    assert.equal(config.databaseUrl, "postgresql://u:p@db:5432/veritrail");
    assert.equal(config.databasePoolSize, 20);
    assert.equal(config.logLevel, "warn");
    // Trailing slashes go, so `${publicUrl}/request/…` has exactly one.
    assert.equal(config.publicUrl, "https://audit.example.com/base");
    assert.equal(config.maxBodyBytes, 1024);
    assert.equal(config.maxBatchEvents, 1);
    assert.equal(config.authCacheMs, 0);
    assert.equal(config.asyncResultTtlMinutes, 5);
    assert.equal(config.asyncLeaseMs, 5000);
    assert.equal(config.asyncPollMs, 200);
    assert.equal(config.sqliteSynchronous, "NORMAL");
    assert.equal(config.adminToken, "a".repeat(32));
    assert.equal(config.initAuditToken, `pts_${"b".repeat(196)}`);
  });

  it("derives the public URL from host and port, bracketing an IPv6 host", () => {
    assert.equal(loadConfig({ VERITRAIL_HOST: "::1", VERITRAIL_PORT: "81" }).publicUrl, "http://[::1]:81");
    assert.equal(loadConfig({ VERITRAIL_HOST: "audit.local" }).publicUrl, "http://audit.local:8000");
  });

  it("returns a frozen object", () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.equal(config.port, 8000);
  });

  describe("fails with a ConfigError naming the variable", () => {
    const cases: [string, string][] = [
      ["VERITRAIL_PORT", "abc"],
      ["VERITRAIL_PORT", "-1"],
      ["VERITRAIL_PORT", "80.5"],
      ["VERITRAIL_PORT", "65536"],
      ["VERITRAIL_PORT", " 8000"],
      ["VERITRAIL_DATABASE_URL", "mysql://db/veritrail"],
      ["VERITRAIL_DATABASE_URL", "db.example.com"],
      ["VERITRAIL_DATABASE_POOL_SIZE", "0"],
      ["VERITRAIL_DATABASE_POOL_SIZE", "many"],
      ["VERITRAIL_LOG_LEVEL", "verbose"],
      ["VERITRAIL_PUBLIC_URL", "ftp://audit.example.com"],
      ["VERITRAIL_PUBLIC_URL", "audit.example.com"],
      ["VERITRAIL_PUBLIC_URL", "http://audit example.com"],
      ["VERITRAIL_MAX_BODY_BYTES", "1023"],
      ["VERITRAIL_MAX_BODY_BYTES", "1e6"],
      ["VERITRAIL_MAX_BATCH_EVENTS", "0"],
      ["VERITRAIL_MAX_BATCH_EVENTS", "100001"],
      ["VERITRAIL_AUTH_CACHE_MS", "3600001"],
      ["VERITRAIL_ASYNC_RESULT_TTL_MINUTES", "0"],
      ["VERITRAIL_ASYNC_LEASE_MS", "999"],
      ["VERITRAIL_ASYNC_POLL_MS", "10"],
      ["VERITRAIL_SQLITE_SYNCHRONOUS", "OFF"],
      ["VERITRAIL_ADMIN_TOKEN", "a".repeat(19)],
      ["VERITRAIL_ADMIN_TOKEN", "a".repeat(201)],
      ["VERITRAIL_ADMIN_TOKEN", `${"a".repeat(32)} b`],
      ["VERITRAIL_INIT_AUDIT_TOKEN", "short"],
      ["VERITRAIL_INIT_AUDIT_TOKEN", `pts_${"é".repeat(32)}`],
    ];
    for (const [variable, value] of cases) {
      it(`${variable}=${JSON.stringify(value.length > 30 ? `${value.slice(0, 27)}...` : value)}`, () => {
        assertRejects({ [variable]: value }, variable);
      });
    }

    it("takes a secret of 32 characters and refuses one of 31, naming the variable", () => {
      for (const variable of ["VERITRAIL_ADMIN_TOKEN", "VERITRAIL_INIT_AUDIT_TOKEN"]) {
        const config = loadConfig({ [variable]: "s".repeat(32) });
        assert.equal(
          variable === "VERITRAIL_ADMIN_TOKEN" ? config.adminToken : config.initAuditToken,
          "s".repeat(32),
        );
        assertRejects({ [variable]: "s".repeat(31) }, variable);
        // A secret of the length earlier versions took (20 to 31) no longer starts the server.
        assertRejects({ [variable]: `pts_${"s".repeat(16)}` }, variable);
        assert.throws(() => loadConfig({ [variable]: "s".repeat(31) }), /32 to 200 printable characters/);
      }
    });

    it("refuses one secret for both the admin credential and the audit token", () => {
      const secret = `pts_${"c".repeat(40)}`;
      assertRejects(
        { VERITRAIL_ADMIN_TOKEN: secret, VERITRAIL_INIT_AUDIT_TOKEN: secret },
        "VERITRAIL_INIT_AUDIT_TOKEN",
      );
    });

    it("quotes the bad value in the message", () => {
      assert.throws(() => loadConfig({ VERITRAIL_PORT: "abc" }), /VERITRAIL_PORT: .*"abc"/);
    });

    it("never echoes a bad secret", () => {
      const value = `${"s".repeat(32)} secret`;
      assert.throws(
        () => loadConfig({ VERITRAIL_ADMIN_TOKEN: value }),
        (error: unknown) => error instanceof ConfigError && !error.message.includes(value),
      );
    });
  });
});
