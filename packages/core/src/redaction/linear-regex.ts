/*
 * Custom redaction patterns, matched in time linear in the text (issue 11 §2: "checked for
 * catastrophic backtracking or run under a time bound"). A configuration's patterns come from its
 * admin and run on every event: a JavaScript `RegExp` backtracks, so `(a+)+$` on forty `a`s and a
 * `!` runs for minutes and ingestion stalls with it. Instead the pattern is parsed here into a
 * subset of JavaScript's syntax and run on a Pike VM (Thompson's construction with thread
 * priorities, as RE2 does), which visits each instruction at most once per position of the text.
 *
 * - The subset: literals, `.`, classes (`[a-z]`, `[^…]`, `\d \w \s` and their negations), `^ $`
 *   (`m` for lines), `\b \B`, groups (`(…)`, `(?:…)`, `(?<name>…)`, all only grouping),
 *   alternation, and the quantifiers `* + ? {n} {n,} {n,m}` with their lazy forms. Flags `i`,
 *   `m`, `s`. Refused, because no linear engine can run them or they mean nothing for redaction:
 *   backreferences, lookahead and lookbehind, `\p{…}`, the `u`, `v`, `g`, `y`, `d` flags, and
 *   any pattern that matches the empty text (it would "fire" between every two characters).
 * - Matches are what a JavaScript `RegExp` with the `g` flag finds: leftmost, and among matches
 *   starting there the one backtracking would find first (greedy or lazy as written).
 * - Cost: a full scan of a text costs at most (instructions × (characters + 1)) steps. Some
 *   patterns rescan (a greedy branch that outlives a shorter preferred match), so a run is given
 *   a budget of twice that; past it the run stops and says so (`complete: false`), and the
 *   caller fails closed (rules.ts redacts the whole value). Nothing here reads a clock.
 */

/** Why a pattern was refused, and at which character of it. */
export interface PatternProblem {
  readonly detail: string;
  readonly index: number;
}

/** A pattern ready to run, or why it cannot be. */
export type CompileResult =
  | { readonly ok: true; readonly pattern: LinearPattern }
  | { readonly ok: false; readonly problem: PatternProblem };

/** The result of one search through a text: every match, in order, and whether the run finished. */
export interface FindResult {
  /** Non-overlapping `[start, end)` spans, leftmost first. */
  readonly spans: Array<[number, number]>;
  /** False when the step budget ran out before the end of the text; `spans` are then those found so far. */
  readonly complete: boolean;
  /** The steps taken, for tests and benchmarks. */
  readonly steps: number;
}

type Test = (c: number) => boolean;
type AssertKind = "bol" | "eol" | "wordb" | "nwordb";

type Node =
  | { readonly t: "char"; readonly test: Test }
  | { readonly t: "assert"; readonly kind: AssertKind }
  | { readonly t: "cat"; readonly items: readonly Node[] }
  | { readonly t: "alt"; readonly items: readonly Node[] }
  | {
      readonly t: "rep";
      readonly item: Node;
      readonly min: number;
      readonly max: number;
      readonly greedy: boolean;
    };

type Inst =
  | { op: "char"; test: Test }
  | { op: "split"; x: number; y: number }
  | { op: "jmp"; x: number }
  | { op: "assert"; kind: AssertKind }
  | { op: "match" };

/** The largest count a `{n,m}` may name: repetition is compiled by copying, so counts cost instructions. */
export const MAX_PATTERN_REPEAT = 100;

class Refusal extends Error {
  constructor(
    readonly detail: string,
    readonly index: number,
  ) {
    super(detail);
  }
}

const LINE_TERMINATORS = [0x0a, 0x0d, 0x2028, 0x2029];
const isDigit: Test = (c) => c >= 0x30 && c <= 0x39;
const isWord: Test = (c) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);
const isSpace: Test = (c) => SPACES.has(c) || (c >= 0x2000 && c <= 0x200a);
const not =
  (test: Test): Test =>
  (c) =>
    !test(c);

/** The other-case forms of a code unit, as JavaScript's non-unicode `i` flag compares them. */
function caseVariants(c: number): number[] {
  const s = String.fromCharCode(c);
  const out: number[] = [];
  for (const v of [s.toLowerCase(), s.toUpperCase()]) {
    if (v.length === 1 && v.charCodeAt(0) !== c) out.push(v.charCodeAt(0));
  }
  return out;
}

class Parser {
  #i = 0;
  readonly #src: string;
  readonly #flags: { i: boolean; m: boolean; s: boolean };

