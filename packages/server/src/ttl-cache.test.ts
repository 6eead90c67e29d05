import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TtlCache } from "./ttl-cache.js";

describe("TtlCache", () => {
  function counting(): { load: () => Promise<number>; calls: () => number } {
    let calls = 0;
    return { load: async () => ++calls, calls: () => calls };
  }

  it("serves a value until its time runs out, then loads it again", async () => {
    let now = 1000;
    const cache = new TtlCache<number>({ ttlMs: 50, nowMillis: () => now });
    const { load, calls } = counting();
    assert.equal(await cache.get("k", load), 1);
    now = 1049;
    assert.equal(await cache.get("k", load), 1);
    now = 1050;
    assert.equal(await cache.get("k", load), 2);
    assert.equal(calls(), 2);
  });

  it("keeps nothing when the time to live is 0", async () => {
    const cache = new TtlCache<number>({ ttlMs: 0, nowMillis: () => 0 });
    const { load } = counting();
    assert.equal(await cache.get("k", load), 1);
    assert.equal(await cache.get("k", load), 2);
  });

  it("starts over when full, and on clear", async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, nowMillis: () => 0, maxEntries: 2 });
    const { load, calls } = counting();
    await cache.get("a", load);
    await cache.get("b", load);
    await cache.get("c", load); // full: a and b are dropped
    await cache.get("a", load);
    assert.equal(calls(), 4);
    cache.clear();
    await cache.get("a", load);
    assert.equal(calls(), 5);
  });
});
