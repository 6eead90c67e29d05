/*
 * The parsed form of a `v1/search` query (product-features (b), wire-protocol §4.3): what each
 * database backend compiles into its own SQL, with every value a bound parameter. The nodes are
 * few and explicit so that a backend is one `switch` over `kind`, and so that a restriction can
 * be ANDed in and seen to stay there (restrict.ts).
 *
 * Meaning, which every backend MUST give the nodes:
 * - a `match` on a field the event does not carry is false (there is nothing to contain, equal
 *   or compare), so `-actor:alice` does include the events that have no actor;
 * - `not` is plain negation of its child's truth: true exactly where the child is false;
 * - string comparisons are case-sensitive (product-features (b), "Values are case-sensitive").
 */

/** The field types of an event schema (wire-protocol §6); the server's `FieldType` is the same union. */
export type SearchFieldType = "string" | "text" | "string-unindexed" | "integer" | "boolean" | "datetime";

/**
 * The part of a schema field the query language needs: its id and type. The server's
 * `SchemaField` has both, so a configuration's schema can be passed as it is stored.
 */
export interface SearchField {
  readonly id: string;
  readonly type: SearchFieldType;
}

/** The fields a query may name: a configuration's event schema (wire-protocol §6). */
export interface SearchSchema {
  readonly fields: readonly SearchField[];
}

/**
 * `received_at`, the server's time of an event (wire-protocol §5.1), is no schema field (a
 * field id MUST NOT be `received_at`, product-features §2) but is searchable in every
 * configuration: the spec's own example compares it, `received_at>"2024-05-01"`.
 */
export const RECEIVED_AT_FIELD: SearchField = Object.freeze({ id: "received_at", type: "datetime" });

/** Every event: the empty query, and what an `and` of nothing is. */
export interface AllNode {
  readonly kind: "all";
}

/**
 * No event: what a restriction leaves when none of its values is allowed (restrict.ts), and what
 * an `or` of nothing is. The parser never produces it from a query.
 */
export interface NoneNode {
  readonly kind: "none";
}

/**
 * True where every child is. Normalised: at least two children, none of them `and`, `all` or
 * `none` (see {@link conjoin}).
 */
export interface AndNode {
  readonly kind: "and";
  readonly children: readonly QueryNode[];
}

/**
 * True where some child is. Normalised: at least two children, none of them `or`, `all` or
 * `none` (see {@link disjoin}).
 */
export interface OrNode {
  readonly kind: "or";
  readonly children: readonly QueryNode[];
}

/** True where the child is false (`-term`, `-(group)`). Normalised: the child is no `not`, `all` or `none`. */
export interface NotNode {
  readonly kind: "not";
  readonly child: QueryNode;
}

/**
 * A free term (`deactivated`, `"viewed x-ray"`): some field of type `string` or `text` in the
 * schema contains `value`. `""` is contained in every string, so `""` is true for every event
 * that carries any such field.
 */
export interface FreeTextMatch {
  readonly kind: "match";
  readonly field: null;
  readonly fieldType: null;
  readonly op: "contains";
  readonly value: string;
}

/**
 * `field:value` (`contains`: `value` is a substring of the field) or `field=value` (`exact`: the
 * field equals `value`) on a string field. The parser makes these for `string` and `text`
 * fields only; `string-unindexed` appears with `exact` only, from a restriction (restrict.ts),
 * because a token may restrict any field of the schema.
 */
export interface StringMatch {
  readonly kind: "match";
  readonly field: string;
  readonly fieldType: "string" | "text" | "string-unindexed";
  readonly op: "contains" | "exact";
  readonly value: string;
}

/** `field=5` (and `field:5`, which the log viewer writes for "equals"), `field>5`, `field<-5`. */
export interface IntegerMatch {
  readonly kind: "match";
  readonly field: string;
  readonly fieldType: "integer";
  readonly op: "exact" | "gt" | "lt";
  /** A safe integer (|value| < 2^53), so it survives JSON and both databases unchanged. */
  readonly value: number;
}

/** `is_admin=true` (or `is_admin:true`). */
export interface BooleanMatch {
  readonly kind: "match";
  readonly field: string;
  readonly fieldType: "boolean";
  readonly op: "exact";
  readonly value: boolean;
}

/** `timestamp<"2024-05-01T12:00:00.000Z"`, `received_at>"2024-05-01"`, `created_at="…"`. */
export interface DatetimeMatch {
  readonly kind: "match";
  readonly field: string;
  readonly fieldType: "datetime";
  readonly op: "exact" | "gt" | "lt";
  /**
   * The instant in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the form of `received_at`
   * (wire-protocol §5.1), whatever form the query wrote it in: texts of this form sort as their
   * instants do, and a backend may also parse it. See values.ts for how a finer fraction rounds.
   */
  readonly value: string;
}

/** One comparison of one field (or, for a free term, of any text field) with one value. */
export type MatchNode = FreeTextMatch | StringMatch | IntegerMatch | BooleanMatch | DatetimeMatch;

/** A parsed query. */
export type QueryNode = AllNode | NoneNode | AndNode | OrNode | NotNode | MatchNode;

/** The node of the empty query: every event. */
export const MATCH_ALL: AllNode = Object.freeze({ kind: "all" });

/** The node that matches no event. */
export const MATCH_NONE: NoneNode = Object.freeze({ kind: "none" });

/**
 * The `and` of `children`, normalised: nested `and`s are flattened into this one (children are
 * taken to be normalised already, so one level is all there is), `all` is dropped, any `none`
 * makes the whole `none`, and zero or one child is not wrapped.
 *
 * @example conjoin([a, conjoin([b, c])]) // { kind: "and", children: [a, b, c] }
 */
export function conjoin(children: readonly QueryNode[]): QueryNode {
  const flat: QueryNode[] = [];
  for (const child of children) {
    if (child.kind === "none") return MATCH_NONE;
    if (child.kind === "all") continue;
    if (child.kind === "and") flat.push(...child.children);
    else flat.push(child);
  }
  if (flat.length === 0) return MATCH_ALL;
  if (flat.length === 1) return flat[0]!;
  return { kind: "and", children: flat };
}

/**
 * The `or` of `children`, normalised as {@link conjoin} does with the roles of `all` and `none`
 * swapped: `none` is dropped, any `all` makes the whole `all`.
 *
 * @example disjoin([a, disjoin([b, c])]) // { kind: "or", children: [a, b, c] }
 */
export function disjoin(children: readonly QueryNode[]): QueryNode {
  const flat: QueryNode[] = [];
  for (const child of children) {
    if (child.kind === "all") return MATCH_ALL;
    if (child.kind === "none") continue;
    if (child.kind === "or") flat.push(...child.children);
    else flat.push(child);
  }
  if (flat.length === 0) return MATCH_NONE;
  if (flat.length === 1) return flat[0]!;
  return { kind: "or", children: flat };
}

/**
 * The negation of `child`, normalised: a double negation cancels, and `all` and `none` swap.
 * A negated comparison stays a `not` (it is not turned into the opposite comparison): with the
 * field missing, `-(count>5)` is true and `count<6` is false.
 *
 * @example negate(negate(a)) === a
 */
export function negate(child: QueryNode): QueryNode {
  if (child.kind === "not") return child.child;
  if (child.kind === "all") return MATCH_NONE;
  if (child.kind === "none") return MATCH_ALL;
  return { kind: "not", child };
}
