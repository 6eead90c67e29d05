import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { newId } from "@veritrail/core";
import type { Clock } from "../../clock.js";
import { defaultConfigSettings } from "../../ingest/event-schema.js";
import { Sequencer } from "../../ingest/sequencer.js";
import { ColdArchive } from "../../log/cold-archive.js";
import { ConfigDirectory } from "../../log/config-directory.js";
import { writeGzipChunks } from "../../log/event-file.js";
import { newTreeName } from "../../log/tree-name.js";
import { searchFieldNumbers, searchValuesOf } from "../../store/contract/search.js";
import { type AsyncRequestRecord, AsyncRequestTakenError } from "../../store/contract/store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { type JobLease, PermanentJobError } from "../job-kind.js";
import { type ExportPayload, exportJob } from "./export.js";

const NOW = "2026-01-01T00:00:00.000Z";
const T = Date.parse(NOW);
const clock: Clock = { nowMillis: () => T, nowMicros: () => T * 1000 };
const keepAlways: JobLease = { keep: async () => undefined };

describe("the v1/export job", () => {
  let store: SqliteStore;
  let sequencer: Sequencer;
  let directory: ConfigDirectory;
  let configId: string;
  let treeId: number;
  let micros = 1_700_000_000_000_000;

  before(async () => {
    store = new SqliteStore({ dataDir: ":memory:", synchronous: "NORMAL" });
    await store.migrate();
    await store.configs.createProject({ id: "ppj_e", name: "p", createdAt: NOW });
    configId = newId("pci");
    const settings = defaultConfigSettings();
    await store.configs.createConfig(
      { id: configId, projectId: "ppj_e", name: "c", settings, createdAt: NOW, updatedAt: NOW },
      newTreeName(),
    );
    treeId = (await store.log.getTreeHead(configId))!.id;
    sequencer = new Sequencer({ store, nowMicros: () => micros++, maxBatchEvents: 5000 });
    directory = new ConfigDirectory({ store, cacheMs: 0, nowMillis: () => T });
    const numbers = searchFieldNumbers(settings.schema);
    const entries = Array.from({ length: 10_001 }, (_, i) => {
      const event = { message: `event ${i}`, actor: `actor ${String(i % 97).padStart(2, "0")}` };
      return { event, search: searchValuesOf(event, settings.schema, numbers) };
    });
    for (let i = 0; i < entries.length; i += 5000) {
      await sequencer.append(treeId, { entries: entries.slice(i, i + 5000) });
    }
  });
  after(async () => {
    await sequencer.close();
    await store.close();
  });

  async function submit(payload: Partial<ExportPayload>, forConfig = configId): Promise<string> {
    const id = newId("prq");
    const full: ExportPayload = {
      format: "csv",
      verbose: false,
      order: "asc",
      orderBy: { kind: "received_at" },
      restriction: {},
      ...payload,
    };
    await store.jobs.createAsyncRequest({
      id,
      tokenId: "ptk_e",
      configId: forConfig,
      endpoint: "v1/export",
      state: "pending",
      payload: JSON.stringify(full),
      createdAt: NOW,
      expiresAt: "2999-01-01T00:00:00.000Z",
    });
    return id;
  }

  async function claim(id: string, at: number): Promise<AsyncRequestRecord> {
    const claimed = (await store.jobs.claimAsyncRequests("owner", at, 1000, 100)).find((r) => r.id === id);
    assert.ok(claimed, `request ${id} was claimed`);
    return claimed;
  }

  async function fileText(id: string): Promise<string> {
    const file = await store.jobs.getExportFile(id);
    assert.ok(file);
    const chunks: Buffer[] = [];
    for (let seq = 0; seq < file.chunks; seq++)
      chunks.push((await store.jobs.readExportChunk(id, file.attempt, seq))!);
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.length, file.bytes);
    return gunzipSync(bytes).toString("utf8");
  }

  it("drops what an attempt cut short wrote, and the next attempt writes the whole file", async () => {
    const job = exportJob({ store, directory, clock });
    const id = await submit({});
    let batches = 0;
    const losing: JobLease = {
      keep: async () => {
        if (++batches === 3) throw new AsyncRequestTakenError(id);
      },
    };
    const first = await claim(id, T);
    await assert.rejects(job.run(first, losing), AsyncRequestTakenError);
    assert.equal((await store.jobs.getAsyncRequest(id))?.state, "pending");
    assert.equal(await store.jobs.readExportChunk(id, first.attempts, 0), undefined);

    const second = await claim(id, T + 2000);
    assert.equal(second.attempts, 2);
    await job.run(second, keepAlways);
    assert.equal((await store.jobs.getAsyncRequest(id))?.state, "done");
    const file = await store.jobs.getExportFile(id);
    assert.equal(file?.attempt, 2);
    assert.equal(file?.events, 10_001);
    const lines = (await fileText(id)).split("\r\n");
    assert.equal(lines.length, 10_003); // the header, the rows, and the empty text after the last CRLF
    assert.match(lines[1]!, /,event 0,actor 00,/);
    assert.match(lines[10_001]!, /,event 10000,actor 09,/);
  });

  it("fails for good an export ordered by a field that would hold more than a search orders", async () => {
    const job = exportJob({ store, directory, clock });
    const fieldNo = searchFieldNumbers(defaultConfigSettings().schema).get("actor")!;
    const id = await submit({ orderBy: { kind: "field", fieldId: "actor", fieldNo, type: "string" } });
    await assert.rejects(
      job.run(await claim(id, T + 4000), keepAlways),
      (error) => error instanceof PermanentJobError && error.reason === "ExportTooLarge",
    );
  });

  it("exports nothing cold without cold storage, and fails for good a cold export of a damaged archive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "veritrail-export-cold-"));
    try {
      const archive = new ColdArchive(dir);
      const job = exportJob({ store, directory, clock, archive });
      // The default configuration has cold storage off: its cold export is an empty file.
      const empty = await submit({ cold: true, format: "json" });
      await job.run(await claim(empty, T + 5000), keepAlways);
      assert.deepEqual(JSON.parse(await fileText(empty)), {
        tree_name: (await directory.get(configId)).treeName,
        selection: "matches",
        events: [],
        count: 0,
      });
      const coldId = newId("pci");
      await store.configs.createConfig(
        {
          id: coldId,
          projectId: "ppj_e",
          name: "cold",
          settings: { ...defaultConfigSettings(), warm_storage: "0d", cold_storage: "180d" },
          createdAt: NOW,
          updatedAt: NOW,
        },
        newTreeName(),
      );
      mkdirSync(join(dir, coldId));
      writeFileSync(join(dir, coldId, "2025-12-01.jsonl.gz"), gzipSync('{"leaf_index":"zero"}\n'));
      const damaged = await submit({ cold: true, format: "json" }, coldId);
      await assert.rejects(
        job.run(await claim(damaged, T + 5500), keepAlways),
        (error) =>
          error instanceof PermanentJobError &&
          error.reason === "ArchiveUnreadable" &&
          /2025-12-01\.jsonl\.gz line 1/.test(error.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails for good a request whose configuration was deleted, or whose payload cannot be read", async () => {
    const job = exportJob({ store, directory, clock });
    const unreadable = newId("prq");
    await store.jobs.createAsyncRequest({
      id: unreadable,
      tokenId: "ptk_e",
      configId,
      endpoint: "v1/export",
      state: "pending",
      payload: "{not json",
      createdAt: NOW,
      expiresAt: "2999-01-01T00:00:00.000Z",
    });
    await assert.rejects(
      job.run(await claim(unreadable, T + 6000), keepAlways),
      (error) => error instanceof PermanentJobError && error.reason === "PayloadUnreadable",
    );
  });
});

describe("writeGzipChunks", () => {
  it("cuts a large file into chunks of about a mebibyte whose concatenation gunzips to the text", async () => {
    // Hex of random bytes compresses to about half: 6 MiB of text gives some 3 MiB of gzip.
    const { randomBytes } = await import("node:crypto");
    const pieces = Array.from({ length: 48 }, () => randomBytes(64 * 1024).toString("hex"));
    async function* text() {
      yield* pieces;
    }
    const chunks: Buffer[] = [];
    const written = await writeGzipChunks(text(), async (seq, data) => {
      assert.equal(seq, chunks.length);
      chunks.push(data);
    });
    assert.equal(written.chunks, chunks.length);
    assert.ok(chunks.length >= 2, `${chunks.length} chunk(s)`);
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.length >= 1024 * 1024);
    assert.equal(
      written.bytes,
      chunks.reduce((n, c) => n + c.length, 0),
    );
    assert.equal(gunzipSync(Buffer.concat(chunks)).toString("utf8"), pieces.join(""));
  });

  it("writes one chunk, a valid empty gzip file, for no text", async () => {
    const chunks: Buffer[] = [];
    async function* nothing() {}
    await writeGzipChunks(nothing(), async (_seq, data) => {
      chunks.push(data);
    });
    assert.equal(chunks.length, 1);
    assert.equal(gunzipSync(chunks[0]!).length, 0);
  });
});
