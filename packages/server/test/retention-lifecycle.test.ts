// The life of an event under retention with cold storage on (docs/design/retention.md), on the
// fake clock and the store the run selects: searchable while hot and warm, then archived into
// the cold archive (gone from search, its envelope gone from the store), then deleted once cold
// storage ends. At each step what remains verifies with the official Node SDK; a normal export
// and a cold export each verify offline with `veritrail verify`; an archived event erased on
// request shows as erased in the cold export and verifies as erased (docs/design/erasure.md).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { VerifiableFile } from "@veritrail/core";
import { AuditService, PangeaConfig } from "pangea-node-sdk";
import { runCliInProcess } from "../../cli/test/support/cli.js";
import { AuditClient, Verifier } from "../../sdk/src/index.js";
import { dayOf } from "../src/log/cold-archive.js";
import { erasureOf } from "../src/store/contract/erasure.js";
import { adminPost, createConfig, createToken, successResult } from "./support/admin.js";
import { assertUnauthorized } from "./support/api-assertions.js";
import { redirectArweave } from "./support/arweave.js";
import { FakeClock } from "./support/fake-clock.js";
import { pollUntilDone } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Erased {
  erasure_id: string;
  erased_at: string;
  count: number;
  archived_count: number;
  events: { leaf_index: number; hash: string }[];
}

interface VerifyReport {
  ok: boolean;
  records: number;
  erased: number;
  expired: number;
  failures: { leaf_index?: number; failed: { check: string }[] }[];
}

