// The SDK README's examples, run as written against a real server in this process; only the
// environment says where the server is and with which credentials.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestServer, type TestServer } from "../../server/test/support/test-server.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

async function runExample(
  code: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--conditions=veritrail-source", "--import", "tsx", "--input-type=module", "-e", code],
      { cwd: repo, env, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? String(error) };
  }
}

describe("the SDK README's examples", () => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = await startTestServer();
    env = {
      ...process.env,
      VERITRAIL_URL: server.url,
      VERITRAIL_TOKEN: server.auditToken,
      VERITRAIL_ADMIN_TOKEN: server.adminToken,
      // As printed at start; the example itself never asks the server for it.
      VERITRAIL_VERIFIER_KEY: await server.service.publishing.view.verifierKey(),
    };
  });
  after(() => server.close());

  const expected: RegExp[] = [
    /^logged [0-9a-f]{64}, verified 1 record\(s\)$/,
    /^ValidationError 400 \/event\/message \w+$/,
    /^bulk 50 \+ async 50$/,
    /^export of 101 record\(s\) under 1 checkpoint\(s\): verified$/,
    /^config pci_[a-z2-7]{32}: 1 event\(s\)$/,
  ];

  it("has the examples this test expects", () => {
    assert.equal(examples.length, expected.length);
  });

  for (const [i, pattern] of expected.entries()) {
    it(`runs example ${i + 1} and prints what it says`, async () => {
      // Before the export, the events so far are published under a signed checkpoint.
      if (i === 3) await server.service.publishing.publisher.publishNow();
      const result = await runExample(examples[i]!, env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.trim(), pattern);
    });
  }
});
