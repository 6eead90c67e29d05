import type { Command } from "../command.js";
import { fields, table } from "../table.js";

/*
 * `veritrail erase`: erases the content of the events of one configuration that a query chooses
 * (`POST v1/admin/erase`, docs/design/erasure.md). `--dry-run` lists them first.
 */

/** What the server answers: the erasure, or with `--dry-run` what it would erase. */
interface Erasure {
  dry_run?: boolean;
  erasure_id?: string;
  config_id: string;
  erased_at?: string;
  count: number;
  /** How many of them were in the cold archive, whose day files were rewritten (docs/design/erasure.md). */
  archived_count?: number;
  events: { leaf_index: number; hash: string }[];
}

export const ERASE_COMMAND: Command = {
  name: "erase",
  synopsis: "--config ID --query QUERY --reason TEXT [options]",
  summary:
    "Erase the content of the events a search query matches in one configuration; their hashes\n" +
    "stay, so every proof keeps verifying, and they show as erased. Recorded in the admin activity log.",
  options: {
    config: { type: "string", help: ["--config ID", "the configuration whose events are erased"] },
    query: { type: "string", help: ["--query QUERY", 'a search query, e.g. actor:"Jane Doe"'] },
    reason: { type: "string", help: ["--reason TEXT", "the reference of the request this answers"] },
    start: {
      type: "string",
      help: ["--start TIME", "from this time, RFC 3339 or a duration such as 30d (default 14d)"],
    },
    end: { type: "string", help: ["--end TIME", "up to this time (default: now)"] },
    "max-events": {
      type: "string",
      help: [
        "--max-events N",
        "refuse, erasing nothing, if more than N events match (default and most: 1000)",
      ],
    },
    "dry-run": { type: "boolean", help: ["--dry-run", "list what would be erased, erase nothing"] },
  },
  async run(context) {
    const body: Record<string, unknown> = {};
    for (const [option, key] of [
      ["config", "config_id"],
      ["query", "query"],
      ["reason", "reason"],
    ] as const) {
      const value = context.string(option);
      if (value === undefined) throw context.usageError(`--${option} is required`);
      body[key] = value;
    }
    for (const key of ["start", "end"] as const) {
      const value = context.string(key);
      if (value !== undefined) body[key] = value;
    }
    const max = context.string("max-events");
    if (max !== undefined) {
      if (!/^\d{1,9}$/.test(max)) throw context.usageError(`--max-events takes a whole number, got "${max}"`);
      body["max_events"] = Number(max);
    }
    if (context.flag("dry-run")) body["dry_run"] = true;
    const { summary, result } = await context.client().call<Erasure>("/v1/admin/erase", body);
    if (context.json) {
      context.printJson(result);
      return;
    }
    const head = result.dry_run
      ? fields([
          ["configuration", result.config_id],
          ["would erase", result.count],
        ])
      : fields([
          ["erasure", result.erasure_id],
          ["configuration", result.config_id],
          ["erased at", result.erased_at],
          ["erased", result.count],
          ...(result.archived_count === undefined
            ? []
            : [["of them archived", result.archived_count] as const]),
        ]);
    const rows = result.events.map((e) => [e.leaf_index, e.hash]);
    context.print(`${summary}\n\n${head}${rows.length ? `\n${table(["LEAF", "HASH"], rows)}` : ""}`);
  },
};
