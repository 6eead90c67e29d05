import {
  compileRule,
  DETECTOR_NAMES,
  type DetectorName,
  REDACTION_ACTIONS,
  type RedactionAction,
  type RedactionRuleSpec,
} from "@veritrail/core";
import { clip, type ErrorField } from "../errors.js";
import { BodyReader } from "../guards/body-reader.js";
import {
  MAX_REDACTION_LABEL_LENGTH,
  MAX_REDACTION_MASK_LENGTH,
  MAX_REDACTION_PATTERN_INSTRUCTIONS,
  MAX_REDACTION_PATTERN_LENGTH,
  MAX_REDACTION_RULE_NAME_LENGTH,
  MAX_REDACTION_RULES,
} from "../limits.js";
import type { RedactionSettings, SignedEventPolicy } from "../store/contract/config.js";

/*
 * The `redaction` member of a configuration document (docs/design/redaction.md):
 *
 *   "redaction": {
 *     "enabled": true,
 *     "signed_events": "reject",            // or "store_unredacted" (the default)
 *     "rules": [
 *       { "name": "emails", "detector": "email_address", "action": "hash" },
 *       { "name": "cards", "detector": "credit_card", "action": "mask" },
 *       { "name": "orders", "pattern": "ORD-\\d{6}", "flags": "i", "action": "label", "label": "ORDER_ID" }
 *     ],
 *     "mask": "****"                         // the whole-value mask, used only while rules is empty
 *   }
 *
 * On update, members left out keep their values, so `{ "enabled": false }` pauses redaction
 * without losing its rules. Every problem names its member by JSON pointer.
 */

const REDACTION_KEYS = ["enabled", "mask", "rules", "signed_events"];
const RULE_KEYS = ["name", "detector", "pattern", "flags", "action", "label"];
const SIGNED_EVENT_POLICIES: readonly SignedEventPolicy[] = ["reject", "store_unredacted"];
const RULE_NAME = /^[a-z][a-z0-9_-]*$/;
const LABEL = /^[A-Z][A-Z0-9_]*$/;

function readRule(value: unknown, pointer: string, errors: ErrorField[]): RedactionRuleSpec | undefined {
  const body = new BodyReader(value, pointer, RULE_KEYS, errors);
  if (!body.isObject) return undefined;
  const before = errors.length;
  const name = body.string("name", {
    max: MAX_REDACTION_RULE_NAME_LENGTH,
    pattern: RULE_NAME,
    patternText: "lower case letters, digits, _ and -, starting with a letter",
  });
  if (!body.has("name"))
    errors.push({ code: "FieldRequired", detail: "name is required", source: body.at("name") });
  const action = body.string("action", { max: 16 }) as RedactionAction | undefined;
  if (!body.has("action")) {
    errors.push({ code: "FieldRequired", detail: "action is required", source: body.at("action") });
  } else if (action !== undefined && !REDACTION_ACTIONS.includes(action)) {
    errors.push({
      code: "NotEnumMember",
      detail: `action must be one of ${REDACTION_ACTIONS.join(", ")}`,
      source: body.at("action"),
    });
  }
  const label = body.string("label", {
    max: MAX_REDACTION_LABEL_LENGTH,
    pattern: LABEL,
    patternText: "upper case letters, digits and _, starting with a letter",
  });
  const detector = body.string("detector", { max: 32 }) as DetectorName | undefined;
  const pattern = body.string("pattern", { max: MAX_REDACTION_PATTERN_LENGTH });
  const flags = body.string("flags", { max: 3 });
  if (body.has("detector") && body.has("pattern")) {
    errors.push({
      code: "MutuallyExclusive",
      detail: "a rule has a detector or a pattern, not both",
      source: body.at("pattern"),
    });
  } else if (!body.has("detector") && !body.has("pattern")) {
    errors.push({
      code: "MustProvideOne",
      detail: "a rule needs a detector or a pattern",
      source: pointer,
    });
  }
  if (detector !== undefined && !DETECTOR_NAMES.includes(detector)) {
    errors.push({
      code: "NotEnumMember",
      detail: `detector must be one of ${DETECTOR_NAMES.join(", ")}`,
      source: body.at("detector"),
    });
  }
  if (body.has("flags") && !body.has("pattern")) {
    errors.push({ code: "IsDependentOn", detail: "flags apply to a pattern", source: body.at("flags") });
  }
  if (errors.length > before) return undefined;
  const spec: RedactionRuleSpec = { name: name!, action: action! };
  if (detector !== undefined) spec.detector = detector;
  if (pattern !== undefined) spec.pattern = pattern;
  if (flags !== undefined) spec.flags = flags;
  if (label !== undefined) spec.label = label;
  if (pattern !== undefined) {
    // Refused here rather than at ingestion: what cannot run in linear time is never stored.
    const compiled = compileRule(spec, MAX_REDACTION_PATTERN_INSTRUCTIONS);
    if (!compiled.ok) {
      errors.push({
        code: "BadFormat",
        detail: `pattern refused at character ${compiled.problem.index}: ${compiled.problem.detail}`,
        source: body.at("pattern"),
      });
      return undefined;
    }
  }
  return spec;
}

/** Reads `redaction`; on update, members left out keep `existing`'s values. */
export function readRedaction(
  value: unknown,
  pointer: string,
  errors: ErrorField[],
  existing: RedactionSettings | undefined,
): RedactionSettings | undefined {
  const body = new BodyReader(value, pointer, REDACTION_KEYS, errors);
  if (!body.isObject) return undefined;
  const before = errors.length;
  const enabled = body.boolean("enabled") ?? existing?.enabled ?? false;
  const mask = body.string("mask", { max: MAX_REDACTION_MASK_LENGTH }) ?? existing?.mask ?? "****";
  const settings: RedactionSettings = { ...existing, enabled, mask };
  const policy = body.string("signed_events", { max: 32 }) as SignedEventPolicy | undefined;
  if (policy !== undefined) {
    if (SIGNED_EVENT_POLICIES.includes(policy)) settings.signed_events = policy;
    else {
      errors.push({
        code: "NotEnumMember",
        detail: `signed_events must be one of ${SIGNED_EVENT_POLICIES.join(", ")}`,
        source: body.at("signed_events"),
      });
    }
  }
  if (body.has("rules")) {
    const raw = body.raw("rules");
    if (!Array.isArray(raw)) {
      errors.push({
        code: "InvalidArray",
        detail: "rules must be a list of rules",
        source: body.at("rules"),
      });
    } else if (raw.length > MAX_REDACTION_RULES) {
      errors.push({
        code: "AboveMaxItems",
        detail: `a configuration has at most ${MAX_REDACTION_RULES} redaction rules`,
        source: body.at("rules"),
      });
    } else {
      const rules: RedactionRuleSpec[] = [];
      const names = new Set<string>();
      raw.forEach((item, i) => {
        const rule = readRule(item, `${body.at("rules")}/${i}`, errors);
        // Names are compared even when a rule is otherwise wrong, so every problem shows at once.
        const name = (item as { name?: unknown } | null)?.name;
        if (typeof name === "string") {
          if (names.has(name)) {
            errors.push({
              code: "ItemNotUnique",
              detail: `rule name ${clip(name)} appears twice`,
              source: `${body.at("rules")}/${i}/name`,
            });
          }
          names.add(name);
        }
        if (rule) rules.push(rule);
      });
      settings.rules = rules;
    }
  }
  return errors.length > before ? undefined : settings;
}
