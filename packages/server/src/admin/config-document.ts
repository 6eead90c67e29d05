import { DURATION_PATTERN, parseDuration } from "@veritrail/core";
import { type ErrorField, pointerToken } from "../errors.js";
import { BodyReader } from "../guards/body-reader.js";
import {
  type ConfigSettings,
  defaultConfigSettings,
  type EventSchema,
  type FieldType,
  type SchemaField,
} from "../ingest/event-schema.js";
import {
  MAX_ORDER_LENGTH,
  MAX_PARTITION_OVERRIDES,
  MAX_PARTITION_VALUE_LENGTH,
  MAX_SAVE_MALFORMED_LENGTH,
  MAX_SAVED_SEARCH_ORDER_BY_LENGTH,
  MAX_SAVED_SEARCH_QUERY_LENGTH,
  MAX_SAVED_SEARCH_TIME_LENGTH,
  MAX_SAVED_SEARCH_TITLE_LENGTH,
  MAX_SAVED_SEARCHES,
  MAX_SCHEMA_FIELD_DESCRIPTION_LENGTH,
  MAX_SCHEMA_FIELD_ID_LENGTH,
  MAX_SCHEMA_FIELD_NAME_LENGTH,
  MAX_SCHEMA_FIELD_SIZE,
  MAX_SCHEMA_FIELD_TYPE_LENGTH,
  MAX_SCHEMA_FIELDS,
} from "../limits.js";
import type { PartitionOverride } from "../store/contract/config.js";
import type { ConfigRecord } from "../store/contract/store.js";
import { readRedaction } from "./redaction-document.js";

/*
 * The configuration document of the admin API, in Pangea's `AuditServiceConfigV3` shape
 * (reference/pangea-audit.openapi.json), and its validation. Every problem names its field by
 * JSON pointer; nothing is stored unless the whole document is valid.
 */

const FIELD_TYPES: readonly FieldType[] = [
  "string",
  "text",
  "string-unindexed",
  "integer",
  "boolean",
  "datetime",
];
const STRING_TYPES: readonly FieldType[] = ["string", "text", "string-unindexed"];
const FIELD_KEYS = [
  "id",
  "name",
  "description",
  "type",
  "size",
  "required",
  "redact",
  "partitioned",
  "ui_default_visible",
];
const SCHEMA_KEYS = ["fields", "save_malformed", "tamper_proofing", "client_signable"];
const DAY = 86_400;

/** The keys a create or update body may hold. */
export const CONFIG_KEYS = [
  "id",
  "name",
  "version",
  "updated_at",
  "schema",
  "hot_storage",
  "warm_storage",
  "cold_storage",
  "vault_sign",
  "redaction",
  "ui_metadata",
  "partition_overrides",
];

/** Retention bounds (product-features §14): hot at most 14 days; warm and cold at most 10 years; cold 0 (off) or at least 180 days. */
const RETENTION: Record<
  "hot_storage" | "warm_storage" | "cold_storage",
  { min: number; max: number; zero: boolean }
> = {
  hot_storage: { min: 1, max: 14 * DAY, zero: false },
  warm_storage: { min: 1, max: 3650 * DAY, zero: true },
  cold_storage: { min: 180 * DAY, max: 3650 * DAY, zero: true },
};

