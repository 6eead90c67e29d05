import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodeId } from "@veritrail/core";
import { NodeCache } from "./node-cache.js";

const hash = (byte: number) => Buffer.alloc(32, byte);
const at = (level: number, index: number): NodeId => ({ level, index });
/** Remembers `nodes`, each with a hash of its own. */
function fill(cache: NodeCache, treeId: number, nodes: NodeId[]): void {
  cache.remember(treeId, nodes, new Map(nodes.map((n, i) => [`${n.level}:${n.index}`, hash(i)])));
}

describe("NodeCache", () => {
  it("answers remembered nodes and lists each missing node once", () => {
    const cache = new NodeCache(16);
    fill(cache, 1, [at(5, 0)]);
    const { found, missing } = cache.lookup(1, [at(5, 0), at(6, 1), at(6, 1)]);
    assert.deepEqual([...found], [["5:0", hash(0)]]);
    assert.deepEqual(missing, [at(6, 1)]);
  });

  it("keeps no subtree of fewer than 16 leaves: each is asked for by few proofs", () => {
    const cache = new NodeCache(16);
    fill(cache, 1, [at(0, 3), at(3, 1), at(4, 1)]);
    assert.deepEqual(cache.lookup(1, [at(0, 3), at(3, 1), at(4, 1)]).missing, [at(0, 3), at(3, 1)]);
  });

  it("keeps nothing the read did not find", () => {
    const cache = new NodeCache(16);
    cache.remember(1, [at(4, 0)], new Map());
    assert.deepEqual(cache.lookup(1, [at(4, 0)]).missing, [at(4, 0)]);
  });

  it("keeps trees apart: the same node of another tree is missing", () => {
    const cache = new NodeCache(16);
    fill(cache, 1, [at(5, 0)]);
    assert.deepEqual(cache.lookup(2, [at(5, 0)]).missing, [at(5, 0)]);
  });

  it("holds at most its bound, dropping the oldest first", () => {
    const cache = new NodeCache(2);
    fill(cache, 1, [at(4, 0), at(4, 1), at(4, 2)]);
    const { found, missing } = cache.lookup(1, [at(4, 0), at(4, 1), at(4, 2)]);
    assert.deepEqual([...found.keys()], ["4:1", "4:2"]);
    assert.deepEqual(missing, [at(4, 0)]);
  });

  it("remembers nothing with a bound of zero", () => {
    const cache = new NodeCache(0);
    fill(cache, 1, [at(4, 0)]);
    assert.equal(cache.lookup(1, [at(4, 0)]).missing.length, 1);
  });
});