describe("an event's life under retention with cold storage", () => {
  let server: TestServer;
  let arweave: ReturnType<typeof redirectArweave>;
  let configId: string;
  let token: string;
  let audit: AuditService;
  let verifierKey: string;
  let dir: string;
  let dayA: number;
  const clock = new FakeClock();
  const tag = `life${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  /** The hashes of the events in leaf order: day A's four, then day B's two. */
  const hashes: string[] = [];
  let earlierResultId: string;
  let fileNumber = 0;

  const messagesOf = (events: { envelope: { event: unknown } }[]) =>
    events.map((e) => String((e.envelope.event as { message: unknown }).message));

  /** Asks for an export with `token`, waits for it, downloads it and returns its text. */
  async function exported(body: Record<string, unknown>, as = token): Promise<string> {
    const accepted = await postJson(`${server.url}/v1/export`, { config_id: configId, ...body }, as);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const id = accepted.body.request_id as string;
    const done = await pollUntilDone(server, id, as);
    assert.equal(done.body.status, "Success", JSON.stringify(done.body));
    return download({ request_id: id, format: body["format"] ?? "csv" }, as);
  }

  async function download(body: Record<string, unknown>, as = token): Promise<string> {
    const link = await postJson(`${server.url}/v1/download_results`, { config_id: configId, ...body }, as);
    assert.equal(link.body.status, "Success", JSON.stringify(link.body));
    const response = await fetch(link.body.result.dest_url as string);
    assert.equal(response.status, 200);
    return gunzipSync(Buffer.from(await response.arrayBuffer())).toString();
  }

  /** `veritrail verify FILE --key … --json`, in this process as the CLI tests run it. */
  async function verified(text: string): Promise<{ code: number | null; report: VerifyReport }> {
    const path = join(dir, `file-${fileNumber++}.json`);
    writeFileSync(path, text);
    const run = await runCliInProcess(["verify", path, "--key", verifierKey, "--json"], {});
    return { code: run.code, report: JSON.parse(run.stdout) as VerifyReport };
  }

  const search = (query: string) =>
    postJson(
      `${server.url}/v1/search`,
      { config_id: configId, query, start: "400d", order: "asc", limit: 100, verbose: false },
      token,
    );

  const archiveFiles = () => {
    try {
      return readdirSync(join(server.config.archiveDir, configId)).sort();
    } catch {
      return [];
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "veritrail-lifecycle-"));
    // One in the morning (UTC) of the next day: day A.
    clock.advancePast(dayOf(clock.nowMicros()) / 1000 + DAY_MS + HOUR_MS);
    dayA = dayOf(clock.nowMicros()) / 1000;
    server = await startTestServer({}, { clock });
    arweave = redirectArweave();
    verifierKey = await server.service.publishing.view.verifierKey();
    // Hot for a day, warm for a day, then 180 days in the cold archive.
    const config = await createConfig(server, {
      name: `lifecycle ${tag}`,
      hot_storage: "1d",
      warm_storage: "1d",
      cold_storage: "180d",
    });
    configId = config.id;
    token = (await createToken(server, { audit: { configs: [configId] } })).token;
    audit = new AuditService(
      token,
      new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      undefined,
      configId,
    );
    for (const [i, tenant] of ["acme", "acme", "globex", "globex"].entries())
      hashes.push(
        (await audit.log({ message: `${tag}-a-${i}`, tenant_id: tenant }, { verbose: true })).result.hash,
      );
    clock.advance(DAY_MS);
    for (const [i, tenant] of ["acme", "globex"].entries())
      hashes.push(
        (await audit.log({ message: `${tag}-b-${i}`, tenant_id: tenant }, { verbose: true })).result.hash,
      );
    await server.service.publishing.publisher.publishNow();
  });

  after(async () => {
    arweave?.restore();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("still answers every event while warm", async () => {
    // Day A's events are 36 hours old: past hot (1 day), in warm; day B's are 12 hours old, hot.
    clock.advance(12 * HOUR_MS);
    const all = await search(`message:${tag}`);
    assert.equal(all.body.result.count, 6);
    earlierResultId = all.body.result.id as string;
    assert.equal(
      (await server.service.retention.tick())?.expired.find((e) => e.configId === configId),
      undefined,
    );
    const warm = await audit.search(`message:${tag}`, { order: "asc", start: "400d", verbose: true }, {});
    assert.deepEqual(messagesOf(warm.result.events), [
      ...[0, 1, 2, 3].map((i) => `${tag}-a-${i}`),
      `${tag}-b-0`,
      `${tag}-b-1`,
    ]);
    assert.deepEqual(archiveFiles(), []);
  });

  it("archives an event past its tiers: gone from search and from the store, into its day file", async () => {
    // Half past midnight of day A + 3: all of day A is past hot + warm, day B (47.5 hours old) is not.
    clock.advancePast(dayA + 3 * DAY_MS + HOUR_MS / 2);
    const pass = await server.service.retention.tick();
    const ours = pass?.expired.find((e) => e.configId === configId);
    assert.deepEqual(ours && { count: ours.count, expiredBelow: ours.expiredBelow }, {
      count: 4,
      expiredBelow: 4,
    });
    assert.deepEqual(archiveFiles(), [`${new Date(dayA).toISOString().slice(0, 10)}.jsonl.gz`]);
    const treeId = ours!.treeId;
    for (let i = 0; i < 6; i++) {
      const leaf = (await server.service.store.log.getLeaf(treeId, i))!;
      assert.equal(leaf.hash.toString("hex"), hashes[i]);
      assert.equal(erasureOf(leaf.envelope)?.reason, i < 4 ? "expired" : undefined);
    }
    const now = await search(`message:${tag}`);
    assert.deepEqual(
      (now.body.result.events as { hash: string }[]).map((e) => e.hash),
      hashes.slice(4),
    );
  });

  it("keeps the root, and the remaining events' proofs and consistency, verifying with the SDK", async () => {
    const before = (await audit.root()).result.data;
    assert.equal(before.size, 6);
    await audit.log({ message: `${tag}-c-0`, tenant_id: "acme" }, { verbose: true, verify: true });
    await server.service.publishing.publisher.publishNow();
    const found = await audit.search(
      `message:${tag}`,
      { order: "asc", start: "400d", verbose: true },
      { verifyConsistency: true },
    );
    assert.deepEqual(messagesOf(found.result.events), [`${tag}-b-0`, `${tag}-b-1`, `${tag}-c-0`]);
    for (const event of found.result.events) {
      assert.equal(event.membership_verification, "pass");
      assert.equal(event.consistency_verification, "pass");
    }
    const root = (await audit.root(6)).result.data;
    assert.equal(root.root_hash, before.root_hash);
  });

  it("exports and downloads only what is still searchable, each verifying offline", async () => {
    const file = await exported({ format: "json" });
    const parsed = JSON.parse(file) as VerifiableFile;
    assert.deepEqual(
      parsed.events.map((e) => e.leaf_index),
      [4, 5, 6],
    );
    const run = await verified(file);
    assert.equal(run.code, 0, JSON.stringify(run.report));
    assert.deepEqual([run.report.ok, run.report.records, run.report.erased], [true, 3, 0]);
    // A result set made while day A was hot leaves its expired events out, as its pages do.
    const earlier = await download({ result_id: earlierResultId, format: "json" });
    assert.deepEqual(
      (JSON.parse(earlier) as VerifiableFile).events.map((e) => e.hash),
      hashes.slice(4),
    );
    assert.equal((await verified(earlier)).code, 0);
  });

  it("exports the archived events with cold: true, which verify offline against the tree", async () => {
    const file = await exported({ format: "json", cold: true });
    const parsed = JSON.parse(file) as VerifiableFile;
    assert.deepEqual(
      parsed.events.map((e) => [e.leaf_index, e.hash, e.envelope?.event["message"]]),
      [0, 1, 2, 3].map((i) => [i, hashes[i], `${tag}-a-${i}`]),
    );
    assert.ok(parsed.root && parsed.events.every((e) => e.membership_proof !== undefined));
    const run = await verified(file);
    assert.equal(run.code, 0, JSON.stringify(run.report));
    assert.deepEqual([run.report.ok, run.report.records, run.report.erased], [true, 4, 0]);
    // Newest first, and a window that misses day A, as for any export.
    const desc = JSON.parse(await exported({ format: "json", cold: true, order: "desc" })) as VerifiableFile;
    assert.deepEqual(
      desc.events.map((e) => e.leaf_index),
      [3, 2, 1, 0],
    );
    const later = JSON.parse(
      await exported({ format: "json", cold: true, start: new Date(dayA + DAY_MS).toISOString() }),
    ) as VerifiableFile;
    assert.equal(later.count, 0);
    const csv = (await exported({ format: "csv", cold: true })).trimEnd().split("\r\n");
    assert.equal(csv.length, 5);
    assert.ok(csv[1]!.includes(`${tag}-a-0`) && csv[1]!.endsWith(hashes[0]!));
  });

  it("gives a token restricted to one tenant only that tenant's archived events", async () => {
    const acme = await createToken(server, {
      audit: { configs: [configId], field_restrictions: { [configId]: { tenant_id: ["acme"] } } },
    });
    const file = await exported({ format: "json", cold: true }, acme.token);
    const parsed = JSON.parse(file) as VerifiableFile;
    assert.deepEqual(
      parsed.events.map((e) => [e.leaf_index, e.envelope?.event["tenant_id"]]),
      [
        [0, "acme"],
        [1, "acme"],
      ],
    );
    assert.equal((await verified(file)).code, 0);
  });

  it("refuses a cold export to a token without v1/export, as any export", async () => {
    const searcher = await createToken(server, { audit: { configs: [configId], endpoints: ["v1/search"] } });
    assertUnauthorized(
      await postJson(`${server.url}/v1/export`, { config_id: configId, cold: true }, searcher.token),
    );
  });

  it("erases an archived event in its day file, once, and the cold export shows it erased", async () => {
    const window = {
      config_id: configId,
      query: `message:"${tag}-a-1"`,
      start: new Date(dayA).toISOString(),
      end: new Date(dayA + DAY_MS - 1).toISOString(),
      reason: "DSR-lifecycle",
    };
    const dry = successResult<{ count: number; events: { leaf_index: number }[] }>(
      await adminPost(server, "/v1/admin/erase", { ...window, dry_run: true }),
    );
    assert.deepEqual([dry.count, dry.events[0]?.leaf_index], [1, 1]);
    const erased = successResult<Erased>(await adminPost(server, "/v1/admin/erase", window));
    assert.deepEqual(
      [erased.count, erased.archived_count, erased.events],
      [1, 1, [{ leaf_index: 1, hash: hashes[1] }]],
    );
    // The store's tombstone now names the erasure, not retention.
    const head = (await server.service.store.log.getTreeHead(configId))!;
    const mark = erasureOf((await server.service.store.log.getLeaf(head.id, 1))!.envelope);
    assert.deepEqual(mark, { erasureId: erased.erasure_id, erasedAt: erased.erased_at });
    const [name] = archiveFiles();
    assert.ok(
      !gunzipSync(readFileSync(join(server.config.archiveDir, configId, name!)))
        .toString()
        .includes(`${tag}-a-1`),
    );
    assert.deepEqual(archiveFiles(), [name], "no temporary file is left");
    // Retried: nothing more to erase, nothing counted again, nothing re-dated.
    const again = successResult<Erased>(await adminPost(server, "/v1/admin/erase", window));
    assert.deepEqual([again.count, again.archived_count], [0, 0]);
    assert.deepEqual(erasureOf((await server.service.store.log.getLeaf(head.id, 1))!.envelope), mark);

    const file = await exported({ format: "json", cold: true });
    const parsed = JSON.parse(file) as VerifiableFile;
    const record = parsed.events[1]!;
    assert.equal(record.envelope, undefined);
    assert.deepEqual(record.erased, { erasure_id: erased.erasure_id, erased_at: erased.erased_at });
    assert.equal(record.hash, hashes[1]);
    const run = await verified(file);
    assert.equal(run.code, 0, JSON.stringify(run.report));
    assert.deepEqual([run.report.records, run.report.erased], [4, 1]);
    // A tampered erased record fails, named by its leaf index.
    record.hash = hashes[2]!;
    const tampered = await verified(JSON.stringify(parsed));
    assert.equal(tampered.code, 1);
    assert.deepEqual(
      tampered.report.failures.map((f) => [f.leaf_index, f.failed.map((x) => x.check)]),
      [[1, ["membership"]]],
    );
    // The Veritrail SDK asks for the same cold export and its Verifier says the same.
    const client = new AuditClient({ baseUrl: server.url, token });
    const requestId = await client.exportAndWait({ config_id: configId, cold: true, format: "json" });
    const { dest_url } = await client.downloadResults({
      request_id: requestId,
      format: "json",
      config_id: configId,
    });
    const sdkReport = await new Verifier(client, { verifierKey }).verifyFile(
      await client.downloadJson(dest_url),
    );
    assert.deepEqual([sdkReport.ok, sdkReport.records, sdkReport.erased, sdkReport.expired], [true, 4, 1, 0]);
    const csv = (await exported({ format: "csv", cold: true })).trimEnd().split("\r\n");
    assert.ok(
      csv[2]!.endsWith(hashes[1]!) && !csv[2]!.includes(tag),
      "an erased row keeps its time and hash",
    );
  });

  it("deletes the archive once cold storage ends, and what remains still verifies", async () => {
    // Past hot + warm + cold of every day written so far (the last, day A + 3, ends 183 days back).
    clock.advance(184 * DAY_MS);
    await server.service.retention.tick();
    assert.deepEqual(archiveFiles(), []);
    const file = JSON.parse(await exported({ format: "json", cold: true })) as VerifiableFile;
    assert.deepEqual([file.count, file.events.length], [0, 0]);
    // The erasure's mark outlives the archive; the root still verifies with the SDK.
    const head = (await server.service.store.log.getTreeHead(configId))!;
    assert.equal(
      erasureOf((await server.service.store.log.getLeaf(head.id, 1))!.envelope)?.reason,
      undefined,
    );
    const logged = await audit.log(
      { message: `${tag}-d-0`, tenant_id: "acme" },
      { verbose: true, verify: true },
    );
    assert.equal(logged.result.membership_verification, "pass");
    assert.equal(logged.result.consistency_verification, "pass");
    assert.equal((await search(`message:${tag}`)).body.result.count, 1);
  });
});