  constructor(src: string, flags: { i: boolean; m: boolean; s: boolean }) {
    this.#src = src;
    this.#flags = flags;
  }

  parse(): Node {
    const node = this.#alt();
    if (this.#i < this.#src.length) throw new Refusal("unmatched )", this.#i);
    return node;
  }

  #peek(offset = 0): string | undefined {
    return this.#src[this.#i + offset];
  }

  #alt(): Node {
    const items = [this.#cat()];
    while (this.#peek() === "|") {
      this.#i++;
      items.push(this.#cat());
    }
    return items.length === 1 ? items[0]! : { t: "alt", items };
  }

  #cat(): Node {
    const items: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== "|" && c !== ")"; c = this.#peek()) {
      items.push(this.#repeat());
    }
    return items.length === 1 ? items[0]! : { t: "cat", items };
  }

  #repeat(): Node {
    const start = this.#i;
    const atom = this.#atom();
    const q = this.#quantifier();
    if (!q) return atom;
    if (atom.t === "assert") throw new Refusal("an assertion cannot be repeated", start);
    if (this.#peek() === "?") {
      this.#i++;
      q.greedy = false;
    }
    const next = this.#peek();
    if (next === "*" || next === "+" || next === "?" || (next === "{" && this.#braceQuantifierAhead())) {
      throw new Refusal("nothing to repeat", this.#i);
    }
    return { t: "rep", item: atom, min: q.min, max: q.max, greedy: q.greedy };
  }

  #braceQuantifierAhead(): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.#src.slice(this.#i));
  }

