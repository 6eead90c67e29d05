#!/usr/bin/env node
// `tsc -b` compiles only TypeScript, but each store backend reads its numbered SQL migrations
// from a `migrations/` folder beside its module at run time. This copies every such folder of
// packages/server/src/store into the same place under dist/, replacing what an earlier build
// left there, so a migration renamed or removed in src/ is not applied from a stale copy.
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const server = fileURLToPath(new URL("../packages/server/", import.meta.url));
const src = join(server, "src/store");
const dist = join(server, "dist/store");

for (const backend of readdirSync(src, { withFileTypes: true })) {
  const from = join(src, backend.name, "migrations");
  if (!backend.isDirectory() || !existsSync(from)) continue;
  const to = join(dist, backend.name, "migrations");
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
