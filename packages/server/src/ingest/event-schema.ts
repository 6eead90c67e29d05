import { canonicalize, type EventValue, type NormalizedEvent } from "@veritrail/core";
import { clip, type ErrorField, pointerToken } from "../errors.js";
import {
  AUDIT_CODE_FIELD_SIZE,
  AUDIT_NAME_FIELD_SIZE,
  AUDIT_TEXT_FIELD_SIZE,
  MAX_FIELD_NAME_LENGTH,
} from "../limits.js";
import type { ConfigSettings, EventSchema, SchemaField } from "../store/contract/config.js";

export type {
  ConfigSettings,
  EventSchema,
  FieldType,
  SaveMalformed,
  SchemaField,
} from "../store/contract/config.js";

/*
 * Event schemas (wire-protocol §6, product-features §2): the standard schema every new
 * configuration starts with, custom fields, and the validation every event goes through.
 */

/** The standard schema (OpenAPI `AuditEvent`): sizes as documented, `message` required. */
export const STANDARD_SCHEMA: EventSchema = Object.freeze({
  save_malformed: "reject",
  fields: [
    { id: "message", name: "Message", type: "text", size: AUDIT_TEXT_FIELD_SIZE, required: true },
    { id: "actor", name: "Actor", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "action", name: "Action", type: "string", size: AUDIT_CODE_FIELD_SIZE },
    { id: "status", name: "Status", type: "string", size: AUDIT_CODE_FIELD_SIZE },
    { id: "source", name: "Source", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "target", name: "Target", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "tenant_id", name: "Tenant ID", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "new", name: "New", type: "text", size: AUDIT_TEXT_FIELD_SIZE },
    { id: "old", name: "Old", type: "text", size: AUDIT_TEXT_FIELD_SIZE },
    { id: "timestamp", name: "Timestamp", type: "datetime", size: AUDIT_NAME_FIELD_SIZE },
  ],
}) as EventSchema;

export function defaultConfigSettings(): ConfigSettings {
  return { version: 3, schema: structuredClone(STANDARD_SCHEMA), hot_storage: "14d", vault_sign: false };
}

/** Date-times as real clients send them: RFC 3339, or ISO without a zone (Python's naive datetime). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

export function isDateTime(value: string): boolean {
  if (!DATE_TIME.test(value)) return false;
  // Date.parse rolls impossible days and 24:00 over ("2024-02-30" is March 1st): check the calendar.
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined || day < 1 || day > days || Number(value.slice(11, 13)) > 23) return false;
  const hasZone = /([Zz]|[+-]\d{2}:?\d{2})$/.test(value.slice(10));
  return !Number.isNaN(Date.parse(hasZone ? value : `${value}Z`));
}

/** Length in Unicode code points; the UTF-16 length bounds it from above, so most strings skip the count. */
function characters(value: string, max: number): number {
  if (value.length <= max) return value.length;
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Validates an event against a schema and normalises it (wire-protocol §5.1 step 1). Returns the
 * normalised event or every problem found, each with the JSON pointer under `pointer`.
 */
export function validateEvent(
  raw: unknown,
  schema: EventSchema,
  pointer: string,
): { event: NormalizedEvent; errors: [] } | { event: undefined; errors: ErrorField[] } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return {
      event: undefined,
      errors: [{ code: "InvalidObject", detail: "event must be an object", source: pointer }],
    };
  }
  const errors: ErrorField[] = [];
  const event: NormalizedEvent = {};
  const input = raw as Record<string, unknown>;
  const fields = fieldMap(schema);
  for (const [key, value] of Object.entries(input)) {
    // A name longer than any schema field id is refused as such, before it is looked up or kept.
    const field = key.length > MAX_FIELD_NAME_LENGTH ? undefined : fields.get(key);
    // The pointer is built only for a problem: valid fields are the hot path of every append.
    if (!field) {
      const tooLong = key.length > MAX_FIELD_NAME_LENGTH;
      errors.push({
        code: tooLong ? "InvalidPropertyName" : "UnexpectedProperty",
        detail: tooLong
          ? `field names are at most ${MAX_FIELD_NAME_LENGTH} characters long`
          : `${clip(key)} is not a field of this configuration's schema`,
        source: `${pointer}/${pointerToken(key)}`,
      });
      continue;
    }
    if (value === null || value === undefined) continue; // nulls are dropped, never stored
    const checked = convertValue(field, value);
    if ("code" in checked) errors.push({ ...checked, source: `${pointer}/${pointerToken(key)}` });
    else event[key] = checked.value;
  }
  for (const field of schema.fields) {
    if (!field.required) continue;
    // Own keys only: a field named like an Object member (`constructor`) is still required.
    const value = Object.hasOwn(event, field.id) ? event[field.id] : undefined;
    if (value === undefined && !errors.some((e) => e.source === `${pointer}/${pointerToken(field.id)}`)) {
      errors.push({
        code: "FieldRequired",
        detail: `${field.id} is required`,
        source: `${pointer}/${field.id}`,
      });
    } else if (value === "") {
      errors.push({
        code: "BelowMinLength",
        detail: `${field.id} must not be empty`,
        source: `${pointer}/${field.id}`,
      });
    }
  }
  return errors.length > 0 ? { event: undefined, errors } : { event, errors: [] };
}

type Converted = { value: EventValue } | Omit<ErrorField, "source">;

/** Checks one value against its field and gives its stored form. */
function convertValue(field: SchemaField, value: unknown): Converted {
  switch (field.type) {
    case "integer":
      return Number.isSafeInteger(value)
        ? { value: value as number }
        : { code: "InvalidInteger", detail: `${field.id} must be an integer` };
    case "boolean":
      return typeof value === "boolean"
        ? { value }
        : { code: "InvalidBool", detail: `${field.id} must be a boolean` };
    case "datetime":
      if (typeof value !== "string")
        return { code: "InvalidString", detail: `${field.id} must be a date-time string` };
      if (field.size !== undefined && value.length > field.size) {
        return { code: "AboveMaxLength", detail: `${field.id} is longer than ${field.size} characters` };
      }
      return isDateTime(value)
        ? { value }
        : { code: "BadFormatDateTime", detail: `${field.id} must be an RFC 3339 date-time` };
    default: {
      // String types: objects and arrays arrive as (or become) their canonical JSON text.
      let text: string;
      if (typeof value === "string") text = value;
      else if (typeof value === "object") text = canonicalize(value);
      else return { code: "InvalidString", detail: `${field.id} must be a string` };
      if (field.size !== undefined && characters(text, field.size) > field.size) {
        return { code: "AboveMaxLength", detail: `${field.id} is longer than ${field.size} characters` };
      }
      return { value: text };
    }
  }
}

const fieldMaps = new WeakMap<EventSchema, Map<string, SchemaField>>();

function fieldMap(schema: EventSchema): Map<string, SchemaField> {
  let map = fieldMaps.get(schema);
  if (!map) {
    map = new Map(schema.fields.map((f) => [f.id, f]));
    fieldMaps.set(schema, map);
  }
  return map;
}
