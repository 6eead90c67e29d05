// biome-ignore-all lint/style/useTemplate: compiled SQL is joined from constant fragments and placeholders, so that no template literal of SQL interpolates anything (test/store-conformance.test.ts).
import {
  conjoin,
  type MatchNode,
  matchesQuery,
  parseReceivedAt,
  type QueryNode,
  type SearchSchema,
} from "@veritrail/core";
import type { Row } from "./rows.js";
import type { ResultSetRecord, SearchQuery } from "./search.js";

/*
 * What both backends' search compilers share (docs/design/search-index.md): the choice of the
 * conjunct that drives a search, the `received_at` window, the index prefix of long texts, the
 * recheck of a candidate against its envelope, and the compact form of a result set's leaves.
 * Pure: no SQL is built here, each backend writes its own.
 */

/**
 * The values index keeps at most this many UTF-16 code units of a text (a whole surrogate pair
 * or none of it): B-tree entries stay small, and a longer value is marked as cut so that an
 * exact match on it is rechecked against the envelope.
 */
export const INDEX_PREFIX_LENGTH = 256;

/** The part of `text` the values index keeps (see {@link INDEX_PREFIX_LENGTH}). */
export function indexPrefix(text: string): string {
  if (text.length <= INDEX_PREFIX_LENGTH) return text;
  const code = text.charCodeAt(INDEX_PREFIX_LENGTH - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? INDEX_PREFIX_LENGTH - 1 : INDEX_PREFIX_LENGTH;
  return text.slice(0, end);
}

/** A trigram index answers a contains term only from three characters (code points) on. */
export function isTrigramTerm(term: string): boolean {
  let points = 0;
  for (const _ of term) if (++points >= 3) return true;
  return false;
}

/** The search fields a free term searches: `string` and `text`, by their index numbers, ascending. */
export function freeTextFieldNumbers(query: SearchQuery): number[] {
  const out: number[] = [];
  for (const field of query.schema.fields) {
    if (field.type !== "string" && field.type !== "text") continue;
    const no = query.fieldNumbers.get(field.id);
    if (no !== undefined && !out.includes(no)) out.push(no);
  }
  return out.sort((a, b) => a - b);
}

/** What walks the candidates of a search in leaf order, within the window. */
export type SearchDriver =
  | { kind: "scan" }
  /** The leaves whose field `fieldNo` equals one of `values` (all of one type, each fitting the index). */
  | { kind: "exact"; fieldNo: number; numeric: boolean; values: (string | number)[] }
  /** The leaves with a value containing `term` (≥ 3 characters) in `fieldNo`, or in any free-text field. */
  | { kind: "contains"; fieldNo: number | null; term: string };

export interface SearchPlan {
  driver: SearchDriver;
  /** What a candidate of the driver must still satisfy: `where` without what the driver decides. */
  residual: QueryNode;
  /** The conjunct the driver decides, if any (a backend may hand it back to its own planner). */
  driving?: QueryNode;
  /** The `received_at` window, microseconds, inclusive: the query's own and top-level `received_at` terms. */
  startMicros: number | undefined;
  endMicros: number | undefined;
}

/**
 * Plans a search from its selective side. A top-level conjunct drives: an exact match (or an `or`
 * of exact matches of one field, a restriction's shape) walks the values index, a contains of
 * three characters or more walks the trigram index (the longest term, the likeliest to be rare);
 * without either the tree's events are walked. Top-level `received_at` comparisons narrow the
 * window (received_at rises with the leaf index, so a window is a leaf range) and leave the residual.
 *
 * Of several single exact matches, the first drives unless `choice.exact` names another: the
 * index in {@link exactDrivers} of the one a backend measured as the rarest (a restriction's
 * tenant among a query's common action, say: each candidate the driver walks costs a probe of the
 * others). `choice.containsFirst` puts the contains term before every exact match, for a backend
 * that found the term rarer than the exact values (a rare word in a tenant's events).
 */
export function planSearch(
  query: SearchQuery,
  choice: { exact?: number; containsFirst?: boolean } = {},
): SearchPlan {
  const exactChoice = choice.exact ?? 0;
  const conjuncts = query.where.kind === "and" ? [...query.where.children] : [query.where];
  let startMicros = query.startMicros;
  let endMicros = query.endMicros;
  const rest: QueryNode[] = [];
  for (const node of conjuncts) {
    const micros =
      node.kind === "match" && node.field === "received_at" && node.fieldType === "datetime"
        ? parseReceivedAt(node.value)
        : Number.NaN;
    if (node.kind !== "match" || !Number.isSafeInteger(micros)) {
      rest.push(node);
      continue;
    }
    if (node.op !== "lt")
      startMicros = Math.max(startMicros ?? -Infinity, node.op === "gt" ? micros + 1 : micros);
    if (node.op !== "gt") endMicros = Math.min(endMicros ?? Infinity, node.op === "lt" ? micros - 1 : micros);
  }

  let single: { index: number; driver: SearchDriver } | undefined;
  let singles = 0;
  let contains: { index: number; driver: SearchDriver; length: number } | undefined;
  let multiple: { index: number; driver: SearchDriver } | undefined;
  rest.forEach((node, index) => {
    const exact = exactDriver(node, query);
    if (exact) {
      if (exact.values.length > 1) multiple ??= { index, driver: exact };
      else if (singles++ <= exactChoice) single = { index, driver: exact };
      return;
    }
    if (node.kind !== "match" || node.op !== "contains" || !isTrigramTerm(node.value)) return;
    if (node.field !== null && node.fieldType !== "string" && node.fieldType !== "text") return;
    const fieldNo = node.field === null ? null : query.fieldNumbers.get(node.field);
    if (fieldNo === undefined) return;
    if (!contains || node.value.length > contains.length) {
      contains = {
        index,
        driver: { kind: "contains", fieldNo, term: node.value },
        length: node.value.length,
      };
    }
  });
  const chosen = choice.containsFirst ? (contains ?? single ?? multiple) : (single ?? contains ?? multiple);
  if (!chosen) return { driver: { kind: "scan" }, residual: conjoin(rest), startMicros, endMicros };
  return {
    driver: chosen.driver,
    driving: rest[chosen.index],
    residual: conjoin(rest.filter((_, i) => i !== chosen.index)),
    startMicros,
    endMicros,
  };
}

/**
 * The single exact matches among the top-level conjuncts of `query` that could drive it, in the
 * order {@link planSearch} numbers them: a backend that finds several estimates how common each
 * is in the window and plans with the rarest.
 */
export function exactDrivers(query: SearchQuery): (SearchDriver & { kind: "exact" })[] {
  const conjuncts = query.where.kind === "and" ? query.where.children : [query.where];
  return conjuncts.flatMap((node) => {
    const exact = exactDriver(node, query);
    return exact && exact.values.length === 1 ? [exact] : [];
  });
}

/** How many of an exact value's leaves in the window a backend reads to tell how common it is. */
export const EXACT_SAMPLE = 256;

/**
 * The rarest of several exact drivers, as `planSearch`'s `choice.exact`: `samples[i]` holds the
 * first {@link EXACT_SAMPLE} leaves (or fewer, if it has fewer) of `exactDrivers(query)[i]` in
 * the window, in the search's order. A value with fewer leaves than that is rarer than one with
 * more; of two that filled their sample, the one whose sample spans more leaves is rarer. Ties go
 * to the first.
 */
export function rarestExact(samples: readonly (readonly number[])[]): number {
  const rarity = (leaves: readonly number[]) =>
    leaves.length < EXACT_SAMPLE
      ? Number.MAX_SAFE_INTEGER - leaves.length
      : Math.abs(leaves[leaves.length - 1]! - leaves[0]!);
  let best = 0;
  samples.forEach((leaves, i) => {
    if (rarity(leaves) > rarity(samples[best]!)) best = i;
  });
  return best;
}

/**
 * Whether a plan is the events of a window in leaf order and nothing else (the empty query, or
 * only `received_at` bounds): then the answer is the window's leaf range itself, since a tree's
 * leaves are numbered without gaps and never deleted, and no row needs to be read for it.
 */
export function isPureWindow(plan: SearchPlan, query: SearchQuery): boolean {
  return plan.driver.kind === "scan" && plan.residual.kind === "all" && query.orderBy.kind === "received_at";
}

/** The first `limit` leaves of `lo`..`hi` in the asked order (see {@link isPureWindow}). */
export function windowLeaves(lo: number, hi: number, order: "asc" | "desc", limit: number): number[] {
  const count = Math.max(0, Math.min(limit, hi - lo + 1));
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = order === "asc" ? lo + i : hi - i;
  return out;
}

/** The exact driver `node` gives: one exact match of an indexed field, or an `or` of them on one field. */
function exactDriver(node: QueryNode, query: SearchQuery): (SearchDriver & { kind: "exact" }) | undefined {
  const terms = node.kind === "or" ? node.children : [node];
  let fieldId: string | undefined;
  let numeric = false;
  const values: (string | number)[] = [];
  for (const term of terms) {
    if (term.kind !== "match" || term.op !== "exact" || term.field === null) return undefined;
    if (term.field === "received_at" || term.fieldType === "string-unindexed") return undefined;
    if (fieldId !== undefined && term.field !== fieldId) return undefined;
    fieldId = term.field;
    const value = indexedValue(term);
    if (value === undefined) return undefined;
    numeric = typeof value === "number";
    if (!values.includes(value)) values.push(value);
  }
  const fieldNo = fieldId === undefined ? undefined : query.fieldNumbers.get(fieldId);
  if (fieldNo === undefined || values.length === 0) return undefined;
  return { kind: "exact", fieldNo, numeric, values };
}

/** The value an exact match looks up in the values index, when the index holds it whole. */
export function indexedValue(node: MatchNode): string | number | undefined {
  switch (node.fieldType) {
    case "string":
    case "text":
      return indexPrefix(node.value) === node.value ? node.value : undefined;
    case "integer":
      return node.value;
    case "boolean":
      return node.value ? 1 : 0;
    case "datetime":
      return node.value;
    default:
      return undefined;
  }
}

/**
 * Whether a stored envelope (`{event, received_at}`) matches `where`: the check of a candidate
 * the index could not decide (core's `matchesQuery` is the reference meaning).
 */
export function envelopeMatches(envelope: string, where: QueryNode, schema: SearchSchema): boolean {
  const parsed = JSON.parse(envelope) as {
    event?: Record<string, string | number | boolean>;
    received_at?: string;
  };
  return matchesQuery(where, { event: parsed.event ?? {}, receivedAt: parsed.received_at ?? "" }, schema);
}

/**
 * Numbered bind parameters for SQL compiled from a query: `add` returns the placeholder of a
 * value (`@p1` for better-sqlite3, `$1` for pg), so SQL text only ever holds placeholders.
 */
export class BoundParams {
  readonly values: unknown[] = [];
  readonly #style: "named" | "dollar";

  constructor(style: "named" | "dollar") {
    this.#style = style;
  }

  add(value: unknown): string {
    this.values.push(value);
    return (this.#style === "named" ? "@p" : "$") + String(this.values.length);
  }

  /** better-sqlite3's named-parameter object. */
  named(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.values.forEach((value, i) => {
      out["p" + String(i + 1)] = value;
    });
    return out;
  }
}

/**
 * A result set's leaves as bytes: each the zig-zag varint of its difference from the one before,
 * so a set in leaf order (newest first or oldest first) costs one or two bytes a leaf.
 */
export function encodeLeafList(leaves: readonly number[]): Buffer {
  // A zig-zag delta of a safe integer takes at most 8 bytes of 7 bits.
  const bytes = Buffer.allocUnsafe(leaves.length * 8);
  let length = 0;
  let previous = 0;
  for (const leaf of leaves) {
    const delta = leaf - previous;
    previous = leaf;
    let zigzag = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    while (zigzag >= 0x80) {
      bytes[length++] = (zigzag % 0x80) | 0x80;
      zigzag = Math.floor(zigzag / 0x80);
    }
    bytes[length++] = zigzag;
  }
  return Buffer.from(bytes.subarray(0, length));
}

/** The leaves {@link encodeLeafList} encoded. */
export function decodeLeafList(bytes: Uint8Array): number[] {
  const leaves: number[] = [];
  let previous = 0;
  let i = 0;
  while (i < bytes.length) {
    let zigzag = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[i++]!;
      zigzag += (byte & 0x7f) * scale;
      scale *= 0x80;
      if (byte < 0x80) break;
    }
    const delta = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    previous += delta;
    leaves.push(previous);
  }
  return leaves;
}

/** A `result_sets` row as a record (both drivers hand back the leaves as bytes). */
export function resultSetFromRow(row: Row): ResultSetRecord {
  return {
    id: String(row["id"]),
    tokenId: String(row["token_id"]),
    configId: String(row["config_id"]),
    treeId: Number(row["tree_id"]),
    leaves: decodeLeafList(row["leaves"] as Uint8Array),
    restriction: String(row["restriction"]),
    verbose: Boolean(row["is_verbose"]),
    treeSize: Number(row["tree_size"]),
    createdAt: String(row["created_at"]),
    expiresAt: String(row["expires_at"]),
  };
}

/**
 * The boolean part of compiling `node` to one SQL predicate, the same on both backends: `and`,
 * `or`, `not` and the constants; `term` compiles each match the backend's way. In `wide` mode a
 * term the index cannot decide is true (the candidate is rechecked), in narrow mode false; `not`
 * swaps the mode, so the whole predicate is always a superset of the matches.
 */
export function compilePredicate(
  node: QueryNode,
  wide: boolean,
  sql: { yes: string; no: string; term(node: MatchNode, wide: boolean): string },
): string {
  switch (node.kind) {
    case "all":
      return sql.yes;
    case "none":
      return sql.no;
    case "and":
      return "(" + node.children.map((c) => compilePredicate(c, wide, sql)).join(" AND ") + ")";
    case "or":
      return "(" + node.children.map((c) => compilePredicate(c, wide, sql)).join(" OR ") + ")";
    case "not":
      return "NOT " + compilePredicate(node.child, !wide, sql);
    case "match":
      return sql.term(node, wide);
  }
}
