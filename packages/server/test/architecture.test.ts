import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/*
 * The architecture, enforced (conventions: "a wrong-way import fails the build or an
 * architecture test"): packages/core is pure (node: built-ins and its own files only);
 * the server reaches the core only through its public entry, never into its files.
 */

const repo = fileURLToPath(new URL("../../../", import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

describe("architecture", () => {
  it("keeps packages/core pure: only node: built-ins and its own modules (tests may use fast-check)", () => {
    const offenders: string[] = [];
    for (const file of sources(join(repo, "packages/core/src"))) {
      const isTest = file.endsWith(".test.ts") || file.includes("test-support");
      for (const specifier of imports(file)) {
        const allowed =
          specifier.startsWith("node:") ||
          specifier.startsWith("./") ||
          specifier.startsWith("../") ||
          (isTest && specifier === "fast-check");
        if (!allowed) offenders.push(`${relative(repo, file)} imports ${specifier}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("lets the server use the core only through @veritrail/core", () => {
    const offenders: string[] = [];
    for (const file of sources(join(repo, "packages/server/src"))) {
      for (const specifier of imports(file)) {
        if (specifier.includes("packages/core") || specifier.startsWith("@veritrail/core/")) {
          offenders.push(`${relative(repo, file)} imports ${specifier}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("finds the imports it checks (the scan itself works)", () => {
    const server = imports(join(repo, "packages/server/src/http/audit-routes.ts"));
    assert.ok(server.includes("@veritrail/core"));
    const core = imports(join(repo, "packages/core/src/merkle/tree.ts"));
    assert.ok(core.includes("node:crypto"));
  });
});
