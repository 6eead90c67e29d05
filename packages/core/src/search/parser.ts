import {
  conjoin,
  disjoin,
  MATCH_ALL,
  type MatchNode,
  negate,
  type QueryNode,
  RECEIVED_AT_FIELD,
  type SearchFieldType,
  type SearchSchema,
} from "./ast.js";
import {
  type FieldToken,
  type QueryError,
  QueryLexer,
  QuerySyntaxError,
  showToken,
  syntaxError,
  type Token,
  unexpectedToken,
} from "./lexer.js";
import { readBoolean, readDatetime, readInteger } from "./values.js";

export type { QueryError } from "./lexer.js";

/*
 * The `v1/search` query language (product-features (b), wire-protocol §4.3), parsed by recursive
 * descent against a configuration's schema:
 *
 *   query      = [ or ] ;                       empty or all whitespace: every event
 *   or         = and { "OR" and } ;
 *   and        = unary { [ "AND" ] unary } ;     terms side by side are ANDed
 *   unary      = "-" unary | "(" or ")" | field-term | free-term ;   "-" touches its operand
 *   field-term = field op ( bare-value | quoted ) ;
 *   field      = { char - op }- ;                a field id of the schema, or received_at
 *   op         = ":" | "=" | ">" | "<" ;         ">=" and "<=" are refused
 *   free-term  = word | quoted ;
 *   word       = { char - op }- ;                not "AND" or "OR", not starting with "-"
 *   bare-value = { char }- ;                     operators and "-" are characters here
 *   char       = any character but ASCII whitespace, "(", ")", '"', U+0000, a lone surrogate ;
 *   quoted     = '"' { any character but '"' and "\" | '\"' | "\\" | "\" } '"' ;
 *
 * A lone "\" in a quoted value is kept as it is. lexer.ts has the rest of the lexical detail:
 * which tokens may touch without whitespace between them.
 *
 * AND binds tighter than OR, the usual choice; the spec documents no precedence and tells
 * clients to parenthesise (product-features (b) "Boolean operators and grouping"), and the
 * viewer's filter builder writes `existing AND (f1=v1 OR f2:v2)`, which reads the same either
 * way. `a b OR c` is `(a AND b) OR c`.
 *
 * Field terms by the field's type (wire-protocol §6):
 * - `string`, `text`: `:` contains, `=` exact. `>`/`<` are an error. A quoted phrase is allowed
 *   on `text` fields too, although Pangea's index refuses multi-word phrases there: the spec's own
 *   example is `message:"password reset"`, and our backends match substrings.
 * - `integer`, `datetime`: `=` exact, `>` greater, `<` less; `>=`/`<=` are an error (not
 *   documented). `boolean`: `=` only.
 * - On these three, `:` means `=`: nothing is a substring of a number, and the log viewer's
 *   filter builder writes `:` for "equals" whatever the field's type.
 * - `string-unindexed` cannot be searched at all (product-features §2).
 * Free terms search the `string` and `text` fields.
 */

/**
 * At most this many characters (UTF-16 code units), checked before any other work: a saved
 * search's query is bounded to 4096 as well (server config-document), so every saved search
 * runs, and it keeps a query's parse and its compiled SQL small.
 */
export const MAX_QUERY_LENGTH = 4096;

/**
 * At most this many parentheses and negations around any term. The parser recurses once per
 * level, and so will each backend's compiler and the database's expression parser (SQLite
 * refuses expressions deeper than 1000); hand-written and builder-made queries stay within a
 * few levels, so 32 leaves room while bounding all of those.
 */
export const MAX_QUERY_DEPTH = 32;

/**
 * At most this many terms. A free term becomes one comparison per text field, each a bound
 * parameter: 256 terms over a 32-field schema are 8192 parameters, well inside SQLite's
 * 32766 and PostgreSQL's 65535, and far more terms than a person or a filter builder writes.
 */
export const MAX_QUERY_TERMS = 256;

/** What {@link parseQuery} gives: the AST, or the one error that stopped it. */
export type ParseQueryResult = { ok: true; ast: QueryNode } | { ok: false; error: QueryError };

/**
 * Parses a `v1/search` query against the fields of `schema` (plus `received_at`, which every
 * event has). Never throws: any input, of any length or nesting, gives an AST or a
 * `BadFormat` error on `/query`.
 *
 * @example
 *   parseQuery('actor:"Jane Doe" AND (status=failure OR status=denied)', schema);
 *   // { ok: true, ast: { kind: "and", children: [
 *   //   { kind: "match", field: "actor", fieldType: "string", op: "contains", value: "Jane Doe" },
 *   //   { kind: "or", children: [ …status exact failure…, …status exact denied… ] } ] } }
 * @example
 *   parseQuery("a OR )", schema);
 *   // { ok: false, error: { code: "BadFormat", detail: 'unexpected ")" at position 5', … } }
 */
export function parseQuery(query: string, schema: SearchSchema): ParseQueryResult {
  try {
    if (query.length > MAX_QUERY_LENGTH) {
      throw syntaxError(
        MAX_QUERY_LENGTH,
        "",
        `query is longer than ${MAX_QUERY_LENGTH} characters at position ${MAX_QUERY_LENGTH}`,
      );
    }
    return { ok: true, ast: new QueryParser(query, schema).parse() };
  } catch (error) {
    if (error instanceof QuerySyntaxError) return { ok: false, error: error.error };
    throw error; // a bug, not a query: let it be seen
  }
}

