import { DETECTORS, type DetectorName } from "./detectors.js";
import { compilePattern, type PatternProblem } from "./linear-regex.js";

/*
 * Redaction rules and their evaluation (issue 11 §2): a rule finds spans (a built-in detector or
 * a custom pattern) and says what each becomes. Pure, and with no `node:` module: the keyed hash
 * is a function the caller passes in (the server's is an HMAC under the configuration's secret),
 * so a browser can evaluate the same rules.
 *
 * How one value is redacted: every rule finds its spans in the original text; overlapping spans
 * are resolved leftmost first, then longest, then in rule order; the kept spans are rewritten
 * once, so no rule ever sees another's output (a hash's hex digits cannot set off a later rule).
 */

/** What becomes of a span: `<LABEL>`, the span with all but its last 4 letters and digits masked, or `<LABEL:hmac>`. */
export type RedactionAction = "label" | "mask" | "hash";

export const REDACTION_ACTIONS: readonly RedactionAction[] = ["label", "mask", "hash"];

/** A rule as a configuration document holds it: a detector or a pattern, never both. */
export interface RedactionRuleSpec {
  name: string;
  detector?: DetectorName;
  pattern?: string;
  flags?: string;
  action: RedactionAction;
  /** The label written by `label` and `hash`; by default the detector's, or `REDACTED` for a pattern. */
  label?: string;
}

/** A rule ready to run. */
export interface CompiledRule {
  readonly name: string;
  readonly action: RedactionAction;
  readonly label: string;
  /**
   * The rule's spans in `text`; `complete` is false when a pattern ran out of steps. A pattern
   * takes its steps from `budget` too, when one is given.
   */
  find(text: string, budget?: StepBudget): { spans: Array<[number, number]>; complete: boolean };
  /** The form of a span that is hashed. */
  canonical(span: string): string;
}

/**
 * Steps the custom patterns of many values may take together (a request's, say): each scan
 * takes what it used, and once none is left every further pattern is cut off and fails closed.
 */
export interface StepBudget {
  remaining: number;
}

/** A keyed hash of a value, as short printable text (the server's: hex of an HMAC-SHA-256 prefix). */
export type KeyedHash = (value: string) => string;

/** The label of a rule without one of its own, for a custom pattern. */
export const DEFAULT_PATTERN_LABEL = "REDACTED";

/**
 * Compiles one rule, or says what is wrong with its pattern.
 *
 * @example compileRule({ name: "cards", detector: "credit_card", action: "mask" })
 * @example compileRule({ name: "orders", pattern: "ORD-\\d{6}", action: "hash", label: "ORDER" })
 */
export function compileRule(
  spec: RedactionRuleSpec,
  maxInstructions?: number,
): { ok: true; rule: CompiledRule } | { ok: false; problem: PatternProblem } {
  const base = { name: spec.name, action: spec.action };
  if (spec.detector !== undefined) {
    const detector = DETECTORS[spec.detector];
    return {
      ok: true,
      rule: {
        ...base,
        label: spec.label ?? detector.label,
        find: (text) => ({ spans: detector.find(text), complete: true }),
        canonical: detector.canonical,
      },
    };
  }
  const compiled = compilePattern(spec.pattern ?? "", spec.flags ?? "", maxInstructions);
  if (!compiled.ok) return compiled;
  const pattern = compiled.pattern;
  return {
    ok: true,
    rule: {
      ...base,
      label: spec.label ?? DEFAULT_PATTERN_LABEL,
      find: (text, budget) => {
        const own = 2 * pattern.size * (text.length + 1);
        const found = pattern.findAll(text, budget ? Math.min(own, budget.remaining) : own);
        if (budget) budget.remaining -= found.steps;
        return found;
      },
      canonical: (s) => s,
    },
  };
}

/** What redacting one value did: the new text, and the names of the rules that changed it, in rule order. */
export interface RedactedValue {
  readonly text: string;
  readonly fired: readonly string[];
  /** True when a kept span came from a `hash` rule: the value can then be found by what it was. */
  readonly hashed: boolean;
}

/**
 * "Partial mask": letters and digits become `*` except the last four, and other characters stay,
 * so a card keeps its shape (`**** **** **** 1111`). A span of fewer than eight letters and digits
 * keeps only half of them, so a mask never shows most of a short value.
 */
export function maskKeepingLast4(span: string): string {
  let total = 0;
  for (let i = 0; i < span.length; i++) if (isAlnum(span.charCodeAt(i))) total++;
  const keep = Math.min(4, Math.floor(total / 2));
  let seen = 0;
  let out = "";
  for (let i = 0; i < span.length; i++) {
    const c = span.charCodeAt(i);
    if (!isAlnum(c)) out += span[i];
    else out += ++seen > total - keep ? span[i] : "*";
  }
  return out;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Redacts one value with `rules`. A rule whose scan was cut off (a pattern out of steps) fails
 * closed: its action is applied to the whole value. `keyedHash` is needed only if a `hash` rule
 * fires; `budget`, when given, bounds the steps of all patterns over all the values it is passed with.
 *
 * @example
 *   redactText("mail bob@example.com", [emailLabelRule]) // { text: "mail <EMAIL_ADDRESS>", fired: ["emails"], hashed: false }
 */
export function redactText(
  text: string,
  rules: readonly CompiledRule[],
  keyedHash?: KeyedHash,
  budget?: StepBudget,
): RedactedValue {
  const found: Array<{ start: number; end: number; rule: number }> = [];
  rules.forEach((rule, index) => {
    const { spans, complete } = rule.find(text, budget);
    if (!complete) found.push({ start: 0, end: text.length, rule: index });
    else for (const [start, end] of spans) found.push({ start, end, rule: index });
  });
  if (found.length === 0) return { text, fired: [], hashed: false };
  found.sort((a, b) => a.start - b.start || b.end - a.end || a.rule - b.rule);
  const firedRules = new Set<number>();
  let out = "";
  let at = 0;
  let hashed = false;
  for (const span of found) {
    if (span.start < at || span.end <= span.start) continue;
    const rule = rules[span.rule]!;
    const original = text.slice(span.start, span.end);
    out += text.slice(at, span.start);
    switch (rule.action) {
      case "label":
        out += `<${rule.label}>`;
        break;
      case "mask":
        out += maskKeepingLast4(original);
        break;
      case "hash":
        if (!keyedHash) throw new Error(`rule ${rule.name} hashes, and no keyed hash was given`);
        out += `<${rule.label}:${keyedHash(rule.canonical(original))}>`;
        hashed = true;
        break;
    }
    firedRules.add(span.rule);
    at = span.end;
  }
  out += text.slice(at);
  const fired = [...firedRules].sort((a, b) => a - b).map((i) => rules[i]!.name);
  return { text: out, fired, hashed };
}
