// Anchors (issue 10 §1, docs/design/publishing.md): every new checkpoint goes to a directory, a
// webhook and another Veritrail's v1/log; a failing anchor blocks neither ingestion nor
// publishing, is retried with backoff on the service's clock, and shows at /v1/admin/anchors.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertUnauthorized, fetchApi } from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import { openCheckpoint } from "./support/notes.js";
import { freePort, postJson, startTestServer, type TestServer } from "./support/test-server.js";

describe("anchors", () => {
  let witness: TestServer;
  let server: TestServer;
  let hook: Server;
  const received: { body: string; headers: Record<string, unknown> }[] = [];
  let hookStatus = 500;
  const dir = mkdtempSync(join(tmpdir(), "veritrail-anchors-"));
  const clock = new FakeClock();
  let treeName: string;
  let verifierKey: string;

  before(async () => {
    witness = await startTestServer();
    const port = await freePort();
    hook = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push({ body, headers: request.headers });
        response.writeHead(hookStatus).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(port, "127.0.0.1", resolve));
    server = await startTestServer(
      {
        VERITRAIL_ANCHOR_DIR: dir,
        VERITRAIL_ANCHOR_WEBHOOK_URL: `http://127.0.0.1:${port}/checkpoints`,
        VERITRAIL_ANCHOR_AUDIT_LOG_URL: witness.url,
        VERITRAIL_ANCHOR_AUDIT_LOG_TOKEN: witness.auditToken,
      },
      { clock },
    );
    treeName = (await server.service.store.log.getTreeHead(server.configId))!.treeName;
    verifierKey = await server.service.publishing.view.verifierKey();
  });

  after(async () => {
    await server?.close();
    await witness?.close();
    await new Promise((resolve) => hook?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function log(message: string): Promise<void> {
    const response = await postJson(`${server.url}/v1/log`, { event: { message } }, server.auditToken);
    assert.equal(response.body.status, "Success");
  }

  /** Publishes what has grown and waits for the anchors to have tried it. */
  async function publish(): Promise<number | undefined> {
    const [checkpoint] = await server.service.publishing.publisher.publishNow();
    await server.service.publishing.anchors.whenIdle();
    return checkpoint?.size;
  }

  async function status() {
    const response = await fetchApi(`${server.url}/v1/admin/anchors`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    assert.equal(response.body.status, "Success");
    const anchors = response.body.result.anchors as Record<string, unknown>[];
    return new Map(anchors.map((a) => [a["anchor"], a]));
  }

  function directoryLines(): { size: number; note: string; tree_name: string }[] {
    return readFileSync(join(dir, `${treeName}.jsonl`), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
  }

  it("hands a new checkpoint to the directory and the other audit log, and records the webhook's failure", async () => {
    await log("one");
    await log("two");
    assert.equal(await publish(), 2);
    const lines = directoryLines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.size, 2);
    assert.equal(lines[0]!.tree_name, treeName);
    assert.equal(openCheckpoint(lines[0]!.note, verifierKey).size, 2);

    // The witness holds the note as an event of its own tree.
    const search = await postJson(
      `${witness.url}/v1/search`,
      { query: "action:checkpoint", verbose: false },
      witness.auditToken,
    );
    assert.equal(search.body.result.count, 1);
    const event = search.body.result.events[0].envelope.event;
    assert.equal(event.message, lines[0]!.note);
    assert.equal(event.target, treeName);
    assert.equal(event.status, "2");

    assert.equal(received.length, 1);
    assert.equal(received[0]!.body, lines[0]!.note);
    assert.equal(received[0]!.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(received[0]!.headers["veritrail-tree-size"], "2");
  });

  it("shows each anchor's state to the admin credential only", async () => {
    const states = await status();
    assert.deepEqual([...states.keys()].sort(), ["audit-log", "directory", "webhook"]);
    assert.deepEqual(
      { ...states.get("directory"), last_success_at: undefined },
      {
        anchor: "directory",
        kind: "directory",
        tree_name: treeName,
        delivered_size: 2,
        published_size: 2,
        backlog: 0,
        state: "ok",
        attempts: 0,
        last_success_at: undefined,
      },
    );
    const webhook = states.get("webhook")!;
    assert.equal(webhook["state"], "failing");
    assert.equal(webhook["backlog"], 1);
    assert.equal(webhook["attempts"], 1);
    assert.equal(webhook["delivered_size"], 0);
    assert.match(String(webhook["last_error"]), /HTTP 500/);
    assert.ok(Date.parse(String(webhook["next_attempt_at"])) > clock.nowMillis());

    for (const token of [undefined, server.auditToken]) {
      assertUnauthorized(
        await fetchApi(`${server.url}/v1/admin/anchors`, {
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        }),
      );
    }
  });

  it("lets neither ingestion nor publishing wait for a failing anchor, and retries it only after its backoff", async () => {
    await log("three");
    await log("four");
    assert.equal(await publish(), 4);
    assert.deepEqual(
      directoryLines().map((l) => l.size),
      [2, 4],
    );
    assert.equal(received.length, 1, "the webhook is not tried again before its next attempt");
    const webhook = (await status()).get("webhook")!;
    assert.equal(webhook["backlog"], 2);
    assert.equal(webhook["state"], "failing");
  });

  it("delivers the backlog in order once the anchor answers again", async () => {
    hookStatus = 204;
    clock.advance(61_000); // past the longest backoff (jobs/runner.ts retryDelayMs caps at a minute)
    server.service.publishing.anchors.wake();
    await server.service.publishing.anchors.whenIdle();
    assert.deepEqual(
      received.slice(1).map((r) => r.headers["veritrail-tree-size"]),
      ["2", "4"],
    );
    const webhook = (await status()).get("webhook")!;
    assert.equal(webhook["state"], "ok");
    assert.equal(webhook["backlog"], 0);
    assert.equal(webhook["attempts"], 0);
    assert.equal(webhook["delivered_size"], 4);
    assert.match(String(webhook["last_error"]), /HTTP 500/, "the last error is kept beside the recovery");
    assert.ok(webhook["last_success_at"]);
    assert.equal(webhook["next_attempt_at"], undefined);
  });
});
