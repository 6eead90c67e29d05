#!/usr/bin/env node
import { ConfigError, loadConfig } from "./config.js";
import { startServer } from "./server.js";

const USAGE = `Usage: veritrail <command>

Commands:
  serve        run the service (configured by VERITRAIL_* environment variables; see README)
`;

async function serve(): Promise<void> {
  const service = await startServer(loadConfig(process.env));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.app.log.info({ signal }, "shutting down: finishing in-flight requests");
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        service.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case "serve":
      await serve();
      return 0;
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`veritrail: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`veritrail: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
