import {
  conjoin,
  disjoin,
  MATCH_NONE,
  type MatchNode,
  type QueryNode,
  RECEIVED_AT_FIELD,
  type SearchFieldType,
  type SearchSchema,
} from "./ast.js";
import { readBoolean, readDatetime, readInteger } from "./values.js";

/*
 * Restrictions on a search (product-features §4 `search_restriction`, §11 "Manage Field
 * Restrictions", §13 tenant-scoped reading): per field, the values an event's field MUST equal
 * one of, for the event to be found. Two sources:
 * - the token's field restrictions, imposed on the caller: the security boundary;
 * - the request's `search_restriction`, the caller's own filter, which may only narrow.
 *
 * The result is `and(restriction per field…, query)`, each restriction an `or` of exact matches:
 * the query sits beside the restrictions as one more conjunct, so nothing in it (an OR, a
 * negation, a free term) can reach them. ANDing is associative, so flattening the query's own
 * top-level `and` into the same list changes nothing of that.
 *
 * Choices where the spec is silent:
 * - A request's list for a field the token also restricts keeps only values the token allows;
 *   if none remain, the search matches nothing (`none`), not the token's whole range.
 * - A request's empty list restricts nothing ("If empty include all", the Python SDK's
 *   `SearchRestriction`); a token's empty list allows nothing, and so does anything, from
 *   either, that is not a list of strings. Only the caller's own empty filter is read generously.
 * - A value that cannot be one of the field's type (`"abc"` for an integer) equals no stored
 *   value, so it is dropped; a field the schema does not have is on no event, so restricting it
 *   leaves nothing. Both are exactly what "the field equals one of these" means, and both can
 *   only narrow.
 * - Restriction fields may be of any type, `string-unindexed` included: a token may restrict
 *   any field of the schema, and the boundary MUST hold whatever the field's index.
 */

/** Per field id, the allowed values: a token's field restrictions, or a request's `search_restriction`. */
export type FieldRestrictions = Readonly<Record<string, readonly string[]>>;

/** The two restrictions a search is under; either may be absent. */
export interface SearchRestrictions {
  /** The token's field restrictions for this configuration: the boundary. */
  readonly token?: FieldRestrictions | undefined;
  /** The request's `search_restriction`: may only narrow. */
  readonly request?: FieldRestrictions | undefined;
}

/**
 * ANDs the restrictions into `query`: the result finds only events whose restricted fields each
 * equal an allowed value, whatever `query` says. Fields are ANDed in the order of their ids, so
 * the same restrictions always give the same AST.
 *
 * @example
 *   restrictQuery(parsed, schema, { token: { tenant_id: ["acme"] }, request: { actor: ["svc-a", "svc-b"] } });
 *   // { kind: "and", children: [
 *   //   { kind: "or", children: [ …actor exact "svc-a"…, …actor exact "svc-b"… ] },
 *   //   { kind: "match", field: "tenant_id", fieldType: "string", op: "exact", value: "acme" },
 *   //   parsed ] }
 * @example
 *   restrictQuery(parsed, schema, { token: { tenant_id: ["acme"] }, request: { tenant_id: ["globex"] } });
 *   // { kind: "none" }
 */
export function restrictQuery(
  query: QueryNode,
  schema: SearchSchema,
  restrictions: SearchRestrictions,
): QueryNode {
  const token = restrictions.token ?? {};
  const request = restrictions.request ?? {};
  const types = new Map<string, SearchFieldType>();
  for (const field of schema.fields) if (!types.has(field.id)) types.set(field.id, field.type);
  types.set(RECEIVED_AT_FIELD.id, RECEIVED_AT_FIELD.type);

  const ids = [...new Set([...Object.keys(token), ...Object.keys(request)])].sort();
  const conjuncts: QueryNode[] = [];
  for (const id of ids) {
    const type = types.get(id);
    const imposed = Object.hasOwn(token, id) ? allowedValues(id, type, token[id]) : undefined;
    const asked = Object.hasOwn(request, id) ? request[id] : undefined;
    let allowed: MatchNode[] | undefined;
    if (Array.isArray(asked) && asked.length === 0) {
      allowed = imposed; // the caller's empty list: no narrowing of its own
    } else if (asked !== undefined) {
      const wanted = allowedValues(id, type, asked);
      allowed =
        imposed === undefined ? wanted : wanted.filter((m) => imposed.some((t) => t.value === m.value));
    } else {
      allowed = imposed;
    }
    if (allowed === undefined) continue;
    if (allowed.length === 0) return MATCH_NONE;
    conjuncts.push(disjoin(allowed));
  }
  conjuncts.push(query);
  return conjoin(conjuncts);
}

/**
 * The exact matches for a restriction's values, one per distinct value the field's type can hold
 * (compared once typed: `"05"` and `"5"` are one integer). Not a list of strings, or a field the
 * schema lacks: no value is allowed.
 */
function allowedValues(field: string, type: SearchFieldType | undefined, values: unknown): MatchNode[] {
  const matches: MatchNode[] = [];
  if (type === undefined || !Array.isArray(values)) return matches;
  for (const text of values) {
    if (typeof text !== "string") return [];
    const match = exactMatch(field, type, text);
    if (match !== undefined && !matches.some((m) => m.value === match.value)) matches.push(match);
  }
  return matches;
}

function exactMatch(field: string, type: SearchFieldType, text: string): MatchNode | undefined {
  switch (type) {
    case "string":
    case "text":
    case "string-unindexed":
      return { kind: "match", field, fieldType: type, op: "exact", value: text };
    case "integer": {
      const value = readInteger(text);
      return value === undefined ? undefined : { kind: "match", field, fieldType: type, op: "exact", value };
    }
    case "boolean": {
      const value = readBoolean(text);
      return value === undefined ? undefined : { kind: "match", field, fieldType: type, op: "exact", value };
    }
    case "datetime": {
      const value = readDatetime(text, "down");
      return value === undefined ? undefined : { kind: "match", field, fieldType: type, op: "exact", value };
    }
    default:
      return undefined; // a type this code does not know can hold no value it can compare
  }
}
