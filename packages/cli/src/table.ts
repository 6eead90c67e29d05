/*
 * Plain-text output for people: aligned columns and key/value blocks. Values come from the
 * server and may hold anything an administrator typed, so control characters (terminal escape
 * sequences included) are shown escaped, never written as they are.
 */

/** One cell's text: control characters escaped, missing values as "-". */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === "") return "-";
  const text = typeof value === "string" ? value : String(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Rows under a header line, each column as wide as its widest cell, two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => headers.map((_, i) => cell(row[i])));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((text, i) => (i === row.length - 1 ? text : text.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...cells.map(line)].join("\n")}\n`;
}

/** A key/value block: keys in one column, values aligned after them. */
export function fields(pairs: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return `${pairs.map(([key, value]) => `${key.padEnd(width)}  ${cell(value)}`.trimEnd()).join("\n")}\n`;
}

/** An ISO date-time without its milliseconds, for narrow columns. */
export function shortTime(value: string | null | undefined): string | undefined {
  return value ? value.replace(/\.\d+(?=Z$)/, "") : undefined;
}
