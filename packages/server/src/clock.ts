/** Time, injected everywhere so tests can fix it. */
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
