import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { createGunzip, createGzip, type Gzip } from "node:zlib";
import { formatReceivedAt, parseReceivedAt } from "@veritrail/core";
import { erasureOf } from "../store/contract/erasure.js";
import type { LeafRecord } from "../store/contract/log.js";

/*
 * The cold archive of retention (docs/design/retention.md): one gzip JSON Lines file per
 * configuration and UTC day of `received_at`, `<dir>/<config id>/<YYYY-MM-DD>.jsonl.gz`, one line
 * per event of that day in leaf order: `{"leaf_index", "hash", "envelope"}` (the stored canonical
 * envelope, so `sha256(canonical(envelope)) == hash`), or `{"leaf_index", "hash", "erased"}` for an
 * event erased on request before. A file is written whole under a temporary name, flushed to disk
 * (`fsync`), renamed into place and its directory flushed: a file with the final name is
 * complete, and the job removes a day's envelopes only once it is.
 *
 * Every `<YYYY-MM-DD>*.jsonl.gz` of a configuration's directory belongs to that day (a day may be
 * split into several files, `<YYYY-MM-DD>.<partition key>.jsonl.gz`): readers merge a day's
 * files by leaf index. A cold export reads them (`readDays`), and an erasure on request of an
 * archived event rewrites the line in place (`eraseLines`), crash-safely as `write` does.
 */

/** A line of an archive file, read back. */
export interface ArchivedLine {
  leafIndex: number;
  /** The leaf hash, hex. */
  hash: string;
  /** The stored canonical envelope, parsed; absent on an erased line. */
  envelope?: Record<string, unknown>;
  /** When and under which request the event was erased; absent on a line that keeps its envelope. */
  erased?: { erasure_id: string; erased_at: string };
}

/** An archive file that does not read as one: a damaged or foreign file in the archive directory. */
export class ArchiveUnreadableError extends Error {}

/** Lines handed out per batch by `readDays`. */
export const ARCHIVE_READ_BATCH = 1000;

/** A file name of a day's archive: `<YYYY-MM-DD>.jsonl.gz` or `<YYYY-MM-DD>.<partition key>.jsonl.gz`. */
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})(?:\.[^/]+)?\.jsonl\.gz$/;

const DAY_MICROS = 86_400_000_000;

/** The start (microseconds) of the UTC day of `micros`. */
export function dayOf(micros: number): number {
  return Math.floor(micros / DAY_MICROS) * DAY_MICROS;
}

export { DAY_MICROS };