function readField(value: unknown, pointer: string, errors: ErrorField[]): SchemaField | undefined {
  const body = new BodyReader(value, pointer, FIELD_KEYS, errors);
  const before = errors.length;
  const id = body.string("id", {
    max: MAX_SCHEMA_FIELD_ID_LENGTH,
    pattern: /^[a-z][0-9a-z_]*$/,
    patternText: "lower-case snake case",
  });
  if (!body.has("id"))
    errors.push({ code: "FieldRequired", detail: "id is required", source: body.at("id") });
  if (id === "received_at") {
    errors.push({ code: "InvalidConst", detail: "received_at is set by the server", source: body.at("id") });
  }
  const type = body.string("type", { max: MAX_SCHEMA_FIELD_TYPE_LENGTH }) as FieldType | undefined;
  if (!body.has("type"))
    errors.push({ code: "FieldRequired", detail: "type is required", source: body.at("type") });
  else if (type !== undefined && !FIELD_TYPES.includes(type)) {
    errors.push({
      code: "NotEnumMember",
      detail: `type must be one of ${FIELD_TYPES.join(", ")}`,
      source: body.at("type"),
    });
  }
  const field: SchemaField = { id: id ?? "", type: type ?? "string" };
  const name = body.string("name", { max: MAX_SCHEMA_FIELD_NAME_LENGTH });
  const description = body.string("description", { max: MAX_SCHEMA_FIELD_DESCRIPTION_LENGTH });
  const size = body.integer("size", { min: 1, max: MAX_SCHEMA_FIELD_SIZE });
  const required = body.boolean("required");
  const redact = body.boolean("redact");
  const visible = body.boolean("ui_default_visible");
  const partitioned = body.boolean("partitioned");
  const isString = type !== undefined && STRING_TYPES.includes(type);
  // A date-time is text on the wire, and may bound its length: the standard schema's timestamp
  // has size 128, so a schema as the server shows it is also one it takes back.
  for (const [key, present, allowed] of [
    ["size", size !== undefined, isString || type === "datetime"],
    ["redact", redact === true, isString],
  ] as const) {
    if (present && !allowed && type !== undefined) {
      errors.push({
        code: "UnexpectedProperty",
        detail: `${key} applies only to ${key === "size" ? "string and datetime" : "string"} fields`,
        source: body.at(key),
      });
    }
  }
  // The partition value names a tenant: compared exactly, as one indexed string (retention.md).
  if (partitioned === true && type !== undefined && type !== "string") {
    errors.push({
      code: "UnexpectedProperty",
      detail: "partitioned applies only to string fields",
      source: body.at("partitioned"),
    });
  }
  if (name !== undefined) field.name = name;
  if (description !== undefined) field.description = description;
  if (size !== undefined) field.size = size;
  if (required !== undefined) field.required = required;
  if (redact !== undefined) field.redact = redact;
  if (partitioned === true) field.partitioned = true;
  if (visible !== undefined) field.ui_default_visible = visible;
  if (isString && field.size === undefined) field.size = MAX_SCHEMA_FIELD_SIZE;
  return errors.length > before ? undefined : field;
}

/** Reads a schema: 1 to 100 uniquely named fields, at least one required. */
export function readSchema(value: unknown, pointer: string, errors: ErrorField[]): EventSchema | undefined {
  const body = new BodyReader(value, pointer, SCHEMA_KEYS, errors);
  const before = errors.length;
  const saveMalformed = body.string("save_malformed", { max: MAX_SAVE_MALFORMED_LENGTH }) ?? "reject";
  if (!["reject", "all", "unredacted"].includes(saveMalformed)) {
    errors.push({
      code: "NotEnumMember",
      detail: "save_malformed must be reject, all or unredacted",
      source: body.at("save_malformed"),
    });
  }
  body.boolean("tamper_proofing");
  body.boolean("client_signable");
  const raw = body.raw("fields");
  const fields: SchemaField[] = [];
  if (!Array.isArray(raw)) {
    errors.push({
      code: raw === undefined ? "FieldRequired" : "InvalidArray",
      detail: "fields must be a list of fields",
      source: body.at("fields"),
    });
  } else if (raw.length === 0 || raw.length > MAX_SCHEMA_FIELDS) {
    errors.push({
      code: raw.length === 0 ? "BelowMinItems" : "AboveMaxItems",
      detail: `a schema has 1 to ${MAX_SCHEMA_FIELDS} fields`,
      source: body.at("fields"),
    });
  } else {
    const seen = new Set<string>();
    let partitioned = false;
    raw.forEach((item, i) => {
      const field = readField(item, `${body.at("fields")}/${i}`, errors);
      if (!field) return;
      if (field.partitioned) {
        if (partitioned) {
          errors.push({
            code: "ItemNotUnique",
            detail: "at most one field of a schema is partitioned",
            source: `${body.at("fields")}/${i}/partitioned`,
          });
        }
        partitioned = true;
      }
      if (seen.has(field.id)) {
        errors.push({
          code: "ItemNotUnique",
          detail: `field id ${field.id} appears twice`,
          source: `${body.at("fields")}/${i}/id`,
        });
      }
      seen.add(field.id);
      fields.push(field);
    });
    if (errors.length === before && !fields.some((f) => f.required)) {
      errors.push({
        code: "MustProvideOne",
        detail: "at least one field must be required",
        source: body.at("fields"),
      });
    }
  }
  return errors.length > before
    ? undefined
    : { fields, save_malformed: saveMalformed as EventSchema["save_malformed"] };
}

/** The schema's partitioned field, if it has one (at most one, a `string`: readSchema). */
export function partitionedFieldOf(schema: EventSchema): SchemaField | undefined {
  return schema.fields.find((field) => field.partitioned === true);
}

/**
 * Reads a `v1beta/config/partition_overrides` body's `overrides` against the stored settings and
 * returns the configuration's next overrides: each key given is set whole, a key mapped to `null`
 * removes that override, keys not named keep theirs. Problems name `/overrides/<key>/…`.
 */
