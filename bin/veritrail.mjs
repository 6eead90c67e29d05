#!/usr/bin/env node
// The `veritrail` command of this repository (`npx veritrail …` once `npm ci` has run). npm
// links a bin only if its target exists at install time, so this launcher is committed rather
// than built. In a checkout with tsx installed it runs the TypeScript sources, so what runs is
// what is checked out; without tsx it runs the build (`npm run build`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, "packages/cli/src/main.ts");
const built = join(root, "packages/cli/dist/main.js");
const tsx = join(root, "node_modules/tsx/dist/loader.mjs");

if (existsSync(source) && existsSync(tsx)) {
  const child = spawn(
    process.execPath,
    ["--conditions=veritrail-source", "--import", pathToFileURL(tsx).href, source, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  // The child gets the terminal's signals itself; these keep this process alive until it exits.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write("veritrail: not built yet: run `npm ci` (or `npm run build`) first\n");
  process.exit(1);
}
