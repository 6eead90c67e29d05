// biome-ignore-all lint/style/useTemplate: compiled SQL is joined from constant fragments and placeholders, so that no template literal of SQL interpolates anything (test/store-conformance.test.ts).
import { conjoin, type MatchNode, parseReceivedAt, type QueryNode } from "@veritrail/core";
import type pg from "pg";
import { leafFromRow } from "../contract/rows.js";
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
  isPureWindow,
  planSearch,
  rarestExact,
  resultSetFromRow,
  type SearchDriver,
  type SearchPlan,
  windowLeaves,
} from "../contract/search-plan.js";
import type { ConfigSettings, LeafRecord } from "../contract/store.js";
import { query, rowCount, transaction } from "./postgres-pool.js";

/*
 * Search in PostgreSQL (docs/design/search-index.md): `search_texts` (whole texts: a B-tree on the
 * first 256 characters for exact matches and ordering, a GIN trigram index for contains) and
 * `search_numbers`, both written by the append's one statement. A search is one statement: the
 * driving conjunct's index in leaf order, the other conjuncts as probes of the event's own rows
 * (primary key (tree_id, leaf_index, field_no)), cut at the limit. Every text is whole here, so
 * only a restriction on a `string-unindexed` field sends candidates to the envelope recheck.
 */

/** How many candidates a rechecked search reads at a time. */
const RECHECK_PAGE = 1000;

/** The index rows of a batch as the arrays the append's `unnest` reads. */
export function searchRowArrays(rows: readonly SearchRow[]): unknown[] {
  const texts: [number[], number[], string[]] = [[], [], []];
  const numbers: [number[], number[], number[]] = [[], [], []];
  for (const row of rows) {
    if (row.text !== undefined) {
      texts[0].push(row.leafIndex);
      texts[1].push(row.fieldNo);
      texts[2].push(row.text);
    } else if (row.number !== undefined) {
      numbers[0].push(row.leafIndex);
      numbers[1].push(row.fieldNo);
      numbers[2].push(row.number);
    }
  }
  return [...texts, ...numbers];
}

/** The append's statement writes these; `$1` is the tree, the arrays follow from `first`. */
export function searchRowInserts(first: number): string {
  const n = (i: number) => "$" + String(first + i);
  return (
    "new_texts AS (INSERT INTO search_texts (tree_id, leaf_index, field_no, text) SELECT $1, * FROM unnest(" +
    n(0) +
    "::bigint[], " +
    n(1) +
    "::smallint[], " +
    n(2) +
    "::text[])), new_numbers AS (INSERT INTO search_numbers (tree_id, leaf_index, field_no, number) SELECT $1, * FROM unnest(" +
    n(3) +
    "::bigint[], " +
    n(4) +
    "::smallint[], " +
    n(5) +
    "::bigint[]))"
  );
}

/**
 * Indexes the events stored before the search index existed, from their envelopes and their
 * configuration's schema, exactly as ingest would have. Runs inside the migration's transaction.
 */
export async function backfillSearchIndex(client: pg.PoolClient): Promise<void> {
  const trees = await query(
    client,
    "SELECT t.id, c.settings FROM trees t JOIN configs c ON c.id = t.config_id",
  );
  for (const tree of trees) {
    const treeId = Number(tree["id"]);
    const settings = tree["settings"] as ConfigSettings;
    const numbers = searchFieldNumbers(settings.schema);
    let from = 0;
    for (;;) {
      const events = await query(
        client,
        "SELECT leaf_index, envelope FROM events WHERE tree_id = $1 AND leaf_index >= $2 ORDER BY leaf_index LIMIT 1000",
        [treeId, from],
      );
      if (events.length === 0) break;
      const rows: SearchRow[] = [];
      for (const event of events) {
        const leafIndex = Number(event["leaf_index"]);
        const envelope = JSON.parse(String(event["envelope"])) as {
          event?: Record<string, string | number | boolean>;
        };
        for (const value of searchValuesOf(envelope.event ?? {}, settings.schema, numbers)) {
          rows.push({ ...value, leafIndex });
        }
        from = leafIndex + 1;
      }
      await client.query("WITH " + searchRowInserts(2) + " SELECT 1", [treeId, ...searchRowArrays(rows)]);
    }
  }
}

/** `term` as a LIKE pattern that matches it anywhere, its `%`, `_` and `\` escaped. */
function containsPattern(term: string): string {
  return "%" + term.replace(/[\\%_]/g, (c) => "\\" + c) + "%";
}

function operator(op: "exact" | "gt" | "lt"): string {
  return op === "exact" ? "=" : op === "gt" ? ">" : "<";
}

/** The first and last leaf of a search's window, as SQL: placeholders or expressions. */
interface LeafBounds {
  lo: string;
  hi: string;
}

