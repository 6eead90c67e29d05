import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestServer, type TestServer } from "./support/test-server.js";

/*
 * The README's examples, run as written against a real server (conventions: "the README's
 * examples run as tests"). Only the address is swapped for the test server's.
 */

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const readme = readFileSync(new URL("README.md", `file://${repo}`), "utf8");

/** Runs a command without blocking this process, which also serves the requests. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { ...options, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? String(error) };
  }
}

/** The code blocks of one language, in README order. */
function blocks(language: string): string[] {
  return [...readme.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);
}

describe("README examples", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(async () => {
    await server.close();
  });

  it("the curl example logs an event, reads the root and finds the event again", async () => {
    const example = blocks("sh").find((b) => b.includes("curl") && b.includes("/v1/log"));
    assert.ok(example, "README has a curl example for v1/log");
    const script = example
      .replaceAll("http://127.0.0.1:8000", server.url)
      .replace(/^TOKEN=.*$/m, "")
      .replaceAll("curl -s", "curl -s -S --fail-with-body")
      .concat("\n");
    const result = await run("bash", ["-euo", "pipefail", "-c", script], {
      env: { ...process.env, TOKEN: server.auditToken },
    });
    assert.equal(result.code, 0, result.stderr);
    const answers = result.stdout
      .trim()
      .split(/\n|(?<=\})(?=\{)/)
      .map((line) => JSON.parse(line) as { status: string; result: Record<string, unknown> });
    assert.deepEqual(
      answers.map((a) => a.status),
      ["Success", "Success", "Success"],
    );
    assert.match(String(answers[0]!.result["hash"]), /^[0-9a-f]{64}$/);
    assert.equal((answers[1]!.result["data"] as { size: number }).size, 1);
    const found = answers[2]!.result as { count: number; events: { hash: string }[] };
    assert.equal(found.count, 1);
    assert.equal(found.events[0]!.hash, answers[0]!.result["hash"]);
  });

  it("the Node SDK example verifies membership and consistency on the client", async () => {
    const example = blocks("js").find((b) => b.includes("pangea-node-sdk"));
    assert.ok(example, "README has a Node SDK example");
    const result = await run(
      process.execPath,
      ["--input-type=module", "-e", example.replaceAll("http://127.0.0.1:8000", server.url)],
      { cwd: repo, env: { ...process.env, TOKEN: server.auditToken } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "pass pass");
  });
});
