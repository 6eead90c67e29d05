import type { SchemaField } from "@veritrail/core";

/*
 * Autocomplete of the query bar, as Pangea's viewer does it: the query is split into words; the
 * word at the caret is completed using the word before it. After nothing, AND or OR: a field with
 * an operator its type allows; after `field<op>`: values; after a complete term: AND / OR.
 * Choosing a suggestion replaces only the word at the caret.
 */

export interface Suggestion {
  /** What replaces the word at the caret. */
  insert: string;
  label: string;
  hint: string;
}

export interface Word {
  text: string;
  start: number;
  end: number;
}

const WORD = /[^\s"]+|"([^"]*)"/g;

export function words(query: string): Word[] {
  const out: Word[] = [];
  for (const match of query.matchAll(WORD)) {
    out.push({ text: match[0], start: match.index, end: match.index + match[0].length });
  }
  return out;
}

/** The word the caret is in or just after, or an empty word at the caret. */
export function wordAt(query: string, caret: number): { current: Word; previous: Word | undefined } {
  const all = words(query);
  const index = all.findIndex((w) => w.start <= caret && caret <= w.end);
  if (index >= 0) return { current: all[index]!, previous: all[index - 1] };
  const before = all.filter((w) => w.end < caret);
  return { current: { text: "", start: caret, end: caret }, previous: before[before.length - 1] };
}

/** The operators a field's type allows, with what each means. */
export function operatorsFor(type: SchemaField["type"]): { op: string; hint: string }[] {
  switch (type) {
    case "boolean":
      return [{ op: "=", hint: "is" }];
    case "integer":
    case "datetime":
      return [
        { op: "=", hint: "is" },
        { op: "<", hint: "less than" },
        { op: ">", hint: "greater than" },
      ];
    case "string-unindexed":
      return [];
    default:
      return [
        { op: "=", hint: "is" },
        { op: ":", hint: "contains" },
      ];
  }
}

const OPERATOR = /^(-?)([a-z][0-9a-z_]*)(=|:|<|>)(.*)$/;

function isConnective(word: Word | undefined): boolean {
  return word === undefined || word.text === "AND" || word.text === "OR" || word.text === "(";
}

function valueSuggestions(field: SchemaField, prefix: string): Suggestion[] {
  if (field.type === "boolean") {
    return ["true", "false"].map((v) => ({ insert: `${prefix}${v}`, label: v, hint: "value" }));
  }
  if (field.type === "datetime") {
    const now = Date.now();
    const day = new Date(now);
    day.setUTCHours(0, 0, 0, 0);
    return [
      { label: "Today", at: day.getTime() },
      { label: "Current time", at: now },
      { label: "An hour ago", at: now - 3600_000 },
      { label: "Yesterday", at: day.getTime() - 86_400_000 },
    ].map((v) => ({ insert: `${prefix}${new Date(v.at).toISOString()}`, label: v.label, hint: "date-time" }));
  }
  return [];
}

/** Suggestions for the word at `caret` of `query`, given the schema's fields. */
export function suggest(query: string, caret: number, fields: SchemaField[]): Suggestion[] {
  const { current, previous } = wordAt(query, caret);
  const searchable = fields.filter((f) => f.type !== "string-unindexed");
  const typed = current.text.replace(/^\(+/, "");
  const operator = OPERATOR.exec(typed);
  if (operator) {
    const field = searchable.find((f) => f.id === operator[2]);
    if (!field) return [];
    if (operator[4] === "") {
      return valueSuggestions(field, `${operator[1]}${operator[2]}${operator[3]}`).map((s) => ({
        ...s,
        insert: `${current.text.slice(0, current.text.length - typed.length)}${s.insert}`,
      }));
    }
    return [];
  }
  if (!isConnective(previous) && current.text === "") {
    return ["AND", "OR"].map((c) => ({ insert: `${c} `, label: c, hint: "join terms" }));
  }
  if (!isConnective(previous) && /^(A|AN|O)$/.test(current.text)) {
    return ["AND", "OR"]
      .filter((c) => c.startsWith(current.text))
      .map((c) => ({ insert: `${c} `, label: c, hint: "join terms" }));
  }
  const open = current.text.slice(0, current.text.length - typed.length);
  const negate = typed.startsWith("-") ? "-" : "";
  const name = typed.slice(negate.length).toLowerCase();
  const out: Suggestion[] = [];
  for (const field of searchable) {
    if (!field.id.startsWith(name) && !(field.name ?? "").toLowerCase().startsWith(name)) continue;
    for (const { op, hint } of operatorsFor(field.type)) {
      out.push({
        insert: `${open}${negate}${field.id}${op}`,
        label: `${field.id}${op}`,
        hint: `${field.name ?? field.id} ${hint}`,
      });
    }
  }
  return out;
}

/** `query` with the word at `caret` replaced by `insert`, and where the caret goes after it. */
export function applySuggestion(
  query: string,
  caret: number,
  insert: string,
): { query: string; caret: number } {
  const { current } = wordAt(query, caret);
  const next = query.slice(0, current.start) + insert + query.slice(current.end);
  return { query: next, caret: current.start + insert.length };
}

/** The position a server's query error names ("… at position 12"), if any. */
export function errorPosition(detail: string): number | undefined {
  const match = /at position (\d+)/.exec(detail);
  return match ? Number(match[1]) : undefined;
}
