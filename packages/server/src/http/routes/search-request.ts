import {
  DURATION_PATTERN,
  type FieldRestrictions,
  parseDuration,
  parseReceivedAt,
  readDatetime,
} from "@veritrail/core";
import { pointerToken } from "../../errors.js";
import type { BodyReader } from "../../guards/body-reader.js";
import {
  DEFAULT_SEARCH_WINDOW_SECONDS,
  MAX_RESTRICTED_VALUE_LENGTH,
  MAX_SEARCH_ORDER_BY_LENGTH,
  MAX_SEARCH_RESTRICTION_VALUES,
  MAX_SEARCH_TIME_LENGTH,
} from "../../limits.js";
import type { ResolvedConfig } from "../../log/config-directory.js";
import type { SearchOrderBy } from "../../store/contract/search.js";

/*
 * The parts of a `v1/search` / `v1/results` body that need more than a type check (wire-protocol
 * §4.3): the time window, the sort field, and search restrictions. Each records its problems on
 * the reader, with the field's pointer, and returns undefined for a value it could not read.
 */

/** The fields a `search_restriction` may name (wire-protocol §4.3, the OpenAPI's six). */
export const RESTRICTABLE_FIELDS = ["action", "actor", "source", "status", "target", "tenant_id"] as const;

/** A restriction in one canonical form: sorted field ids, each with its distinct values sorted, no empty list. */
export type NormalizedRestriction = Record<string, string[]>;

/**
 * A restriction as compared and stored: fields in id order, values distinct and sorted, and an
 * empty list left out (a request's empty list restricts nothing, core restrict.ts). Two
 * restrictions that mean the same thing give the same form. A token's empty list allows nothing,
 * so it is kept (`keepEmpty`).
 */
export function normalizeRestriction(
  restriction: FieldRestrictions | undefined,
  options: { keepEmpty?: boolean } = {},
): NormalizedRestriction {
  const out: NormalizedRestriction = {};
  for (const id of Object.keys(restriction ?? {}).sort()) {
    const values = [...new Set(restriction![id])].sort();
    if (values.length > 0 || options.keepEmpty) out[id] = values;
  }
  return out;
}

/** True when two normalised restrictions are the same. */
export function sameRestriction(a: NormalizedRestriction, b: NormalizedRestriction): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Reads `search_restriction` or `assert_search_restriction`: an object whose members are among
 * `RESTRICTABLE_FIELDS`, each a list of at most `MAX_SEARCH_RESTRICTION_VALUES` strings of at
 * most `MAX_RESTRICTED_VALUE_LENGTH` characters.
 */
export function readRestriction(body: BodyReader, key: string): FieldRestrictions | undefined {
  const value = body.raw(key);
  if (value === undefined || value === null) return undefined;
  const pointer = body.at(key);
  if (typeof value !== "object" || Array.isArray(value)) {
    body.errors.push({ code: "InvalidObject", detail: `${key} must be an object`, source: pointer });
    return undefined;
  }
  const before = body.errors.length;
  const out: Record<string, string[]> = {};
  for (const [field, values] of Object.entries(value as Record<string, unknown>)) {
    const at = `${pointer}/${pointerToken(field)}`;
    if (!(RESTRICTABLE_FIELDS as readonly string[]).includes(field)) {
      body.errors.push({
        code: "UnexpectedProperty",
        detail: `${key} restricts only ${RESTRICTABLE_FIELDS.join(", ")}`,
        source: at,
      });
    } else if (!Array.isArray(values)) {
      body.errors.push({
        code: "InvalidArray",
        detail: `${key}.${field} must be a list of strings`,
        source: at,
      });
    } else if (values.length > MAX_SEARCH_RESTRICTION_VALUES) {
      body.errors.push({
        code: "AboveMaxItems",
        detail: `${key}.${field} lists at most ${MAX_SEARCH_RESTRICTION_VALUES} values`,
        source: at,
      });
    } else {
      values.forEach((item, i) => {
        if (typeof item !== "string") {
          body.errors.push({
            code: "InvalidString",
            detail: "a restricted value is a string",
            source: `${at}/${i}`,
          });
        } else if (item.length > MAX_RESTRICTED_VALUE_LENGTH) {
          body.errors.push({
            code: "AboveMaxLength",
            detail: `a restricted value is at most ${MAX_RESTRICTED_VALUE_LENGTH} characters`,
            source: `${at}/${i}`,
          });
        }
      });
      out[field] = values as string[];
    }
  }
  return body.errors.length > before ? undefined : out;
}

