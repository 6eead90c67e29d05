import { readDatetime, type SearchSchema } from "@veritrail/core";

/*
 * What the search index holds of each event: its searchable values, numbered by field. The log
 * role writes them in the append transaction (`SequencedBatch.searchRows`); the search role
 * (search.ts) reads them.
 */

/**
 * One searchable value of one event. `fieldNo` is the field's number in its configuration
 * (`searchFieldNumbers`: stable, since a schema's field ids never change after creation).
 * - `string` and `text` fields: `text` is the value (contains and exact matching, ordering);
 * - `integer` fields: `number` is the value; `boolean` fields: `number` is 0 or 1;
 * - `datetime` fields: `text` is the instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (sorts as time),
 *   and only when the stored text is a date-time at all.
 * `string-unindexed` fields have no rows: they cannot be searched (restrictions on them are
 * checked on the envelope, see `SearchQuery.recheck`).
 */
export interface SearchRow {
  leafIndex: number;
  fieldNo: number;
  text?: string;
  number?: number;
}

/** A searchable value before the sequencer gives it its leaf index. */
export type SearchValue = Omit<SearchRow, "leafIndex">;

/**
 * Each searchable field's number in the index: its position among the schema's field ids in
 * sorted order. A schema's set of field ids is fixed at creation (docs/design/configurations.md),
 * so the numbers never change, even when the fields are reordered for display.
 */
export function searchFieldNumbers(schema: SearchSchema): Map<string, number> {
  const ids = schema.fields.map((f) => f.id).sort();
  return new Map(ids.map((id, i) => [id, i]));
}

/**
 * The index rows of one event as stored (after redaction), following `SearchRow`. Values the
 * field's type cannot hold (kept aside by `save_malformed`) are not indexed.
 */
export function searchValuesOf(
  event: Readonly<Record<string, string | number | boolean>>,
  schema: SearchSchema,
  numbers: ReadonlyMap<string, number>,
): SearchValue[] {
  const values: SearchValue[] = [];
  for (const field of schema.fields) {
    const value = event[field.id];
    const fieldNo = numbers.get(field.id);
    if (value === undefined || fieldNo === undefined) continue;
    switch (field.type) {
      case "string":
      case "text":
        if (typeof value === "string") values.push({ fieldNo, text: value });
        break;
      case "integer":
        if (typeof value === "number") values.push({ fieldNo, number: value });
        break;
      case "boolean":
        if (typeof value === "boolean") values.push({ fieldNo, number: value ? 1 : 0 });
        break;
      case "datetime": {
        const instant = typeof value === "string" ? readDatetime(value, "down") : undefined;
        if (instant !== undefined) values.push({ fieldNo, text: instant });
        break;
      }
      case "string-unindexed":
        break;
    }
  }
  return values;
}