  #quantifier(): { min: number; max: number; greedy: boolean } | undefined {
    const c = this.#peek();
    if (c === "*" || c === "+" || c === "?") {
      this.#i++;
      return { min: c === "+" ? 1 : 0, max: c === "?" ? 1 : Number.POSITIVE_INFINITY, greedy: true };
    }
    if (c !== "{") return undefined;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(this.#i));
    // Outside the `u` flag JavaScript reads a brace that starts no quantifier as a literal.
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (max < min) throw new Refusal("numbers out of order in {} quantifier", this.#i);
    if (min > MAX_PATTERN_REPEAT || (max !== Number.POSITIVE_INFINITY && max > MAX_PATTERN_REPEAT)) {
      throw new Refusal(`a {} quantifier counts at most ${MAX_PATTERN_REPEAT}`, this.#i);
    }
    this.#i += m[0].length;
    return { min, max, greedy: true };
  }

  #literal(c: number): Node {
    if (this.#flags.i) {
      const variants = caseVariants(c);
      if (variants.length > 0) return { t: "char", test: (x) => x === c || variants.includes(x) };
    }
    return { t: "char", test: (x) => x === c };
  }

  #atom(): Node {
    const start = this.#i;
    const c = this.#peek()!;
    switch (c) {
      case "(": {
        this.#i++;
        if (this.#peek() === "?") {
          const kind = this.#src.slice(this.#i, this.#i + 3);
          if (kind.startsWith("?:")) this.#i += 2;
          else if (kind === "?<=" || kind === "?<!" || kind.startsWith("?=") || kind.startsWith("?!")) {
            throw new Refusal("lookahead and lookbehind are not supported", start);
          } else if (kind.startsWith("?<")) {
            const m = /^\?<[A-Za-z_$][A-Za-z0-9_$]*>/.exec(this.#src.slice(this.#i));
            if (!m) throw new Refusal("invalid group name", start);
            this.#i += m[0].length;
          } else throw new Refusal("invalid group", start);
        }
        const inner = this.#alt();
        if (this.#peek() !== ")") throw new Refusal("unterminated group", start);
        this.#i++;
        return inner;
      }
      case ")":
        throw new Refusal("unmatched )", start);
      case "*":
      case "+":
      case "?":
        throw new Refusal("nothing to repeat", start);
      case "{":
        if (this.#braceQuantifierAhead()) throw new Refusal("nothing to repeat", start);
        this.#i++;
        return this.#literal(c.charCodeAt(0));
      case "[":
        return this.#charClass();
      case ".": {
        this.#i++;
        const test: Test = this.#flags.s ? () => true : (x) => !LINE_TERMINATORS.includes(x);
        return { t: "char", test };
      }
      case "^":
        this.#i++;
        return { t: "assert", kind: "bol" };
      case "$":
        this.#i++;
        return { t: "assert", kind: "eol" };
      case "\\": {
        const next = this.#peek(1);
        if (next === "b" || next === "B") {
          this.#i += 2;
          return { t: "assert", kind: next === "b" ? "wordb" : "nwordb" };
        }
        const escaped = this.#escape(false);
        return typeof escaped === "number" ? this.#literal(escaped) : { t: "char", test: escaped };
      }
      default:
        this.#i++;
        return this.#literal(c.charCodeAt(0));
    }
  }

  /** Reads an escape at `\`: a code unit, or a class test for `\d \w \s` and their negations. */
  #escape(inClass: boolean): number | Test {
    const start = this.#i;
    this.#i++; // the backslash
    const c = this.#peek();
    if (c === undefined) throw new Refusal("\\ at end of pattern", start);
    this.#i++;
    switch (c) {
      case "d":
        return isDigit;
      case "D":
        return not(isDigit);
      case "w":
        return isWord;
      case "W":
        return not(isWord);
      case "s":
        return isSpace;
      case "S":
        return not(isSpace);
      case "t":
        return 0x09;
      case "n":
        return 0x0a;
      case "r":
        return 0x0d;
      case "f":
        return 0x0c;
      case "v":
        return 0x0b;
      case "b":
        if (inClass) return 0x08;
        break;
      case "0":
        if (!isDigit(this.#peek()?.charCodeAt(0) ?? 0)) return 0;
        break;
      case "x": {
        const m = /^[0-9A-Fa-f]{2}/.exec(this.#src.slice(this.#i));
        if (!m) throw new Refusal("\\x needs two hex digits", start);
        this.#i += 2;
        return Number.parseInt(m[0], 16);
      }
      case "u": {
        const m = /^[0-9A-Fa-f]{4}/.exec(this.#src.slice(this.#i));
        if (!m) throw new Refusal("\\u needs four hex digits", start);
        this.#i += 4;
        return Number.parseInt(m[0], 16);
      }
      case "c": {
        const letter = this.#peek();
        if (letter === undefined || !/[A-Za-z]/.test(letter)) throw new Refusal("\\c needs a letter", start);
        this.#i++;
        return letter.charCodeAt(0) % 32;
      }
    }
    if (/[1-9]/.test(c) || c === "k") throw new Refusal("backreferences are not supported", start);
    if (c === "p" || c === "P") throw new Refusal("unicode property escapes are not supported", start);
    if (/[A-Za-z0-9]/.test(c)) throw new Refusal(`unknown escape \\${c}`, start);
    return c.charCodeAt(0);
  }

  #charClass(): Node {
    const start = this.#i;
    this.#i++; // [
    let negate = false;
    if (this.#peek() === "^") {
      negate = true;
      this.#i++;
    }
    const tests: Test[] = [];
    const ranges: Array<[number, number]> = [];
    const item = (): number | Test => {
      const c = this.#peek();
      if (c === undefined) throw new Refusal("unterminated character class", start);
      if (c === "\\") return this.#escape(true);
      this.#i++;
      return c.charCodeAt(0);
    };
    while (this.#peek() !== "]") {
      const low = item();
      if (this.#peek() === "-" && this.#peek(1) !== "]" && this.#peek(1) !== undefined) {
        this.#i++;
        const high = item();
        if (typeof low !== "number" || typeof high !== "number") {
          throw new Refusal("a class range needs a character at each end", start);
        }
        if (high < low) throw new Refusal("range out of order in character class", start);
        ranges.push([low, high]);
      } else if (typeof low === "number") ranges.push([low, low]);
      else tests.push(low);
    }
    this.#i++; // ]
    if (this.#flags.i) {
      // Each range is widened with the other case of every code unit it holds (bounded: the class
      // is read once, at configuration time).
      for (const [lo, hi] of [...ranges]) {
        for (let c = lo; c <= hi; c++) for (const v of caseVariants(c)) ranges.push([v, v]);
      }
    }
    const member: Test = (c) => {
      for (const [lo, hi] of ranges) if (c >= lo && c <= hi) return true;
      for (const test of tests) if (test(c)) return true;
      return false;
    };
    return { t: "char", test: negate ? not(member) : member };
  }
}

/**
 * The tests one of which the first character of every match passes (assertions take no
 * character, so they are looked through). The pattern is not nullable, so a match has one.
 */
function firstTests(node: Node): Test[] {
  switch (node.t) {
    case "char":
      return [node.test];
    case "assert":
      return [];
    case "cat": {
      const out: Test[] = [];
      for (const item of node.items) {
        out.push(...firstTests(item));
        if (!nullable(item)) break;
      }
      return out;
    }
    case "alt":
      return node.items.flatMap(firstTests);
    case "rep":
      return firstTests(node.item);
  }
}

function nullable(node: Node): boolean {
  switch (node.t) {
    case "char":
      return false;
    case "assert":
      return true;
    case "cat":
      return node.items.every(nullable);
    case "alt":
      return node.items.some(nullable);
    case "rep":
      return node.min === 0 || nullable(node.item);
  }
}

function emit(node: Node, prog: Inst[], maxInstructions: number): void {
  if (prog.length > maxInstructions)
    throw new Refusal(`the pattern compiles to over ${maxInstructions} steps`, 0);
  switch (node.t) {
    case "char":
      prog.push({ op: "char", test: node.test });
      return;
    case "assert":
      prog.push({ op: "assert", kind: node.kind });
      return;
    case "cat":
      for (const item of node.items) emit(item, prog, maxInstructions);
      return;
    case "alt": {
      const jumps: Array<{ op: "jmp"; x: number }> = [];
      node.items.forEach((item, i) => {
        if (i < node.items.length - 1) {
          const split: Inst = { op: "split", x: prog.length + 1, y: -1 };
          prog.push(split);
          emit(item, prog, maxInstructions);
          const jump = { op: "jmp" as const, x: -1 };
          prog.push(jump);
          jumps.push(jump);
          split.y = prog.length;
        } else emit(item, prog, maxInstructions);
      });
      for (const jump of jumps) jump.x = prog.length;
      return;
    }
    case "rep": {
      for (let k = 0; k < node.min; k++) emit(node.item, prog, maxInstructions);
      if (node.max === Number.POSITIVE_INFINITY) {
        const loop = prog.length;
        const split: Inst = { op: "split", x: loop + 1, y: -1 };
        prog.push(split);
        emit(node.item, prog, maxInstructions);
        prog.push({ op: "jmp", x: loop });
        setSplit(split, prog.length, node.greedy);
        return;
      }
      const splits: Array<Extract<Inst, { op: "split" }>> = [];
      for (let k = node.min; k < node.max; k++) {
        const split: Extract<Inst, { op: "split" }> = { op: "split", x: prog.length + 1, y: -1 };
        prog.push(split);
        splits.push(split);
        emit(node.item, prog, maxInstructions);
      }
      for (const split of splits) setSplit(split, prog.length, node.greedy);
      return;
    }
  }
}

/** A split's first branch is the one preferred: the body when greedy, the exit when lazy. */
function setSplit(split: Extract<Inst, { op: "split" }>, exit: number, greedy: boolean): void {
  if (greedy) split.y = exit;
  else {
    split.y = split.x;
    split.x = exit;
  }
}

/** A compiled custom pattern: {@link compilePattern} makes one, {@link LinearPattern.findAll} runs it. */
export class LinearPattern {
  readonly source: string;
  readonly flags: string;
  readonly #prog: Inst[];
  readonly #multiline: boolean;
  /** Whether a character can start a match: positions where none can are skipped. */
  readonly #canStart: Test;

  constructor(source: string, flags: string, prog: Inst[], multiline: boolean, first: Test[]) {
    this.source = source;
    this.flags = flags;
    this.#prog = prog;
    this.#multiline = multiline;
    this.#canStart = first.length === 1 ? first[0]! : (c) => first.some((test) => test(c));
  }

  /** How many instructions the pattern compiled to: the per-character cost of a scan. */
  get size(): number {
    return this.#prog.length;
  }

  /**
   * Every match in `text`, as a JavaScript `RegExp` with the `g` flag would find them, within
   * `budget` steps (by default twice the cost of one full scan).
   *
   * @example compilePattern("ORD-\\d{6}").pattern.findAll("a ORD-123456 b").spans // [[2, 12]]
   */
  findAll(text: string, budget = 2 * this.#prog.length * (text.length + 1)): FindResult {
    const spans: Array<[number, number]> = [];
    let steps = 0;
    let from = 0;
    while (from <= text.length) {
      const found = this.#search(text, from, budget - steps);
      steps += found.steps;
      if (found.span === "out") return { spans, complete: false, steps };
      if (!found.span) break;
      spans.push(found.span);
      // Empty matches are refused at compile time, so the end is always past the start.
      from = found.span[1];
    }
    return { spans, complete: true, steps };
  }

  #assert(kind: AssertKind, text: string, i: number): boolean {
    const before = i > 0 ? text.charCodeAt(i - 1) : -1;
    const after = i < text.length ? text.charCodeAt(i) : -1;
    switch (kind) {
      case "bol":
        return i === 0 || (this.#multiline && LINE_TERMINATORS.includes(before));
      case "eol":
        return i === text.length || (this.#multiline && LINE_TERMINATORS.includes(after));
      case "wordb":
        return (before >= 0 && isWord(before)) !== (after >= 0 && isWord(after));
      case "nwordb":
        return (before >= 0 && isWord(before)) === (after >= 0 && isWord(after));
    }
  }

  /** The leftmost-first match starting at `from` or later; "out" when the budget ran out. */
  #search(
    text: string,
    from: number,
    budget: number,
  ): { span: [number, number] | undefined | "out"; steps: number } {
    const prog = this.#prog;
    // Per list: thread program counters and their start positions, in priority order.
    let cpc: number[] = [];
    let cstart: number[] = [];
    let npc: number[] = [];
    let nstart: number[] = [];
    const seen = new Int32Array(prog.length).fill(-1);
    let generation = 0;
    let steps = 0;
    let match: [number, number] | undefined;

    const add = (pcs: number[], starts: number[], pc0: number, start: number, i: number): void => {
      // Depth-first in priority order, with an explicit stack (a pattern may nest deeply).
      const stack = [pc0];
      while (stack.length > 0) {
        const pc = stack.pop()!;
        if (seen[pc] === generation) continue;
        seen[pc] = generation;
        steps++;
        const inst = prog[pc]!;
        switch (inst.op) {
          case "jmp":
            stack.push(inst.x);
            break;
          case "split":
            stack.push(inst.y, inst.x);
            break;
          case "assert":
            if (this.#assert(inst.kind, text, i)) stack.push(pc + 1);
            break;
          default:
            pcs.push(pc);
            starts.push(start);
        }
      }
    };

    const canStart = this.#canStart;
    for (let i = from; i <= text.length; i++) {
      // With no thread alive and no match yet, nothing can happen until a character that can
      // start a match: skip to it (this is what keeps a scan of ordinary text cheap).
      if (cpc.length === 0 && match === undefined) {
        while (i < text.length && !canStart(text.charCodeAt(i))) i++;
        if (i === text.length) break;
      }
      generation++;
      // The threads carried over were added for this position under the previous generation;
      // mark them seen so a new start thread does not duplicate them.
      for (const pc of cpc) seen[pc] = generation;
      if (match === undefined) add(cpc, cstart, 0, i, i);
      if (cpc.length === 0) {
        if (match !== undefined) break;
        continue;
      }
      if (steps > budget) return { span: "out", steps };
      generation++;
      const c = i < text.length ? text.charCodeAt(i) : -1;
      for (let k = 0; k < cpc.length; k++) {
        const inst = prog[cpc[k]!]!;
        steps++;
        if (inst.op === "match") {
          match = [cstart[k]!, i];
          break; // lower-priority threads are cut: backtracking would never reach them
        }
        if (inst.op === "char" && c >= 0 && inst.test(c)) add(npc, nstart, cpc[k]! + 1, cstart[k]!, i + 1);
      }
      [cpc, npc] = [npc, cpc];
      [cstart, nstart] = [nstart, cstart];
      npc.length = 0;
      nstart.length = 0;
    }
    return { span: match, steps };
  }
}

/**
 * Parses and compiles a custom pattern, or says why it is refused.
 *
 * @example compilePattern("(a+)+$").ok // true: runs in linear time here
 * @example compilePattern("(\\w)\\1").ok // false: backreferences are refused
 */
export function compilePattern(source: string, flags = "", maxInstructions = 512): CompileResult {
  try {
    const bad = [...flags].find((f) => !"ims".includes(f));
    if (bad !== undefined) throw new Refusal(`flag ${bad} is not supported (only i, m and s)`, 0);
    if (new Set(flags).size !== flags.length) throw new Refusal("a flag appears twice", 0);
    try {
      // The subset read here is JavaScript's: what JavaScript refuses is refused too.
      new RegExp(source, flags);
    } catch (error) {
      throw new Refusal(`not a valid JavaScript regular expression: ${(error as Error).message}`, 0);
    }
    const node = new Parser(source, {
      i: flags.includes("i"),
      m: flags.includes("m"),
      s: flags.includes("s"),
    }).parse();
    if (nullable(node)) throw new Refusal("the pattern matches the empty text", 0);
    const prog: Inst[] = [];
    emit(node, prog, maxInstructions);
    prog.push({ op: "match" });
    if (prog.length > maxInstructions) {
      throw new Refusal(`the pattern compiles to over ${maxInstructions} steps`, 0);
    }
    return {
      ok: true,
      pattern: new LinearPattern(source, flags, prog, flags.includes("m"), firstTests(node)),
    };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, problem: { detail: error.detail, index: error.index } };
    throw error;
  }
}