export class ColdArchive {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * The path of the archive of `configId` for the UTC day starting at `dayMicros`; with a
   * `partitionKey` (retention.ts `partitionKeyOf`), that overridden partition's own file of the
   * day, `<YYYY-MM-DD>.<key>.jsonl.gz` (the default partition keeps `<YYYY-MM-DD>.jsonl.gz`).
   */
  fileOf(configId: string, dayMicros: number, partitionKey?: string): string {
    const suffix = partitionKey === undefined ? "" : `.${partitionKey}`;
    return join(this.#dir, configId, `${dayName(dayMicros)}${suffix}.jsonl.gz`);
  }

  /** Whether the day's archive is complete on disk (only a complete file has the final name). */
  async has(configId: string, dayMicros: number, partitionKey?: string): Promise<boolean> {
    try {
      await (await open(this.fileOf(configId, dayMicros, partitionKey), "r")).close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  /**
   * Writes the day's archive from `batches` (the day's leaves in leaf order) and makes it durable
   * before returning the number of records written. On failure no file of the final name exists.
   */
  async write(
    configId: string,
    dayMicros: number,
    batches: AsyncIterable<LeafRecord[]>,
    partitionKey?: string,
  ): Promise<number> {
    const dir = join(this.#dir, configId);
    await mkdir(dir, { recursive: true });
    const final = this.fileOf(configId, dayMicros, partitionKey);
    const temporary = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await open(temporary, "wx");
    let count = 0;
    try {
      const gzip = createGzip();
      const written = (async () => {
        for await (const chunk of gzip) await handle.write(chunk as Buffer);
      })();
      for await (const leaves of batches) {
        const lines = leaves.map((leaf) => lineOf(leaf)).join("");
        count += leaves.length;
        if (!gzip.write(lines)) await new Promise((resolve) => gzip.once("drain", resolve));
      }
      gzip.end();
      await written;
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(temporary, final);
    await syncDirectory(dir);
    return count;
  }

  /**
   * The archive files of `configId` whose day starts in `fromDayMicros`..`toDayMicros`
   * (inclusive, either open when undefined), by day ascending, each day's file names sorted.
   */
  async daysOf(
    configId: string,
    fromDayMicros?: number,
    toDayMicros?: number,
  ): Promise<{ dayMicros: number; paths: string[] }[]> {
    let names: string[];
    try {
      names = await readdir(join(this.#dir, configId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const days = new Map<number, string[]>();
    for (const name of names.sort()) {
      const match = DAY_FILE.exec(name);
      if (!match) continue;
      const dayMicros = parseReceivedAt(`${match[1]}T00:00:00.000000Z`);
      if (!Number.isSafeInteger(dayMicros)) continue;
      if (fromDayMicros !== undefined && dayMicros < fromDayMicros) continue;
      if (toDayMicros !== undefined && dayMicros > toDayMicros) continue;
      const paths = days.get(dayMicros) ?? [];
      paths.push(join(this.#dir, configId, name));
      days.set(dayMicros, paths);
    }
    return [...days.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([dayMicros, paths]) => ({ dayMicros, paths }));
  }

  /**
   * The archived lines of `configId` for the UTC days from the one of `startMicros` to the one of
   * `endMicros` (either open when undefined), in leaf order (`desc`: newest first), in batches
   * of at most `ARCHIVE_READ_BATCH`. Ascending, files are read as streams, a day's files merged
   * by leaf index, so memory holds one line per file of the day; descending, a gzip file cannot
   * be read backwards, so one day's lines at a time are held and handed out in reverse.
   */
  async *readDays(
    configId: string,
    window: { startMicros?: number | undefined; endMicros?: number | undefined; order: "asc" | "desc" },
  ): AsyncGenerator<ArchivedLine[]> {
    const from = window.startMicros === undefined ? undefined : dayOf(window.startMicros);
    const to = window.endMicros === undefined ? undefined : dayOf(window.endMicros);
    const days = await this.daysOf(configId, from, to);
    if (window.order === "desc") days.reverse();
    for (const day of days) {
      if (window.order === "asc") {
        let batch: ArchivedLine[] = [];
        for await (const line of mergedLines(day.paths)) {
          batch.push(line);
          if (batch.length >= ARCHIVE_READ_BATCH) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      } else {
        const lines: ArchivedLine[] = [];
        for await (const line of mergedLines(day.paths)) lines.push(line);
        lines.reverse();
        for (let i = 0; i < lines.length; i += ARCHIVE_READ_BATCH)
          yield lines.slice(i, i + ARCHIVE_READ_BATCH);
      }
    }
  }

  /**
   * Erases archived events of the UTC day starting at `dayMicros`: in each of the day's files that
   * holds one of `marks`' leaves with its envelope, that line becomes
   * `{"leaf_index", "hash", "erased"}`, the form of an event erased before it was archived. A file
   * is rewritten whole under a temporary name, flushed, renamed over the old one (the commit
   * point: a reader sees the old file or the new, never a part) and its directory flushed. A line
   * already erased is left as it is (never re-dated). Returns the lines this call erased, in leaf
   * order.
   */
  async eraseLines(
    configId: string,
    dayMicros: number,
    marks: ReadonlyMap<number, { erasure_id: string; erased_at: string }>,
  ): Promise<{ leafIndex: number; hash: string }[]> {
    const erased: { leafIndex: number; hash: string }[] = [];
    const [day] = await this.daysOf(configId, dayMicros, dayMicros);
    for (const path of day?.paths ?? []) {
      const changed: { leafIndex: number; hash: string }[] = [];
      const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      const handle = await open(temporary, "wx");
      try {
        await writeGzipTo(handle, async (gzip) => {
          for await (const line of fileLines(path)) {
            const mark = line.envelope === undefined ? undefined : marks.get(line.leafIndex);
            const kept = mark ? { leafIndex: line.leafIndex, hash: line.hash, erased: mark } : line;
            if (mark) changed.push({ leafIndex: line.leafIndex, hash: line.hash });
            await writeText(gzip, archivedLineText(kept));
          }
        });
      } catch (error) {
        await handle.close().catch(() => undefined);
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
      await handle.close();
      if (changed.length === 0) {
        await unlink(temporary);
        continue;
      }
      await rename(temporary, path);
      await syncDirectory(join(this.#dir, configId));
      erased.push(...changed);
    }
    return erased.sort((a, b) => a.leafIndex - b.leafIndex);
  }

  /**
   * Deletes the configuration's archives of days that ended before `beforeMicros`, of the
   * default partition or (with `partitionKey`) of that partition only; returns how many.
   */
  async deleteBefore(configId: string, beforeMicros: number, partitionKey?: string): Promise<number> {
    let names: string[];
    try {
      names = await readdir(join(this.#dir, configId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw error;
    }
    let deleted = 0;
    for (const name of names) {
      const match = /^(\d{4}-\d{2}-\d{2})(?:\.([0-9a-f]{16}))?\.jsonl\.gz$/.exec(name);
      if (!match || match[2] !== partitionKey) continue;
      const dayMicros = parseReceivedAt(`${match[1]}T00:00:00.000000Z`);
      if (!Number.isSafeInteger(dayMicros)) continue;
      if (dayMicros + DAY_MICROS > beforeMicros) continue;
      await unlink(join(this.#dir, configId, name));
      deleted++;
    }
    return deleted;
  }
}

/** The text of an archived line as read back (`readDays`), in the form `write` gives it. */
function archivedLineText(line: ArchivedLine): string {
  const record = line.erased
    ? { leaf_index: line.leafIndex, hash: line.hash, erased: line.erased }
    : { leaf_index: line.leafIndex, hash: line.hash, envelope: line.envelope };
  return `${JSON.stringify(record)}\n`;
}

/** Writes through gzip into `handle`, then flushes the file to disk. */
async function writeGzipTo(handle: FileHandle, fill: (gzip: Gzip) => Promise<void>): Promise<void> {
  const gzip = createGzip();
  const written = (async () => {
    for await (const chunk of gzip) await handle.write(chunk as Buffer);
  })();
  try {
    await fill(gzip);
    gzip.end();
  } catch (error) {
    gzip.destroy();
    await written.catch(() => undefined);
    throw error;
  }
  await written;
  await handle.sync();
}

async function writeText(gzip: Gzip, text: string): Promise<void> {
  if (!gzip.write(text)) await new Promise((resolve) => gzip.once("drain", resolve));
}

/** The lines of one archive file, parsed, as a stream (one decompressed chunk in memory). */
async function* fileLines(path: string): AsyncGenerator<ArchivedLine> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let number = 0;
  const gunzip = createGunzip();
  const source = createReadStream(path);
  source.on("error", (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    for await (const chunk of readable(gunzip, path)) {
      rest += decoder.write(chunk as Buffer);
      let end = rest.indexOf("\n");
      while (end >= 0) {
        const text = rest.slice(0, end);
        rest = rest.slice(end + 1);
        number++;
        if (text.length > 0) yield parseLine(text, path, number);
        end = rest.indexOf("\n");
      }
    }
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  rest += decoder.end();
  if (rest.length > 0) yield parseLine(rest, path, number + 1);
}

/** The chunks of `gunzip`, a file that does not decompress reported as unreadable (retrying cannot help). */
async function* readable(gunzip: AsyncIterable<unknown>, path: string): AsyncGenerator<unknown> {
  try {
    yield* gunzip;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (code.startsWith("Z_"))
      throw new ArchiveUnreadableError(`${path} does not decompress (${code})`, { cause: error });
    throw error;
  }
}

function parseLine(text: string, path: string, number: number): ArchivedLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ArchiveUnreadableError(`${path} line ${number} is not JSON`);
  }
  const line = parsed as { leaf_index?: unknown; hash?: unknown; envelope?: unknown; erased?: unknown };
  const ok =
    typeof line === "object" &&
    line !== null &&
    Number.isSafeInteger(line.leaf_index) &&
    (line.leaf_index as number) >= 0 &&
    typeof line.hash === "string" &&
    /^[0-9a-f]{64}$/.test(line.hash) &&
    (isObject(line.envelope) ||
      (isObject(line.erased) &&
        typeof line.erased["erasure_id"] === "string" &&
        typeof line.erased["erased_at"] === "string"));
  if (!ok) throw new ArchiveUnreadableError(`${path} line ${number} is not an archived event`);
  const leafIndex = line.leaf_index as number;
  const hash = line.hash as string;
  if (isObject(line.envelope)) return { leafIndex, hash, envelope: line.envelope };
  const erased = line.erased as { erasure_id: string; erased_at: string };
  return { leafIndex, hash, erased: { erasure_id: erased.erasure_id, erased_at: erased.erased_at } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The lines of a day's files merged by leaf index (each file is in leaf order). */
async function* mergedLines(paths: readonly string[]): AsyncGenerator<ArchivedLine> {
  if (paths.length === 1) {
    yield* fileLines(paths[0]!);
    return;
  }
  const sources = paths.map((path) => fileLines(path));
  try {
    const heads = await Promise.all(sources.map((source) => source.next()));
    for (;;) {
      let at = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i]!;
        if (head.done) continue;
        if (at < 0 || head.value.leafIndex < (heads[at]!.value as ArchivedLine).leafIndex) at = i;
      }
      if (at < 0) return;
      yield heads[at]!.value as ArchivedLine;
      heads[at] = await sources[at]!.next();
    }
  } finally {
    await Promise.all(sources.map((source) => source.return(undefined)));
  }
}

function lineOf(leaf: LeafRecord): string {
  const hash = leaf.hash.toString("hex");
  const mark = erasureOf(leaf.envelope);
  const record = mark
    ? { leaf_index: leaf.leafIndex, hash, erased: { erasure_id: mark.erasureId, erased_at: mark.erasedAt } }
    : { leaf_index: leaf.leafIndex, hash, envelope: JSON.parse(leaf.envelope) as unknown };
  return `${JSON.stringify(record)}\n`;
}

function dayName(dayMicros: number): string {
  return formatReceivedAt(dayMicros).slice(0, 10);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
