import type { ErrorField } from "../wire/status.js";

/*
 * The tokens of a `v1/search` query (product-features (b)). The lexer is pulled one token at a
 * time by the parser, so errors come out in the order of the text: the first thing wrong is the
 * one reported, as the Pangea server's PLY lexer does.
 *
 * Lexical rules, where the spec is silent:
 * - Whitespace is ASCII (space, tab, CR, LF, FF, VT); any other character is part of a value.
 * - `(` and `)` delimit themselves; `"` opens a quoted value, whose escapes are `\"` and `\\`
 *   (any other backslash is kept, so `"C:\temp"` is what it looks like).
 * - `-` where a term starts negates it; inside a word (`x-ray`) or a value (`delta<-5`) it is a
 *   character.
 * - A bare word holding `:`, `=`, `>` or `<` is a field term: the field is what comes before the
 *   first of them. So `12:30` or `https://…` must be quoted to be searched as free text.
 * - `AND` and `OR` are keywords only as whole bare words in upper case; `"AND"` and `and` are
 *   free terms. There is no `NOT` keyword (product-features (b) "Negation").
 * - After a term, only whitespace, `)` or the end may follow, and after `)` also a keyword:
 *   `a"b"`, `"a"b`, `(a)(b)`, `foo(bar)` are errors rather than a guess at an AND, while
 *   `(a)OR(b)` reads as it looks.
 * - U+0000 and unpaired surrogates are refused: no stored string can hold them (PostgreSQL text
 *   cannot hold U+0000, and JSON text cannot carry a lone surrogate as UTF-8).
 */

/**
 * A query the language cannot read, as one `result.errors` entry (wire-protocol §3.1, product-
 * features (b) "Query syntax errors"): always `BadFormat` on `/query`, with `detail` naming the
 * offending token and its position. `position` (a 0-based UTF-16 index into the query, what
 * `String.prototype.slice` takes) and `token` are given separately for a caller that wants to
 * underline the spot; the wire entry needs only `code`, `detail` and `source`.
 *
 * @example
 *   const error: QueryError = {
 *     code: "BadFormat",
 *     detail: 'unexpected ")" at position 14',
 *     source: "/query",
 *     position: 14,
 *     token: ")",
 *   };
 */
export interface QueryError extends ErrorField {
  readonly code: "BadFormat";
  readonly source: "/query";
  readonly position: number;
  readonly token: string;
}

/**
 * Carries a {@link QueryError} from wherever lexing or parsing stops to `parseQuery`, which
 * turns it into its result. Never leaves the search modules.
 */
export class QuerySyntaxError extends Error {
  readonly error: QueryError;

  constructor(error: QueryError) {
    super(error.detail);
    this.name = "QuerySyntaxError";
    this.error = error;
  }
}

