#!/usr/bin/env node
// Runs every test file with Node's own test runner, against the TypeScript sources.
// Unit tests sit beside the code (`packages/*/src/**/*.test.ts`); integration tests in `packages/*/test/`.
// Extra arguments narrow the run to files whose path contains one of them. An argument that is the
// path of a test file runs that file, even outside packages/: `bench/smoke.test.ts` is run only so
// (`npm run test:bench`), being a minute of benchmark rather than a test to run at every change.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const paths = args.filter((x) => x.endsWith(".test.ts") && existsSync(x));
const filters = args.filter((x) => !paths.includes(x));
const found =
  paths.length > 0 && filters.length === 0
    ? []
    : findTests("packages").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const files = [...new Set([...found, ...paths.map((p) => join(p))])].sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    "--conditions=veritrail-source",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    // The spec reporter ends with a list of the failing tests, so the tail of a long log names them.
    "--test-reporter=spec",
    ...files,
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
