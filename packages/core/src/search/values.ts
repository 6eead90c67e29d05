/*
 * How a value written in a query (or listed in a restriction) becomes the typed value of a
 * match (ast.ts), for the non-string field types of wire-protocol §6. Each reader returns
 * `undefined` for a text that is not of its type; the caller says what was wrong and where.
 */

/**
 * An integer: an optional minus and decimal digits (`5`, `-5`, `007`), as the spec writes them
 * (`value>10`, `delta<-5`). Only safe integers, so the value means the same in JSON, in
 * JavaScript and in a 64-bit database column.
 *
 * @example readInteger("-5") === -5
 */
export function readInteger(text: string): number | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return undefined;
  return value === 0 ? 0 : value; // "-0" is 0, not -0
}

/**
 * A boolean: `true` or `false`, lower case, as JSON writes them and the spec shows
 * (`is_admin=true`).
 *
 * @example readBoolean("true") === true
 */
export function readBoolean(text: string): boolean | undefined {
  if (text === "true") return true;
  if (text === "false") return false;
  return undefined;
}

/*
 * Date-times: what the server accepts in an event's `timestamp` (RFC 3339, or ISO without a
 * zone, which is UTC, as Python's naive datetimes are sent; `T`, `t` or a space between date
 * and time; seconds optional), and a bare date, which the spec's own example uses
 * (`received_at>"2024-05-01"`) and which means its midnight UTC.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

const MS_PER_MINUTE = 60_000;
/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what four year digits can say. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/**
 * A date-time, as the instant in UTC formatted like `received_at`:
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ` (wire-protocol §5.1), so that backends compare one form.
 *
 * Stored times are microseconds (`received_at` has six fractional digits), so a seventh to ninth
 * digit (Go's RFC3339Nano) is rounded the way that keeps the comparison exact for them:
 * `"up"` for `<` (t < x.0000005 holds for t = x.000000, as t < x.000001 does), `"down"` for
 * `>` and `=`.
 *
 * @example readDatetime("2024-05-01", "down") === "2024-05-01T00:00:00.000000Z"
 * @example readDatetime("2024-05-01T12:00:00+02:00", "down") === "2024-05-01T10:00:00.000000Z"
 */
export function readDatetime(text: string, rounding: "down" | "up"): string | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? "0");
  const minute = Number(m[5] ?? "0");
  const second = Number(m[6] ?? "0");
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // No leap second: no stored time can be one (Date cannot represent 23:59:60).
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetRest = Number(m[11]);
    if (offsetHours > 23 || offsetRest > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }

  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  let ms = date.getTime() - offsetMinutes * MS_PER_MINUTE;

  const fraction = (m[7] ?? "").padEnd(9, "0");
  let micros = Number(fraction.slice(0, 6));
  if (rounding === "up" && Number(fraction.slice(6)) > 0) micros += 1;
  if (micros === 1_000_000) {
    micros = 0;
    ms += 1000;
  }
  if (ms < MIN_MS || ms > MAX_MS) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, "0")}Z`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
