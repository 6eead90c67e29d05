import type Database from "better-sqlite3";

/**
 * One SQLite connection and its prepared statements, shared by the roles of a `SqliteStore`.
 * Preparing parses and plans the SQL; each text is prepared once per connection and reused, so a
 * group commit costs only the bind and step of each row.
 */
export class StatementCache {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** The statement for `sql`, prepared on first use. `sql` MUST be a constant: values are bound. */
  prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
