import { CoreError } from "./errors.js";

/**
 * Serialises a JSON value canonically per RFC 8785 (JCS): object members sorted by their
 * UTF-16 code units, no whitespace, numbers and strings in ECMAScript form (which is what
 * `JSON.stringify` produces for them). Members whose value is `undefined` are left out, as
 * `JSON.stringify` does.
 *
 * @example canonicalize({ b: 1, a: [true, "x"] }) === '{"a":[true,"x"],"b":1}'
 */
export function canonicalize(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new CoreError("ERR_CANONICAL_JSON", `${value} is not a JSON number`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        // An index loop, not map(): map skips the holes of a sparse array, which are nulls in JSON.
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) items.push(canonicalize(value[i] ?? null));
        return `[${items.join(",")}]`;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) {
        // A Date, Map, class instance…: not JSON, and JSON.stringify would silently change it.
        throw new CoreError(
          "ERR_CANONICAL_JSON",
          `a ${prototype?.constructor?.name ?? "non-plain"} object is not a JSON value`,
        );
      }
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 asks for.
      const keys = Object.keys(record).sort();
      let out = "{";
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (out.length > 1) out += ",";
        out += `${JSON.stringify(key)}:${canonicalize(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new CoreError("ERR_CANONICAL_JSON", `a ${typeof value} is not a JSON value`);
  }
}
