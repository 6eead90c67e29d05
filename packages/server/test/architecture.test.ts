import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/*
 * The architecture, enforced (conventions: "a wrong-way import fails the build or an
 * architecture test"; docs/design/layout.md):
 * - packages/core is pure: node: built-ins and its own files only;
 * - the server reaches the core only through its public entry;
 * - inside the server, each folder imports only folders of a lower rank (RANKS below), and no
 *   two modules import each other, however indirectly;
 * - nothing in the project reads files outside the repository;
 * - the server reads time only through its injected clock.
 */

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const serverSrc = join(repo, "packages/server/src");

/**
 * The server's ranks, lowest first. A module may import modules of its own rank or lower; an
 * import from a lower rank into a higher one fails. Entries are paths under packages/server/src;
 * the longest matching prefix places a file.
 */
const RANKS: readonly (readonly string[])[] = [
  ["errors.ts", "clock.ts", "config.ts", "limits.ts", "ttl-cache.ts"],
  ["store/contract/"],
  ["store/sqlite/", "store/postgres/", "store/conformance/"],
  ["guards/", "auth/"],
  ["ingest/"],
  ["log/", "admin/", "publish/"],
  ["services.ts"],
  ["jobs/"],
  ["http/"],
  ["store/open-store.ts", "bootstrap.ts", "main.ts", "index.ts"],
];

function rankOf(path: string): number {
  let best: { rank: number; length: number } | undefined;
  RANKS.forEach((entries, rank) => {
    for (const entry of entries) {
      const matches = entry.endsWith("/") ? path.startsWith(entry) : path === entry;
      if (matches && (!best || entry.length > best.length)) best = { rank, length: entry.length };
    }
  });
  if (!best) throw new Error(`${path} has no rank: add its folder to RANKS`);
  return best.rank;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && name !== "dist") sources(path, out);
    } else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [
    ...[...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!),
  ];
}

/** The server's own modules (tests excluded) and the server modules each one imports. */
function serverGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(serverSrc)) {
    if (file.endsWith(".test.ts")) continue;
    const from = relative(serverSrc, file);
    const targets = imports(file)
      .filter((s) => s.startsWith("."))
      .map((s) => relative(serverSrc, resolve(dirname(file), s)).replace(/\.js$/, ".ts"));
    graph.set(from, targets);
  }
  return graph;
}

