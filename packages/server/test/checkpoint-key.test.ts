// The checkpoint key (docs/design/publishing.md): made at first start and kept in the store, so a
// restart signs with the same key; or given by VERITRAIL_CHECKPOINT_KEY in any of its three
// forms; printed at start as the verifier key line, and served at GET /trees/verifier-key.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  formatSignerKey,
  formatVerifierKey,
  generateSigningKey,
  noteSigner,
  parseVerifierKey,
  privateKeyPem,
} from "@veritrail/core";
import { ConfigError, loadConfig } from "../src/config.js";
import { startServer } from "../src/main.js";
import { parseCheckpointKey } from "../src/publish/checkpoint-key.js";
import { freePort } from "./support/test-server.js";
import { openTestStore, testStoreKind } from "./support/test-store.js";

describe("the checkpoint key", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "veritrail-key-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts as `veritrail serve` does on one store across restarts; returns the printed key line and the served one. */
  async function startAndStop(env: Record<string, string> = {}, store = openTestStore(dataDir)) {
    const port = await freePort();
    const config = loadConfig({
      VERITRAIL_HOST: "127.0.0.1",
      VERITRAIL_PORT: String(port),
      VERITRAIL_DATA_DIR: dataDir,
      VERITRAIL_LOG_LEVEL: "silent",
      ...env,
    });
    const printed: string[] = [];
    const service = await startServer(config, { store: await store, print: (text) => printed.push(text) });
    try {
      const served = await (await fetch(`${config.publicUrl}/trees/verifier-key`)).text();
      const line = printed.join("").match(/^checkpoint verifier key: (.+)$/m)?.[1];
      return { printed: line, served: served.trimEnd(), name: config.publish.origin };
    } finally {
      await service.close();
    }
  }

  it("is made at first start, printed, served, and the same after a restart", async () => {
    // One store across both starts: a PostgreSQL test store would be a new schema each time.
    const first = await startAndStop({ VERITRAIL_ORIGIN: "audit.example.org" });
    assert.ok(first.printed);
    assert.equal(first.served, first.printed);
    const key = parseVerifierKey(first.printed);
    assert.equal(key.name, first.name);
    assert.equal(formatVerifierKey(key), first.printed);
    if (testStoreKind() === "sqlite") {
      const second = await startAndStop({ VERITRAIL_ORIGIN: "audit.example.org" });
      assert.equal(second.printed, first.printed);
    }
  });

  it("can be given as a signer key line, a PKCS#8 PEM or a base64 seed", async () => {
    const key = generateSigningKey();
    const expected = formatVerifierKey(noteSigner("example.org", key));
    for (const given of [
      formatSignerKey(noteSigner("example.org", key)),
      privateKeyPem(key),
      Buffer.from(key.seed).toString("base64"),
    ]) {
      assert.equal(formatVerifierKey(parseCheckpointKey(given, "example.org")), expected);
    }
    const started = await startAndStop({
      VERITRAIL_CHECKPOINT_KEY: privateKeyPem(key),
      VERITRAIL_ORIGIN: "example.org",
    });
    assert.equal(started.printed, expected);
  });

  it("refuses a value that is no Ed25519 private key, naming the variable", () => {
    for (const bad of ["", "not a key", Buffer.alloc(31).toString("base64"), "PRIVATE+KEY+x+00000000+AAAA"]) {
      assert.throws(
        () => parseCheckpointKey(bad, "example.org"),
        (error: unknown) => error instanceof ConfigError && error.variable === "VERITRAIL_CHECKPOINT_KEY",
        JSON.stringify(bad),
      );
    }
  });

  it("refuses an origin a signed note cannot name, and anchors half configured", () => {
    for (const [env, variable] of [
      [{ VERITRAIL_ORIGIN: "has space" }, "VERITRAIL_ORIGIN"],
      [{ VERITRAIL_ORIGIN: "a+b" }, "VERITRAIL_ORIGIN"],
      [{ VERITRAIL_ANCHOR_AUDIT_LOG_URL: "http://127.0.0.1:1" }, "VERITRAIL_ANCHOR_AUDIT_LOG_TOKEN"],
      [{ VERITRAIL_ANCHOR_AUDIT_LOG_TOKEN: "x" }, "VERITRAIL_ANCHOR_AUDIT_LOG_URL"],
      [{ VERITRAIL_ANCHOR_WEBHOOK_URL: "ftp://x" }, "VERITRAIL_ANCHOR_WEBHOOK_URL"],
      [{ VERITRAIL_PUBLISH_INTERVAL_MS: "5" }, "VERITRAIL_PUBLISH_INTERVAL_MS"],
      [{ VERITRAIL_PUBLISH_EVERY_EVENTS: "0" }, "VERITRAIL_PUBLISH_EVERY_EVENTS"],
    ] as const) {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && error.variable === variable,
        JSON.stringify(env),
      );
    }
    const config = loadConfig({ VERITRAIL_PUBLIC_URL: "https://audit.example.org" });
    assert.equal(config.publish.origin, "audit.example.org");
    assert.equal(config.publish.intervalMs, 10_000);
    assert.equal(config.publish.everyEvents, 10_000);
  });
});
