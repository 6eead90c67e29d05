/*
 * `received_at`, the server's time of an event (wire-protocol §5.1 step 4): microseconds since the
 * Unix epoch on the inside, `YYYY-MM-DDTHH:MM:SS.ffffffZ` in the envelope. It is hashed, so the text
 * MUST be exactly six fractional digits and a `Z`; a different rendering of the same instant is a
 * different leaf.
 */

/**
 * Formats a time given in microseconds since the Unix epoch as `received_at` needs it:
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`, exactly six fractional digits (wire-protocol §5.1 step 4).
 *
 * @example formatReceivedAt(1_704_164_645_123_456) === "2024-01-02T03:04:05.123456Z"
 */
export function formatReceivedAt(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const extra = micros - millis * 1000;
  if (millis !== lastMillis) {
    // Events of one batch share their millisecond; the date part is formatted once for all of them.
    lastMillis = millis;
    lastPrefix = new Date(millis).toISOString().slice(0, -1);
  }
  return `${lastPrefix}${String(extra).padStart(3, "0")}Z`;
}

let lastMillis = Number.NaN;
let lastPrefix = "";

/** Parses a `received_at` string back to microseconds since the epoch. */
export function parseReceivedAt(receivedAt: string): number {
  const match = /^(.*\.\d{3})(\d{3})Z$/.exec(receivedAt);
  if (!match) return Number.NaN;
  return Date.parse(`${match[1]}Z`) * 1000 + Number(match[2]);
}
