// `veritrail erase` against a live server: a dry run lists, an erasure erases and prints what,
// and the server's refusal reaches the person as an exit status 1 with its pointer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  postJson,
  startTestServer,
  TEST_ADMIN_TOKEN,
  type TestServer,
} from "../../server/test/support/test-server.js";
import { runCliInProcess } from "./support/cli.js";

describe("veritrail erase", () => {
  let server: TestServer;
  const tag = `clierase${process.pid}`;

  before(async () => {
    server = await startTestServer();
    const events = ["alice", "bob", "alice"].map((actor, i) => ({
      event: { message: `${tag} ${i}`, actor },
    }));
    const logged = await postJson(`${server.url}/v2/log`, { events }, server.auditToken);
    assert.equal(logged.body.status, "Success");
  });
  after(() => server.close());

  const cli = (args: string[]) =>
    runCliInProcess(args, { VERITRAIL_URL: server.url, VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  const count = async (query: string) =>
    (await postJson(`${server.url}/v1/search`, { query }, server.auditToken)).body.result.count as number;

  it("lists on a dry run, then erases and prints the erasure", async () => {
    const base = ["erase", "--config", server.configId, "--query", `actor:alice message:${tag}`];
    const dry = await cli([...base, "--reason", "ticket 7", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would erase +2$/m);
    assert.match(dry.stdout, /^LEAF +HASH$/m);
    assert.equal(await count(`actor:alice message:${tag}`), 2);

    const run = await cli([...base, "--reason", "ticket 7", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { erasure_id: string; count: number };
    assert.match(result.erasure_id, /^prq_[a-z2-7]{32}$/);
    assert.equal(result.count, 2);
    assert.equal(await count(`actor:alice message:${tag}`), 0);
    assert.equal(await count(`message:${tag}`), 1);

    // In a table: what was erased, and how many of them lay in the cold archive (none here).
    const table = await cli([
      "erase",
      "--config",
      server.configId,
      "--query",
      `message:${tag}`,
      "--reason",
      "t 8",
    ]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^erased +1$/m);
    assert.match(table.stdout, /^of them archived +0$/m);
    assert.equal(await count(`message:${tag}`), 0);
  });

  it("exits 2 on bad usage and 1 on the server's refusal, with its pointer", async () => {
    const usage = await cli(["erase", "--config", server.configId, "--query", "x"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--reason is required/);
    const refused = await cli([
      "erase",
      "--config",
      server.configId,
      "--query",
      `message:${tag}`,
      "--reason",
      "r",
      "--max-events",
      "0",
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ValidationError/);
    assert.match(refused.stderr, /\/max_events/);
  });
});
