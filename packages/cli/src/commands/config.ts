import { readFileSync } from "node:fs";
import type { ConfigChanges, ConfigView } from "@veritrail/core";
import type { AdminAnswer as Answer } from "@veritrail/sdk";
import { CliError } from "../cli-error.js";
import type { Command, Context, OptionSpec } from "../command.js";
import { fields, shortTime, table } from "../table.js";

/* `veritrail config …`: the service configurations of the admin credential's project. */

const SCHEMA_OPTIONS: Record<string, OptionSpec> = {
  schema: {
    type: "string",
    help: [
      "--schema FILE",
      "the event schema, a JSON file: {fields: [...], save_malformed?} or a list of fields",
    ],
  },
  "schema-json": { type: "string", help: ["--schema-json JSON", "the event schema, given inline"] },
};

const SETTING_OPTIONS: Record<string, OptionSpec> = {
  "hot-storage": {
    type: "string",
    help: ["--hot-storage DURATION", "how long events stay searchable at once, e.g. 7d (at most 14d)"],
  },
  "warm-storage": {
    type: "string",
    help: ["--warm-storage DURATION", "warm retention, e.g. 90d (0d: none)"],
  },
  "cold-storage": {
    type: "string",
    help: ["--cold-storage DURATION", "cold retention, e.g. 1y (0d: none, else at least 180d)"],
  },
  "vault-sign": { type: "boolean", help: ["--vault-sign", "sign events the client did not sign"] },
  redaction: { type: "boolean", help: ["--redaction", "mask the schema's redact fields at ingestion"] },
  "redaction-mask": {
    type: "string",
    help: [
      "--redaction-mask TEXT",
      "what replaces a whole redacted value while there are no rules (default ****)",
    ],
  },
  "redaction-rules": {
    type: "string",
    help: [
      "--redaction-rules FILE",
      "redaction rules, a JSON list: [{name, detector | pattern, flags?, action: label|mask|hash, label?}]",
    ],
  },
  "redaction-rules-json": {
    type: "string",
    help: ["--redaction-rules-json JSON", "the redaction rules, given inline"],
  },
  "signed-events": {
    type: "string",
    help: [
      "--signed-events POLICY",
      "client-signed events redaction would change: reject, or store_unredacted (default)",
    ],
  },
};

const UPDATE_TOGGLES: Record<string, OptionSpec> = {
  "no-vault-sign": { type: "boolean", help: ["--no-vault-sign", "stop signing events on the server"] },
  "no-redaction": { type: "boolean", help: ["--no-redaction", "stop redacting at ingestion"] },
};

/**
 * The JSON of a pair of options, one naming a file (`--schema FILE`), the other giving it inline
 * (`--schema-json JSON`), with where it came from for messages; undefined when neither is given.
 */
