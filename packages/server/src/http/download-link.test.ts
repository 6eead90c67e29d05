import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Clock } from "../clock.js";
import { loadConfig } from "../config.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { DOWNLOAD_LINK_TTL_MS, DownloadLinks, type DownloadTarget } from "./download-link.js";

const START = Date.parse("2026-01-01T00:00:00.000Z");
let now = START;
const clock: Clock = { nowMillis: () => now, nowMicros: () => now * 1000 };
const target: DownloadTarget = { kind: "results", id: `pas_${"a".repeat(32)}`, format: "json" };

function parts(destUrl: string): { path: string; expires: string; sig: string } {
  const url = new URL(destUrl);
  return { path: url.pathname, expires: url.searchParams.get("expires")!, sig: url.searchParams.get("sig")! };
}

describe("download links", () => {
  let store: SqliteStore;
  const config = loadConfig({ VERITRAIL_LOG_LEVEL: "silent", VERITRAIL_PUBLIC_URL: "https://audit.example" });

  before(async () => {
    store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
  });
  after(() => store.close());

  it("name the file and open it until an hour from now, or until what they open expires", async () => {
    const links = new DownloadLinks({ config, store, clock });
    const long = await links.create(target, START + 86_400_000);
    assert.equal(parts(long.destUrl).path, `/download/results/${target.id}.json.gz`);
    assert.match(long.destUrl, /^https:\/\/audit\.example\/download\//);
    assert.equal(long.expiresAt, new Date(START + DOWNLOAD_LINK_TTL_MS).toISOString());
    const short = await links.create(target, START + 60_000);
    assert.equal(short.expiresAt, new Date(START + 60_000).toISOString());
  });

  it("check as valid only the target, format and expiry they were signed for, until then", async () => {
    const links = new DownloadLinks({ config, store, clock });
    const { expires, sig } = parts((await links.create(target, START + 86_400_000)).destUrl);
    assert.equal(await links.check(target, expires, sig), "valid");
    assert.equal(await links.check({ ...target, format: "csv" }, expires, sig), "forged");
    assert.equal(await links.check({ ...target, kind: "export" }, expires, sig), "forged");
    assert.equal(await links.check({ ...target, id: `pas_${"b".repeat(32)}` }, expires, sig), "forged");
    assert.equal(await links.check(target, String(Number(expires) + 1), sig), "forged");
    assert.equal(
      await links.check(target, expires, `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`),
      "forged",
    );
    assert.equal(await links.check(target, expires, sig.slice(1)), "forged");
    assert.equal(await links.check(target, expires, `${sig.slice(0, -1)}=`), "forged");
    assert.equal(await links.check(target, "-1", sig), "forged");
    assert.equal(await links.check(target, `0${expires}`, sig), "forged");
    now = Number(expires) * 1000 - 1;
    assert.equal(await links.check(target, expires, sig), "valid");
    now = Number(expires) * 1000;
    assert.equal(await links.check(target, expires, sig), "expired");
    now = START;
  });

  it("share one generated key through the store, so any process checks any other's links", async () => {
    const made = new DownloadLinks({ config, store, clock });
    const checked = new DownloadLinks({ config, store, clock });
    const { expires, sig } = parts((await made.create(target, START + 86_400_000)).destUrl);
    assert.equal(await checked.check(target, expires, sig), "valid");
  });

  it("use VERITRAIL_DOWNLOAD_SECRET when it is set, and no other key", async () => {
    const secret = "s".repeat(40);
    const fixed = loadConfig({ VERITRAIL_LOG_LEVEL: "silent", VERITRAIL_DOWNLOAD_SECRET: secret });
    assert.equal(fixed.downloadSecret, secret);
    const withSecret = new DownloadLinks({ config: fixed, store, clock });
    const { expires, sig } = parts((await withSecret.create(target, START + 86_400_000)).destUrl);
    assert.equal(
      await new DownloadLinks({ config: fixed, store, clock }).check(target, expires, sig),
      "valid",
    );
    assert.equal(await new DownloadLinks({ config, store, clock }).check(target, expires, sig), "forged");
    assert.throws(() => loadConfig({ VERITRAIL_DOWNLOAD_SECRET: "short" }), /VERITRAIL_DOWNLOAD_SECRET/);
  });
});
