// The cold archive's readers and its erasure rewrite (docs/design/retention.md, "The cold
// archive"): a day's files merged by leaf index, days in either order, a rewrite that leaves
// either the old file or the new one under the final name, and damaged lines refused.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { formatReceivedAt } from "@veritrail/core";
import { erasedEnvelope } from "../store/contract/erasure.js";
import type { LeafRecord } from "../store/contract/log.js";
import { type ArchivedLine, ArchiveUnreadableError, ColdArchive, DAY_MICROS } from "./cold-archive.js";

const DAY_1 = Date.UTC(2026, 2, 1) * 1000;
const DAY_2 = DAY_1 + DAY_MICROS;
const DAY_3 = DAY_2 + DAY_MICROS;
const hashOf = (i: number) => i.toString(16).padStart(64, "0");

function leaf(leafIndex: number, receivedAt: number): LeafRecord {
  const envelope = JSON.stringify({
    event: { message: `m-${leafIndex}` },
    received_at: formatReceivedAt(receivedAt),
  });
  return { leafIndex, receivedAt, hash: Buffer.from(hashOf(leafIndex), "hex"), envelope };
}

async function* batchesOf(leaves: LeafRecord[]): AsyncGenerator<LeafRecord[]> {
  yield leaves;
}

async function all(lines: AsyncIterable<ArchivedLine[]>): Promise<ArchivedLine[]> {
  const out: ArchivedLine[] = [];
  for await (const batch of lines) out.push(...batch);
  return out;
}

/** A partition file of a day, `<day>.<key>.jsonl.gz`, as another writer names it. */
function writePartition(dir: string, configId: string, name: string, leaves: LeafRecord[]): void {
  const text = leaves
    .map(
      (l) =>
        `${JSON.stringify({ leaf_index: l.leafIndex, hash: l.hash.toString("hex"), envelope: JSON.parse(l.envelope) })}\n`,
    )
    .join("");
  writeFileSync(join(dir, configId, name), gzipSync(text));
}

describe("the cold archive's readers", () => {
  let dir: string;
  let archive: ColdArchive;
  const config = "pci_archivetest";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "veritrail-cold-"));
    archive = new ColdArchive(dir);
    // Day 1 in one file; day 2 split over the day file and a partition file; day 3 in one.
    const erased = {
      ...leaf(1, DAY_1 + 2),
      envelope: erasedEnvelope({ erasureId: "prq_x", erasedAt: "2026-03-05T00:00:00.000Z" }),
    };
    await archive.write(config, DAY_1, batchesOf([leaf(0, DAY_1 + 1), erased, leaf(2, DAY_1 + 3)]));
    await archive.write(config, DAY_2, batchesOf([leaf(3, DAY_2), leaf(5, DAY_2 + 2), leaf(6, DAY_2 + 3)]));
    writePartition(dir, config, "2026-03-02.tenant-b.jsonl.gz", [leaf(4, DAY_2 + 1), leaf(7, DAY_2 + 4)]);
    await archive.write(config, DAY_3, batchesOf([leaf(8, DAY_3)]));
    // A temporary file a crashed writer left, and a foreign file: neither is a day's archive.
    writeFileSync(join(dir, config, "2026-03-02.jsonl.gz.123.abc.tmp"), "partial");
    writeFileSync(join(dir, config, "notes.txt"), "hello");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("lists the files of each day in a range, partition files with their day", async () => {
    const days = await archive.daysOf(config);
    assert.deepEqual(
      days.map((d) => [d.dayMicros, d.paths.map((p) => p.slice(dir.length + config.length + 2))]),
      [
        [DAY_1, ["2026-03-01.jsonl.gz"]],
        [DAY_2, ["2026-03-02.jsonl.gz", "2026-03-02.tenant-b.jsonl.gz"]],
        [DAY_3, ["2026-03-03.jsonl.gz"]],
      ],
    );
    assert.deepEqual(
      (await archive.daysOf(config, DAY_2, DAY_2)).map((d) => d.dayMicros),
      [DAY_2],
    );
    assert.deepEqual(await archive.daysOf("pci_nothingarchived"), []);
  });

  it("reads the days a window overlaps in leaf order, merging a day's files, either way", async () => {
    const asc = await all(archive.readDays(config, { order: "asc" }));
    assert.deepEqual(
      asc.map((l) => l.leafIndex),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(asc[1], {
      leafIndex: 1,
      hash: hashOf(1),
      erased: { erasure_id: "prq_x", erased_at: "2026-03-05T00:00:00.000Z" },
    });
    assert.equal(asc[4]!.envelope?.["received_at"], formatReceivedAt(DAY_2 + 1));
    const desc = await all(
      archive.readDays(config, { order: "desc", startMicros: DAY_2 + 5, endMicros: DAY_3 + 7 }),
    );
    assert.deepEqual(
      desc.map((l) => l.leafIndex),
      [8, 7, 6, 5, 4, 3],
    );
  });

  it("erases chosen lines in place, leaving no temporary file, and never re-dates an erased line", async () => {
    const mark = { erasure_id: "prq_y", erased_at: "2026-04-01T00:00:00.000Z" };
    const marks = new Map([
      [4, mark],
      [6, mark],
      [1, mark],
    ]);
    assert.deepEqual(await archive.eraseLines(config, DAY_2, marks), [
      { leafIndex: 4, hash: hashOf(4) },
      { leafIndex: 6, hash: hashOf(6) },
    ]);
    assert.deepEqual(await archive.eraseLines(config, DAY_1, marks), [], "line 1 was erased before");
    assert.deepEqual(await archive.eraseLines(config, DAY_2, marks), [], "again: nothing left to erase");
    const lines = await all(archive.readDays(config, { order: "asc" }));
    assert.deepEqual(
      lines.filter((l) => l.erased).map((l) => [l.leafIndex, l.erased!.erasure_id]),
      [
        [1, "prq_x"],
        [4, "prq_y"],
        [6, "prq_y"],
      ],
    );
    assert.equal(lines.filter((l) => l.envelope).length, 6);
    // The rewritten lines have the form of a line erased before it was archived.
    const text = gunzipSync(readFileSync(join(dir, config, "2026-03-02.tenant-b.jsonl.gz"))).toString();
    assert.equal(text.split("\n")[0], JSON.stringify({ leaf_index: 4, hash: hashOf(4), erased: mark }));
    assert.deepEqual(
      readdirSync(join(dir, config)).filter((n) => n.endsWith(".tmp")),
      ["2026-03-02.jsonl.gz.123.abc.tmp"],
      "only the crashed writer's file",
    );
  });

  it("refuses a damaged line, naming the file and the line", async () => {
    const other = "pci_damaged";
    mkdirSync(join(dir, other));
    writeFileSync(
      join(dir, other, "2026-03-01.jsonl.gz"),
      gzipSync(`{"leaf_index":0,"hash":"${hashOf(0)}","envelope":{}}\n{"leaf_index":1}\n`),
    );
    await assert.rejects(all(archive.readDays(other, { order: "asc" })), (error: unknown) => {
      assert.ok(error instanceof ArchiveUnreadableError);
      assert.match(error.message, /2026-03-01\.jsonl\.gz line 2 is not an archived event/);
      return true;
    });
    writeFileSync(join(dir, other, "2026-03-01.jsonl.gz"), "not gzip");
    await assert.rejects(all(archive.readDays(other, { order: "asc" })), (error: unknown) => {
      assert.ok(error instanceof ArchiveUnreadableError);
      assert.match(error.message, /2026-03-01\.jsonl\.gz does not decompress \(Z_DATA_ERROR\)/);
      return true;
    });
  });
});
