import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/commands.js";

/*
 * Running the `veritrail` command line in tests: in this process through `runCli` (fast, the
 * default), or as the real binary in a child process, for the few cases that cover its entry
 * point (arguments, environment, output streams, exit status).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
/** The launcher the root package names as its bin, so `npx veritrail` is what is run. */
const CLI = join(ROOT, "bin/veritrail.mjs");

/** What one run printed and how it exited. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Drops unset variables, as a process environment has none. */
function defined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Runs `veritrail ...args` in this process, as the binary would, capturing its output. */
export async function runCliInProcess(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    env: defined(env),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** Runs the real `veritrail` binary (bin/veritrail.mjs) as a child process with `env` beside PATH and HOME. */
export function runCliBinary(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const childEnv = defined({ PATH: process.env["PATH"], HOME: process.env["HOME"], ...env });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}
