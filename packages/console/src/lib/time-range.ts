/*
 * The log viewer's time range, as it lives in the URL: a quick or relative range (`last=24hour`)
 * goes to the server as a duration start (`start: "24hour"`); between/after/before as RFC 3339.
 */

export type TimeRange =
  | { kind: "last"; amount: number; unit: "minute" | "hour" | "day" | "week" | "month" }
  | { kind: "between"; start?: string; end?: string };

export const QUICK_RANGES: { label: string; range: TimeRange }[] = [
  { label: "Last 1 hour", range: { kind: "last", amount: 1, unit: "hour" } },
  { label: "Last 24 hours", range: { kind: "last", amount: 24, unit: "hour" } },
  { label: "Last 7 days", range: { kind: "last", amount: 7, unit: "day" } },
  { label: "Last 30 days", range: { kind: "last", amount: 30, unit: "day" } },
];

export const DEFAULT_RANGE: TimeRange = { kind: "last", amount: 7, unit: "day" };

export function encodeRange(range: TimeRange): string {
  if (range.kind === "last") return `last:${range.amount}${range.unit}`;
  return `between:${range.start ?? ""}~${range.end ?? ""}`;
}

export function decodeRange(text: string | null): TimeRange {
  if (!text) return DEFAULT_RANGE;
  const last = /^last:(\d{1,6})(minute|hour|day|week|month)$/.exec(text);
  if (last) return { kind: "last", amount: Number(last[1]), unit: last[2] as "hour" };
  const between = /^between:([^~]*)~(.*)$/.exec(text);
  if (between) {
    return {
      kind: "between",
      ...(between[1] ? { start: between[1] } : {}),
      ...(between[2] ? { end: between[2] } : {}),
    };
  }
  return DEFAULT_RANGE;
}

/** The `start`/`end` of a search request for a range. */
export function rangeRequest(range: TimeRange): { start?: string; end?: string } {
  if (range.kind === "last") return { start: `${range.amount}${range.unit}` };
  return { ...(range.start ? { start: range.start } : {}), ...(range.end ? { end: range.end } : {}) };
}

export function describeRange(range: TimeRange): string {
  if (range.kind === "last") {
    const quick = QUICK_RANGES.find((q) => encodeRange(q.range) === encodeRange(range));
    return quick?.label ?? `Last ${range.amount} ${range.unit}${range.amount === 1 ? "" : "s"}`;
  }
  if (range.start && range.end) return `${range.start} to ${range.end}`;
  if (range.start) return `After ${range.start}`;
  if (range.end) return `Before ${range.end}`;
  return "All time";
}
