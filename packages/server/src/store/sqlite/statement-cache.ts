import type Database from "better-sqlite3";

/**
 * One SQLite connection and its prepared statements, shared by the roles of a `SqliteStore`.
 * Preparing parses and plans the SQL; each text is prepared once per connection and reused, so a
 * group commit costs only the bind and step of each row.
 */
/** How many statements {@link StatementCache.prepareShaped} keeps. */
const SHAPED_STATEMENTS = 256;

export class StatementCache {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /** Least recently used first. */
  readonly #shaped = new Map<string, Database.Statement>();

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

  /**
   * The statement for `sql` built from a search's shape (constant fragments and placeholders,
   * never values, as the search compiler builds them), prepared on first use. Shapes are as many
   * as the queries callers write, so only the {@link SHAPED_STATEMENTS} most recently used are
   * kept. Its pluck mode is off: set it per call.
   */
  prepareShaped(sql: string): Database.Statement {
    let statement = this.#shaped.get(sql);
    if (statement) {
      this.#shaped.delete(sql);
    } else {
      statement = this.db.prepare(sql);
      if (this.#shaped.size >= SHAPED_STATEMENTS) this.#shaped.delete(this.#shaped.keys().next().value!);
    }
    this.#shaped.set(sql, statement);
    return statement.pluck(false);
  }
}
