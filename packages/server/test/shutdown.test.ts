// The real CLI as a child process: the first-start banner, secrets kept out of the logs, a
// graceful SIGTERM under load that loses no acknowledged event, and a bad configuration that
// stops `serve` with a message naming the variable.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { type ApiResponse, assertEnvelope, fetchApi } from "./support/api-assertions.js";
import { freePort, TEST_ADMIN_TOKEN, TEST_AUDIT_TOKEN } from "./support/test-server.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI_ARGS = ["--conditions=veritrail-source", "--import", "tsx", "packages/cli/src/main.ts", "serve"];
/** Bounds every wait: a start compiles the sources with tsx, slow on a busy machine. */
const WAIT_MS = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A `veritrail serve` child process and what it has written so far. */
class ServeProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, CLI_ARGS, {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((done) => this.child.once("exit", (code, signal) => done({ code, signal })));
  }

  /** Waits until stdout matches, failing on exit or after `WAIT_MS`. */
  async waitForStdout(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!pattern.test(this.stdout)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        assert.fail(`serve exited before ${pattern}:\n${this.stdout}\n${this.stderr}`);
      }
      if (Date.now() > deadline)
        assert.fail(`no ${pattern} within ${WAIT_MS} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits for the exit, killing the process if it does not come within `WAIT_MS`. */
  async waitForExit(): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), WAIT_MS);
    });
    const exit = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (exit === "timeout") {
      this.child.kill("SIGKILL");
      assert.fail(`serve did not exit within ${WAIT_MS} ms:\n${this.stdout}\n${this.stderr}`);
    }
    return exit;
  }

  /** Stops the process if a failed test left it running. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

describe("veritrail serve", () => {
  let dataDir: string;
  let port: number;
  const started: ServeProcess[] = [];

  const serve = (extra: Record<string, string> = {}) => {
    const process = new ServeProcess({
      VERITRAIL_PORT: String(port),
      VERITRAIL_DATA_DIR: dataDir,
      VERITRAIL_INIT_AUDIT_TOKEN: TEST_AUDIT_TOKEN,
      VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      VERITRAIL_LOG_LEVEL: "info",
      ...extra,
    });
    started.push(process);
    return process;
  };

  const url = () => `http://127.0.0.1:${port}`;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "veritrail-serve-"));
    port = await freePort();
  });
  after(() => {
    for (const process of started) process.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Posts with the audit token; a network failure (the server has gone) answers undefined. */
  async function tryPost(path: string, body: unknown): Promise<ApiResponse | undefined> {
    try {
      return await fetchApi(`${url()}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_AUDIT_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(WAIT_MS),
      });
    } catch (error) {
      if (error instanceof Error && error.name === "TimeoutError") throw error;
      return undefined;
    }
  }

  let configId = "";
  const acknowledged: string[] = [];

  it("prints the config id and a runnable example once, keeps secrets out of its output, and drains on SIGTERM", {
    timeout: 4 * WAIT_MS,
  }, async () => {
    const first = serve();
    await first.waitForStdout(/veritrail is serving/);

    configId = /config id:\s+(pci_[a-z2-7]{32})\b/.exec(first.stdout)?.[1] ?? "";
    assert.notEqual(configId, "", `the banner names the config id:\n${first.stdout}`);

    // The example, run by a shell whose curl prints its arguments, sends the audit token.
    const example = /Try it:\n([\s\S]*?)\n\n/.exec(first.stdout)?.[1];
    assert.ok(example, "the banner holds an example");
    const args = execFileSync("sh", ["-c", `curl() { printf '%s\\0' "$@"; }\n${example}`], {
      env: { VERITRAIL_INIT_AUDIT_TOKEN: TEST_AUDIT_TOKEN },
      encoding: "utf8",
    })
      .split("\0")
      .slice(0, -1);
    assert.ok(args.includes(`Authorization: Bearer ${TEST_AUDIT_TOKEN}`), `example sends ${args.join(" ")}`);
    const exampleUrl = args.find((a) => a.startsWith("http"))!;
    const exampleBody = args[args.indexOf("-d") + 1]!;
    const tried = await tryPost(exampleUrl.slice(url().length), JSON.parse(exampleBody));
    assert.equal(tried?.body.status, "Success");
    acknowledged.push(tried!.body.result.hash);

    // A burst from 24 clients; SIGTERM once 150 requests have been answered.
    const answers: ApiResponse[] = [];
    let signalled = false;
    let release: () => void = () => {};
    const enough = new Promise<void>((r) => {
      release = r;
    });
    const client = async (c: number) => {
      for (let i = 0; i < 400; i++) {
        const bulk = (c + i) % 3 === 0;
        const response = bulk
          ? await tryPost("/v2/log", {
              events: [1, 2, 3].map((k) => ({ event: { message: `client ${c} request ${i} bulk ${k}` } })),
            })
          : await tryPost("/v1/log", { event: { message: `client ${c} request ${i}` } });
        if (!response) return;
        answers.push(response);
        if (answers.length >= 150) release();
        if (response.body?.status !== "Success") return;
        if (bulk) acknowledged.push(...response.body.result.results.map((r: { hash: string }) => r.hash));
        else acknowledged.push(response.body.result.hash);
      }
    };
    const clients = Promise.all(Array.from({ length: 24 }, (_, c) => client(c)));
    await Promise.race([enough, clients]);
    signalled = first.child.kill("SIGTERM");
    await clients;
    assert.ok(signalled);
    assert.deepEqual(await first.waitForExit(), { code: 0, signal: null });

    assert.ok(answers.length >= 150, `the burst was answered (${answers.length})`);
    for (const answer of answers) {
      // Load shed while draining is still the envelope, as the SDKs read it (wire-protocol §3.1).
      assertEnvelope(answer);
      if (answer.body.status !== "Success") {
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.equal(answer.body.status, "ServiceNotAvailable");
      }
    }

    const output = first.stdout + first.stderr;
    assert.match(output, /shutting down/);
    assert.equal(output.includes(TEST_AUDIT_TOKEN), false, "the audit token never appears in the output");
    assert.equal(
      output.includes(TEST_ADMIN_TOKEN),
      false,
      "the admin credential never appears in the output",
    );
  });

  it("keeps every acknowledged event across a restart on the same data directory", {
    timeout: 4 * WAIT_MS,
  }, async () => {
    assert.ok(acknowledged.length > 1, "the previous test acknowledged events");
    const second = serve();
    await second.waitForStdout(/veritrail is serving/);
    assert.equal(/config id:/.test(second.stdout), false, "the first-start banner is shown only once");

    const root = await tryPost("/v1/root", {});
    assert.equal(root?.body.status, "Success");
    const size = root!.body.result.data.size as number;
    assert.ok(
      size >= acknowledged.length,
      `size ${size} holds the ${acknowledged.length} acknowledged events`,
    );
    // Still taking events after the restart.
    const more = await tryPost("/v1/log", { event: { message: "after restart" } });
    assert.equal(more?.body.status, "Success");

    second.child.kill("SIGTERM");
    assert.deepEqual(await second.waitForExit(), { code: 0, signal: null });
    const output = second.stdout + second.stderr;
    assert.equal(output.includes(TEST_AUDIT_TOKEN) || output.includes(TEST_ADMIN_TOKEN), false);

    const store = new SqliteStore({ dataDir, synchronous: "NORMAL" });
    try {
      const head = (await store.log.getTreeHead(configId))!;
      assert.equal(head.size, size + 1);
      const stored = new Set<string>();
      for (let i = 0; i < head.size; i++)
        stored.add((await store.log.getLeaf(head.id, i))!.hash.toString("hex"));
      const missing = acknowledged.filter((hash) => !stored.has(hash));
      assert.deepEqual(missing, [], "no acknowledged event is missing");
    } finally {
      await store.close();
    }
  });

  it("exits non-zero with a message naming VERITRAIL_PORT when the port is not a number", async () => {
    const bad = serve({ VERITRAIL_PORT: "abc" });
    const exit = await bad.waitForExit();
    assert.notEqual(exit.code, 0);
    assert.equal(exit.signal, null);
    assert.match(bad.stderr, /VERITRAIL_PORT/);
    assert.match(bad.stderr, /abc/);
  });
});
