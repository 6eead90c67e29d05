import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrap } from "../../src/bootstrap.js";
import { type Clock, systemClock } from "../../src/clock.js";
import { loadConfig, type ServerConfig } from "../../src/config.js";
import { createService, type Service } from "../../src/main.js";
import { openTestStore } from "./test-store.js";

/** Fixed credentials of every test server; the secrets are only for tests. */
export const TEST_ADMIN_TOKEN = "pts_testadmin0000000000000000000000000000";
export const TEST_AUDIT_TOKEN = "pts_testaudit0000000000000000000000000000";

export interface TestServer {
  url: string;
  config: ServerConfig;
  service: Service;
  adminToken: string;
  auditToken: string;
  /** The default configuration, which the audit token is granted. */
  configId: string;
  close(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Starts a real server in this process on a free port, on the store the test run selects
 * (`VERITRAIL_TEST_STORE`: SQLite by default, or a fresh PostgreSQL schema), bootstrapped with
 * the fixed test credentials. `clock` (a `FakeClock`) becomes the service's clock: token expiry,
 * grace periods, `received_at` and the admin timestamps follow it; the async worker's leases and
 * purges still run on real time, and the publisher runs only when the test calls it. `nodeCacheEntries: 0` serves proofs from the database alone, for
 * tests that damage it behind the server's back.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { clock?: Clock; nodeCacheEntries?: number } = {},
): Promise<TestServer> {
  const clock = options.clock ?? systemClock;
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "veritrail-test-"));
  const config = loadConfig({
    VERITRAIL_HOST: "127.0.0.1",
    VERITRAIL_PORT: String(port),
    VERITRAIL_DATA_DIR: dataDir,
    VERITRAIL_LOG_LEVEL: "silent",
    VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    VERITRAIL_INIT_AUDIT_TOKEN: TEST_AUDIT_TOKEN,
    VERITRAIL_AUTH_CACHE_MS: "0",
    // Nothing is published on a timer: a test that wants checkpoints calls
    // `service.publishing.publisher.publishNow()` (or `tick()` on its FakeClock).
    VERITRAIL_PUBLISH_INTERVAL_MS: "86400000",
    VERITRAIL_PUBLISH_EVERY_EVENTS: "100000000",
    ...env,
  });
  const store = await openTestStore(
    dataDir,
    undefined,
    options.nodeCacheEntries === undefined ? {} : { nodeCacheEntries: options.nodeCacheEntries },
  );
  await store.migrate();
  const report = await bootstrap(store, config, () => new Date(clock.nowMillis()).toISOString());
  if (!report) throw new Error("a test store must start empty");
  const service = createService({ config, store, clock });
  // A fake clock jumps days past the publish interval, and the publisher's timer (real time, once a
  // second) would then publish at sizes of its choosing mid-test, making records published that
  // the test expects unpublished. On a fake clock only publishNow and tick publish.
  if (options.clock) await service.publishing.publisher.stop();
  await service.app.listen({ host: config.host, port: config.port });
  return {
    url: config.publicUrl,
    config,
    service,
    adminToken: TEST_ADMIN_TOKEN,
    auditToken: TEST_AUDIT_TOKEN,
    configId: report.configId,
    async close() {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs JSON and returns the HTTP status, headers and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  token: string | undefined,
): Promise<{
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape; each test asserts what it reads.
  body: Record<string, unknown> & { status: string; result: any };
}> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: see the return type above.
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}
