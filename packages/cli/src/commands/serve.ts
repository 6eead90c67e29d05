import { ConfigError, loadConfig, startServer } from "@veritrail/server";
import { CliError } from "../cli-error.js";

/** Runs the service until SIGTERM or SIGINT, then finishes in-flight requests and exits. */
export async function serve(env: NodeJS.ProcessEnv): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const service = await startServer(config);
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
