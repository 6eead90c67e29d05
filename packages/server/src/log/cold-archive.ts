import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
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
 */

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
