// The query language of `v1/search` (product-features (b), wire-protocol §4.3), as parser.ts and
// lexer.ts read it. Queries quoted from the spec say so; the others are ours, one per rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  conjoin,
  disjoin,
  type MatchNode,
  negate,
  type QueryNode,
  type SearchFieldType,
  type SearchSchema,
} from "./ast.js";
import {
  MAX_QUERY_DEPTH,
  MAX_QUERY_LENGTH,
  MAX_QUERY_TERMS,
  type ParseQueryResult,
  parseQuery,
} from "./parser.js";

/** The standard schema (wire-protocol §6) and custom fields of every type. */
const TYPES: Record<string, SearchFieldType> = {
  message: "text",
  actor: "string",
  action: "string",
  status: "string",
  source: "string",
  target: "string",
  tenant_id: "string",
  new: "text",
  old: "text",
  timestamp: "datetime",
  region: "string",
  notes: "text",
  count: "integer",
  amount: "integer",
  delta: "integer",
  is_admin: "boolean",
  created_at: "datetime",
  payload: "string-unindexed",
};
const SCHEMA: SearchSchema = { fields: Object.entries(TYPES).map(([id, type]) => ({ id, type })) };

// Nodes written out literally, so the table checks the normal form instead of assuming it.
const free = (value: string): QueryNode => ({
  kind: "match",
  field: null,
  fieldType: null,
  op: "contains",
  value,
});
const has = (field: string, value: string): QueryNode => ({
  kind: "match",
  field,
  fieldType: TYPES[field] as "string" | "text",
  op: "contains",
  value,
});
const is = (field: string, value: string): QueryNode => ({
  kind: "match",
  field,
  fieldType: TYPES[field] as "string" | "text",
  op: "exact",
  value,
});
const int = (field: string, op: "exact" | "gt" | "lt", value: number): QueryNode => ({
  kind: "match",
  field,
  fieldType: "integer",
  op,
  value,
});
const bool = (field: string, value: boolean): QueryNode => ({
  kind: "match",
  field,
  fieldType: "boolean",
  op: "exact",
  value,
});
const time = (field: string, op: "exact" | "gt" | "lt", value: string): QueryNode => ({
  kind: "match",
  field,
  fieldType: "datetime",
  op,
  value,
});
const and = (...children: QueryNode[]): QueryNode => ({ kind: "and", children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: "or", children });
const not = (child: QueryNode): QueryNode => ({ kind: "not", child });
const ALL: QueryNode = { kind: "all" };

type Case =
  | { query: string; ast: QueryNode; why?: string }
  | { query: string; position: number; token: string; detail?: string; why?: string };

