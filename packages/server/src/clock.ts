/**
 * Time, injected everywhere so tests can fix it: no other module of the server reads the system
 * clock or makes a `Date` (the architecture test holds that), so expiry, grace periods, leases
 * and retention run on a fake clock in tests instead of sleeping.
 */
export interface Clock {
  /** Microseconds since the Unix epoch (for `received_at`). */
  nowMicros(): number;
  /** Milliseconds since the Unix epoch. */
  nowMillis(): number;
}

export const systemClock: Clock = {
  // performance.now() carries sub-millisecond precision that Date.now() lacks.
  nowMicros: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
  nowMillis: () => Date.now(),
};

/** A time in milliseconds since the epoch as RFC 3339 text with milliseconds, e.g. `2026-01-01T00:00:00.000Z`. */
export function isoAt(millis: number): string {
  return new Date(millis).toISOString();
}

/** The clock's present time as RFC 3339 text. */
export function nowIso(clock: Clock): string {
  return isoAt(clock.nowMillis());
}

/**
 * A new `updated_at` strictly after the previous one, so that optimistic-concurrency checks
 * never see two versions with the same stamp, even within one millisecond.
 */
export function nextTimestamp(previous: string | undefined, nowMillis: number): string {
  const floor = previous === undefined ? 0 : Date.parse(previous) + 1;
  return isoAt(Math.max(nowMillis, floor));
}
