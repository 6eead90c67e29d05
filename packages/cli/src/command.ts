import { parseArgs } from "node:util";
import { AdminClient, ApiError, VeritrailError } from "@veritrail/sdk";
import { CliError, type Envelope, UsageError } from "./cli-error.js";

/** Where a command reads its environment and writes its output. */
export interface Io {
  env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** How the help shows it, e.g. "--name NAME", and what it does. */
  help: [flag: string, text: string];
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `veritrail …` command: its words, arguments, options and what it does. */
export interface Command {
  /** The command words, e.g. "config create". */
  name: string;
  /** What follows the words in the usage line, e.g. "--name NAME [options]". */
  synopsis: string;
  summary: string;
  /** Required positional arguments, by name (e.g. ["ID"]). */
  positionals?: string[];
  options?: Record<string, OptionSpec>;
  /** False for `serve`, which talks to no server and takes no connection options. */
  remote?: boolean;
  run(context: Context): Promise<void>;
}

export const DEFAULT_URL = "http://127.0.0.1:8000";

/** The options every management command takes, wherever they stand on the line. */
export const CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: "string",
    help: ["--url URL", `the server's address (default: $VERITRAIL_URL, else ${DEFAULT_URL})`],
  },
  "admin-token": {
    type: "string",
    help: [
      "--admin-token TOKEN",
      "the admin credential (default: $VERITRAIL_ADMIN_TOKEN, which keeps it out of ps)",
    ],
  },
  json: { type: "boolean", help: ["--json", "print the answer's raw result as JSON, for scripts"] },
};

const HELP_OPTION: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", help: ["-h, --help", "show this help"] },
};

export class Context {
  readonly command: Command;
  readonly values: Values;
  readonly args: string[];
  readonly io: Io;
  #client: AdminClient | undefined;

  constructor(command: Command, values: Values, args: string[], io: Io) {
    this.command = command;
    this.values = values;
    this.args = args;
    this.io = io;
  }

  get json(): boolean {
    return this.values["json"] === true;
  }

  /** A string option, if given. */
  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === "string" ? value : undefined;
  }

  /** A repeatable string option: every value given, in order. */
  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** `--x` → true, `--no-x` → false, neither → undefined; both is a usage error. */
  toggle(name: string): boolean | undefined {
    const on = this.flag(name);
    const off = this.flag(`no-${name}`);
    if (on && off) throw this.usageError(`--${name} and --no-${name} cannot both be given`);
    return on ? true : off ? false : undefined;
  }

  usageError(message: string): UsageError {
    return new UsageError(message, commandUsage(this.command));
  }

  /** The admin API client, from --url/--admin-token or VERITRAIL_URL/VERITRAIL_ADMIN_TOKEN. */
  client(): AdminClient {
    if (this.#client) return this.#client;
    const text = this.string("url") || this.io.env["VERITRAIL_URL"] || DEFAULT_URL;
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new UsageError(`the server URL must be an http:// or https:// address, got "${text}"`);
    }
    const token = this.string("admin-token") || this.io.env["VERITRAIL_ADMIN_TOKEN"];
    if (!token) {
      throw new CliError("no admin credential: set VERITRAIL_ADMIN_TOKEN (or pass --admin-token)", {
        exitCode: 2,
      });
    }
    this.#client = new AdminClient({ baseUrl: url, adminToken: token });
    return this.#client;
  }

  print(text: string): void {
    this.io.stdout(text.endsWith("\n") ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** The options a command accepts: its own, the connection options if it talks to a server, and help. */
function allOptions(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...(command.remote === false ? {} : CONNECTION_OPTIONS), ...HELP_OPTION };
}

/** The help of one command. */
export function commandUsage(command: Command): string {
  const own = Object.values(command.options ?? {}).map((o) => o.help);
  const common = Object.values({
    ...(command.remote === false ? {} : CONNECTION_OPTIONS),
    ...HELP_OPTION,
  }).map((o) => o.help);
  const width = Math.max(...[...own, ...common].map(([flag]) => flag.length));
  const list = (rows: [string, string][]) => rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
  return [
    `Usage: veritrail ${command.name}${command.synopsis ? ` ${command.synopsis}` : ""}`,
    "",
    command.summary,
    ...(own.length ? ["", "Options:", ...list(own)] : []),
    "",
    "Common options:",
    ...list(common),
    "",
  ].join("\n");
}

/**
 * Parses `argv` (what follows the command words) for `command` and runs it. `--help` prints the
 * command's help; unknown options, missing or extra arguments are usage errors.
 */
export async function runCommand(command: Command, argv: string[], io: Io): Promise<void> {
  const options = allOptions(command);
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, { type, multiple, short }]) => [
          name,
          { type, ...(multiple ? { multiple } : {}), ...(short ? { short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError(parseErrorMessage(command, error), commandUsage(command));
  }
  if (parsed.values["help"] === true) {
    io.stdout(commandUsage(command));
    return;
  }
  const wanted = command.positionals ?? [];
  if (parsed.positionals.length < wanted.length) {
    throw new UsageError(
      `${command.name} needs ${wanted.slice(parsed.positionals.length).join(" ")}`,
      commandUsage(command),
    );
  }
  if (parsed.positionals.length > wanted.length) {
    throw new UsageError(
      `unexpected argument "${parsed.positionals[wanted.length]}" for ${command.name}`,
      commandUsage(command),
    );
  }
  await command.run(new Context(command, parsed.values, parsed.positionals, io));
}

/** parseArgs' errors, said in this CLI's terms. */
function parseErrorMessage(command: Command, error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(message)?.[1] ?? "";
    return `unknown option ${option} for ${command.name}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = /'(-[^' ,]+)/.exec(message)?.[1];
    if (option && message.includes("argument missing")) return `${option} needs a value`;
    if (option && message.includes("does not take an argument")) return `${option} takes no value`;
  }
  return message;
}

/**
 * An SDK failure said as the CLI says it: the server's refusal with each field it named, or why
 * the server could not be asked, with what to check.
 */
export function cliErrorOf(error: unknown): unknown {
  if (error instanceof ApiError) {
    const hint =
      error.status === "Unauthorized"
        ? "  the admin credential was refused: check VERITRAIL_ADMIN_TOKEN or --admin-token"
        : undefined;
    return CliError.fromEnvelope(error.envelope as Envelope, hint);
  }
  if (error instanceof VeritrailError) {
    if (error.code === "ERR_NETWORK") {
      return new CliError(
        `${error.message.replace(/^cannot reach /, "cannot reach the server at ")}; is it running? Set VERITRAIL_URL or --url`,
      );
    }
    if (error.code === "ERR_NOT_ENVELOPE")
      return new CliError(`${error.message}; is this a Veritrail server?`);
    return new CliError(error.message);
  }
  return error;
}
