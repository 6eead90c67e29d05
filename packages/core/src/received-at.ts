/*
 * `received_at`, the server's time of an event (wire-protocol §5.1 step 4): microseconds since the
 * Unix epoch on the inside, `YYYY-MM-DDTHH:MM:SS.ffffffZ` in the envelope. It is hashed, so the text
 * MUST be exactly six fractional digits and a `Z`; a different rendering of the same instant is a
 * different leaf.
 */

/**
 * Formats a time given in microseconds since the Unix epoch as `received_at` needs it:
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`, exactly six fractional digits (wire-protocol §5.1 step 4).
 * It keeps no state; a caller formatting many times of one millisecond (the events of a batch)
 * can own a {@link ReceivedAtFormatter}, which gives the same text with less work.
 *
 * @example formatReceivedAt(1_704_164_645_123_456) === "2024-01-02T03:04:05.123456Z"
 */
export function formatReceivedAt(micros: number): string {
  const millis = Math.floor(micros / 1000);
  return joinReceivedAt(formatMillis(millis), micros - millis * 1000);
}

/**
 * Formats `received_at` texts exactly as {@link formatReceivedAt} does, remembering the date and
 * time up to the millisecond of the last call: the events of one batch share their millisecond,
 * so the `Date` formatting runs once for all of them. The memo is this object's own; whoever
 * needs one creates it (one per sequencer, say), so nothing is shared between callers or tests.
 *
 * @example
 *   const formatter = new ReceivedAtFormatter();
 *   formatter.format(1_704_164_645_123_456); // "2024-01-02T03:04:05.123456Z"
 *   formatter.format(1_704_164_645_123_457); // "2024-01-02T03:04:05.123457Z", date part reused
 */
export class ReceivedAtFormatter {
  #lastMillis = Number.NaN;
  #lastPrefix = "";

  /** The `received_at` text of `micros`, microseconds since the Unix epoch. */
  format(micros: number): string {
    const millis = Math.floor(micros / 1000);
    if (millis !== this.#lastMillis) {
      // Formatted first and remembered after, so a time Date cannot represent (which throws)
      // leaves the memo as it was.
      const prefix = formatMillis(millis);
      this.#lastMillis = millis;
      this.#lastPrefix = prefix;
    }
    return joinReceivedAt(this.#lastPrefix, micros - millis * 1000);
  }
}

/** `YYYY-MM-DDTHH:MM:SS.mmm` of a whole millisecond: the ISO form without its `Z`. */
function formatMillis(millis: number): string {
  return new Date(millis).toISOString().slice(0, -1);
}

/** The millisecond prefix, the three sub-millisecond digits and the `Z`. */
function joinReceivedAt(prefix: string, extraMicros: number): string {
  return `${prefix}${String(extraMicros).padStart(3, "0")}Z`;
}

/** Parses a `received_at` string back to microseconds since the epoch. */
export function parseReceivedAt(receivedAt: string): number {
  const match = /^(.*\.\d{3})(\d{3})Z$/.exec(receivedAt);
  if (!match) return Number.NaN;
  return Date.parse(`${match[1]}Z`) * 1000 + Number(match[2]);
}
