// biome-ignore-all lint/style/useTemplate: compiled SQL is joined from constant fragments and placeholders, so that no template literal of SQL interpolates anything (test/store-conformance.test.ts).
import { type MatchNode, parseReceivedAt, type QueryNode } from "@veritrail/core";
import { leafFromRow, type Row } from "../contract/rows.js";
import {
  type ResultSetRecord,
  type SearchAnswer,
  type SearchQuery,
  type SearchRow,
  type SearchStore,
  searchFieldNumbers,
  searchValuesOf,
} from "../contract/search.js";
import {
  BoundParams,
  compilePredicate,
  EXACT_SAMPLE,
  encodeLeafList,
  envelopeMatches,
  exactDrivers,
  freeTextFieldNumbers,
  INDEX_PREFIX_LENGTH,
  indexPrefix,
  isPureWindow,
  isTrigramTerm,
  planSearch,
  rarestExact,
  resultSetFromRow,
  type SearchDriver,
  type SearchPlan,
  windowLeaves,
} from "../contract/search-plan.js";
import type { ConfigSettings, LeafRecord } from "../contract/store.js";
import type { StatementCache } from "./statement-cache.js";

/*
 * Search in SQLite (docs/design/search-index.md): `search_values` (exact values, comparisons,
 * ordering), the contentless FTS5 trigram table `search_trigrams` (contains), both written in the
 * append transaction. A search is one statement walked lazily: the driving conjunct's index in
 * leaf order, the other conjuncts as index probes per candidate, stopped at the limit.
 */

const TREE_SHIFT = 44n;
const LEAF_SHIFT = 8n;
/** The leaf bits of a packed trigram rowid: 36, so a tree holds up to 2^36 events. */
const LEAF_MASK = "68719476735";
const MAX_LEAF = 2 ** 36 - 1;
/**
 * A contains term of the residual with at most this many matches in the window is checked as
 * membership in its matches, read once; a more common one by `instr` on each candidate.
 */
const RARE_TERM_MATCHES = 4096;

/** The rowid of one value in `search_trigrams`: tree, leaf and field packed (see the migration). */
function packRowid(treeId: number, leafIndex: number, fieldNo: number): bigint {
  return (BigInt(treeId) << TREE_SHIFT) | (BigInt(leafIndex) << LEAF_SHIFT) | BigInt(fieldNo);
}

/** A contains term as an FTS5 phrase: the trigram tokenizer turns a phrase into substring matching. */
function ftsPhrase(term: string): string {
  return '"' + term.replaceAll('"', '""') + '"';
}

/**
 * Writes the index rows of one batch; the caller runs it inside the append transaction. Each
 * table takes its rows in one statement, from a JSON array: one bind per batch, not one per row
 * (JSON text carries a string's lone surrogates to the same bytes binding it would). The trigrams
 * go in rowid order: FTS5 flushes its pending terms to a new segment whenever a rowid is not above
 * the one before, and an event's values come in schema order, not field number order. The values
 * go as they come: sorting them by key first cost more than it saved.
 */
