#!/usr/bin/env node
import { runCli } from "./commands.js";

// A reader that stops early (`veritrail token list | head -1`) is not an error of this command.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  if (code !== 0) process.exitCode = code;
});
