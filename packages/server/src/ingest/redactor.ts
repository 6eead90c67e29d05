import { createHmac } from "node:crypto";
import {
  type CompiledRule,
  compileRule,
  DEFAULT_PATTERN_LABEL,
  disjoin,
  type NormalizedEvent,
  type QueryNode,
  redactText,
  type StepBudget,
} from "@veritrail/core";
import { MAX_REDACTION_PATTERN_INSTRUCTIONS, REDACTION_HASH_HEX_LENGTH } from "../limits.js";
import type { ConfigSettings, SignedEventPolicy } from "../store/contract/config.js";

/*
 * A configuration's redaction at ingest, compiled once per configuration (log/config-directory.ts
 * caches it): the rules of `redaction.rules` on the fields marked `redact`, or the older
 * whole-value `mask` when there are none (docs/design/redaction.md).
 */

/** The name of the server secret (`ensureServerSecret`) that keys a configuration's `hash` rules. */
export function redactionSecretName(configId: string): string {
  return `redaction-hmac:${configId}`;
}

/** Whether the configuration's redaction needs its secret: a rule hashes. */
export function redactionNeedsSecret(settings: ConfigSettings): boolean {
  const redaction = settings.redaction;
  return redaction?.enabled === true && (redaction.rules ?? []).some((r) => r.action === "hash");
}

/** What redaction did to one event. */
export interface RedactedEvent {
  event: NormalizedEvent;
  /** Field id → names of the rules that changed it; empty when no rule fired (or for the whole-value mask). */
  firedBy: Record<string, string[]>;
  /** The fields whose value changed, in schema order. */
  changed: string[];
}

export class Redactor {
  readonly signedEvents: SignedEventPolicy;
  readonly #fields: readonly string[];
  /** The redacted fields a free term searches (`string` and `text`), with their types. */
  readonly #freeTextFields: ReadonlyArray<{ id: string; type: "string" | "text" }>;
  readonly #rules: readonly CompiledRule[];
  readonly #mask: string;
  readonly #hash: ((value: string) => string) | undefined;
  readonly #hashes: boolean;

  /**
   * @param secret the configuration's redaction secret; needed when a rule hashes
   *   ({@link redactionNeedsSecret}).
   */
  constructor(settings: ConfigSettings, secret?: Buffer) {
    const redaction = settings.redaction!;
    this.signedEvents = redaction.signed_events ?? "store_unredacted";
    this.#mask = redaction.mask;
    this.#fields = settings.schema.fields.filter((f) => f.redact).map((f) => f.id);
    this.#freeTextFields = settings.schema.fields
      .filter((f) => f.redact && (f.type === "string" || f.type === "text"))
      .map((f) => ({ id: f.id, type: f.type as "string" | "text" }));
    this.#rules = (redaction.rules ?? []).map((spec): CompiledRule => {
      const compiled = compileRule(spec, MAX_REDACTION_PATTERN_INSTRUCTIONS);
      if (compiled.ok) return compiled.rule;
      // Stored rules compiled when they were written (admin/redaction-document.ts); one that no
      // longer does (a bound lowered since) fails closed: it redacts every value it is given.
      return {
        name: spec.name,
        action: spec.action,
        label: spec.label ?? DEFAULT_PATTERN_LABEL,
        find: () => ({ spans: [], complete: false }),
        canonical: (value) => value,
      };
    });
    this.#hashes = this.#rules.some((r) => r.action === "hash");
    if (this.#hashes && !secret) throw new Error("a redaction rule hashes, and no secret was given");
    this.#hash = secret
      ? (value) =>
          createHmac("sha256", secret).update(value, "utf8").digest("hex").slice(0, REDACTION_HASH_HEX_LENGTH)
      : undefined;
  }

  /** The configuration's redaction, when it is on; undefined when there is nothing to do. */
  static of(settings: ConfigSettings, secret?: Buffer): Redactor | undefined {
    if (!settings.redaction?.enabled || !settings.schema.fields.some((f) => f.redact)) return undefined;
    return new Redactor(settings, secret);
  }

  /** One value of a `redact` field as it would be stored (the malformed-value notes use it). */
  redactValue(field: string, value: string, budget?: StepBudget): string {
    return this.redact({ [field]: value }, budget).event[field] as string;
  }

  /**
   * Redacts the `redact` fields of `event` (a copy; `event` is not changed). Custom patterns take
   * their steps from `budget` (a request's: `IngestPolicy.redactionBudget`).
   */
  redact(event: NormalizedEvent, budget?: StepBudget): RedactedEvent {
    const out: NormalizedEvent = { ...event };
    const firedBy: Record<string, string[]> = {};
    const changed: string[] = [];
    for (const field of this.#fields) {
      const value = event[field];
      if (typeof value !== "string") continue;
      if (this.#rules.length === 0) {
        // The older form: the whole value becomes the mask.
        if (value !== this.#mask) changed.push(field);
        out[field] = this.#mask;
        continue;
      }
      const result = redactText(value, this.#rules, this.#hash, budget);
      if (result.fired.length === 0) continue;
      out[field] = result.text;
      firedBy[field] = [...result.fired];
      changed.push(field);
    }
    return { event: out, firedBy, changed };
  }

  /**
   * The query as it must run on stored values: a `field:value` or `field=value` on a redacted
   * field whose value a `hash` rule would hash also matches the stored form, so a search for the
   * original finds the events without the original being stored (and still finds the original
   * where it is stored: client-signed events kept as signed). Other values are left as
   * written: a labelled or masked original is not stored, and a search for it finds nothing.
   * A free term that would be hashed also matches its hashed form in each redacted text field.
   */
  rewriteQuery(node: QueryNode): QueryNode {
    if (!this.#hashes) return node;
    switch (node.kind) {
      case "and":
      case "or":
        return { kind: node.kind, children: node.children.map((c) => this.rewriteQuery(c)) };
      case "not":
        return { kind: "not", child: this.rewriteQuery(node.child) };
      case "match": {
        if (node.field === null) {
          // A free term is in some field: as written in the others, or hashed in a redacted one.
          const result = redactText(node.value, this.#rules, this.#hash);
          if (!result.hashed) return node;
          return disjoin([
            node,
            ...this.#freeTextFields.map((f) => ({
              kind: "match" as const,
              field: f.id,
              fieldType: f.type,
              op: "contains" as const,
              value: result.text,
            })),
          ]);
        }
        if (typeof node.value !== "string") return node;
        if (node.fieldType === "datetime" || !this.#fields.includes(node.field)) return node;
        const result = redactText(node.value, this.#rules, this.#hash);
        // Either form: a client-signed event kept unredacted holds the original.
        return result.hashed ? disjoin([node, { ...node, value: result.text }]) : node;
      }
      default:
        return node;
    }
  }
}