export function writeSearchRows(sql: StatementCache, treeId: number, rows: readonly SearchRow[]): void {
  if (rows.length === 0) return;
  const texts: [number, string, number, number][] = [];
  const numbers: [number, number, number][] = [];
  const trigrams: [number, number, string][] = [];
  for (const row of rows) {
    if (row.text !== undefined) {
      const prefix = indexPrefix(row.text);
      const cut = prefix === row.text ? 0 : 1;
      texts.push([row.fieldNo, prefix, row.leafIndex, cut]);
      trigrams.push([row.leafIndex, row.fieldNo, row.text]);
    } else if (row.number !== undefined) {
      numbers.push([row.fieldNo, row.number, row.leafIndex]);
    }
  }
  if (texts.length > 0) {
    sql
      .prepare(
        "INSERT INTO search_values (tree_id, field_no, value, leaf_index, cut)" +
          " SELECT ?, r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3 FROM json_each(?) r",
      )
      .run(treeId, JSON.stringify(texts));
  }
  if (numbers.length > 0) {
    // As the number bound alone would be: a REAL (better-sqlite3 binds every JS number so), then
    // cast to INTEGER to keep it compact. JSON text may print a large double in fewer digits.
    sql
      .prepare(
        "INSERT INTO search_values (tree_id, field_no, value, leaf_index, cut)" +
          " SELECT ?, r.value ->> 0, CAST(CAST(r.value ->> 1 AS REAL) AS INTEGER), r.value ->> 2, 0 FROM json_each(?) r",
      )
      .run(treeId, JSON.stringify(numbers));
  }
  if (trigrams.length > 0) {
    // The rowid packs tree, leaf and field (see the migration); `<<` and `|` bind alike in SQLite.
    sql
      .prepare(
        "INSERT INTO search_trigrams (rowid, text)" +
          " SELECT ((? << 44) | ((r.value ->> 0) << 8)) | (r.value ->> 1), r.value ->> 2 FROM json_each(?) r" +
          " ORDER BY 1",
      )
      .run(treeId, JSON.stringify(trigrams));
  }
}

/**
 * Indexes the events stored before the search index existed, from their envelopes and their
 * configuration's schema, exactly as ingest would have (`searchValuesOf` on the stored event).
 * Runs inside the migration's transaction.
 */
export function backfillSearchIndex(sql: StatementCache): void {
  const trees = sql
    .prepare("SELECT t.id, c.settings FROM trees t JOIN configs c ON c.id = t.config_id")
    .all() as Row[];
  const page = sql.prepare(
    "SELECT leaf_index, envelope FROM events WHERE tree_id = ? AND leaf_index >= ? ORDER BY leaf_index LIMIT 1000",
  );
  for (const tree of trees) {
    const treeId = Number(tree["id"]);
    const schema = (JSON.parse(String(tree["settings"])) as ConfigSettings).schema;
    const numbers = searchFieldNumbers(schema);
    let from = 0;
    for (;;) {
      const events = page.all(treeId, from) as Row[];
      if (events.length === 0) break;
      const rows: SearchRow[] = [];
      for (const event of events) {
        const leafIndex = Number(event["leaf_index"]);
        const envelope = JSON.parse(String(event["envelope"])) as {
          event?: Record<string, string | number | boolean>;
        };
        for (const value of searchValuesOf(envelope.event ?? {}, schema, numbers))
          rows.push({ ...value, leafIndex });
        from = leafIndex + 1;
      }
      writeSearchRows(sql, treeId, rows);
    }
  }
}

/** One search compiled: its predicates, and whether candidates need the envelope recheck. */
class SqliteSearchCompiler {
  readonly params = new BoundParams("named");
  recheck = false;
  readonly #query: SearchQuery;
  readonly #tree: string;

  readonly #range: { lo: number; hi: number };

  /** Whether the driver walks every event of the window (then a set beats a probe per candidate). */
  readonly #scan: boolean;
  /** Contains terms of the residual whose every match in the window is known (they are rare). */
  readonly #known: ReadonlyMap<QueryNode, readonly number[]>;

  constructor(
    query: SearchQuery,
    range: { lo: number; hi: number },
    scan: boolean,
    known: ReadonlyMap<QueryNode, readonly number[]>,
  ) {
    this.#query = query;
    this.#range = range;
    this.#scan = scan;
    this.#known = known;
    this.#tree = this.params.add(query.treeId);
  }

  get tree(): string {
    return this.#tree;
  }

