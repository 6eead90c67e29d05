import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeCache } from "./node-cache.js";

const hash = (byte: number) => Buffer.alloc(32, byte);

describe("NodeCache", () => {
  it("answers remembered nodes and lists each missing node once", () => {
    const cache = new NodeCache(16);
    cache.remember(1, new Map([["3:0", hash(1)]]));
    const { found, missing } = cache.lookup(1, [
      { level: 3, index: 0 },
      { level: 0, index: 5 },
      { level: 0, index: 5 },
    ]);
    assert.deepEqual([...found], [["3:0", hash(1)]]);
    assert.deepEqual(missing, [{ level: 0, index: 5 }]);
  });

  it("keeps trees apart: the same node of another tree is missing", () => {
    const cache = new NodeCache(16);
    cache.remember(1, new Map([["3:0", hash(1)]]));
    assert.deepEqual(cache.lookup(2, [{ level: 3, index: 0 }]).missing, [{ level: 3, index: 0 }]);
  });

  it("holds at most its bound, dropping the oldest first", () => {
    const cache = new NodeCache(2);
    cache.remember(
      1,
      new Map([
        ["0:0", hash(0)],
        ["0:1", hash(1)],
        ["0:2", hash(2)],
      ]),
    );
    const { found, missing } = cache.lookup(1, [
      { level: 0, index: 0 },
      { level: 0, index: 1 },
      { level: 0, index: 2 },
    ]);
    assert.deepEqual([...found.keys()], ["0:1", "0:2"]);
    assert.deepEqual(missing, [{ level: 0, index: 0 }]);
  });

  it("remembers nothing with a bound of zero", () => {
    const cache = new NodeCache(0);
    cache.remember(1, new Map([["0:0", hash(0)]]));
    assert.equal(cache.lookup(1, [{ level: 0, index: 0 }]).missing.length, 1);
  });
});