const CASES: Case[] = [
  // The empty query
  { query: "", ast: ALL, why: "empty string is accepted (product-features (b))" },
  { query: " \t\r\n ", ast: ALL, why: "all whitespace is empty" },

  // Free terms
  { query: "deactivated", ast: free("deactivated"), why: "spec" },
  { query: '"viewed x-ray"', ast: free("viewed x-ray"), why: "spec: quoted phrase" },
  { query: "x-ray", ast: free("x-ray"), why: "a minus inside a word is a character" },
  { query: "Alice", ast: free("Alice"), why: "values keep their case" },
  { query: "and", ast: free("and"), why: "keywords are upper case" },
  { query: "or", ast: free("or") },
  { query: "NOT", ast: free("NOT"), why: "no NOT keyword (product-features (b))" },
  { query: '"AND"', ast: free("AND"), why: "a quoted keyword is a value" },
  { query: '""', ast: free("") },
  { query: "café 😀", ast: and(free("café"), free("😀")) },
  { query: "a\\b", ast: free("a\\b"), why: "backslash has no meaning outside quotes" },
  { query: "a\u00a0b", ast: free("a\u00a0b"), why: "only ASCII whitespace separates" },

  // Field contains and exact
  { query: "actor:alice", ast: has("actor", "alice") },
  { query: 'actor:"Jane Doe"', ast: has("actor", "Jane Doe"), why: "spec" },
  { query: 'actor:"Jane Doe" target:cosmos', ast: and(has("actor", "Jane Doe"), has("target", "cosmos")) },
  {
    query: "actor:alice target:bob sent",
    ast: and(has("actor", "alice"), has("target", "bob"), free("sent")),
    why: "spec: separate terms are ANDed",
  },
  { query: "status=success", ast: is("status", "success"), why: "spec" },
  { query: 'message:""', ast: has("message", ""), why: "SDK tests' match-all" },
  { query: 'actor=""', ast: is("actor", "") },
  { query: "message:login", ast: has("message", "login") },
  { query: 'message:"password reset"', ast: has("message", "password reset"), why: "phrase on a text field" },
  { query: "message=hello", ast: is("message", "hello") },
  { query: "tenant_id=acme", ast: is("tenant_id", "acme") },
  {
    query: "region:eu notes:draft",
    ast: and(has("region", "eu"), has("notes", "draft")),
    why: "custom fields",
  },
  { query: "new:x old:y", ast: and(has("new", "x"), has("old", "y")) },
  { query: "actor:a:b", ast: has("actor", "a:b"), why: "the first operator splits" },
  { query: "actor:=x", ast: has("actor", "=x") },
  { query: "actor=>x", ast: is("actor", ">x") },
  { query: "actor:-x", ast: has("actor", "-x"), why: "a minus in a value is a character" },
  { query: 'actor:"a\\"b"', ast: has("actor", 'a"b'), why: "escaped quote" },
  { query: 'actor:"a\\\\b"', ast: has("actor", "a\\b"), why: "escaped backslash" },
  { query: 'actor:"C:\\temp"', ast: has("actor", "C:\\temp"), why: "other backslashes are kept" },
  { query: 'actor:"(x) OR y"', ast: has("actor", "(x) OR y"), why: "quotes hide syntax" },
  { query: '"a:b"', ast: free("a:b"), why: "a quoted free term may hold an operator" },
  { query: 'received_at:"x"', position: 12, token: '"x"', why: "received_at is a datetime" },

  // Integers
  { query: "count=5", ast: int("count", "exact", 5) },
  { query: "count:5", ast: int("count", "exact", 5), why: "the viewer writes : for equals" },
  { query: "count>10", ast: int("count", "gt", 10), why: "spec" },
  { query: "count<10", ast: int("count", "lt", 10), why: "spec" },
  { query: "delta<-5", ast: int("delta", "lt", -5), why: "spec: negative integers" },
  { query: 'count="7"', ast: int("count", "exact", 7), why: "quoting does not change the type" },
  { query: "count=007", ast: int("count", "exact", 7) },
  { query: "count=-0", ast: int("count", "exact", 0) },

  // Booleans
  { query: "is_admin=true", ast: bool("is_admin", true), why: "spec" },
  { query: "is_admin:false", ast: bool("is_admin", false) },

  // Date-times
  {
    query: 'received_at>"2024-05-01"',
    ast: time("received_at", "gt", "2024-05-01T00:00:00.000000Z"),
    why: "spec: received_at is searchable, a bare date is its midnight UTC",
  },
  {
    query: 'timestamp<"2024-05-01T12:00:00.000Z"',
    ast: time("timestamp", "lt", "2024-05-01T12:00:00.000000Z"),
    why: "spec",
  },
  { query: "timestamp>2024-05-01T12:00:00Z", ast: time("timestamp", "gt", "2024-05-01T12:00:00.000000Z") },
  {
    query: 'created_at="2024-05-01T12:00:00+02:00"',
    ast: time("created_at", "exact", "2024-05-01T10:00:00.000000Z"),
  },
  { query: 'created_at:"2024-02-29"', ast: time("created_at", "exact", "2024-02-29T00:00:00.000000Z") },
  { query: 'timestamp>"2024-05-01 12:00"', ast: time("timestamp", "gt", "2024-05-01T12:00:00.000000Z") },
  {
    query: 'timestamp>"2024-05-01T12:00:00.123456789Z"',
    ast: time("timestamp", "gt", "2024-05-01T12:00:00.123456Z"),
    why: "> rounds nanoseconds down",
  },
  {
    query: 'timestamp<"2024-05-01T12:00:00.123456001Z"',
    ast: time("timestamp", "lt", "2024-05-01T12:00:00.123457Z"),
    why: "< rounds nanoseconds up",
  },

  // Negation
  { query: '-actor:"Dennis"', ast: not(has("actor", "Dennis")), why: "spec" },
  { query: "-deactivated", ast: not(free("deactivated")) },
  {
    query: "-(status=failure OR status=denied)",
    ast: not(or(is("status", "failure"), is("status", "denied"))),
    why: "negated group",
  },
  { query: "--a", ast: free("a"), why: "double negation cancels" },
  { query: "-(-a)", ast: free("a") },
  { query: "---a", ast: not(free("a")) },
  { query: "a -b", ast: and(free("a"), not(free("b"))) },
  { query: "-count>5", ast: not(int("count", "gt", 5)) },
  { query: "-(a b)", ast: not(and(free("a"), free("b"))) },

  // AND, OR and grouping
  { query: "a AND b", ast: and(free("a"), free("b")) },
  { query: "a OR b", ast: or(free("a"), free("b")) },
  { query: "a b OR c", ast: or(and(free("a"), free("b")), free("c")), why: "AND binds tighter" },
  { query: "a OR b c", ast: or(free("a"), and(free("b"), free("c"))) },
  { query: "a OR b AND c", ast: or(free("a"), and(free("b"), free("c"))) },
  {
    query: "a AND b OR c AND d",
    ast: or(and(free("a"), free("b")), and(free("c"), free("d"))),
  },
  { query: "(a OR b) c", ast: and(or(free("a"), free("b")), free("c")) },
  { query: "a AND (b AND c)", ast: and(free("a"), free("b"), free("c")), why: "flattened" },
  { query: "(a OR (b OR c)) OR d", ast: or(free("a"), free("b"), free("c"), free("d")) },
  { query: "((a))", ast: free("a") },
  { query: "( a )", ast: free("a") },
  { query: "a AND(b)", ast: and(free("a"), free("b")), why: "a keyword may touch a parenthesis" },
  { query: "(a)OR b", ast: or(free("a"), free("b")) },
  { query: "(a)OR(b)", ast: or(free("a"), free("b")) },
  { query: "a\tAND\nb", ast: and(free("a"), free("b")) },
  {
    query: "message:login AND (status=failure OR status=denied)",
    ast: and(has("message", "login"), or(is("status", "failure"), is("status", "denied"))),
    why: "spec",
  },
  {
    query: 'amount>1000 AND (region=eu OR region=uk) AND created_at>"2024-05-01"',
    ast: and(
      int("amount", "gt", 1000),
      or(is("region", "eu"), is("region", "uk")),
      time("created_at", "gt", "2024-05-01T00:00:00.000000Z"),
    ),
    why: "spec",
  },
  {
    query: '-actor:"svc-healthcheck" message:"password reset"',
    ast: and(not(has("actor", "svc-healthcheck")), has("message", "password reset")),
    why: "spec",
  },
  { query: "action:login AND status=failure", ast: and(has("action", "login"), is("status", "failure")) },

  // Syntax errors
  { query: ")", position: 0, token: ")", detail: 'unexpected ")" at position 0' },
  { query: "a OR )", position: 5, token: ")", detail: 'unexpected ")" at position 5' },
  {
    query: "(a",
    position: 2,
    token: "",
    detail: 'unexpected end of query at position 2 (expected ")" to close "(" at position 0)',
  },
  { query: "a)", position: 1, token: ")" },
  { query: "()", position: 1, token: ")" },
  { query: "((a)", position: 4, token: "" },
  { query: "AND a", position: 0, token: "AND", detail: 'unexpected "AND" at position 0' },
  { query: "OR", position: 0, token: "OR" },
  { query: "a AND", position: 5, token: "", detail: "unexpected end of query at position 5" },
  { query: "a OR", position: 4, token: "" },
  { query: "a AND OR b", position: 6, token: "OR" },
  { query: "a OR OR b", position: 5, token: "OR" },
  { query: "a OR AND b", position: 5, token: "AND" },
  {
    query: "a - b",
    position: 2,
    token: "-",
    detail: '"-" at position 2 must be directly followed by the term it negates',
  },
  { query: "a -", position: 2, token: "-" },
  { query: "-)", position: 1, token: ")" },
  { query: "-AND", position: 1, token: "AND" },
  {
    query: '"abc',
    position: 0,
    token: '"abc',
    detail: 'missing closing quote for "\\"abc" at position 0',
  },
  { query: 'actor:"abc', position: 6, token: '"abc' },
  { query: 'x "a\\"', position: 2, token: '"a\\"', why: "an escaped quote does not close" },
  {
    query: 'a"b"',
    position: 1,
    token: '"b"',
    detail: 'unexpected "\\"b\\"" at position 1 (separate terms with a space)',
  },
  { query: '"a"b', position: 3, token: "b" },
  { query: 'actor:"a""b"', position: 9, token: '"b"' },
  { query: "(a)(b)", position: 3, token: "(" },
  { query: "foo(bar)", position: 3, token: "(" },
  { query: "(a)b", position: 3, token: "b" },
  { query: "(a)-b", position: 3, token: "-" },
  { query: '"a"AND b', position: 3, token: "AND", why: "only ) may touch a keyword after it" },

  // Field errors
  { query: "foo:bar", position: 0, token: "foo", detail: 'unknown field "foo" at position 0' },
  { query: "a Actor:x", position: 2, token: "Actor", why: "field ids are exact" },
  { query: "12:30", position: 0, token: "12", why: "quote free text holding an operator" },
  { query: "https://example.com", position: 0, token: "https" },
  { query: "constructor:x", position: 0, token: "constructor" },
  { query: "__proto__:x", position: 0, token: "__proto__" },
  {
    query: "payload:x",
    position: 0,
    token: "payload",
    detail: 'field "payload" at position 0 is string-unindexed and cannot be searched',
  },
  { query: "payload=x", position: 0, token: "payload" },
  {
    query: "actor>5",
    position: 5,
    token: ">",
    detail: '">" at position 5 compares integer and datetime fields, and "actor" is a string field',
  },
  { query: "message<x", position: 7, token: "<" },
  { query: "is_admin>false", position: 8, token: ">" },
  {
    query: "count>=5",
    position: 5,
    token: ">=",
    detail: 'unsupported operator ">=" at position 5 (use ">")',
    why: ">= is not documented",
  },
  { query: 'timestamp<="2024-05-01"', position: 9, token: "<=" },
  {
    query: "count=abc",
    position: 6,
    token: "abc",
    detail: 'expected an integer for "count", got "abc" at position 6',
  },
  { query: 'count="5.5"', position: 6, token: '"5.5"' },
  { query: "count=9007199254740992", position: 6, token: "9007199254740992", why: "past 2^53" },
  {
    query: "is_admin=yes",
    position: 9,
    token: "yes",
    detail: 'expected true or false for "is_admin", got "yes" at position 9',
  },
  { query: "is_admin=True", position: 9, token: "True" },
  {
    query: 'timestamp>"yesterday"',
    position: 10,
    token: '"yesterday"',
    detail: 'expected an RFC 3339 date-time for "timestamp", got "\\"yesterday\\"" at position 10',
  },
  { query: "timestamp>7d", position: 10, token: "7d", why: "relative times belong in start/end" },
  { query: 'timestamp>"2024-02-30"', position: 10, token: '"2024-02-30"' },
  { query: 'timestamp>"2023-02-29"', position: 10, token: '"2023-02-29"' },
  { query: 'timestamp>"2024-05-01T24:00:00Z"', position: 10, token: '"2024-05-01T24:00:00Z"' },
  { query: 'timestamp>"2024-05-01T23:59:60Z"', position: 10, token: '"2024-05-01T23:59:60Z"' },
  { query: "actor:", position: 6, token: "actor:", detail: 'missing value after "actor:" at position 6' },
  { query: "actor: x", position: 6, token: "actor:" },
  { query: "(actor:)", position: 7, token: "actor:" },
  { query: "actor:(x)", position: 6, token: "actor:" },
  { query: ":foo", position: 0, token: ":", detail: 'missing field name before ":" at position 0' },
  { query: "=x", position: 0, token: "=" },
  { query: ">5", position: 0, token: ">" },
  { query: "-:x", position: 1, token: ":" },

  // Characters no stored value can hold
  { query: "a\u0000b", position: 1, token: "\u0000", detail: 'invalid character "\\u0000" at position 1' },
  { query: "\ud800", position: 0, token: "\ud800" },
  { query: 'actor:"x\udc00"', position: 8, token: "\udc00" },
];