/** A token's text as a detail shows it: JSON-quoted (so `"`, `\` and control characters are visible), and cut. */
export function showToken(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

/** The failure at `position`; `detail` is the whole sentence, which MUST name the position. */
export function syntaxError(position: number, token: string, detail: string): QuerySyntaxError {
  return new QuerySyntaxError({ code: "BadFormat", detail, source: "/query", position, token });
}

/** `unexpected ")" at position 14`, with an optional hint after it. */
export function unexpectedToken(token: Token, hint?: string): QuerySyntaxError {
  const what = token.kind === "end" ? "end of query" : showToken(token.raw);
  const suffix = hint === undefined ? "" : ` (${hint})`;
  return syntaxError(token.start, token.raw, `unexpected ${what} at position ${token.start}${suffix}`);
}

/** The operator of a field term: contains, exact, greater, less. */
export type FieldOperator = ":" | "=" | ">" | "<";

interface TokenBase {
  /** Index of the token's first character. */
  readonly start: number;
  /** Index just past its last character. */
  readonly end: number;
  /** The token as written, quotes and escapes included. */
  readonly raw: string;
  /** Whitespace or the start of the query comes right before it. */
  readonly spaced: boolean;
}

/** A punctuation or keyword token, or the end of the query. */
export interface MarkToken extends TokenBase {
  readonly kind: "(" | ")" | "-" | "AND" | "OR" | "end";
}

/** A free term: a bare word or a quoted phrase, `value` with its quotes and escapes removed. */
export interface TermToken extends TokenBase {
  readonly kind: "term";
  readonly value: string;
}

/** `field:value`, `field=value`, `field>value`, `field<value`; `value` unquoted and unescaped. */
export interface FieldToken extends TokenBase {
  readonly kind: "field";
  readonly field: string;
  readonly op: FieldOperator;
  /** Index of the operator character. */
  readonly opStart: number;
  readonly value: string;
  /** Index where the value starts (its opening quote, if quoted). */
  readonly valueStart: number;
  /** The value as written, quotes and escapes included. */
  readonly rawValue: string;
}

export type Token = MarkToken | TermToken | FieldToken;

function isSpace(code: number): boolean {
  // space, \t, \n, \v, \f, \r
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function isDelimiter(code: number): boolean {
  return isSpace(code) || code === 0x28 /* ( */ || code === 0x29 /* ) */ || code === 0x22; /* " */
}

function isOperator(code: number): boolean {
  return code === 0x3a /* : */ || code === 0x3d /* = */ || code === 0x3e /* > */ || code === 0x3c; /* < */
}

/**
 * Reads a query one token at a time; each call to {@link QueryLexer.next} returns the next token,
 * an `end` token once the text is used up, or throws {@link QuerySyntaxError}.
 *
 * @example
 *   const lexer = new QueryLexer("actor:alice OR -(status=ok)");
 *   lexer.next(); // { kind: "field", field: "actor", op: ":", value: "alice", … }
 *   lexer.next(); // { kind: "OR", … }
 */
export class QueryLexer {
  readonly #text: string;
  #pos = 0;
  #previous: Token["kind"] | undefined;

  constructor(text: string) {
    this.#text = text;
  }

  next(): Token {
    const token = this.#read();
    const previous = this.#previous;
    const touches =
      !token.spaced &&
      token.kind !== ")" &&
      token.kind !== "end" &&
      (previous === "term" ||
        previous === "field" ||
        (previous === ")" && token.kind !== "AND" && token.kind !== "OR"));
    if (touches) {
      throw unexpectedToken(token, "separate terms with a space");
    }
    this.#previous = token.kind;
    return token;
  }

  #read(): Token {
    const text = this.#text;
    const before = this.#pos;
    while (this.#pos < text.length && isSpace(text.charCodeAt(this.#pos))) this.#pos++;
    const start = this.#pos;
    const spaced = start > before || start === 0;
    if (start >= text.length) return { kind: "end", start, end: start, raw: "", spaced };

    const code = text.charCodeAt(start);
    if (code === 0x28 || code === 0x29 || code === 0x2d /* - */) {
      this.#pos = start + 1;
      const kind = code === 0x28 ? "(" : code === 0x29 ? ")" : "-";
      return { kind, start, end: start + 1, raw: text[start]!, spaced };
    }
    if (code === 0x22) {
      const value = this.#readQuoted(start);
      return { kind: "term", start, end: this.#pos, raw: text.slice(start, this.#pos), value, spaced };
    }

    // A bare run: up to whitespace, a parenthesis or a quote. Its first operator character, if
    // any, makes it a field term.
    let i = start;
    let opAt = -1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (isDelimiter(c)) break;
      if (opAt < 0 && isOperator(c)) opAt = i;
      i = this.#checkCharacter(i);
    }
    this.#pos = i;
    const raw = text.slice(start, i);
    if (opAt < 0) {
      if (raw === "AND" || raw === "OR") return { kind: raw, start, end: i, raw, spaced };
      return { kind: "term", start, end: i, raw, value: raw, spaced };
    }

    const op = text[opAt] as FieldOperator;
    if (opAt === start) {
      throw syntaxError(start, op, `missing field name before ${showToken(op)} at position ${start}`);
    }
    const field = text.slice(start, opAt);
    if ((op === ">" || op === "<") && text[opAt + 1] === "=") {
      // product-features (b): `>=`/`<=` are neither offered by the viewer nor documented.
      const written = `${op}=`;
      throw syntaxError(
        opAt,
        written,
        `unsupported operator ${showToken(written)} at position ${opAt} (use ${showToken(op)})`,
      );
    }
    const valueStart = opAt + 1;
    let value: string;
    if (valueStart < i) {
      value = text.slice(valueStart, i);
    } else if (i < text.length && text.charCodeAt(i) === 0x22) {
      value = this.#readQuoted(i);
    } else {
      const written = text.slice(start, valueStart);
      throw syntaxError(
        valueStart,
        written,
        `missing value after ${showToken(written)} at position ${valueStart}`,
      );
    }
    return {
      kind: "field",
      start,
      end: this.#pos,
      raw: text.slice(start, this.#pos),
      spaced,
      field,
      op,
      opStart: opAt,
      value,
      valueStart,
      rawValue: text.slice(valueStart, this.#pos),
    };
  }

  /** Reads the quoted value whose opening quote is at `quote`; leaves the position past its closing quote. */
  #readQuoted(quote: number): string {
    const text = this.#text;
    const parts: string[] = [];
    let runStart = quote + 1;
    let i = runStart;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        parts.push(text.slice(runStart, i));
        this.#pos = i + 1;
        return parts.join("");
      }
      if (c === 0x5c /* \ */ && i + 1 < text.length) {
        const escaped = text.charCodeAt(i + 1);
        if (escaped === 0x22 || escaped === 0x5c) {
          parts.push(text.slice(runStart, i));
          runStart = i + 1; // the escaped character starts the next run
          i += 2;
          continue;
        }
      }
      i = this.#checkCharacter(i);
    }
    const raw = text.slice(quote);
    throw syntaxError(quote, raw, `missing closing quote for ${showToken(raw)} at position ${quote}`);
  }

  /** Checks the character at `i` can be stored and returns the index of the next one. */
  #checkCharacter(i: number): number {
    const text = this.#text;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = text.charCodeAt(i + 1); // NaN past the end
      if (low >= 0xdc00 && low <= 0xdfff) return i + 2;
    } else if (c !== 0 && !(c >= 0xdc00 && c <= 0xdfff)) {
      return i + 1;
    }
    const bad = text[i]!;
    throw syntaxError(i, bad, `invalid character ${showToken(bad)} at position ${i}`);
  }
}
