import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/*
 * Each backend keeps its schema as numbered SQL files in its own `migrations/` folder, written in
 * its own dialect; the two folders hold the same file names, so a change of schema is made once
 * per backend under one name. The number is the version `schema_migrations` records: versions,
 * not names, decide what a database still needs, so a file MAY be renamed but MUST NOT be
 * renumbered or edited once released.
 */

/** One schema migration: a numbered SQL file of a backend's `migrations/` folder. */
export interface Migration {
  /** The number of the file (`003-…` is version 3). */
  version: number;
  /** The file name, e.g. `001-initial.sql`. */
  file: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{3})-[a-z0-9]+(?:-[a-z0-9]+)*\.sql$/;

/**
 * Numbers assigned to schema changes made on branches merged in any order (009: the search
 * index rework). Until its file arrives, the sequence may skip such a number and nothing else;
 * once it is there it is read like any other. A database never records a skipped number, so the
 * file applies when it arrives.
 */
export const RESERVED_VERSIONS: ReadonlySet<number> = new Set([9]);

/**
 * The migrations in `directory`, in version order. Throws when a `.sql` file is not named
 * `NNN-name.sql` or the numbers do not run from 001 without a gap (but for `RESERVED_VERSIONS`): a missing number means a file
 * was lost (an incomplete copy into `dist/`, say), and applying the later ones would build a
 * schema no release ever had.
 *
 * @example readMigrations(new URL("./migrations/", import.meta.url))
 */
export function readMigrations(directory: URL): Migration[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    throw new Error(
      `cannot read the migrations in ${fileURLToPath(directory)} (a build copies them next to the compiled store)`,
      { cause: error },
    );
  }
  const files = names.filter((name) => name.endsWith(".sql")).sort();
  if (files.length === 0) throw new Error(`no migrations in ${fileURLToPath(directory)}`);
  let expected = 1;
  return files.map((file) => {
    const match = MIGRATION_FILE.exec(file);
    if (!match)
      throw new Error(`migration ${file} is not named NNN-name.sql (lower case, digits and dashes)`);
    const version = Number(match[1]);
    while (version > expected && RESERVED_VERSIONS.has(expected)) expected += 1;
    if (version !== expected) {
      throw new Error(
        `migration ${file} should be number ${String(expected).padStart(3, "0")}: no gaps, no repeats`,
      );
    }
    expected += 1;
    return { version, file, sql: readFileSync(new URL(file, directory), "utf8") };
  });
}
