/**
 * Starts `bench-server.ts` as a child process on a free loopback port with a temporary data
 * directory (or a PostgreSQL URL) and fixed tokens, and stops it again (removing the directory).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ServerStats } from "./bench-server.js";

/** Fixed credentials of the bench server; the secrets are only for benchmarking. */
export const BENCH_ADMIN_TOKEN = "pts_benchadmin000000000000000000000000000";
export const BENCH_AUDIT_TOKEN = "pts_benchaudit000000000000000000000000000";

/** Runs the TypeScript sources directly, as `npm run dev` and the tests do. */
const SOURCE_FLAGS = ["--conditions=veritrail-source", "--import", "tsx"];
const SERVER_SCRIPT = fileURLToPath(new URL("./bench-server.ts", import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface BenchServer {
  baseUrl: string;
  pid: number;
  /** The environment the server was configured from (to read its settings back). */
  env: Readonly<Record<string, string | undefined>>;
  stats(): Promise<ServerStats>;
  /** The server's peak resident set size so far, in bytes (Linux `VmHWM`). */
  peakRssBytes(): number;
  stop(): Promise<void>;
}

/**
 * The server's environment: the caller's, minus every VERITRAIL_* setting except the three a
 * benchmark may want to vary, plus the fixed bench settings and the store: SQLite in `dataDir`,
 * or PostgreSQL at `databaseUrl`.
 */
function serverEnv(dataDir: string, databaseUrl: string | undefined): Record<string, string | undefined> {
  const kept = ["VERITRAIL_SQLITE_SYNCHRONOUS", "VERITRAIL_MAX_BATCH_EVENTS", "VERITRAIL_DATABASE_POOL_SIZE"];
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("VERITRAIL_") || kept.includes(key)) env[key] = value;
  }
  return {
    ...env,
    VERITRAIL_HOST: "127.0.0.1",
    VERITRAIL_PORT: "0",
    VERITRAIL_DATA_DIR: dataDir,
    VERITRAIL_LOG_LEVEL: "warn",
    VERITRAIL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    VERITRAIL_INIT_AUDIT_TOKEN: BENCH_AUDIT_TOKEN,
    ...(databaseUrl !== undefined ? { VERITRAIL_DATABASE_URL: databaseUrl } : {}),
  };
}

/**
 * Starts the server: on SQLite (in `dataDir` if given, else a new one), or on PostgreSQL at
 * `databaseUrl` (several servers may share one schema); with `cpuProfileDir`, it writes a V8 CPU
 * profile there when it stops.
 */
export async function startBenchServer(
  options: { cpuProfileDir?: string; databaseUrl?: string; dataDir?: string } = {},
): Promise<BenchServer> {
  // A given data directory holds a store the caller filled; it is removed on stop all the same.
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "veritrail-bench-"));
  const env = serverEnv(dataDir, options.databaseUrl);
  const profileFlags = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...SOURCE_FLAGS, ...profileFlags, SERVER_SCRIPT], {
    env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const port = await readyPort(child);
    const baseUrl = `http://127.0.0.1:${port}`;
    const pid = child.pid!;
    return {
      baseUrl,
      pid,
      env,
      async stats() {
        const response = await fetch(`${baseUrl}/bench/stats`);
        return (await response.json()) as ServerStats;
      },
      peakRssBytes() {
        const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
        return Number(match[1]) * 1024;
      },
      async stop() {
        await stopChild(child, exited);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Waits for the `{"ready":true,"port":N}` line; later output goes to stderr. */
function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`the bench server was not ready within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the bench server exited (code ${code}) before it was ready`));
    };
    child.once("exit", onExit);
    let ready = false;
    lines.on("line", (line) => {
      if (!ready && line.startsWith('{"ready":true')) {
        ready = true;
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve((JSON.parse(line) as { port: number }).port);
      } else {
        process.stderr.write(`[server] ${line}\n`);
      }
    });
  });
}

/** SIGTERM (the server finishes its batches and closes the database), then SIGKILL if stuck. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
