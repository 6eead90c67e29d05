// Rule evaluation for redaction at ingest (issue 11 §2): each action, custom patterns, overlaps,
// and failing closed when a pattern runs out of steps.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type CompiledRule,
  compileRule,
  maskKeepingLast4,
  type RedactionRuleSpec,
  redactText,
} from "./rules.js";

function rule(spec: RedactionRuleSpec): CompiledRule {
  const compiled = compileRule(spec);
  assert.ok(compiled.ok);
  return compiled.rule;
}

/** A stand-in keyed hash that shows what it was given. */
const fakeHash = (value: string): string => `h(${value})`;

describe("redactText", () => {
  const emails = rule({ name: "emails", detector: "email_address", action: "label" });
  const cards = rule({ name: "cards", detector: "credit_card", action: "mask" });
  const hashedEmails = rule({ name: "emails", detector: "email_address", action: "hash" });

  it("replaces a span with its label", () => {
    assert.deepEqual(redactText("to alice@example.com.", [emails]), {
      text: "to <EMAIL_ADDRESS>.",
      fired: ["emails"],
      hashed: false,
    });
  });

  it("masks all but the last four letters and digits, keeping separators", () => {
    assert.equal(redactText("card 4111 1111 1111 1111", [cards]).text, "card **** **** **** 1111");
    assert.equal(maskKeepingLast4("abc"), "**c");
    assert.equal(maskKeepingLast4("ab-cd-ef-gh-ij"), "**-**-**-gh-ij");
    assert.equal(maskKeepingLast4("123456"), "***456");
  });

  it("hashes the canonical form, so equal values written two ways give the same text", () => {
    const a = redactText("Alice@Example.com", [hashedEmails], fakeHash);
    const b = redactText("alice@example.com", [hashedEmails], fakeHash);
    assert.equal(a.text, "<EMAIL_ADDRESS:h(alice@example.com)>");
    assert.equal(a.text, b.text);
    assert.equal(a.hashed, true);
  });

  it("runs custom patterns with their own label, and reports only the rules that fired, in rule order", () => {
    const orders = rule({ name: "orders", pattern: "ORD-\\d{6}", action: "label", label: "ORDER_ID" });
    const other = rule({ name: "never", pattern: "zzz\\d", action: "label" });
    const result = redactText("ORD-123456 by bob@example.com", [orders, other, emails]);
    assert.deepEqual(result, {
      text: "<ORDER_ID> by <EMAIL_ADDRESS>",
      fired: ["orders", "emails"],
      hashed: false,
    });
  });

  it("resolves overlaps leftmost, then longest, then by rule order, on the original text only", () => {
    const digits = rule({ name: "digits", pattern: "\\d{4}", action: "label", label: "D" });
    // The card starts first and is longer: it wins; the digits rule never sees the mask's output.
    assert.deepEqual(redactText("4111111111111111", [digits, cards]), {
      text: "************1111",
      fired: ["cards"],
      hashed: false,
    });
    const sameSpan = rule({
      name: "first",
      pattern: "[a-z]+@example\\.com",
      action: "label",
      label: "FIRST",
    });
    assert.equal(redactText("bob@example.com", [sameSpan, emails]).text, "<FIRST>");
  });

  it("leaves a value without matches as it is", () => {
    assert.deepEqual(redactText("nothing here", [emails, cards]), {
      text: "nothing here",
      fired: [],
      hashed: false,
    });
  });

  it("fails closed when a pattern runs out of steps: the whole value gets the rule's action", () => {
    const greedy = rule({ name: "greedy", pattern: "a[^x]*x|ab", action: "label", label: "CUT" });
    const text = `bob@example.com ${"ab".repeat(20_000)}`;
    const result = redactText(text, [emails, greedy]);
    assert.equal(result.text, "<CUT>");
    assert.deepEqual(result.fired, ["greedy"]);
  });

  it("shares a step budget across values: once it is spent, further patterns fail closed", () => {
    const wide = rule({ name: "wide", pattern: "[a-z]{0,50}y", action: "label", label: "CUT" });
    const value = "x".repeat(2000);
    const budget = { remaining: 1_000_000 };
    const results = Array.from({ length: 5 }, () => redactText(value, [wide], undefined, budget).text);
    assert.equal(results[0], value, "the first values fit in the budget and have no match");
    assert.equal(results[4], "<CUT>", "the last ones are cut off and redacted whole");
    assert.ok(budget.remaining <= 0);
    // Without a shared budget each value has its own, and none is cut off.
    assert.equal(redactText(value, [wide]).text, value);
  });

  it("needs a keyed hash only when a hash rule fires", () => {
    assert.equal(redactText("no email", [hashedEmails]).text, "no email");
    assert.throws(() => redactText("a@example.com", [hashedEmails]), /no keyed hash/);
  });

  it("refuses a rule whose pattern cannot run in linear time", () => {
    const compiled = compileRule({ name: "bad", pattern: "(a)\\1", action: "label" });
    assert.equal(compiled.ok, false);
  });
});

describe("the redaction module", () => {
  it("imports no node: module and reads no clock, so a browser can run it", () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    assert.ok(sources.length >= 3);
    for (const file of sources) {
      const text = readFileSync(join(dir, file), "utf8");
      assert.doesNotMatch(text, /from "node:|require\(|Date\.now\(|performance\./, file);
      for (const [, spec] of text.matchAll(/from "([^"]+)"/g))
        assert.match(spec!, /^\.\//, `${file} imports ${spec}`);
    }
  });
});
