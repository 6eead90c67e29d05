import { CliError, UsageError } from "./cli-error.js";
import { type Command, cliErrorOf, DEFAULT_URL, type Io, runCommand } from "./command.js";
import { CONFIG_COMMANDS } from "./commands/config.js";
import { ERASE_COMMAND } from "./commands/erase.js";
import { TOKEN_COMMANDS } from "./commands/token.js";
import { VERIFY_COMMAND } from "./commands/verify.js";

/* The `veritrail` command line: which command the words name, its help, and how failures exit. */

const SERVE: Command = {
  name: "serve",
  synopsis: "",
  summary:
    "Run the service, configured by VERITRAIL_* environment variables (see the README).\n" +
    "SIGTERM or SIGINT finish the requests in flight, then exit.",
  remote: false,
  async run(context) {
    const { serve } = await import("./commands/serve.js");
    await serve(context.io.env);
  },
};

const COMMANDS: Command[] = [SERVE, ...CONFIG_COMMANDS, ...TOKEN_COMMANDS, ERASE_COMMAND, VERIFY_COMMAND];
const GROUPS = ["config", "token"] as const;

export const USAGE = `Usage: veritrail <command> [options]

Server:
  serve                              run the service (configured by VERITRAIL_* variables; see README)

Configurations (each has its own tree, schema, retention and signing):
  config create --name NAME [...]    create a configuration
  config list                        list configurations
  config get ID                      show a configuration and its schema
  config update ID [...]             change name, retention, signing, redaction or field labels
  config delete ID                   delete a configuration (its events are kept)
  config rotate-key ID               new signing key version for a vault-signing configuration

Service tokens and admin credentials:
  token create --name NAME (--config ID... | --all-configs) [...]
                                     create a service token; prints its secret once
  token create --kind admin --name NAME [--expires-at TIME]
                                     create an admin credential; prints its secret once
  token list                         list tokens and admin credentials (never their secrets)
  token get ID                       show a token
  token update ID [...]              rename, change expiry, or replace a service token's grant
  token extend ID --config ID...     let a service token reach more configurations
  token rotate ID [--grace-period D] new secret, printed once; the old one works for the grace period
  token revoke ID                    stop a token at once (never the last working admin credential)

Erasure on request:
  erase --config ID --query Q --reason TEXT [--start T] [--end T] [--max-events N] [--dry-run]
                                     erase the content of the matching events (hashes stay; logged)

Offline verification (no server needed):
  verify FILE [--key KEY] [--json]   check a JSON download or export: hashes, proofs, checkpoints

Management commands talk to a running server:
  --url URL              the server (default: $VERITRAIL_URL, else ${DEFAULT_URL})
  --admin-token TOKEN    the admin credential (default: $VERITRAIL_ADMIN_TOKEN; prefer the variable)
  --json                 print the raw result JSON instead of tables

Run "veritrail <command> --help" for a command's options. Exit status: 0 done, 1 failed, 2 bad usage.
`;

function groupUsage(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: veritrail ${group} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split("\n")[0]}`),
    "",
    `Run "veritrail ${group} <command> --help" for its options.`,
    "",
  ].join("\n");
}

/** Options that take a value, so that leading ones (`veritrail --url U config list`) are moved along. */
const VALUE_OPTIONS = new Set(["--url", "--admin-token"]);

/**
 * Runs `veritrail` with `argv` (the words after the program) and answers its exit status.
 * Failures are written to stderr as one line, then their details; it never throws.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  try {
    await dispatch([...argv], io);
    return 0;
  } catch (thrown) {
    const error = cliErrorOf(thrown);
    if (error instanceof CliError) {
      io.stderr(`veritrail: ${error.message}\n${error.details.map((line) => `${line}\n`).join("")}`);
      return error.exitCode;
    }
    io.stderr(`veritrail: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: string[], io: Io): Promise<void> {
  // Connection options may come before the command words; they are handed to the command.
  const leading: string[] = [];
  while (argv[0]?.startsWith("-") && argv[0] !== "-h" && argv[0] !== "--help") {
    const option = argv.shift()!;
    leading.push(option);
    if (VALUE_OPTIONS.has(option) && argv.length) leading.push(argv.shift()!);
  }
  const [word, action] = argv;
  if (word === undefined) throw new UsageError("no command given", USAGE);
  if (word === "help" || word === "-h" || word === "--help") {
    io.stdout(USAGE);
    return;
  }
  if ((GROUPS as readonly string[]).includes(word)) {
    if (action === undefined) throw new UsageError(`${word} needs a command`, groupUsage(word));
    if (action === "help" || action === "-h" || action === "--help") {
      io.stdout(groupUsage(word));
      return;
    }
    const command = COMMANDS.find((c) => c.name === `${word} ${action}`);
    if (!command) throw new UsageError(`unknown command "${word} ${action}"`, groupUsage(word));
    return runCommand(command, [...leading, ...argv.slice(2)], io);
  }
  const command = COMMANDS.find((c) => c.name === word);
  if (!command) throw new UsageError(`unknown command "${word}"`, USAGE);
  return runCommand(command, [...leading, ...argv.slice(1)], io);
}