/**
 * Reads `start` or `end`: an RFC 3339 date-time, or a duration meaning that long before now
 * (`7d`, `120min`, `0d`; core duration.ts). Microseconds since the epoch, rounded so that the
 * inclusive bound keeps exactly the stored times it should (`up` for a start, `down` for an end).
 */
function readInstant(body: BodyReader, key: "start" | "end", nowMicros: number): number | undefined {
  const text = body.string(key, { max: MAX_SEARCH_TIME_LENGTH });
  if (text === undefined) return undefined;
  if (DURATION_PATTERN.test(text)) return clampMicros(nowMicros - parseDuration(text) * 1_000_000);
  const instant = readDatetime(text, key === "start" ? "up" : "down");
  if (instant === undefined) {
    body.errors.push({
      code: "BadFormatDateTime",
      detail: `${key} must be an RFC 3339 date-time or a duration such as 7d or 120min`,
      source: body.at(key),
    });
    return undefined;
  }
  return clampMicros(parseReceivedAt(instant));
}

/**
 * A bound as the stores take it: a safe integer, and not before the epoch (no event is). A
 * duration of 999999999y or the year 9999 says no more than the edge does, and stays a number
 * both databases' 64-bit columns compare exactly.
 */
function clampMicros(micros: number): number {
  return Math.min(Math.max(micros, 0), Number.MAX_SAFE_INTEGER);
}

/**
 * The `received_at` window of a search: `start` defaults to 14 days before now, `end` to no
 * bound (events are stamped at most now, and the sequencer may stamp a burst a few microseconds
 * ahead of the clock, which a bound at "now" would cut off). A start after the end is refused.
 */
export function readTimeWindow(
  body: BodyReader,
  nowMicros: number,
): { startMicros: number; endMicros: number | undefined } {
  const start = readInstant(body, "start", nowMicros);
  const end = readInstant(body, "end", nowMicros);
  if (start !== undefined && end !== undefined && start > end) {
    body.errors.push({
      code: "NotWithinRange",
      detail: "start must not be after end",
      source: body.at("start"),
    });
  }
  return { startMicros: start ?? nowMicros - DEFAULT_SEARCH_WINDOW_SECONDS * 1_000_000, endMicros: end };
}

/** Reads `order`: `asc` or `desc` (default). */
export function readOrder(body: BodyReader): "asc" | "desc" {
  const order = body.raw("order");
  if (order === undefined || order === null) return "desc";
  if (order === "asc" || order === "desc") return order;
  body.errors.push({ code: "NotEnumMember", detail: "order must be asc or desc", source: body.at("order") });
  return "desc";
}

/**
 * Reads `order_by`: `received_at` (the default, which is leaf order) or a field of the
 * configuration's schema that has an index (so not `string-unindexed`). The standard schema's
 * fields are the OpenAPI enum; a custom schema's fields are what the SDKs pass through.
 */
export function readOrderBy(body: BodyReader, resolved: ResolvedConfig): SearchOrderBy {
  const received: SearchOrderBy = { kind: "received_at" };
  const text = body.string("order_by", { max: MAX_SEARCH_ORDER_BY_LENGTH });
  if (text === undefined || text === "received_at") return received;
  const field = resolved.config.settings.schema.fields.find((f) => f.id === text);
  const fieldNo = field && resolved.fieldNumbers.get(field.id);
  if (!field || field.type === "string-unindexed" || fieldNo === undefined) {
    body.errors.push({
      code: "NotEnumMember",
      detail: "order_by must be received_at or an indexed field of the configuration's schema",
      source: body.at("order_by"),
    });
    return received;
  }
  return { kind: "field", fieldId: field.id, fieldNo, type: field.type };
}