function readJsonOption(
  context: Context,
  names: { file: string; inline: string; what: string },
): { value: unknown; origin: string } | undefined {
  const file = context.string(names.file);
  const inline = context.string(names.inline);
  if (file !== undefined && inline !== undefined) {
    throw context.usageError(`give either --${names.file} or --${names.inline}, not both`);
  }
  let text = inline;
  let origin = `--${names.inline}`;
  if (file !== undefined) {
    origin = file;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new CliError(`cannot read the ${names.what} file ${file}: ${(error as Error).message}`);
    }
  }
  if (text === undefined) return undefined;
  try {
    return { value: JSON.parse(text), origin };
  } catch (error) {
    throw new CliError(`${origin} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The schema of --schema or --schema-json, as the API takes it. */
function readSchemaOption(context: Context): Record<string, unknown> | undefined {
  const read = readJsonOption(context, { file: "schema", inline: "schema-json", what: "schema" });
  if (read === undefined) return undefined;
  const { value, origin } = read;
  if (Array.isArray(value)) return { fields: value };
  if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  throw new CliError(`${origin} must hold a JSON object with "fields", or a list of fields`);
}

/** The rules of --redaction-rules or --redaction-rules-json, as the API takes them. */
function readRulesOption(context: Context): unknown[] | undefined {
  const read = readJsonOption(context, {
    file: "redaction-rules",
    inline: "redaction-rules-json",
    what: "rules",
  });
  if (read === undefined) return undefined;
  if (!Array.isArray(read.value)) throw new CliError(`${read.origin} must hold a JSON list of rules`);
  return read.value;
}

/** The settings the options give; `current` is the configuration an update starts from. */
async function readChanges(context: Context, current?: ConfigView): Promise<ConfigChanges> {
  const changes: ConfigChanges = {};
  const name = context.string("name");
  if (name !== undefined) changes.name = name;
  let schema = readSchemaOption(context);
  const saveMalformed = context.string("save-malformed");
  if (saveMalformed !== undefined) {
    // The standard schema is the server's own; it is loaded only when needed, not at every start.
    const { STANDARD_SCHEMA } = await import("@veritrail/server");
    schema = { ...(schema ?? structuredClone(STANDARD_SCHEMA)), save_malformed: saveMalformed };
  }
  if (schema !== undefined) changes.schema = schema;
  for (const key of ["hot_storage", "warm_storage", "cold_storage"] as const) {
    const value = context.string(key.replace("_", "-"));
    if (value !== undefined) changes[key] = value;
  }
  const vaultSign = context.toggle("vault-sign");
  if (vaultSign !== undefined) changes.vault_sign = vaultSign;
  // Read as a toggle on create too (create has no --no-redaction, so it is only ever on or unset):
  // the update's first read, before the current configuration is fetched, must see --no-redaction.
  const redaction = context.toggle("redaction");
  const mask = context.string("redaction-mask");
  const rules = readRulesOption(context);
  const signedEvents = context.string("signed-events");
  if (redaction !== undefined || mask !== undefined || rules !== undefined || signedEvents !== undefined) {
    // Members left out keep their values on the server (admin/redaction-document.ts).
    changes.redaction = {
      enabled: redaction ?? current?.redaction?.enabled ?? false,
      mask: mask ?? current?.redaction?.mask ?? "****",
      ...(rules !== undefined ? { rules } : {}),
      ...(signedEvents !== undefined ? { signed_events: signedEvents } : {}),
    };
  }
  return changes;
}

function configDetails(config: ConfigView): string {
  const rules = config.redaction?.rules ?? [];
  const redaction = !config.redaction?.enabled
    ? "off"
    : rules.length === 0
      ? `on (mask ${config.redaction.mask})`
      : `on (${rules.map((r) => `${r.name}: ${r.detector ?? `/${r.pattern}/${r.flags ?? ""}`} → ${r.action}`).join(", ")}; signed events: ${config.redaction.signed_events ?? "store_unredacted"})`;
  return `${fields([
    ["id", config.id],
    ["name", config.name],
    ["tree", config.tree_name],
    ["created", config.created_at],
    ["updated", config.updated_at],
    ["hot storage", config.hot_storage],
    ["warm storage", config.warm_storage],
    ["cold storage", config.cold_storage],
    ["vault signing", config.vault_sign ? `on (key ${config.vault_key_id ?? "-"})` : "off"],
    ["redaction", redaction],
    ["malformed events", config.schema.save_malformed],
  ])}\nSchema fields:\n${table(
    ["FIELD", "TYPE", "SIZE", "REQUIRED", "REDACT", "NAME"],
    config.schema.fields.map((f) => [
      f.id,
      f.type,
      f.size,
      f.required ? "yes" : "no",
      f.redact ? "yes" : "no",
      f.partitioned ? `${f.name ?? ""} (partitioned)`.trimStart() : f.name,
    ]),
  )}${overridesDetails(config)}`;
}

/** The per-tenant retention of a configuration whose schema has a partitioned field. */
function overridesDetails(config: ConfigView): string {
  const field = config.schema.fields.find((f) => f.partitioned);
  if (!field) return "";
  const overrides = Object.entries(config.partition_overrides ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const heading = `\nTenant retention (partitioned by ${field.id}):\n`;
  if (overrides.length === 0) return `${heading}No overrides: every tenant has the configuration's tiers.`;
  return `${heading}${table(
    ["VALUE", "WARM", "COLD"],
    overrides.map(([value, o]) => [
      value,
      o.warm_storage ?? `(${config.warm_storage ?? "kept"})`,
      o.cold_storage ?? `(${config.cold_storage ?? "0d"})`,
    ]),
  )}`;
}

/** Prints a configuration answer: the raw result with --json, else the summary and the details. */
function show(context: Context, answer: { summary: string; result: ConfigView }, summary = true): void {
  if (context.json) context.printJson(answer.result);
  else context.print(`${summary ? `${answer.summary}\n\n` : ""}${configDetails(answer.result)}`);
}

const ID = ["ID"];

export const CONFIG_COMMANDS: Command[] = [
  {
    name: "config create",
    synopsis: "--name NAME [options]",
    summary: "Create a configuration: its own tree, schema, retention and signing.",
    options: {
      name: { type: "string", help: ["--name NAME", "the configuration's name (required)"] },
      ...SCHEMA_OPTIONS,
      "save-malformed": {
        type: "string",
        help: [
          "--save-malformed MODE",
          "events that do not fit the schema: reject (default), all or unredacted",
        ],
      },
      ...SETTING_OPTIONS,
    },
    async run(context) {
      const name = context.string("name");
      if (name === undefined) throw context.usageError("config create needs --name");
      const { name: _, ...changes } = await readChanges(context);
      show(context, await context.client().createConfig(name, changes));
    },
  },
  {
    name: "config list",
    synopsis: "",
    summary: "List the configurations.",
    async run(context) {
      const { result } = await context.client().listConfigs();
      if (context.json) {
        context.printJson(result);
        return;
      }
      if (result.items.length === 0) {
        context.print("No configurations.");
        return;
      }
      context.print(
        table(
          ["ID", "NAME", "HOT", "WARM", "COLD", "SIGNING", "FIELDS", "CREATED"],
          result.items.map((c) => [
            c.id,
            c.name,
            c.hot_storage,
            c.warm_storage,
            c.cold_storage,
            c.vault_sign ? "on" : "off",
            c.schema.fields.length,
            shortTime(c.created_at),
          ]),
        ),
      );
    },
  },
  {
    name: "config get",
    synopsis: "ID",
    summary: "Show one configuration and its schema.",
    positionals: ID,
    async run(context) {
      show(context, await context.client().getConfig(context.args[0]!), false);
    },
  },
  {
    name: "config update",
    synopsis: "ID [options]",
    summary:
      "Change a configuration; only the options given change.\n" +
      "A schema may change only its fields' names, descriptions, visibility and order.",
    positionals: ID,
    options: {
      name: { type: "string", help: ["--name NAME", "a new name"] },
      ...SCHEMA_OPTIONS,
      ...SETTING_OPTIONS,
      ...UPDATE_TOGGLES,
    },
    async run(context) {
      const client = context.client();
      const id = context.args[0]!;
      if (Object.keys(await readChanges(context)).length === 0) {
        throw context.usageError("config update needs at least one change");
      }
      // The update names the version it read; a change in between is read again and retried.
      for (let attempt = 1; ; attempt++) {
        const { result: current } = await client.getConfig(id);
        let answer: Answer<ConfigView>;
        try {
          answer = await client.updateConfig(id, current.updated_at, await readChanges(context, current));
        } catch (error) {
          const conflict = error instanceof CliError && error.envelope?.status === "Conflict";
          if (conflict && attempt < 3) continue;
          throw error;
        }
        show(context, answer);
        return;
      }
    },
  },
  {
    name: "config delete",
    synopsis: "ID",
    summary: "Delete a configuration. Its events are kept; tokens no longer reach it.",
    positionals: ID,
    async run(context) {
      const answer = await context.client().deleteConfig(context.args[0]!);
      if (context.json) {
        context.printJson(answer.result);
        return;
      }
      context.print(answer.summary);
    },
  },
  {
    name: "config overrides",
    synopsis: "set CONFIG VALUE [--warm DURATION] [--cold DURATION] | remove CONFIG VALUE",
    summary:
      "Give one tenant (a value of the schema's partitioned field) its own retention, or remove it.\n" +
      "set: a tier not given is the configuration's; it replaces the tenant's earlier override.\n" +
      "remove: the tenant has the configuration's tiers again.",
    positionals: ["set|remove", "CONFIG", "VALUE"],
    options: {
      warm: { type: "string", help: ["--warm DURATION", "the tenant's warm retention, e.g. 90d (0d: none)"] },
      cold: {
        type: "string",
        help: ["--cold DURATION", "the tenant's cold retention, e.g. 16month (0d: none, else at least 180d)"],
      },
    },
    async run(context) {
      const [action, id, value] = [context.args[0]!, context.args[1]!, context.args[2]!];
      const warm = context.string("warm");
      const cold = context.string("cold");
      let override: { warm_storage?: string; cold_storage?: string } | null;
      if (action === "set") {
        override = {
          ...(warm !== undefined ? { warm_storage: warm } : {}),
          ...(cold !== undefined ? { cold_storage: cold } : {}),
        };
      } else if (action === "remove") {
        if (warm !== undefined || cold !== undefined)
          throw context.usageError("config overrides remove takes no --warm or --cold");
        override = null;
      } else {
        throw context.usageError(`config overrides needs set or remove, not "${action}"`);
      }
      show(context, await context.client().setPartitionOverrides(id, { [value]: override }));
    },
  },
  {
    name: "config rotate-key",
    synopsis: "ID",
    summary: "Give a vault-signing configuration a new signing key version; new events use it.",
    positionals: ID,
    async run(context) {
      const { summary, result } = await context.client().rotateSigningKey(context.args[0]!);
      if (context.json) {
        context.printJson(result);
        return;
      }
      context.print(
        `${summary}\n\n${fields([
          ["id", result.id],
          ["key", result.vault_key_id],
          ["version", result.vault_key_version],
        ])}\nPublic key:\n${result.public_key.trimEnd()}`,
      );
    },
  },
];