export function readPartitionOverrides(
  body: BodyReader,
  settings: ConfigSettings,
): Record<string, PartitionOverride> | undefined {
  const before = body.errors.length;
  const raw = body.raw("overrides");
  const field = partitionedFieldOf(settings.schema);
  if (raw === undefined || raw === null) {
    body.errors.push({
      code: "FieldRequired",
      detail: "overrides is required",
      source: body.at("overrides"),
    });
    return undefined;
  }
  // Not a BodyReader: its keys are partition values, bounded by the field's size, not field names.
  if (typeof raw !== "object" || Array.isArray(raw)) {
    body.errors.push({
      code: "InvalidObject",
      detail: "must be a JSON object",
      source: body.at("overrides"),
    });
    return undefined;
  }
  if (!field) {
    body.errors.push({
      code: "BadState",
      detail: "the configuration's schema has no partitioned field",
      source: body.at("overrides"),
    });
    return undefined;
  }
  const next: Record<string, PartitionOverride> = { ...(settings.partition_overrides ?? {}) };
  const maxKey = Math.min(field.size ?? MAX_PARTITION_VALUE_LENGTH, MAX_PARTITION_VALUE_LENGTH);
  for (const key of Object.keys(raw as Record<string, unknown>)) {
    const at = `${body.at("overrides")}/${pointerToken(key)}`;
    if (key.length === 0 || key.length > maxKey) {
      body.errors.push({
        code: key.length === 0 ? "BelowMinLength" : "AboveMaxLength",
        detail: `a partition value of ${field.id} is 1 to ${maxKey} characters`,
        source: at,
      });
      continue;
    }
    const value = (raw as Record<string, unknown>)[key];
    if (value === null) {
      delete next[key];
      continue;
    }
    const entry = new BodyReader(value, at, ["warm_storage", "cold_storage"], body.errors);
    if (!entry.isObject) continue;
    const override: PartitionOverride = {};
    for (const tier of ["warm_storage", "cold_storage"] as const) {
      const duration = readDuration(entry, tier);
      if (duration !== undefined) override[tier] = duration;
    }
    next[key] = override;
  }
  if (body.errors.length === before && Object.keys(next).length > MAX_PARTITION_OVERRIDES) {
    body.errors.push({
      code: "AboveMaxItems",
      detail: `a configuration has at most ${MAX_PARTITION_OVERRIDES} partition overrides`,
      source: body.at("overrides"),
    });
  }
  return body.errors.length > before ? undefined : next;
}

/**
 * The retired values after a change of overrides from `before` to `after`: a removed value joins
 * them (its events the job passed while it was overridden are still to be found), a value
 * overridden again leaves them; the oldest go beyond `MAX_PARTITION_OVERRIDES`.
 */
export function retirePartitions(
  retired: readonly string[] | undefined,
  before: Record<string, PartitionOverride> | undefined,
  after: Record<string, PartitionOverride>,
): string[] {
  const removed = Object.keys(before ?? {}).filter((value) => !Object.hasOwn(after, value));
  const next = [...(retired ?? []), ...removed].filter((value, i, all) => all.indexOf(value) === i);
  return next.filter((value) => !Object.hasOwn(after, value)).slice(-MAX_PARTITION_OVERRIDES);
}

function readDuration(body: BodyReader, key: keyof typeof RETENTION): string | undefined {
  const text = body.string(key, { max: 32 });
  if (text === undefined) return undefined;
  if (!DURATION_PATTERN.test(text)) {
    body.errors.push({
      code: "BadFormatPangeaDuration",
      detail: `${key} must be a duration such as 7d or 2months`,
      source: body.at(key),
    });
    return undefined;
  }
  const seconds = parseDuration(text);
  const bounds = RETENTION[key];
  if (!(seconds === 0 && bounds.zero) && (seconds < bounds.min || seconds > bounds.max)) {
    body.errors.push({
      code: "NotWithinRange",
      detail: `${key} must be between ${bounds.min / DAY >= 1 ? `${bounds.min / DAY}d` : "1s"} and ${bounds.max / DAY}d${bounds.zero ? " (or 0d for none)" : ""}`,
      source: body.at(key),
    });
    return undefined;
  }
  return text;
}

/**
 * Reads the settings of a create (no `existing`) or update body. On update, omitted fields keep
 * their values, and the schema is fixed: only display attributes (name, description,
 * ui_default_visible) and the order of fields may change.
 */