describe("architecture", () => {
  it("keeps packages/core pure and portable: the platform seam alone touches node: or a library", () => {
    // Core runs in Node and in the browser (the console and the SDK verify with it), so only
    // src/platform/node.ts may import node:, only src/platform/browser.ts the pure-JavaScript
    // crypto it stands on; everything else reaches both through `#platform`. Tests run on Node.
    const browserLibraries = ["@noble/hashes/sha2.js", "@noble/curves/ed25519.js", "buffer"];
    const offenders: string[] = [];
    for (const file of sources(join(repo, "packages/core/src"))) {
      const path = relative(join(repo, "packages/core/src"), file);
      const isTest = file.endsWith(".test.ts") || file.includes("test-support");
      for (const specifier of imports(file)) {
        const allowed =
          specifier.startsWith("./") ||
          specifier.startsWith("../") ||
          specifier === "#platform" ||
          (specifier.startsWith("node:") && (isTest || path === "platform/node.ts")) ||
          (browserLibraries.includes(specifier) && path === "platform/browser.ts") ||
          (isTest && specifier === "fast-check");
        if (!allowed) offenders.push(`${relative(repo, file)} imports ${specifier}`);
      }
      // Node's global Buffer does not exist in a browser: core takes it from the seam.
      const text = readFileSync(file, "utf8");
      if (
        !isTest &&
        !path.startsWith("platform/") &&
        /\bBuffer\./.test(text) &&
        !/import \{[^}]*\bBuffer\b[^}]*\} from "#platform"/.test(text)
      ) {
        offenders.push(`${relative(repo, file)} uses Buffer without importing it from #platform`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("keeps the SDK browser-safe: only @veritrail/core and its own modules, no node: and no Buffer", () => {
    const offenders: string[] = [];
    for (const file of sources(join(repo, "packages/sdk/src"))) {
      if (file.endsWith(".test.ts")) continue;
      for (const specifier of imports(file)) {
        if (specifier !== "@veritrail/core" && !specifier.startsWith("./")) {
          offenders.push(`${relative(repo, file)} imports ${specifier}`);
        }
      }
      if (/\bBuffer\b|\bprocess\./.test(readFileSync(file, "utf8")))
        offenders.push(`${relative(repo, file)} uses a Node global`);
    }
    assert.deepEqual(offenders, []);
  });

  it("lets the server use the core only through @veritrail/core", () => {
    const offenders: string[] = [];
    for (const file of sources(serverSrc)) {
      for (const specifier of imports(file)) {
        if (specifier.includes("packages/core") || specifier.startsWith("@veritrail/core/")) {
          offenders.push(`${relative(repo, file)} imports ${specifier}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("imports only from the same or a lower rank inside the server", () => {
    const offenders: string[] = [];
    for (const [from, targets] of serverGraph()) {
      for (const target of targets) {
        if (rankOf(target) > rankOf(from)) {
          offenders.push(`${from} (rank ${rankOf(from)}) imports ${target} (rank ${rankOf(target)})`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("lets the store backends see only the store contract, the core and the base modules", () => {
    const offenders: string[] = [];
    for (const [from, targets] of serverGraph()) {
      if (!from.startsWith("store/sqlite/") && !from.startsWith("store/postgres/")) continue;
      const backend = from.split("/").slice(0, 2).join("/");
      for (const target of targets) {
        if (
          !target.startsWith(`${backend}/`) &&
          !target.startsWith("store/contract/") &&
          rankOf(target) > 0
        ) {
          offenders.push(`${from} imports ${target}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("has no import cycle among the server's modules", () => {
    const graph = serverGraph();
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (node: string): void => {
      state.set(node, "open");
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].join(" -> "));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(node, "done");
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    assert.deepEqual(cycles, []);
  });

  it("reads nothing outside the repository: no source names a path above its package", () => {
    const offenders: string[] = [];
    const roots = ["packages", "bench", "scripts"].map((d) => join(repo, d));
    for (const root of roots) {
      for (const file of sources(root)) {
        if (file.endsWith("architecture.test.ts")) continue;
        const text = readFileSync(file, "utf8");
        // The shared folder beside a checkout, by name or by climbing out of the repository.
        for (const match of text.matchAll(/["'`][^"'`\n]*(?:\.\.\/)+shared\/[^"'`\n]*["'`]/g)) {
          offenders.push(`${relative(repo, file)}: ${match[0]}`);
        }
        for (const match of text.matchAll(/new URL\(\s*["'`]((?:\.\.\/)+)[^"'`]*["'`]/g)) {
          const target = resolve(dirname(file), match[1]!);
          if (relative(repo, target).startsWith("..")) offenders.push(`${relative(repo, file)}: ${match[0]}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("reads time only through the injected clock: no Date.now() or new Date( outside clock.ts", () => {
    const offenders: string[] = [];
    for (const file of sources(serverSrc)) {
      const path = relative(serverSrc, file);
      if (file.endsWith(".test.ts") || path === "clock.ts") continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
          if (/\bDate\.now\(\)|\bnew Date\(/.test(code)) offenders.push(`${path}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
  });

  it("finds what it checks (the scans themselves work)", () => {
    const server = imports(join(serverSrc, "http/routes/log.ts"));
    assert.ok(server.includes("@veritrail/core") || server.includes("../../services.js"));
    assert.equal(rankOf("http/routes/log.ts"), 8);
    assert.equal(rankOf("store/contract/store.ts"), 1);
    assert.ok((serverGraph().get("main.ts") ?? []).includes("http/app.ts"));
    assert.throws(() => rankOf("nowhere/new.ts"), /has no rank/);
  });
});
