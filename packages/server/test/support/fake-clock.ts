import type { Clock } from "../../src/clock.js";

/**
 * A clock that moves only when a test says so, for expiry and grace periods without sleeping.
 * It starts at the real time by default: what the server does on its own clock (the async
 * worker's leases and result purges) stays consistent with what it stamps on this one.
 *
 * @example
 *   const clock = new FakeClock();
 *   const server = await startTestServer({}, { clock });
 *   clock.advance(1_000); // a one-second grace period is now over
 */
export class FakeClock implements Clock {
  #micros: number;

  constructor(startMillis: number = Date.now()) {
    this.#micros = Math.floor(startMillis * 1000);
  }

  nowMicros(): number {
    return this.#micros;
  }

  nowMillis(): number {
    return Math.floor(this.#micros / 1000);
  }

  /** Moves the clock forward by `ms` (fractions allowed); it never goes back. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a fake clock only moves forward, not by ${ms} ms`);
    this.#micros += Math.round(ms * 1000);
  }

  /** Moves the clock to just after `moment` (an ISO time the server named, or epoch milliseconds). */
  advancePast(moment: string | number): void {
    const target = typeof moment === "string" ? Date.parse(moment) : moment;
    if (!Number.isFinite(target)) throw new RangeError(`not a time: ${moment}`);
    this.advance(Math.max(0, target + 1 - this.nowMillis()));
  }
}