export function readConfigSettings(body: BodyReader, existing?: ConfigSettings): ConfigSettings | undefined {
  const before = body.errors.length;
  const settings: ConfigSettings = existing ? structuredClone(existing) : defaultConfigSettings();
  if (body.has("version") && body.raw("version") !== 3) {
    body.errors.push({ code: "InvalidConst", detail: "version must be 3", source: body.at("version") });
  }
  if (body.has("schema")) {
    const schema = readSchema(body.raw("schema"), body.at("schema"), body.errors);
    if (schema && existing) checkSchemaUnchanged(existing.schema, schema, body.at("schema"), body.errors);
    if (schema) settings.schema = schema;
  }
  for (const key of ["hot_storage", "warm_storage", "cold_storage"] as const) {
    const value = readDuration(body, key);
    if (value !== undefined) settings[key] = value;
  }
  // Shown with the configuration, so a document as read is also one taken back; it changes only
  // through v1beta/config/partition_overrides, which validates it against the partitioned field.
  if (
    body.has("partition_overrides") &&
    !sameOverrides(body.raw("partition_overrides"), settings.partition_overrides)
  ) {
    body.errors.push({
      code: "IsReadOnly",
      detail: "partition_overrides changes through v1beta/config/partition_overrides",
      source: body.at("partition_overrides"),
    });
  }
  const vaultSign = body.boolean("vault_sign");
  if (vaultSign !== undefined) settings.vault_sign = vaultSign;
  if (body.has("redaction")) {
    const redaction = readRedaction(
      body.raw("redaction"),
      body.at("redaction"),
      body.errors,
      existing?.redaction,
    );
    if (redaction) settings.redaction = redaction;
  }
  if (body.has("ui_metadata")) {
    const ui = new BodyReader(
      body.raw("ui_metadata"),
      body.at("ui_metadata"),
      ["saved_searches"],
      body.errors,
    );
    const searches = ui.raw("saved_searches") ?? [];
    if (!Array.isArray(searches) || searches.length > MAX_SAVED_SEARCHES) {
      body.errors.push({
        code: "InvalidArray",
        detail: `saved_searches is a list of at most ${MAX_SAVED_SEARCHES} searches`,
        source: ui.at("saved_searches"),
      });
    } else {
      searches.forEach((search, i) => {
        const s = new BodyReader(
          search,
          `${ui.at("saved_searches")}/${i}`,
          ["title", "query", "start", "end", "order", "order_by"],
          body.errors,
        );
        s.string("title", { max: MAX_SAVED_SEARCH_TITLE_LENGTH });
        s.string("query", { max: MAX_SAVED_SEARCH_QUERY_LENGTH });
        s.string("start", { max: MAX_SAVED_SEARCH_TIME_LENGTH });
        s.string("end", { max: MAX_SAVED_SEARCH_TIME_LENGTH });
        s.string("order", { max: MAX_ORDER_LENGTH, pattern: /^(asc|desc)$/, patternText: "asc or desc" });
        s.string("order_by", { max: MAX_SAVED_SEARCH_ORDER_BY_LENGTH });
      });
      settings.ui_metadata = { saved_searches: searches };
    }
  }
  return body.errors.length > before ? undefined : settings;
}

function sameOverrides(given: unknown, stored: Record<string, PartitionOverride> | undefined): boolean {
  const sorted = (value: unknown): unknown =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
        )
      : value;
  return JSON.stringify(sorted(given)) === JSON.stringify(sorted(stored ?? {}));
}

/** A schema is fixed at creation: the same field ids with the same type, size, required and redact. */
function checkSchemaUnchanged(
  old: EventSchema,
  next: EventSchema,
  pointer: string,
  errors: ErrorField[],
): void {
  const oldFields = new Map(old.fields.map((f) => [f.id, f]));
  if (next.save_malformed !== old.save_malformed) {
    errors.push({
      code: "IsReadOnly",
      detail: "save_malformed is fixed once the configuration exists",
      source: `${pointer}/save_malformed`,
    });
  }
  if (next.fields.length !== old.fields.length || next.fields.some((f) => !oldFields.has(f.id))) {
    errors.push({
      code: "IsReadOnly",
      detail: "the schema's fields are fixed once the configuration exists",
      source: `${pointer}/fields`,
    });
    return;
  }
  next.fields.forEach((field, i) => {
    const before = oldFields.get(field.id)!;
    for (const key of ["type", "size", "required", "redact", "partitioned"] as const) {
      if ((field[key] ?? false) !== (before[key] ?? false)) {
        errors.push({
          code: "IsReadOnly",
          detail: `${key} of ${field.id} is fixed once the configuration exists`,
          source: `${pointer}/fields/${i}/${key}`,
        });
      }
    }
  });
}

/** The admin API's view of a configuration. */
export function renderConfig(
  config: ConfigRecord,
  treeName: string,
  vaultKeyId: string | undefined,
): Record<string, unknown> {
  const {
    version,
    partition_overrides: overrides,
    retired_partitions: _retired,
    ...settings
  } = config.settings;
  return {
    id: config.id,
    name: config.name,
    version,
    created_at: config.createdAt,
    updated_at: config.updatedAt,
    tree_name: treeName,
    ...settings,
    ...(overrides !== undefined && Object.keys(overrides).length > 0
      ? { partition_overrides: overrides }
      : {}),
    ...(vaultKeyId !== undefined ? { vault_key_id: vaultKeyId } : {}),
  };
}