class QueryParser {
  readonly #lexer: QueryLexer;
  readonly #fields = new Map<string, SearchFieldType>();
  #lookahead: Token | undefined;
  #terms = 0;

  constructor(query: string, schema: SearchSchema) {
    this.#lexer = new QueryLexer(query);
    // A Map, not an object: `constructor:x` or `__proto__:x` must be unknown fields.
    for (const field of schema.fields) {
      if (!this.#fields.has(field.id)) this.#fields.set(field.id, field.type);
    }
    this.#fields.set(RECEIVED_AT_FIELD.id, RECEIVED_AT_FIELD.type);
  }

  parse(): QueryNode {
    if (this.#peek().kind === "end") return MATCH_ALL;
    const ast = this.#parseOr(0);
    const rest = this.#next();
    if (rest.kind !== "end") throw unexpectedToken(rest);
    return ast;
  }

  #peek(): Token {
    this.#lookahead ??= this.#lexer.next();
    return this.#lookahead;
  }

  #next(): Token {
    const token = this.#peek();
    this.#lookahead = undefined;
    return token;
  }

  #parseOr(depth: number): QueryNode {
    const children = [this.#parseAnd(depth)];
    while (this.#peek().kind === "OR") {
      this.#next();
      children.push(this.#parseAnd(depth));
    }
    return disjoin(children);
  }

  #parseAnd(depth: number): QueryNode {
    const children = [this.#parseUnary(depth)];
    for (;;) {
      const kind = this.#peek().kind;
      if (kind === "AND") {
        this.#next();
      } else if (kind !== "(" && kind !== "-" && kind !== "term" && kind !== "field") {
        break; // OR, ")" or the end close this AND
      }
      children.push(this.#parseUnary(depth));
    }
    return conjoin(children);
  }

  #parseUnary(depth: number): QueryNode {
    const token = this.#next();
    switch (token.kind) {
      case "-": {
        this.#enter(token, depth);
        const operand = this.#peek();
        if (operand.spaced || operand.kind === "end") {
          throw syntaxError(
            token.start,
            token.raw,
            `"-" at position ${token.start} must be directly followed by the term it negates`,
          );
        }
        return negate(this.#parseUnary(depth + 1));
      }
      case "(": {
        this.#enter(token, depth);
        const inner = this.#parseOr(depth + 1);
        const close = this.#next();
        if (close.kind !== ")") {
          throw unexpectedToken(close, `expected ")" to close "(" at position ${token.start}`);
        }
        return inner;
      }
      case "term":
        this.#count(token);
        return { kind: "match", field: null, fieldType: null, op: "contains", value: token.value };
      case "field":
        this.#count(token);
        return this.#matchField(token);
      default:
        throw unexpectedToken(token);
    }
  }

  #enter(token: Token, depth: number): void {
    if (depth >= MAX_QUERY_DEPTH) {
      throw syntaxError(
        token.start,
        token.raw,
        `query nests deeper than ${MAX_QUERY_DEPTH} levels at position ${token.start} (${showToken(token.raw)})`,
      );
    }
  }

  #count(token: Token): void {
    if (++this.#terms > MAX_QUERY_TERMS) {
      throw syntaxError(
        token.start,
        token.raw,
        `query has more than ${MAX_QUERY_TERMS} terms at position ${token.start} (${showToken(token.raw)})`,
      );
    }
  }

  #matchField(token: FieldToken): MatchNode {
    const { field, op } = token;
    const type = this.#fields.get(field);
    if (type === undefined) {
      throw syntaxError(token.start, field, `unknown field ${showToken(field)} at position ${token.start}`);
    }
    if (type === "string-unindexed") {
      throw syntaxError(
        token.start,
        field,
        `field ${showToken(field)} at position ${token.start} is string-unindexed and cannot be searched`,
      );
    }
    if (type === "string" || type === "text") {
      if (op === ">" || op === "<") {
        throw syntaxError(
          token.opStart,
          op,
          `${showToken(op)} at position ${token.opStart} compares integer and datetime fields, and ${showToken(field)} is a ${type} field`,
        );
      }
      return {
        kind: "match",
        field,
        fieldType: type,
        op: op === ":" ? "contains" : "exact",
        value: token.value,
      };
    }

    const valueError = (expected: string) =>
      syntaxError(
        token.valueStart,
        token.rawValue,
        `expected ${expected} for ${showToken(field)}, got ${showToken(token.rawValue)} at position ${token.valueStart}`,
      );
    if (type === "boolean") {
      if (op === ">" || op === "<") {
        throw syntaxError(
          token.opStart,
          op,
          `${showToken(op)} at position ${token.opStart} compares integer and datetime fields, and ${showToken(field)} is a boolean field`,
        );
      }
      const value = readBoolean(token.value);
      if (value === undefined) throw valueError("true or false");
      return { kind: "match", field, fieldType: "boolean", op: "exact", value };
    }
    const compare = op === ">" ? "gt" : op === "<" ? "lt" : "exact";
    if (type === "integer") {
      const value = readInteger(token.value);
      if (value === undefined) throw valueError("an integer");
      return { kind: "match", field, fieldType: "integer", op: compare, value };
    }
    if (type !== "datetime") {
      // Only a schema read from storage without its type checked could get here.
      throw syntaxError(
        token.start,
        field,
        `field ${showToken(field)} at position ${token.start} cannot be searched`,
      );
    }
    const value = readDatetime(token.value, compare === "lt" ? "up" : "down");
    if (value === undefined) throw valueError("an RFC 3339 date-time");
    return { kind: "match", field, fieldType: "datetime", op: compare, value };
  }
}