/** One search compiled: its predicates, and whether candidates need the envelope recheck. */
class PostgresSearchCompiler {
  readonly params = new BoundParams("dollar");
  recheck = false;
  readonly #query: SearchQuery;
  readonly tree: string;

  constructor(query: SearchQuery) {
    this.#query = query;
    this.tree = this.params.add(query.treeId);
  }

  /** As in SQLite: undecided terms are true in wide mode, false in narrow mode; `not` swaps. */
  predicate(node: QueryNode, leaf: string, wide = true): string {
    return compilePredicate(node, wide, { yes: "TRUE", no: "FALSE", term: (t, w) => this.#term(t, leaf, w) });
  }

  #undecided(wide: boolean): string {
    this.recheck = true;
    return wide ? "TRUE" : "FALSE";
  }

  #term(node: MatchNode, leaf: string, wide: boolean): string {
    const p = (value: unknown) => this.params.add(value);
    if (node.field === null) {
      const fields = freeTextFieldNumbers(this.#query);
      if (fields.length === 0) return "FALSE";
      return this.#probe(
        "search_texts",
        leaf,
        "v.field_no = ANY(" + p(fields) + "::smallint[]) AND v.text LIKE " + p(containsPattern(node.value)),
      );
    }
    if (node.field === "received_at") {
      if (node.fieldType !== "datetime") return this.#undecided(wide);
      const micros = parseReceivedAt(node.value);
      if (!Number.isSafeInteger(micros)) return this.#undecided(wide);
      return (
        "(SELECT r.received_at FROM events r WHERE r.tree_id = " +
        this.tree +
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
    if (node.fieldType === "string-unindexed") return this.#undecided(wide);
    // Every placeholder made is used: PostgreSQL cannot type a parameter the text never names.
    const field = "v.field_no = " + p(fieldNo) + " AND ";
    switch (node.fieldType) {
      case "string":
      case "text":
        if (node.op === "contains") {
          return this.#probe("search_texts", leaf, field + "v.text LIKE " + p(containsPattern(node.value)));
        }
        // By the prefix column, so that the by-prefix index alone answers the probe: one point
        // lookup of (tree, field, value, leaf) per candidate, no heap fetch (a tenant's
        // `action=login` at 1,000,000 events: 171 → 49 ms over HTTP). `OFFSET 0` keeps it a
        // lookup per candidate: PostgreSQL would otherwise join the probe to the driver, and on a
        // table without statistics it estimated both sides at one row and joined the tenant's
        // 20,205 leaves to each of the value's 199,657 (over ten minutes).
        return this.#probe(
          "search_texts",
          leaf,
          field + textEquals("v", p(node.value), prefixDecides(node.value)) + " OFFSET 0",
        );
      // Comparisons and numbers likewise stay one lookup per candidate (`OFFSET 0`), whatever
      // the statistics say: the same join could be chosen for them.
      case "datetime":
        return this.#probe(
          "search_texts",
          leaf,
          field + "v.text " + operator(node.op) + " " + p(node.value) + " OFFSET 0",
        );
      case "integer":
        return this.#probe(
          "search_numbers",
          leaf,
          field + "v.number " + operator(node.op) + " " + p(node.value) + " OFFSET 0",
        );
      case "boolean":
        return this.#probe(
          "search_numbers",
          leaf,
          field + "v.number = " + p(node.value ? 1 : 0) + " OFFSET 0",
        );
    }
  }

  /** Some row of `leaf` in `table` satisfies `condition` (which may end in `OFFSET 0`): a probe of the event's rows. */
  #probe(table: "search_texts" | "search_numbers", leaf: string, condition: string): string {
    return (
      "EXISTS (SELECT 1 FROM " +
      table +
      " v WHERE v.tree_id = " +
      this.tree +
      " AND v.leaf_index = " +
      leaf +
      " AND " +
      condition +
      ")"
    );
  }

  /** The leaves `lo`..`hi` as the bounds {@link driver} takes: two placeholders. */
  bind(range: { lo: number; hi: number }): LeafBounds {
    return { lo: this.params.add(range.lo), hi: this.params.add(range.hi) };
  }

  /**
   * The driver's FROM and WHERE over the leaves between `bounds` (placeholders, or expressions of
   * the statement the driver is part of), its rows named `a`; its leaf is `a.leaf_index` (`e.`
   * for a scan).
   */
  driver(driver: SearchDriver, bounds: LeafBounds, a = "d"): { from: string; where: string; leaf: string } {
    const p = (value: unknown) => this.params.add(value);
    const window = (leaf: string) => " AND " + leaf + " BETWEEN " + bounds.lo + " AND " + bounds.hi;
    switch (driver.kind) {
      case "scan":
        return {
          from: "events e",
          where: "e.tree_id = " + this.tree + window("e.leaf_index"),
          leaf: "e.leaf_index",
        };
      case "exact": {
        const head =
          a + ".tree_id = " + this.tree + " AND " + a + ".field_no = " + p(driver.fieldNo) + " AND ";
        if (driver.numeric) {
          const values =
            driver.values.length === 1
              ? a + ".number = " + p(driver.values[0])
              : a + ".number = ANY(" + p(driver.values) + "::bigint[])";
          return {
            from: "search_numbers " + a,
            where: head + values + window(a + ".leaf_index"),
            leaf: a + ".leaf_index",
          };
        }
        // The values fit the indexed prefix whole (planSearch), so the prefix finds them.
        const texts = driver.values as string[];
        const values =
          texts.length === 1
            ? textEquals(a, p(texts[0]), prefixDecides(texts[0]!))
            : a +
              ".prefix = ANY(" +
              p(texts) +
              "::text[])" +
              (texts.every(prefixDecides) ? "" : " AND " + a + ".text = ANY(" + p(texts) + "::text[])");
        return {
          from: "search_texts " + a,
          where: head + values + window(a + ".leaf_index"),
          leaf: a + ".leaf_index",
        };
      }
      case "contains": {
        const fields =
          driver.fieldNo === null
            ? a + ".field_no = ANY(" + p(freeTextFieldNumbers(this.#query)) + "::smallint[])"
            : a + ".field_no = " + p(driver.fieldNo);
        return {
          from: "search_texts " + a,
          where:
            a +
            ".tree_id = " +
            this.tree +
            " AND " +
            fields +
            " AND " +
            a +
            ".text LIKE " +
            p(containsPattern(driver.term)) +
            window(a + ".leaf_index"),
          leaf: a + ".leaf_index",
        };
      }
    }
  }
}

/**
 * Whether the indexed prefix `left(text, 256)` alone decides that a text equals `value`: when
 * `value` has fewer than 256 characters, a text whose prefix equals it is that text, since a
 * longer text's prefix has 256 characters. (Its UTF-16 length bounds its characters, which
 * PostgreSQL counts in code points.) Leaving out the redundant comparison of the whole text
 * matters for the plan, not only for the work: PostgreSQL multiplies the two conditions'
 * selectivities as if they were independent, estimated a restriction's 20,205 rows of 1,000,000 at
 * 7, and chose to AND the B-tree with the trigram index's answer to the equality, 170 ms where the
 * B-tree alone walks the same rows in 6 ms.
 */
export function prefixDecides(value: string): boolean {
  return value.length < INDEX_PREFIX_LENGTH;
}

/**
 * The text of `search_texts` row `alias` equals the text parameter `param`, through the by-prefix
 * index: by the prefix alone where it decides, else by the value's prefix and the whole text.
 */
function textEquals(alias: string, param: string, byPrefix: boolean): string {
  return byPrefix
    ? alias + ".prefix = " + param
    : alias + ".prefix = left(" + param + ", 256) AND " + alias + ".text = " + param;
}

/**
 * A contains driver's candidates over the leaves `lo`..`hi`, from `search_texts` alone (its leaf
 * is `d.leaf_index`). `trigrams`: tree, field and leaf are written as expressions (`+ 0`) so that
 * no B-tree can serve them and only the GIN trigram index is left to find the term; the rows it
 * gives are then filtered to the tree, the field and the window. Otherwise the plain columns let
 * the primary key `(tree_id, leaf_index, field_no)` be walked in leaf order (the walk's session
 * settings rule out every other plan, see `#containsLeaves`).
 */
function containsDriver(
  compiler: PostgresSearchCompiler,
  fieldNumbers: readonly number[] | number,
  term: string,
  lo: number,
  hi: number,
  trigrams: boolean,
): string {
  const p = (value: unknown) => compiler.params.add(value);
  const hide = trigrams ? " + 0" : "";
  const fields =
    typeof fieldNumbers === "number"
      ? "d.field_no" + hide + " = " + p(fieldNumbers)
      : "d.field_no" + hide + " = ANY(" + p(fieldNumbers) + "::smallint[])";
  return (
    "(d.tree_id" +
    hide +
    ") = " +
    compiler.tree +
    " AND " +
    fields +
    " AND (d.leaf_index" +
    hide +
    ") BETWEEN " +
    p(lo) +
    " AND " +
    p(hi) +
    " AND d.text LIKE " +
    p(containsPattern(term))
  );
}

/**
 * At most this many matches of a contains term among the CONTAINS_SAMPLE leaves at the window's
 * near end make it rare enough to drive a search beside exact values (0.2%: at 1,000,000 events
 * its trigram bitmap holds some 2,000 rows). A tenant's rare term went from walking the tenant's
 * 20,000 events, each probed for the term (~95 ms at 1,000,000), to reading the term's matches
 * from the trigram index and probing each for the tenant.
 */
const RARE_SAMPLE_MATCHES = 4;

/** How many leaves at the window's near end a contains search walks first, to learn how common its term is. */
const CONTAINS_SAMPLE = 2000;

/**
 * The `leaf` column of the statement `sql` (which orders by it, as `order` says), read as one
 * row: the leaves joined into one text by PostgreSQL and split here. Row by row, the driver's
 * parsing of each of a search's up to 10,000 rows was most of its time in the server process (an
 * actor's 2,022 leaves: 1.68 → 1.28 ms from the query to the numbers). `ARRAY(sql)` keeps the
 * statement's own order; an aggregate `ORDER BY` sorted the already ordered rows again (600
 * alternating runs on an analysed 1,000,000-event copy: p50 2.5 → 1.5 ms for those leaves).
 * The order is checked here all the same, and restored if PostgreSQL ever gave another.
 */
async function leafList(
  db: pg.Pool | pg.PoolClient,
  sql: string,
  params: unknown[],
  order: SearchQuery["order"],
): Promise<number[]> {
  const [row] = await query(db, "SELECT " + leafListColumn(sql) + " AS leaves", params);
  return splitLeafList(row?.["leaves"], order);
}

/** The leaves of `sql` as one text column: see {@link leafList}. */
function leafListColumn(sql: string): string {
  return "array_to_string(ARRAY(" + sql + "), ',')";
}

/** The numbers of a {@link leafListColumn}, in `order` (restored should PostgreSQL not keep it). */
function splitLeafList(text: unknown, order: SearchQuery["order"]): number[] {
  if (typeof text !== "string" || text === "") return [];
  const leaves = text.split(",").map(Number);
  const sign = order === "asc" ? 1 : -1;
  for (let i = 1; i < leaves.length; i++) {
    if (sign * (leaves[i]! - leaves[i - 1]!) < 0) return leaves.sort((a, b) => sign * (a - b));
  }
  return leaves;
}

/**
 * The tree's size and the first and last leaf received within `start`..`end` (placeholders of
 * microseconds), `hi` cut below the size: a statement of one row, `size`, `lo`, `hi`. `lo` or
 * `hi` is null when no stored event lies on that side of its bound.
 */
function windowStatement(tree: string, start: string, end: string): string {
  return (
    "SELECT s.size, s.lo, CASE WHEN s.hi IS NULL THEN NULL ELSE LEAST(s.hi, s.size - 1) END AS hi FROM (SELECT COALESCE((SELECT size FROM trees WHERE id = " +
    tree +
    "), 0) AS size, (SELECT leaf_index FROM events WHERE tree_id = " +
    tree +
    " AND received_at >= " +
    start +
    " ORDER BY received_at LIMIT 1) AS lo, (SELECT leaf_index FROM events WHERE tree_id = " +
    tree +
    " AND received_at <= " +
    end +
    " ORDER BY received_at DESC LIMIT 1) AS hi) s"
  );
}

/**
 * The statement of `plan`'s leaves between `bounds`, in the search's order, without its limit:
 * the driver's index walked in leaf order (or by the ordering field), the residual as probes.
 */
function orderedLeaves(
  search: SearchQuery,
  plan: SearchPlan,
  compiler: PostgresSearchCompiler,
  bounds: LeafBounds,
): string {
  const driver = compiler.driver(plan.driver, bounds);
  const residual = compiler.predicate(plan.residual, driver.leaf);
  const direction = search.order === "asc" ? " ASC" : " DESC";
  // Only a free term can yield a leaf twice (once per field it matched in); DISTINCT elsewhere
  // would keep PostgreSQL from stopping the ordered walk at the limit.
  const repeats = plan.driver.kind === "contains" && plan.driver.fieldNo === null;
  const candidates =
    "SELECT " +
    (repeats ? "DISTINCT " : "") +
    driver.leaf +
    " AS leaf FROM " +
    driver.from +
    " WHERE " +
    driver.where +
    " AND " +
    residual;
  if (search.orderBy.kind === "received_at") {
    return "SELECT c.leaf FROM (" + candidates + ") c ORDER BY c.leaf" + direction;
  }
  // Ordered by a field: by its value (a text's first 256 characters), events without it last,
  // ties in leaf order, as in SQLite.
  const fieldNo = compiler.params.add(search.orderBy.fieldNo);
  const numeric = search.orderBy.type === "integer" || search.orderBy.type === "boolean";
  return (
    "SELECT c.leaf FROM (" +
    candidates +
    ") c LEFT JOIN " +
    (numeric ? "search_numbers" : "search_texts") +
    " o ON o.tree_id = " +
    compiler.tree +
    " AND o.leaf_index = c.leaf AND o.field_no = " +
    fieldNo +
    " ORDER BY (o.leaf_index IS NULL), " +
    (numeric ? "o.number" : "o.prefix") +
    direction +
    ", c.leaf" +
    direction
  );
}

/**
 * How much more common than the rarest exact value another may be for merging the two to pay:
 * probing one candidate of the rarest costs about twenty times reading one index entry in a merge
 * (a tenant's 20,205 leaves probed for `action=login`: 38 ms, about 1.9 µs a probe; the merge
 * join of those leaves with the value's 199,657: 20 ms, about 0.09 µs an entry; at 1,000,000
 * events, analysed).
 */
const MERGE_DENSITY_RATIO = 16;

/**
 * How much of a value table must be all-visible for the merge: it reads many more index entries
 * than probing does, and pays only where the index answers alone. Measured at two points: with
 * every page visible and with five sixths of them (1,000,000 events vacuumed, 200,000 appended
 * since) the merge won (37.7 → 25.7 ms, 57 → 51 ms); on a table never vacuumed it lost (200,000
 * events: 11 → 22 ms).
 */
const MERGE_VISIBLE_SHARE = 0.5;

/**
 * Of several exact values sampled in the window ({@link rarestExact}'s `samples`), the one to merge
 * with the rarest, or undefined when probing the rarest's leaves is the cheaper plan: when it has
 * fewer than {@link EXACT_SAMPLE} of them, or every other value is over
 * {@link MERGE_DENSITY_RATIO} times as common. The next rarest is the partner; a sample's span
 * (the leaves its {@link EXACT_SAMPLE} matches lie across) tells how common its value is.
 */
function mergePartner(samples: readonly (readonly number[])[], rarest: number): number | undefined {
  const span = (leaves: readonly number[]) => Math.abs(leaves[leaves.length - 1]! - leaves[0]!) + 1;
  const full = (leaves: readonly number[]) => leaves.length >= EXACT_SAMPLE;
  if (!full(samples[rarest]!)) return undefined;
  let partner: number | undefined;
  samples.forEach((leaves, i) => {
    if (i === rarest || !full(leaves)) return;
    if (partner === undefined || span(leaves) > span(samples[partner]!)) partner = i;
  });
  if (partner === undefined) return undefined;
  return span(samples[rarest]!) / span(samples[partner]!) <= MERGE_DENSITY_RATIO ? partner : undefined;
}

/** The search role in PostgreSQL: see the module comment. */
export class PostgresSearchStore implements SearchStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async searchLeaves(search: SearchQuery): Promise<SearchAnswer> {
    const chosen = planSearch(search);
    const fused = await this.#windowAndExactLeaves(search, chosen);
    if (fused) return fused;
    // The window is the same whichever conjunct drives: it comes of the `received_at` terms alone.
    const { range, treeSize } = await this.#window(search.treeId, chosen.startMicros, chosen.endMicros);
    const empty = !range || search.where.kind === "none" || search.limit <= 0;
    return { leaves: empty ? [] : await this.#leavesIn(search, chosen, range), treeSize };
  }

  /**
   * A search one exact value drives in leaf order (an actor's events, a tenant's newest), with
   * nothing to sample or recheck: its window and its leaves in one statement, the leaves bounded
   * by the window's row, so one round trip and one snapshot. Undefined for any other search,
   * which {@link #leavesIn} answers after reading the window; both give the same leaves.
   */
  async #windowAndExactLeaves(search: SearchQuery, chosen: SearchPlan): Promise<SearchAnswer | undefined> {
    if (chosen.driver.kind !== "exact" || search.orderBy.kind !== "received_at") return undefined;
    if (search.where.kind === "none" || search.limit <= 0 || exactDrivers(search).length > 1)
      return undefined;
    if (planSearch(search, { containsFirst: true }).driver.kind === "contains") return undefined;
    const compiler = new PostgresSearchCompiler(search);
    const start = compiler.params.add(chosen.startMicros ?? Number.MIN_SAFE_INTEGER);
    const end = compiler.params.add(chosen.endMicros ?? Number.MAX_SAFE_INTEGER);
    const leaves = orderedLeaves(search, chosen, compiler, { lo: "w.lo", hi: "w.hi" });
    if (compiler.recheck) return undefined;
    const [row] = await query(
      this.#pool,
      "WITH w AS MATERIALIZED (" +
        windowStatement(compiler.tree, start, end) +
        ") SELECT w.size, " +
        leafListColumn(leaves + " LIMIT " + compiler.params.add(search.limit)) +
        " AS leaves FROM w",
      compiler.params.values,
    );
    return { leaves: splitLeafList(row?.["leaves"], search.order), treeSize: Number(row?.["size"] ?? 0) };
  }

  /** The leaves of the search in the window `range` (its leaves lo..hi, all stored), in order. */
  async #leavesIn(
    search: SearchQuery,
    chosen: SearchPlan,
    range: { lo: number; hi: number },
  ): Promise<number[]> {
    if (chosen.driver.kind === "contains" && search.orderBy.kind === "received_at") {
      const found = await this.#containsLeaves(search, chosen.driver, chosen.residual, range);
      if (found) return found;
    }
    if (chosen.driver.kind === "exact" && search.orderBy.kind === "received_at") {
      const rare = planSearch(search, { containsFirst: true });
      if (rare.driver.kind === "contains") {
        const found = await this.#containsLeaves(search, rare.driver, rare.residual, range, {
          onlyIfRare: true,
        });
        if (found) return found;
      }
    }
    // A contains term is left to PostgreSQL's planner: with its statistics it reads a rare term's
    // trigram bitmap, and walks the events newest first for a common one, stopping at the limit;
    // a GIN scan can only ever give the whole set. Exact values stay the driver (a B-tree walk in
    // leaf order is the best plan for them whatever their frequency).
    let plan =
      chosen.driver.kind === "contains" && chosen.driving
        ? {
            ...chosen,
            driver: { kind: "scan" } as const,
            residual: conjoin([chosen.driving, chosen.residual]),
          }
        : chosen;
    const exacts = exactDrivers(search);
    if (exacts.length > 1) {
      const samples = await Promise.all(exacts.map((exact) => this.#exactSample(search, exact, range)));
      const rarest = rarestExact(samples);
      plan = planSearch(search, { exact: rarest });
      const partner = search.orderBy.kind === "received_at" ? mergePartner(samples, rarest) : undefined;
      // The visibility is read only for a search that could merge: a statement beside a merge of 20 ms or so.
      if (partner !== undefined && (await this.#mostlyVisible([exacts[rarest]!, exacts[partner]!]))) {
        // Numbered among the exact values left once the rarest drives.
        const found = await this.#mergedExactLeaves(
          search,
          plan,
          partner < rarest ? partner : partner - 1,
          range,
        );
        if (found) return found;
      }
    }
    if (isPureWindow(plan, search)) return windowLeaves(range.lo, range.hi, search.order, search.limit);
    const compiler = new PostgresSearchCompiler(search);
    const sql = orderedLeaves(search, plan, compiler, compiler.bind(range));
    if (!compiler.recheck) {
      const limited = sql + " LIMIT " + compiler.params.add(search.limit);
      if (search.orderBy.kind === "received_at") {
        return leafList(this.#pool, limited, compiler.params.values, search.order);
      }
      const rows = await query(this.#pool, limited, compiler.params.values);
      return rows.map((row) => Number(row["leaf"]));
    }
    // Some term only the envelope decides: read candidates a page at a time and check each.
    const limit = compiler.params.add(RECHECK_PAGE);
    const offset = compiler.params.add(0);
    const paged =
      "SELECT p.leaf, (SELECT x.envelope FROM events x WHERE x.tree_id = " +
      compiler.tree +
      " AND x.leaf_index = p.leaf) AS envelope FROM (" +
      sql +
      " LIMIT " +
      limit +
      " OFFSET " +
      offset +
      ") p";
    const out: number[] = [];
    for (let start = 0; out.length < search.limit; start += RECHECK_PAGE) {
      const params = [...compiler.params.values];
      params[params.length - 1] = start;
      const rows = await query(this.#pool, paged, params);
      for (const row of rows) {
        if (!envelopeMatches(String(row["envelope"]), search.where, search.schema)) continue;
        out.push(Number(row["leaf"]));
        if (out.length >= search.limit) break;
      }
      if (rows.length < RECHECK_PAGE) break;
    }
    return out;
  }

  /**
   * A contains-driven search in leaf order, or undefined when its residual needs the envelope
   * recheck (left to the general path). Without statistics (a freshly loaded schema, before
   * autovacuum's first ANALYZE) PostgreSQL's own choice for a common term was a nested loop that
   * reread every value of the field for each event: 6.5 s at 20,000 events. So the plan is chosen
   * here, from how often the predicate held in the newest (or oldest) CONTAINS_SAMPLE leaves:
   *
   * - the walk: the primary key in leaf order, each row of the field checked with LIKE, stopped at
   *   the limit; its cost is the leaves it passes, `need / density`. It runs with
   *   `SET LOCAL enable_seqscan/bitmapscan/sort/hashagg = off`, which leave PostgreSQL only the
   *   ordered index scan (and, for a free term, `Unique` over it) whatever its estimates say;
   * - the trigram bitmap: every match of the term in the rest of the window, sorted; its cost is
   *   the matches, `density · leaves`.
   *
   * The sample is the walk's first stretch, so its leaves are part of the answer, not extra work.
   */
  async #containsLeaves(
    search: SearchQuery,
    driver: SearchDriver & { kind: "contains" },
    residual: QueryNode,
    range: { lo: number; hi: number },
    options: { onlyIfRare?: boolean } = {},
  ): Promise<number[] | undefined> {
    const fields = driver.fieldNo ?? freeTextFieldNumbers(search);
    if (typeof fields !== "number" && fields.length === 0) return [];
    const statement = (lo: number, hi: number, limit: number, trigrams: boolean) => {
      const compiler = new PostgresSearchCompiler(search);
      const where = containsDriver(compiler, fields, driver.term, lo, hi, trigrams);
      const rest = compiler.predicate(residual, "d.leaf_index");
      const direction = search.order === "asc" ? " ASC" : " DESC";
      // A free term may match one leaf in several fields.
      const sql =
        "SELECT " +
        (typeof fields === "number" ? "" : "DISTINCT ") +
        "d.leaf_index AS leaf FROM search_texts d WHERE " +
        where +
        " AND " +
        rest +
        " ORDER BY d.leaf_index" +
        direction +
        " LIMIT " +
        compiler.params.add(limit);
      return { sql, params: compiler.params.values, recheck: compiler.recheck };
    };
    if (statement(0, 0, 1, false).recheck) return undefined;
    const { lo, hi } = range;
    const desc = search.order !== "asc";
    return transaction(
      this.#pool,
      async (client) => {
        const sampled = Math.min(CONTAINS_SAMPLE, hi - lo + 1);
        const [sLo, sHi] = desc ? [hi - sampled + 1, hi] : [lo, lo + sampled - 1];
        if (options.onlyIfRare) {
          // The term alone, in the sample: only a rare one is worth its trigram bitmap; else the
          // exact values drive (the caller's plan). A rare one goes on as below, where the sample
          // then finds too few matches to walk on.
          const alone = new PostgresSearchCompiler(search);
          const sample =
            "SELECT count(*) AS n FROM (SELECT 1 FROM search_texts d WHERE " +
            containsDriver(alone, fields, driver.term, sLo, sHi, false) +
            " LIMIT " +
            alone.params.add(RARE_SAMPLE_MATCHES + 1) +
            ") s";
          const [row] = await query(client, sample, alone.params.values);
          if (Number(row?.["n"]) > RARE_SAMPLE_MATCHES) return undefined;
        }
        const first = statement(sLo, sHi, search.limit, false);
        const out = await leafList(client, first.sql, first.params, search.order);
        const need = search.limit - out.length;
        const [rLo, rHi] = desc ? [lo, sHi - sampled] : [sHi + 1, hi];
        if (need > 0 && rLo <= rHi) {
          const density = out.length / sampled;
          const walk = density > 0 && need / density <= 2 * density * (rHi - rLo + 1);
          if (!walk) {
            await client.query(
              "SET LOCAL enable_bitmapscan = on; SET LOCAL enable_sort = on; SET LOCAL enable_hashagg = on",
            );
          }
          const next = statement(rLo, rHi, need, !walk);
          out.push(...(await leafList(client, next.sql, next.params, search.order)));
        }
        return out;
      },
      "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_hashagg = off",
    );
  }

  /**
   * A search driven by two common exact values (a tenant's `action=login`), in leaf order: both
   * values' index entries walked side by side in a merge join, the rest of the query probed on
   * what they share. `plan` is driven by the rarer value, `partner` numbers the other among the
   * exact values of its residual. Undefined when a term needs the envelope recheck.
   */
  async #mergedExactLeaves(
    search: SearchQuery,
    plan: SearchPlan,
    partner: number,
    range: { lo: number; hi: number },
  ): Promise<number[] | undefined> {
    const paired = planSearch({ ...search, where: plan.residual }, { exact: partner });
    if (paired.driver.kind !== "exact") return undefined;
    const compiler = new PostgresSearchCompiler(search);
    const bounds = compiler.bind(range);
    const driver = compiler.driver(plan.driver, bounds);
    const other = compiler.driver(paired.driver, bounds, "m");
    const residual = compiler.predicate(paired.residual, driver.leaf);
    if (compiler.recheck) return undefined;
    const sql =
      "SELECT " +
      driver.leaf +
      " AS leaf FROM " +
      driver.from +
      " JOIN " +
      other.from +
      " ON " +
      other.leaf +
      " = " +
      driver.leaf +
      " AND " +
      other.where +
      " WHERE " +
      driver.where +
      " AND " +
      residual +
      " ORDER BY " +
      driver.leaf +
      (search.order === "asc" ? " ASC" : " DESC") +
      " LIMIT " +
      compiler.params.add(search.limit);
    // Only the two ordered index walks and the merge of them are left, whatever the estimates
    // say: without statistics PostgreSQL once joined such values in a nested loop for minutes.
    return transaction(
      this.#pool,
      (client) => leafList(client, sql, compiler.params.values, search.order),
      "SET LOCAL enable_nestloop = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off",
    );
  }

  /**
   * Whether the last VACUUM found at least {@link MERGE_VISIBLE_SHARE} of the pages of each table
   * the `drivers`' values are in all-visible (a table never vacuumed has none), from the
   * statistics in `pg_class`: where fewer are, an index cannot answer alone and every entry it
   * gives costs a read of the table.
   */
  async #mostlyVisible(drivers: readonly (SearchDriver & { kind: "exact" })[]): Promise<boolean> {
    const [row] = await query(
      this.#pool,
      `SELECT
         (SELECT COALESCE(relallvisible::float8 / NULLIF(relpages, 0), 0) FROM pg_class WHERE oid = 'search_texts'::regclass) AS texts,
         (SELECT COALESCE(relallvisible::float8 / NULLIF(relpages, 0), 0) FROM pg_class WHERE oid = 'search_numbers'::regclass) AS numbers`,
      [],
    );
    const share = (driver: SearchDriver & { kind: "exact" }) =>
      Number((driver.numeric ? row?.["numbers"] : row?.["texts"]) ?? 0);
    return drivers.every((driver) => share(driver) >= MERGE_VISIBLE_SHARE);
  }

  /** The first {@link EXACT_SAMPLE} leaves of an exact driver in the window, in the search's order. */
  async #exactSample(search: SearchQuery, exact: SearchDriver, range: { lo: number; hi: number }) {
    const compiler = new PostgresSearchCompiler(search);
    const driver = compiler.driver(exact, compiler.bind(range));
    return leafList(
      this.#pool,
      "SELECT " +
        driver.leaf +
        " AS leaf FROM " +
        driver.from +
        " WHERE " +
        driver.where +
        " ORDER BY " +
        driver.leaf +
        (search.order === "asc" ? " ASC" : " DESC") +
        " LIMIT " +
        compiler.params.add(EXACT_SAMPLE),
      compiler.params.values,
      search.order,
    );
  }

  /**
   * The tree's size and the leaves lo..hi received within the window (none when no stored event
   * is), in one statement, so one snapshot: `hi` is below the size even while events are appended.
   */
  async #window(
    treeId: number,
    startMicros: number | undefined,
    endMicros: number | undefined,
  ): Promise<{ range: { lo: number; hi: number } | undefined; treeSize: number }> {
    const [row] = await query(this.#pool, windowStatement("$1", "$2", "$3"), [
      treeId,
      startMicros ?? Number.MIN_SAFE_INTEGER,
      endMicros ?? Number.MAX_SAFE_INTEGER,
    ]);
    const treeSize = Number(row?.["size"] ?? 0);
    if (!row || row["lo"] === null || row["hi"] === null) return { range: undefined, treeSize };
    const lo = Number(row["lo"]);
    const hi = Number(row["hi"]);
    return { range: lo <= hi ? { lo, hi } : undefined, treeSize };
  }

  async getLeaves(treeId: number, leafIndices: readonly number[]): Promise<LeafRecord[]> {
    if (leafIndices.length === 0) return [];
    const rows = await query(
      this.#pool,
      // One primary-key lookup per index, whatever the statistics say. As `leaf_index = ANY($2)`,
      // on a table loaded faster than autovacuum analyses it, PostgreSQL took the tree's rows
      // from the (tree_id, received_at) index and filtered every one of them against the array:
      // 2.2 s for 1,000 leaves of a 1,000,000-event tree, against 4.7 ms this way.
      `SELECT e.* FROM unnest($2::bigint[]) AS q(leaf_index)
       JOIN LATERAL (SELECT * FROM events WHERE tree_id = $1 AND leaf_index = q.leaf_index) AS e ON true`,
      [treeId, leafIndices],
    );
    const byIndex = new Map(rows.map((row) => [Number(row["leaf_index"]), leafFromRow(row)]));
    return leafIndices.flatMap((i) => {
      const leaf = byIndex.get(i);
      return leaf ? [leaf] : [];
    });
  }

  /**
   * A result set is a cache of a search, not audit data: its commit does not wait for the WAL to
   * reach the disk, as SQLite's insert does not wait for fsync. A crash may lose the newest result
   * sets, which only means a client searches again; the database stays consistent either way.
   * One statement, so one round trip: `set_config(…, true)` sets `synchronous_commit = off` for
   * the statement's own transaction only (the commit reads it before the setting is undone), and
   * the connection's setting stays as it was for whatever it runs next.
   */
  async createResultSet(set: ResultSetRecord): Promise<void> {
    await query(
      this.#pool,
      `INSERT INTO result_sets (id, token_id, config_id, tree_id, leaves, restriction, is_verbose, tree_size, created_at, expires_at)
       SELECT $1::text, $2::text, $3::text, $4::integer, $5::bytea, $6::text, $7::boolean, $8::bigint, $9::text, $10::text
       FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unsynced`,
      [
        set.id,
        set.tokenId,
        set.configId,
        set.treeId,
        encodeLeafList(set.leaves),
        set.restriction,
        set.verbose,
        set.treeSize,
        set.createdAt,
        set.expiresAt,
      ],
    );
  }

  async getResultSet(id: string): Promise<ResultSetRecord | undefined> {
    const [row] = await query(this.#pool, "SELECT * FROM result_sets WHERE id = $1", [id]);
    return row && resultSetFromRow(row);
  }

  async deleteExpiredResultSets(now: string): Promise<number> {
    return rowCount(this.#pool, "DELETE FROM result_sets WHERE expires_at < $1", [now]);
  }
}