  /**
   * `node` as a predicate on the leaf `leaf` (an SQL expression). In `wide` mode a term the index
   * cannot decide is true (the candidate is rechecked), in narrow mode false; `not` swaps them, so
   * the whole predicate is always a superset of the matches.
   */
  predicate(node: QueryNode, leaf: string, wide = true): string {
    return compilePredicate(node, wide, { yes: "1", no: "0", term: (t, w) => this.#term(t, leaf, w) });
  }

  #undecided(wide: boolean): string {
    this.recheck = true;
    return wide ? "1" : "0";
  }

  #term(node: MatchNode, leaf: string, wide: boolean): string {
    const p = (value: unknown) => this.params.add(value);
    const known = this.#known.get(node);
    if (known) return "+(" + leaf + ") IN (SELECT value FROM json_each(" + p(JSON.stringify(known)) + "))";
    if (node.field === null) {
      const fields = freeTextFieldNumbers(this.#query);
      if (fields.length === 0) return "0";
      const inFields = "(" + fields.map(p).join(", ") + ")";
      if (this.#scan && isTrigramTerm(node.value))
        return this.#trigramMember(node.value, leaf, "IN " + inFields);
      // One range of the event's values, filtered by field, rather than a seek per field.
      return this.#byLeaf(leaf, "+v.field_no IN " + inFields, this.#contains(node.value, wide));
    }
    if (node.field === "received_at") {
      if (node.fieldType !== "datetime") return this.#undecided(wide);
      const micros = parseReceivedAt(node.value);
      if (!Number.isSafeInteger(micros)) return this.#undecided(wide);
      return (
        "(SELECT r.received_at FROM events r WHERE r.tree_id = " +
        this.#tree +
        " AND r.leaf_index = " +
        leaf +
        ") " +
        operator(node.op) +
        " " +
        p(micros)
      );
    }
    const fieldNo = this.#query.fieldNumbers.get(node.field);
    if (fieldNo === undefined) return this.#undecided(wide);
    switch (node.fieldType) {
      case "string-unindexed":
        return this.#undecided(wide);
      case "string":
      case "text":
        if (node.op === "contains") {
          if (this.#scan && isTrigramTerm(node.value))
            return this.#trigramMember(node.value, leaf, "= " + p(fieldNo));
          return this.#byLeaf(leaf, "v.field_no = " + p(fieldNo), this.#contains(node.value, wide));
        }
        if (node.value.length > INDEX_PREFIX_LENGTH && indexPrefix(node.value) !== node.value) {
          // Only a cut value can equal a long one; the envelope decides.
          this.recheck = true;
          if (!wide) return "0";
          return this.#point(fieldNo, indexPrefix(node.value), leaf, "1");
        }
        return this.#point(fieldNo, node.value, leaf, "0");
      case "integer":
      case "datetime":
        if (node.op === "exact") return this.#point(fieldNo, node.value, leaf, "0");
        return this.#byLeaf(
          leaf,
          "v.field_no = " + p(fieldNo),
          "v.value " + operator(node.op) + " " + p(node.value),
        );
      case "boolean":
        return this.#point(fieldNo, node.value ? 1 : 0, leaf, "0");
    }
  }

  /**
   * `leaf` is among the leaves of the window with a value containing `term` in the fields `fields`
   * (an SQL comparison with `rowid & 255`). An uncorrelated subquery: SQLite evaluates the trigram
   * phrase once per search into a temporary set, where a probe per candidate would evaluate the
   * trigrams' doclists again for each (a hundred times slower, measured at 100,000 events).
   */
  #trigramMember(term: string, leaf: string, fields: string): string {
    const p = (value: unknown) => this.params.add(value);
    // The unary + keeps SQLite from walking the set instead of the driver: the driver is the
    // selective side the plan chose, and a membership test in the set costs a B-tree probe.
    return (
      "+(" +
      leaf +
      ") IN (SELECT (g.rowid >> 8) & " +
      LEAF_MASK +
      " FROM search_trigrams g WHERE g.search_trigrams MATCH " +
      p(ftsPhrase(term)) +
      " AND g.rowid BETWEEN " +
      p(packRowid(this.#query.treeId, this.#range.lo, 0)) +
      " AND " +
      p(packRowid(this.#query.treeId, this.#range.hi, 255)) +
      " AND (g.rowid & 255) " +
      fields +
      ")"
    );
  }

  /**
   * A contains on one event's indexed prefixes (the `v` of {@link #byLeaf}). For terms shorter
   * than a trigram, and for any term when the driver already narrowed the candidates: a lookup by
   * leaf and an `instr` cost the same whatever the term, where the trigram index costs what the
   * term's trigrams' doclists do. A prefix that holds the term proves that the whole value does,
   * cut or not; only a cut value without it is undecided. `cut` is not in the index by leaf, and
   * naming it in the probe made SQLite look up every candidate's row in the table as well: a
   * tenant's common term took 99 ms at 1,000,000 events, 42 ms without. So `cut` is read, by
   * primary key, only for a value of 255 bytes or more: a cut prefix has at least 255 UTF-16
   * units, so at least as many bytes of UTF-8.
   */
  #contains(term: string, wide: boolean): string {
    if (term === "") return "1";
    this.recheck = true;
    const found = "instr(v.value, " + this.params.add(term) + ") > 0";
    if (!wide) return found;
    return (
      "(" +
      found +
      " OR (octet_length(v.value) >= " +
      (INDEX_PREFIX_LENGTH - 1) +
      " AND (SELECT w.cut FROM search_values w WHERE w.tree_id = v.tree_id AND w.field_no = v.field_no" +
      " AND w.value = v.value AND w.leaf_index = v.leaf_index) = 1))"
    );
  }

  /** Some value of `leaf` satisfies `field` and `condition`, through the index by leaf. */
  #byLeaf(leaf: string, field: string, condition: string): string {
    return (
      "EXISTS (SELECT 1 FROM search_values v INDEXED BY search_values_by_leaf WHERE v.tree_id = " +
      this.#tree +
      " AND v.leaf_index = " +
      leaf +
      " AND " +
      field +
      " AND " +
      condition +
      ")"
    );
  }

  /** The field of `leaf` equals `value` (cut or not as `cut` says): one primary-key lookup. */
  #point(fieldNo: number, value: string | number, leaf: string, cut: "0" | "1"): string {
    const p = (v: unknown) => this.params.add(v);
    return (
      "EXISTS (SELECT 1 FROM search_values v WHERE v.tree_id = " +
      this.#tree +
      " AND v.field_no = " +
      p(fieldNo) +
      " AND v.value = " +
      p(value) +
      " AND v.leaf_index = " +
      leaf +
      " AND v.cut = " +
      cut +
      ")"
    );
  }

  /** The driver's FROM, WHERE and leaf expression over the leaves `lo`..`hi`. */
  driver(
    driver: SearchDriver,
    lo: number,
    hi: number,
  ): { from: string; where: string; leaf: string; order: string } {
    const p = (value: unknown) => this.params.add(value);
    switch (driver.kind) {
      case "scan":
        return {
          from: "events e",
          where: "e.tree_id = " + this.#tree + " AND e.leaf_index BETWEEN " + p(lo) + " AND " + p(hi),
          leaf: "e.leaf_index",
          order: "e.leaf_index",
        };
      case "exact": {
        const values =
          driver.values.length === 1
            ? "d.value = " + p(driver.values[0])
            : "d.value IN (" + driver.values.map(p).join(", ") + ")";
        return {
          from: "search_values d",
          where:
            "d.tree_id = " +
            this.#tree +
            " AND d.field_no = " +
            p(driver.fieldNo) +
            " AND " +
            values +
            " AND d.cut = 0 AND d.leaf_index BETWEEN " +
            p(lo) +
            " AND " +
            p(hi),
          leaf: "d.leaf_index",
          order: "d.leaf_index",
        };
      }
      case "contains": {
        const fields =
          driver.fieldNo === null
            ? " AND (search_trigrams.rowid & 255) IN (" +
              freeTextFieldNumbers(this.#query).map(p).join(", ") +
              ")"
            : " AND (search_trigrams.rowid & 255) = " + p(driver.fieldNo);
        return {
          from: "search_trigrams",
          where:
            "search_trigrams MATCH " +
            p(ftsPhrase(driver.term)) +
            " AND search_trigrams.rowid BETWEEN " +
            p(packRowid(this.#query.treeId, lo, 0)) +
            " AND " +
            p(packRowid(this.#query.treeId, hi, 255)) +
            fields,
          leaf: "((search_trigrams.rowid >> 8) & " + LEAF_MASK + ")",
          order: "search_trigrams.rowid",
        };
      }
    }
  }
}

function operator(op: "exact" | "gt" | "lt"): string {
  return op === "exact" ? "=" : op === "gt" ? ">" : "<";
}

/** The search role in SQLite: see the module comment. */
export class SqliteSearchStore implements SearchStore {
  readonly #sql: StatementCache;
  readonly #rareTermMatches: number;

  /** @param rareTermMatches see {@link RARE_TERM_MATCHES}; a test sets it to 0 to take the other path. */
  constructor(statements: StatementCache, rareTermMatches = RARE_TERM_MATCHES) {
    this.#sql = statements;
    this.#rareTermMatches = rareTermMatches;
  }

  async searchLeaves(query: SearchQuery): Promise<SearchAnswer> {
    // One connection, read synchronously: nothing is appended between these reads.
    const size = this.#sql.prepare("SELECT size FROM trees WHERE id = ?").get(query.treeId) as
      | Row
      | undefined;
    const treeSize = Number(size?.["size"] ?? 0);
    if (query.where.kind === "none" || query.limit <= 0 || treeSize === 0) return { leaves: [], treeSize };
    const plan = planSearch(query);
    const range = this.#leafRange(query.treeId, plan.startMicros, plan.endMicros);
    const hi = Math.min(range?.hi ?? -1, treeSize - 1);
    if (!range || range.lo > hi) return { leaves: [], treeSize };
    return { leaves: this.#leavesIn(query, plan, { lo: range.lo, hi }), treeSize };
  }

  /** The leaves of the search in the window `range` (its leaves lo..hi, all stored), in order. */
  #leavesIn(query: SearchQuery, chosen: SearchPlan, range: { lo: number; hi: number }): number[] {
    let plan = chosen;
    if (isPureWindow(plan, query)) return windowLeaves(range.lo, range.hi, query.order, query.limit);
    const exacts = exactDrivers(query);
    if (exacts.length > 1) {
      plan = planSearch(query, {
        exact: rarestExact(exacts.map((exact) => this.#exactSample(query, exact, range))),
      });
    }
    const compiler = new SqliteSearchCompiler(
      query,
      range,
      plan.driver.kind === "scan",
      this.#rareTerms(query, plan.residual, range),
    );
    const driver = compiler.driver(plan.driver, range.lo, range.hi);
    const residual = compiler.predicate(plan.residual, driver.leaf);
    const direction = query.order === "asc" ? " ASC" : " DESC";
    // A free term matched in several fields of one event yields its leaf once per field.
    const repeats = plan.driver.kind === "contains" && plan.driver.fieldNo === null;
    // Where the index could not decide every term, a candidate the narrow form of the residual
    // (undecided terms false) accepts is sure; only the others bring their envelope to the check.
    const envelope = (leaf: string) =>
      compiler.recheck
        ? ", CASE WHEN " +
          compiler.predicate(plan.residual, leaf, false) +
          " THEN NULL ELSE (SELECT x.envelope FROM events x WHERE x.tree_id = " +
          compiler.tree +
          " AND x.leaf_index = " +
          leaf +
          ") END AS envelope"
        : "";
    let sql: string;
    if (query.orderBy.kind === "received_at") {
      sql =
        "SELECT " +
        driver.leaf +
        " AS leaf" +
        envelope(driver.leaf) +
        " FROM " +
        driver.from +
        " WHERE " +
        driver.where +
        " AND " +
        residual +
        " ORDER BY " +
        driver.order +
        direction +
        (compiler.recheck || repeats ? "" : " LIMIT " + compiler.params.add(query.limit));
    } else {
      // Ordered by a field: every candidate, sorted by its value (the indexed prefix), those
      // without the field last, ties in leaf order.
      const fieldNo = compiler.params.add(query.orderBy.fieldNo);
      sql =
        "SELECT c.leaf AS leaf" +
        envelope("c.leaf") +
        " FROM (SELECT DISTINCT " +
        driver.leaf +
        " AS leaf FROM " +
        driver.from +
        " WHERE " +
        driver.where +
        " AND " +
        residual +
        ") c LEFT JOIN search_values o INDEXED BY search_values_by_leaf ON o.tree_id = " +
        compiler.tree +
        " AND o.leaf_index = c.leaf AND o.field_no = " +
        fieldNo +
        " ORDER BY (o.value IS NULL), o.value" +
        direction +
        ", c.leaf" +
        direction +
        (compiler.recheck ? "" : " LIMIT " + compiler.params.add(query.limit));
    }
    // The text depends on the query's shape only (a repeated search, such as a console's, reuses it).
    const statement = this.#sql.prepareShaped(sql);
    if (!compiler.recheck && !repeats) {
      // The statement stops at the limit itself; the leaves come back as bare numbers, not as a
      // row object each (a tenant's 10,000 at 1,000,000 events: 4.9 → 1.2 ms on the store).
      return statement.pluck().all(compiler.params.named()) as number[];
    }
    const out: number[] = [];
    let last: number | undefined;
    for (const row of statement.iterate(compiler.params.named()) as Iterable<Row>) {
      const leaf = Number(row["leaf"]);
      if (leaf === last) continue;
      last = leaf;
      const unsure = row["envelope"];
      if (typeof unsure === "string" && !envelopeMatches(unsure, query.where, query.schema)) continue;
      out.push(leaf);
      if (out.length >= query.limit) break;
    }
    return out;
  }

  /** The first {@link EXACT_SAMPLE} leaves of an exact driver in the window, in the search's order. */
  #exactSample(query: SearchQuery, exact: SearchDriver, range: { lo: number; hi: number }): number[] {
    const compiler = new SqliteSearchCompiler(query, range, false, new Map());
    const driver = compiler.driver(exact, range.lo, range.hi);
    const sql =
      "SELECT " +
      driver.leaf +
      " AS leaf FROM " +
      driver.from +
      " WHERE " +
      driver.where +
      " ORDER BY " +
      driver.order +
      (query.order === "asc" ? " ASC" : " DESC") +
      " LIMIT " +
      compiler.params.add(EXACT_SAMPLE);
    return this.#sql.prepareShaped(sql).pluck().all(compiler.params.named()) as number[];
  }

  /**
   * The top-level contains conjuncts of `residual` with at most `rareTermMatches` matches
   * in the window, each with its leaves. A rare term is then checked as membership in that set;
   * a common one by `instr` on each candidate's values. Reading the first matches of a term in
   * rowid order stops at the cap, so finding out costs little either way.
   */
  #rareTerms(
    query: SearchQuery,
    residual: QueryNode,
    range: { lo: number; hi: number },
  ): Map<QueryNode, number[]> {
    const known = new Map<QueryNode, number[]>();
    const conjuncts = residual.kind === "and" ? residual.children : [residual];
    for (const node of conjuncts) {
      if (node.kind !== "match" || node.op !== "contains" || !isTrigramTerm(node.value)) continue;
      if (node.field !== null && node.fieldType !== "string" && node.fieldType !== "text") continue;
      const fields =
        node.field === null
          ? freeTextFieldNumbers(query)
          : [query.fieldNumbers.get(node.field)].flatMap((f) => f ?? []);
      if (fields.length === 0) continue;
      const rows = this.#sql
        .prepare(
          "SELECT DISTINCT (rowid >> 8) & " +
            LEAF_MASK +
            " AS leaf FROM search_trigrams WHERE search_trigrams MATCH ? AND rowid BETWEEN ? AND ? AND (rowid & 255) IN (SELECT value FROM json_each(?)) LIMIT ?",
        )
        .all(
          ftsPhrase(node.value),
          packRowid(query.treeId, range.lo, 0),
          packRowid(query.treeId, range.hi, 255),
          JSON.stringify(fields),
          this.#rareTermMatches + 1,
        ) as Row[];
      if (rows.length <= this.#rareTermMatches)
        known.set(
          node,
          rows.map((row) => Number(row["leaf"])),
        );
    }
    return known;
  }

  /** The leaves of `treeId` received within the window, or undefined when none are. */
  #leafRange(
    treeId: number,
    startMicros: number | undefined,
    endMicros: number | undefined,
  ): { lo: number; hi: number } | undefined {
    let lo = 0;
    let hi = MAX_LEAF;
    if (startMicros !== undefined) {
      const row = this.#sql
        .prepare(
          "SELECT leaf_index FROM events WHERE tree_id = ? AND received_at >= ? ORDER BY received_at LIMIT 1",
        )
        .get(treeId, startMicros) as Row | undefined;
      if (!row) return undefined;
      lo = Number(row["leaf_index"]);
    }
    if (endMicros !== undefined) {
      const row = this.#sql
        .prepare(
          "SELECT leaf_index FROM events WHERE tree_id = ? AND received_at <= ? ORDER BY received_at DESC LIMIT 1",
        )
        .get(treeId, endMicros) as Row | undefined;
      if (!row) return undefined;
      hi = Number(row["leaf_index"]);
    }
    return lo <= hi ? { lo, hi } : undefined;
  }

  async getLeaves(treeId: number, leafIndices: readonly number[]): Promise<LeafRecord[]> {
    if (leafIndices.length === 0) return [];
    const rows = this.#sql
      .prepare("SELECT * FROM events WHERE tree_id = ? AND leaf_index IN (SELECT value FROM json_each(?))")
      .all(treeId, JSON.stringify(leafIndices)) as Row[];
    const byIndex = new Map(rows.map((row) => [Number(row["leaf_index"]), leafFromRow(row)]));
    return leafIndices.flatMap((i) => {
      const leaf = byIndex.get(i);
      return leaf ? [leaf] : [];
    });
  }

  /**
   * A result set is a cache of a search, not audit data: its insert does not wait for fsync
   * (synchronous = NORMAL for this one statement; in WAL mode a commit then syncs only at
   * checkpoints; the configured level is restored after). A crash may lose the newest result
   * sets, which only means a client searches again.
   */
  async createResultSet(set: ResultSetRecord): Promise<void> {
    const db = this.#sql.db;
    const configured = db.pragma("synchronous", { simple: true }) as number;
    if (configured > 1) db.pragma("synchronous = NORMAL");
    try {
      this.#insertResultSet(set);
    } finally {
      if (configured > 1) db.pragma("synchronous = " + configured);
    }
  }

  #insertResultSet(set: ResultSetRecord): void {
    this.#sql
      .prepare(
        `INSERT INTO result_sets (id, token_id, config_id, tree_id, leaves, restriction, is_verbose, tree_size, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        set.id,
        set.tokenId,
        set.configId,
        set.treeId,
        encodeLeafList(set.leaves),
        set.restriction,
        set.verbose ? 1 : 0,
        set.treeSize,
        set.createdAt,
        set.expiresAt,
      );
  }

  async getResultSet(id: string): Promise<ResultSetRecord | undefined> {
    const row = this.#sql.prepare("SELECT * FROM result_sets WHERE id = ?").get(id) as Row | undefined;
    return row && resultSetFromRow(row);
  }

  async deleteExpiredResultSets(now: string): Promise<number> {
    return this.#sql.prepare("DELETE FROM result_sets WHERE expires_at < ?").run(now).changes;
  }
}
