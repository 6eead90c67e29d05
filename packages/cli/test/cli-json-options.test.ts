// The options that take JSON either from a file or inline (`--schema`/`--schema-json`,
// `--redaction-rules`/`--redaction-rules-json`): each refusal happens before any request, with
// its own exit status and message, so no server is needed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCliInProcess } from "./support/cli.js";

const env = { VERITRAIL_URL: "http://127.0.0.1:9", VERITRAIL_ADMIN_TOKEN: "x".repeat(40) };
const dir = mkdtempSync(join(tmpdir(), "veritrail-cli-json-"));
const notJson = join(dir, "not.json");
writeFileSync(notJson, "{ nope");

describe("veritrail config create: JSON from a file or inline", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [file, inline, what] of [
    ["schema", "schema-json", "schema"],
    ["redaction-rules", "redaction-rules-json", "rules"],
  ] as const) {
    it(`refuses --${file} with --${inline} as a usage error (exit 2)`, async () => {
      const run = await runCliInProcess(
        ["config", "create", "--name", "n", `--${file}`, notJson, `--${inline}`, "[]"],
        env,
      );
      assert.equal(run.code, 2);
      assert.match(run.stderr, new RegExp(`give either --${file} or --${inline}, not both`));
    });

    it(`names the file of --${file} it cannot read (exit 1)`, async () => {
      const missing = join(dir, "missing.json");
      const run = await runCliInProcess(["config", "create", "--name", "n", `--${file}`, missing], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`cannot read the ${what} file ${missing.replace(/[.]/g, "\\.")}`));
    });

    it(`says which --${file} file is not JSON (exit 1)`, async () => {
      const run = await runCliInProcess(["config", "create", "--name", "n", `--${file}`, notJson], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /not\.json is not valid JSON/);
    });
  }

  it("refuses rules that are not a list, naming the inline option", async () => {
    const run = await runCliInProcess(
      ["config", "create", "--name", "n", "--redaction-rules-json", "{}"],
      env,
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--redaction-rules-json must hold a JSON list of rules/);
  });
});
