// The redactor of one configuration: the older whole-value mask, rules, the query rewrite, and a
// stored rule that no longer compiles.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type QueryNode, restrictQuery } from "@veritrail/core";
import { defaultConfigSettings } from "./event-schema.js";
import { Redactor, redactionNeedsSecret } from "./redactor.js";

function settingsWith(redaction: Record<string, unknown>) {
  const settings = defaultConfigSettings();
  settings.schema.fields = settings.schema.fields.map((f) =>
    f.id === "message" || f.id === "actor" ? { ...f, redact: true } : f,
  );
  settings.redaction = { enabled: true, mask: "****", ...redaction };
  return settings;
}

describe("Redactor", () => {
  it("is off when redaction is off or no field is marked redact", () => {
    const off = settingsWith({ enabled: false });
    assert.equal(Redactor.of(off), undefined);
    const unmarked = defaultConfigSettings();
    unmarked.redaction = { enabled: true, mask: "****" };
    assert.equal(Redactor.of(unmarked), undefined);
  });

  it("needs its secret only when a rule hashes", () => {
    assert.equal(
      redactionNeedsSecret(
        settingsWith({ rules: [{ name: "e", detector: "email_address", action: "label" }] }),
      ),
      false,
    );
    const hashing = settingsWith({ rules: [{ name: "e", detector: "email_address", action: "hash" }] });
    assert.equal(redactionNeedsSecret(hashing), true);
    assert.throws(() => Redactor.of(hashing), /no secret/);
  });

  it("fails closed on a stored rule that no longer compiles: the whole value is redacted", () => {
    const redactor = Redactor.of(
      settingsWith({ rules: [{ name: "old", pattern: "(a)\\1", action: "label" }] }),
    )!;
    const { event, firedBy } = redactor.redact({ message: "anything at all", target: "t" });
    assert.deepEqual(event, { message: "<REDACTED>", target: "t" });
    assert.deepEqual(firedBy, { message: ["old"] });
  });

  it("rewrites only values a hash rule hashes, on redacted fields, and under restrictions too", () => {
    const settings = settingsWith({
      rules: [
        { name: "e", detector: "email_address", action: "hash" },
        { name: "s", detector: "us_ssn", action: "label" },
      ],
    });
    const redactor = Redactor.of(settings, Buffer.alloc(32, 1))!;
    const stored = redactor.redact({ actor: "a@example.com" }).event["actor"];
    const match = (field: string, value: string): QueryNode => ({
      kind: "match",
      field,
      fieldType: "string",
      op: "exact",
      value,
    });
    const either = {
      kind: "or",
      children: [match("actor", "a@example.com"), match("actor", stored as string)],
    };
    assert.deepEqual(redactor.rewriteQuery(match("actor", "a@example.com")), either);
    assert.deepEqual(
      redactor.rewriteQuery(match("target", "a@example.com")),
      match("target", "a@example.com"),
    );
    assert.deepEqual(redactor.rewriteQuery(match("actor", "123-45-6789")), match("actor", "123-45-6789"));
    const restricted = restrictQuery({ kind: "all" }, settings.schema, {
      token: { actor: ["a@example.com"] },
    });
    assert.deepEqual(redactor.rewriteQuery(restricted), either);
  });
});
