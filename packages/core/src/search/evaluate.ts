import type { EventValue } from "../envelope.js";
import type { MatchNode, QueryNode, SearchSchema } from "./ast.js";
import { readDatetime } from "./values.js";

/*
 * What a query means for one event, as plain code: the reference every backend's SQL is held to
 * (the conformance suite compares them) and the check a backend applies where its index can only
 * narrow the candidates (a term shorter than a trigram, say). ast.ts states the rules.
 */

/** An event as search sees it: its normalised fields and its `received_at` text. */
export interface SearchableEvent {
  readonly event: Readonly<Record<string, EventValue>>;
  readonly receivedAt: string;
}

/** True when `node` matches `item` under `schema` (free terms search its `string` and `text` fields). */
export function matchesQuery(node: QueryNode, item: SearchableEvent, schema: SearchSchema): boolean {
  switch (node.kind) {
    case "all":
      return true;
    case "none":
      return false;
    case "and":
      return node.children.every((child) => matchesQuery(child, item, schema));
    case "or":
      return node.children.some((child) => matchesQuery(child, item, schema));
    case "not":
      return !matchesQuery(node.child, item, schema);
    case "match":
      return matchesTerm(node, item, schema);
  }
}

function matchesTerm(node: MatchNode, item: SearchableEvent, schema: SearchSchema): boolean {
  if (node.field === null) {
    return schema.fields.some((field) => {
      const value = item.event[field.id];
      return (
        (field.type === "string" || field.type === "text") &&
        typeof value === "string" &&
        value.includes(node.value)
      );
    });
  }
  const value = node.field === "received_at" ? item.receivedAt : item.event[node.field];
  if (value === undefined) return false;
  switch (node.fieldType) {
    case "string":
    case "text":
    case "string-unindexed":
      if (typeof value !== "string") return false;
      return node.op === "contains" ? value.includes(node.value) : value === node.value;
    case "integer":
      if (typeof value !== "number") return false;
      return compare(value, node.value, node.op);
    case "boolean":
      return value === node.value;
    case "datetime": {
      const instant = typeof value === "string" ? readDatetime(value, "down") : undefined;
      return instant !== undefined && compare(instant, node.value, node.op);
    }
  }
}

function compare<T extends number | string>(value: T, wanted: T, op: "exact" | "gt" | "lt"): boolean {
  if (op === "exact") return value === wanted;
  return op === "gt" ? value > wanted : value < wanted;
}
