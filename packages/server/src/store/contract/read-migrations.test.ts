import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { RESERVED_VERSIONS, readMigrations } from "./read-migrations.js";

const SQLITE = new URL("../sqlite/migrations/", import.meta.url);
const POSTGRES = new URL("../postgres/migrations/", import.meta.url);

/** A migrations folder holding empty files of these names. */
function folder(names: string[]): { url: URL; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "veritrail-migrations-"));
  for (const name of names) writeFileSync(join(dir, name), "SELECT 1;");
  return { url: pathToFileURL(`${dir}/`), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("migration files", () => {
  it("gives both backends the same migration file names, numbered from 001 without a gap", () => {
    const sqlite = readdirSync(SQLITE).sort();
    const postgres = readdirSync(POSTGRES).sort();
    assert.deepEqual(sqlite, postgres);
    assert.ok(sqlite.length >= 5);
    const last = Number(sqlite.at(-1)!.slice(0, 3));
    const versions = Array.from({ length: last }, (_, i) => i + 1).filter(
      (v) => !RESERVED_VERSIONS.has(v) || sqlite.some((name) => Number(name.slice(0, 3)) === v),
    );
    for (const [i, name] of sqlite.entries()) {
      assert.match(name, new RegExp(`^${String(versions[i]).padStart(3, "0")}-[a-z0-9-]+\\.sql$`));
    }
    assert.deepEqual(
      readMigrations(SQLITE).map((m) => m.version),
      versions,
    );
    assert.deepEqual(
      readMigrations(POSTGRES).map((m) => m.file),
      postgres,
    );
  });

  it("keeps the versions that databases already record", () => {
    // Databases in use record 1..5 in schema_migrations: these numbers MUST keep their meaning.
    assert.deepEqual(
      readMigrations(SQLITE)
        .slice(0, 5)
        .map((m) => m.file),
      [
        "001-initial.sql",
        "002-config-deletion-and-signing-keys.sql",
        "003-signing-key-versions.sql",
        "004-leases.sql",
        "005-async-request-attempts.sql",
      ],
    );
  });

  it("refuses a gap, a repeated number or a badly named file", () => {
    for (const names of [
      ["001-a.sql", "003-c.sql"],
      ["001-a.sql", "002-b.sql", "002-c.sql"],
      ["001-a.sql", "2-b.sql"],
      ["001-A.sql"],
      ["002-b.sql"],
      [
        "001-a.sql",
        "002-b.sql",
        "003-c.sql",
        "004-d.sql",
        "005-e.sql",
        "006-f.sql",
        "007-g.sql",
        "008-h.sql",
        "011-k.sql",
      ],
    ]) {
      const { url, remove } = folder(names);
      try {
        assert.throws(
          () => readMigrations(url),
          /migration .*(should be number|is not named)/,
          names.join(" "),
        );
      } finally {
        remove();
      }
    }
  });

  it("skips a reserved number whose file has not arrived, and reads it once it has", () => {
    const eight = [
      "001-a.sql",
      "002-b.sql",
      "003-c.sql",
      "004-d.sql",
      "005-e.sql",
      "006-f.sql",
      "007-g.sql",
      "008-h.sql",
    ];
    for (const names of [
      [...eight, "010-j.sql"],
      [...eight, "009-i.sql", "010-j.sql"],
    ]) {
      const { url, remove } = folder(names);
      try {
        assert.deepEqual(
          readMigrations(url).map((m) => m.file),
          names,
        );
      } finally {
        remove();
      }
    }
  });

  it("refuses an empty or missing folder", () => {
    const { url, remove } = folder(["README.md"]);
    try {
      assert.throws(() => readMigrations(url), /no migrations in/);
      assert.throws(() => readMigrations(new URL("missing/", url)), /cannot read the migrations/);
    } finally {
      remove();
    }
  });
});
