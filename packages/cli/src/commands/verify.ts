import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  type Check,
  type FileReport,
  FileStreamSplitter,
  FileVerifier,
  type NoteOpener,
  noteOpener,
} from "@veritrail/core";
import { CliError } from "../cli-error.js";
import type { Command, Context } from "../command.js";

/*
 * `veritrail verify FILE`: a JSON download or export checked offline, taking nothing in it on
 * trust (docs/design/offline-verification.md). The file is read as a stream, gzip or not, one
 * record at a time; a file whose roots come after its records is read twice instead of held.
 */

const HEAD_KEYS = new Set<string>(FileVerifier.HEAD_KEYS);

/** Reads the text of a file (gunzipped when it starts with the gzip magic), counting bytes read. */
async function textStream(path: string, onBytes: (n: number) => void): Promise<Readable> {
  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path}: ${error.code ?? error.message}`);
  });
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  await handle.close();
  const raw = createReadStream(path);
  raw.on("data", (chunk) => onBytes(chunk.length));
  const text = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  raw.on("error", (error) => text.destroy(error));
  text.setEncoding("utf8");
  return text;
}

interface Pass {
  /** Whether a root-bearing member came after the records, so the records must be read again. */
  lateHead: boolean;
  count: unknown;
}

/**
 * One read of the file: members go to `head` (or are skipped), records to the verifier. With
 * `verifyRecords` false the records are only counted past.
 */
async function readPass(
  path: string,
  verifier: FileVerifier,
  options: { takeHead: boolean; verifyRecords: boolean; progress: (records: number, bytes: number) => void },
): Promise<Pass> {
  let bytes = 0;
  let records = 0;
  let seenRecords = false;
  let lateHead = false;
  let count: unknown;
  const splitter = new FileStreamSplitter({
    member(key, value) {
      if (key === "count") count = value;
      if (!HEAD_KEYS.has(key) || !options.takeHead) return;
      if (seenRecords && key !== "tree_name") lateHead = true;
      verifier.head({ [key]: value });
    },
    record(value) {
      seenRecords = true;
      records++;
      if (options.verifyRecords) verifier.record(value as never);
      options.progress(records, bytes);
    },
  });
  const stream = await textStream(path, (n) => {
    bytes += n;
  });
  try {
    for await (const chunk of stream) splitter.push(chunk as string);
    splitter.end();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_FILE_FORMAT")
      throw new CliError(`${path} is not a verifiable JSON file: ${(error as Error).message}`);
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR")
      throw new CliError(`${path} is not valid gzip: ${(error as Error).message}`);
    throw error;
  }
  return { lateHead, count };
}

/** Reads and verifies a file; `onProgress` is told every `every` records. */
export async function verifyFilePath(
  path: string,
  options: {
    open: NoteOpener;
    pinned?: string[];
    every?: number;
    onProgress?: (records: number, fraction: number) => void;
  },
): Promise<FileReport> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  const every = options.every ?? 100_000;
  const progress = (records: number, bytes: number) => {
    if (every > 0 && records % every === 0 && options.onProgress) {
      options.onProgress(records, size ? Math.min(1, bytes / size) : 0);
    }
  };
  const make = () =>
    new FileVerifier({ open: options.open, ...(options.pinned ? { pinned: options.pinned } : {}) });
  let verifier = make();
  const first = await readPass(path, verifier, {
    takeHead: true,
    verifyRecords: true,
    progress,
  });
  if (!first.lateHead) return verifier.finish(first.count);
  // The roots came after the records: read the members again first, then the records against them.
  verifier = make();
  await readPass(path, verifier, { takeHead: true, verifyRecords: false, progress: () => {} });
  const frozen = verifier;
  const second = await readPass(path, frozen, {
    takeHead: false,
    verifyRecords: true,
    progress,
  });
  return frozen.finish(second.count);
}

function line(label: string, check: Check): string {
  return `${label.padEnd(12)}${check.status}${check.reason ? `: ${check.reason}` : ""}`;
}

function tally(report: FileReport): string[] {
  return Object.entries(report.totals).map(([name, t]) => {
    const parts = (["pass", "fail", "none"] as const).filter((s) => t[s] > 0).map((s) => `${t[s]} ${s}`);
    return `  ${name.padEnd(12)}${parts.join(", ") || "-"}`;
  });
}

/** The report as a person reads it: the file's checks, the records' tallies, each failure named. */
export function formatReport(path: string, report: FileReport): string {
  const out = [`Verified ${path}`];
  if (report.tree_name) out.push(`${"tree".padEnd(12)}${report.tree_name}`);
  const range = report.leaf_range
    ? ` (leaf indices ${report.leaf_range.first}-${report.leaf_range.last})`
    : "";
  out.push(`${"records".padEnd(12)}${report.records}${range}`);
  for (const c of report.checkpoints) {
    out.push(
      line(`checkpoint`, {
        status: c.status,
        ...(c.reason ? { reason: `size ${c.size}: ${c.reason}` } : {}),
      }) + (c.reason ? "" : ` (size ${c.size})`),
    );
  }
  for (const c of report.consistency) {
    out.push(
      line("consistency", { status: c.status, ...(c.reason ? { reason: c.reason } : {}) }) +
        (c.reason ? "" : ` (${c.from_size} -> ${c.to_size})`),
    );
  }
  for (const c of report.pinned) {
    out.push(
      line("pinned", { status: c.status, ...(c.reason ? { reason: c.reason } : {}) }) +
        (c.reason ? "" : ` (size ${c.size})`),
    );
  }
  out.push(
    line("root", report.root),
    line("range", report.contiguity),
    line("rebuilt", report.recomputed),
    line("count", report.count),
  );
  // Erased and expired records have no envelope: their hash is proved in the tree, nothing more.
  out.push(
    `${"erased".padEnd(12)}${report.erased}${report.erased ? " (no envelope: hash and place in the tree proved)" : ""}`,
  );
  if (report.expired)
    out.push(`${"expired".padEnd(12)}${report.expired} (past retention: hash and place proved)`);
  out.push("per record:", ...tally(report));
  const failed = report.failures.length + report.failures_omitted;
  if (failed) {
    out.push("", `Failing records: ${failed}`);
    for (const f of report.failures) {
      const name = f.leaf_index === undefined ? `record at position ${f.position}` : `leaf ${f.leaf_index}`;
      for (const x of f.failed) out.push(`  ${name}: ${x.check}: ${x.reason}`);
    }
    if (report.failures_omitted) out.push(`  … and ${report.failures_omitted} more`);
  }
  out.push("", report.ok ? "OK: every check passed" : "FAILED: the file does not verify");
  return `${out.join("\n")}\n`;
}

export const VERIFY_COMMAND: Command = {
  name: "verify",
  synopsis: "FILE [--key VERIFIER_KEY] [--pin NOTE_FILE]... [--json]",
  summary:
    "Check a JSON download or export offline, trusting nothing in it: every hash, every membership\n" +
    "proof, every checkpoint signature (with the pinned key), the consistency between checkpoints,\n" +
    "and that the leaf indices form one range. Exits 1 if anything fails, naming each record.",
  positionals: ["FILE"],
  remote: false,
  options: {
    key: {
      type: "string",
      help: ["--key VERIFIER_KEY", "the server's checkpoint verifier key (default: $VERITRAIL_VERIFIER_KEY)"],
    },
    pin: {
      type: "string",
      multiple: true,
      help: [
        "--pin NOTE_FILE",
        "a checkpoint note held earlier; the file must be consistent with it (repeat)",
      ],
    },
    json: { type: "boolean", help: ["--json", "print the report as JSON"] },
    progress: {
      type: "string",
      help: ["--progress N", "print progress to stderr every N records (default 100000; 0: never)"],
    },
  },
  async run(context: Context) {
    const path = context.args[0]!;
    const keyText = context.string("key") ?? context.io.env["VERITRAIL_VERIFIER_KEY"];
    let open: NoteOpener;
    try {
      open = noteOpener(keyText || undefined);
    } catch (error) {
      throw context.usageError(`--key is not a verifier key: ${(error as Error).message}`);
    }
    const every = Number(context.string("progress") ?? 100_000);
    if (!Number.isSafeInteger(every) || every < 0)
      throw context.usageError("--progress takes a whole number");
    const { readFile } = await import("node:fs/promises");
    const pinned: string[] = [];
    for (const file of context.strings("pin")) {
      pinned.push(
        await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${file}: ${error.code ?? error.message}`);
        }),
      );
    }
    const report = await verifyFilePath(path, {
      open,
      pinned,
      every,
      onProgress: (records, fraction) =>
        context.io.stderr(
          `veritrail: verified ${records} records (${Math.round(fraction * 100)}% of ${path} read)\n`,
        ),
    });
    if (!keyText && !context.json) {
      context.io.stderr("veritrail: no --key given: checkpoint signatures are not checked\n");
    }
    if (context.json) context.printJson(report);
    else context.print(formatReport(path, report));
    if (!report.ok) throw new CliError("the file does not verify", { exitCode: 1, details: [] });
  },
};