function expectCase(c: Case, result: ParseQueryResult): void {
  if ("ast" in c) {
    assert.ok(result.ok, `${JSON.stringify(c.query)} failed: ${result.ok ? "" : result.error.detail}`);
    assert.deepEqual(result.ast, c.ast, c.query);
    return;
  }
  assert.ok(!result.ok, `${JSON.stringify(c.query)} parsed: ${result.ok ? JSON.stringify(result.ast) : ""}`);
  assert.equal(result.error.code, "BadFormat", c.query);
  assert.equal(result.error.source, "/query", c.query);
  assert.equal(result.error.position, c.position, `${c.query}: ${result.error.detail}`);
  assert.equal(result.error.token, c.token, c.query);
  assert.ok(result.error.detail.includes(`at position ${c.position}`), result.error.detail);
  if (c.detail !== undefined) assert.equal(result.error.detail, c.detail, c.query);
}

describe("parseQuery", () => {
  it(`reads each of the ${CASES.length} queries of the table as expected`, () => {
    assert.ok(CASES.length >= 60);
    for (const c of CASES) expectCase(c, parseQuery(c.query, SCHEMA));
  });

  it("searches received_at in any schema, even one without fields", () => {
    const result = parseQuery('received_at<"2024-05-01"', { fields: [] });
    assert.deepEqual(result, { ok: true, ast: time("received_at", "lt", "2024-05-01T00:00:00.000000Z") });
  });

  it("knows only the fields of the schema it is given", () => {
    const custom: SearchSchema = { fields: [{ id: "field_int", type: "integer" }] };
    assert.deepEqual(parseQuery("field_int>3", custom), { ok: true, ast: int("field_int", "gt", 3) });
    expectCase({ query: "actor:x", position: 0, token: "actor" }, parseQuery("actor:x", custom));
  });

  it("answers a query of 10,000 opening parentheses with BadFormat", () => {
    const result = parseQuery("(".repeat(10_000), SCHEMA);
    assert.ok(!result.ok);
    assert.equal(result.error.code, "BadFormat");
    assert.equal(result.error.position, MAX_QUERY_LENGTH);
    assert.equal(result.error.detail, "query is longer than 4096 characters at position 4096");
  });

  it(`refuses a query longer than ${MAX_QUERY_LENGTH} characters, and reads one that long`, () => {
    const long = `"${"x".repeat(MAX_QUERY_LENGTH - 2)}"`;
    assert.deepEqual(parseQuery(long, SCHEMA), { ok: true, ast: free("x".repeat(MAX_QUERY_LENGTH - 2)) });
    expectCase({ query: `${long} `, position: MAX_QUERY_LENGTH, token: "" }, parseQuery(`${long} `, SCHEMA));
  });

  it(`nests parentheses and negations ${MAX_QUERY_DEPTH} deep, and no deeper`, () => {
    const n = MAX_QUERY_DEPTH;
    assert.deepEqual(parseQuery(`${"(".repeat(n)}a${")".repeat(n)}`, SCHEMA), { ok: true, ast: free("a") });
    assert.deepEqual(parseQuery(`${"-".repeat(n)}a`, SCHEMA), { ok: true, ast: free("a") });
    assert.deepEqual(parseQuery(`${"-(".repeat(n / 2)}a${")".repeat(n / 2)}`, SCHEMA), {
      ok: true,
      ast: free("a"),
    });
    const tooDeep = parseQuery(`${"(".repeat(n + 1)}a${")".repeat(n + 1)}`, SCHEMA);
    expectCase({ query: "(…", position: n, token: "(" }, tooDeep);
    expectCase({ query: "-…", position: n, token: "-" }, parseQuery(`${"-".repeat(n + 1)}a`, SCHEMA));
    expectCase({ query: "(…", position: n, token: "(" }, parseQuery("(".repeat(4000), SCHEMA));
  });

  it(`reads ${MAX_QUERY_TERMS} terms and refuses one more`, () => {
    const terms = Array.from({ length: MAX_QUERY_TERMS }, (_, i) => `t${i}`);
    const result = parseQuery(terms.join(" OR "), SCHEMA);
    assert.ok(result.ok && result.ast.kind === "or" && result.ast.children.length === MAX_QUERY_TERMS);
    const more = `${terms.join(" ")} extra`;
    expectCase({ query: more, position: more.length - 5, token: "extra" }, parseQuery(more, SCHEMA));
  });

  it("reports the first error in the text when there are several", () => {
    expectCase({ query: "foo:x )", position: 0, token: "foo" }, parseQuery("foo:x )", SCHEMA));
    expectCase({ query: 'a ) "b', position: 2, token: ")" }, parseQuery('a ) "b', SCHEMA));
  });
});

// --- Property tests -------------------------------------------------------------------------

/** Checks an AST is in the normal form ast.ts promises, with values of the right types. */
function checkNormalForm(node: QueryNode, depth = 0): void {
  assert.ok(depth <= 2 * MAX_QUERY_DEPTH + 4, "AST depth is bounded");
  switch (node.kind) {
    case "all":
    case "none":
      assert.equal(depth, 0, `${node.kind} only at the top`);
      return;
    case "and":
    case "or":
      assert.ok(node.children.length >= 2);
      for (const child of node.children) {
        assert.notEqual(child.kind, node.kind);
        checkNormalForm(child, depth + 1);
      }
      return;
    case "not":
      assert.notEqual(node.child.kind, "not");
      checkNormalForm(node.child, depth + 1);
      return;
    case "match":
      checkMatch(node);
  }
}

function checkMatch(node: MatchNode): void {
  if (node.field === null) {
    assert.equal(node.op, "contains");
    assert.equal(typeof node.value, "string");
    return;
  }
  assert.equal(node.fieldType, TYPES[node.field] ?? (node.field === "received_at" ? "datetime" : undefined));
  switch (node.fieldType) {
    case "string":
    case "text":
      assert.ok(node.op === "contains" || node.op === "exact");
      assert.equal(typeof node.value, "string");
      return;
    case "integer":
      assert.ok(Number.isSafeInteger(node.value));
      return;
    case "boolean":
      assert.equal(typeof node.value, "boolean");
      return;
    case "datetime":
      assert.match(node.value, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      return;
    default:
      assert.fail(`the parser made a ${node.fieldType} match`);
  }
}

function checkResult(query: string, result: ParseQueryResult): void {
  if (result.ok) {
    checkNormalForm(result.ast);
    return;
  }
  const { error } = result;
  assert.equal(error.code, "BadFormat");
  assert.equal(error.source, "/query");
  assert.ok(Number.isInteger(error.position) && error.position >= 0);
  assert.ok(error.position <= Math.min(query.length, MAX_QUERY_LENGTH));
  assert.equal(typeof error.token, "string");
  assert.ok(error.detail.includes(`at position ${error.position}`), error.detail);
}

/** Pieces that make most of the syntax, for strings close to queries. */
const PIECES = [
  " ",
  "  ",
  "\t",
  "(",
  ")",
  "-",
  '"',
  '\\"',
  "\\",
  ":",
  "=",
  ">",
  "<",
  ">=",
  "AND",
  "OR",
  " AND ",
  " OR ",
  "a",
  "x-ray",
  "actor:",
  "actor=",
  "message:",
  "count>",
  "count<",
  "count=",
  "is_admin=",
  "timestamp>",
  "received_at<",
  "payload:",
  "nope:",
  "5",
  "-5",
  "true",
  '"2024-05-01"',
  "2024-05-01T12:00:00Z",
  '"Jane Doe"',
  "é",
  "😀",
  "\ud83d",
  "\u0000",
  "\u00a0",
  "\n",
];

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

describe("parseQuery on arbitrary input", () => {
  it("gives an AST in normal form or a BadFormat error for random strings, and never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit, maxLength: 300 }), (query) => {
        checkResult(query, parseQuery(query, SCHEMA));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (query) => {
        checkResult(query, parseQuery(query, SCHEMA));
      }),
      { numRuns: 1000 },
    );
  });

  it("does the same for strings built from query syntax, and for mutations of them", () => {
    const syntaxy = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join(""));
    fc.assert(
      fc.property(syntaxy, (query) => checkResult(query, parseQuery(query, SCHEMA))),
      { numRuns: 5000 },
    );
    const mutated = fc
      .tuple(syntaxy, fc.nat(), fc.nat(5), fc.string({ unit: anyCodeUnit, maxLength: 3 }))
      .map(([query, at, cut, insert]) => {
        const i = query.length === 0 ? 0 : at % query.length;
        return query.slice(0, i) + insert + query.slice(i + cut);
      });
    fc.assert(
      fc.property(mutated, (query) => checkResult(query, parseQuery(query, SCHEMA))),
      { numRuns: 3000 },
    );
  });

  it("survives deep and unbalanced nesting of any length", () => {
    const opener = fc.constantFrom("(", "-", "-(", "( ", "((");
    fc.assert(
      fc.property(
        opener,
        fc.nat(6000),
        fc.nat(6000),
        fc.constantFrom("a", '"', "", "actor:x"),
        (o, n, m, mid) => {
          const query = o.repeat(n) + mid + ")".repeat(m);
          checkResult(query, parseQuery(query, SCHEMA));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// --- Round trip: any AST the parser can make, written as a query, reads back as itself --------

const FIELDS_BY_TYPE = (type: SearchFieldType) =>
  Object.entries(TYPES)
    .filter(([, t]) => t === type)
    .map(([id]) => id);

/** Strings a value may hold: anything but U+0000 and lone surrogates (fast-check's "binary" has none). */
const text = fc.string({ unit: "binary", maxLength: 8 }).map((s) => s.replaceAll("\u0000", ""));

const match: fc.Arbitrary<QueryNode> = fc.oneof(
  text.map((value) => ({ kind: "match", field: null, fieldType: null, op: "contains", value }) as const),
  fc
    .tuple(fc.constantFrom(...FIELDS_BY_TYPE("string"), ...FIELDS_BY_TYPE("text")), fc.boolean(), text)
    .map(([field, exact, value]) => (exact ? is(field, value) : has(field, value))),
  fc
    .tuple(
      fc.constantFrom(...FIELDS_BY_TYPE("integer")),
      fc.constantFrom("exact", "gt", "lt"),
      fc.maxSafeInteger(),
    )
    .map(([field, op, value]) => int(field, op as "exact", value)),
  fc
    .tuple(fc.constantFrom(...FIELDS_BY_TYPE("boolean")), fc.boolean())
    .map(([field, value]) => bool(field, value)),
  fc
    .tuple(
      fc.constantFrom("received_at", ...FIELDS_BY_TYPE("datetime")),
      fc.constantFrom("exact", "gt", "lt"),
      fc.date({
        min: new Date("0000-01-01T00:00:00Z"),
        max: new Date("9999-12-31T23:59:59Z"),
        noInvalidDate: true,
      }),
      fc.integer({ min: 0, max: 999 }),
    )
    .map(([field, op, date, micros]) =>
      time(field, op as "exact", `${date.toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`),
    ),
);

const { node: ast } = fc.letrec<{ node: QueryNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    match,
    fc.array(tie("node"), { minLength: 2, maxLength: 4 }).map(conjoin),
    fc.array(tie("node"), { minLength: 2, maxLength: 4 }).map(disjoin),
    tie("node").map(negate),
  ),
}));

const quote = (value: string) => `"${value.replace(/[\\"]/g, "\\$&")}"`;

/** Writes an AST as a query that means it, parenthesising every group. */
function print(node: QueryNode): string {
  const group = (child: QueryNode) => (child.kind === "match" ? print(child) : `(${print(child)})`);
  switch (node.kind) {
    case "all":
      return "";
    case "none":
      throw new Error("no query says none");
    case "and":
      return node.children.map(group).join(" AND ");
    case "or":
      return node.children.map(group).join(" OR ");
    case "not":
      return `-${group(node.child)}`;
    case "match": {
      if (node.field === null) return quote(node.value);
      const op = node.op === "contains" ? ":" : node.op === "exact" ? "=" : node.op === "gt" ? ">" : "<";
      return `${node.field}${op}${quote(String(node.value))}`;
    }
  }
}

/** How many parentheses and minus signs {@link print} puts around the deepest term. */
function printedDepth(node: QueryNode): number {
  const group = (child: QueryNode) => (child.kind === "match" ? 0 : 1 + printedDepth(child));
  if (node.kind === "and" || node.kind === "or") return Math.max(...node.children.map(group));
  if (node.kind === "not") return 1 + group(node.child);
  return 0;
}

function countMatches(node: QueryNode): number {
  if (node.kind === "and" || node.kind === "or")
    return node.children.reduce((n, c) => n + countMatches(c), 0);
  if (node.kind === "not") return countMatches(node.child);
  return node.kind === "match" ? 1 : 0;
}

describe("parseQuery round trip", () => {
  it("reads back every printed AST as the same AST", () => {
    fc.assert(
      fc.property(
        ast.filter(
          (node) =>
            node.kind !== "none" &&
            countMatches(node) <= MAX_QUERY_TERMS &&
            printedDepth(node) <= MAX_QUERY_DEPTH,
        ),
        (node) => {
          const query = print(node);
          fc.pre(query.length <= MAX_QUERY_LENGTH);
          const result = parseQuery(query, SCHEMA);
          assert.ok(result.ok, `${query}: ${result.ok ? "" : result.error.detail}`);
          assert.deepEqual(result.ast, node);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
