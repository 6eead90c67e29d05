/**
 * Realistic audit events for the benchmark, from a seeded generator so every run sends the
 * same traffic: actor, action, target, status, source, a message of about 100 bytes, and on
 * every fourth event a `new` JSON object (which the server turns into canonical JSON text).
 */
import { canonicalEnvelope, formatReceivedAt, normalizeEvent } from "@veritrail/core";

export type BenchEvent = Record<string, string | Record<string, unknown>>;

/** mulberry32: a tiny, fast, seeded PRNG; good enough to vary test data. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
const ACTIONS = ["login", "logout", "create", "update", "delete", "read", "share", "export"];
const RESOURCES = ["invoice", "customer", "report", "api-key", "project", "document", "payment"];
const STATUSES = ["success", "success", "success", "failure", "denied"];

/** `count` events, deterministic for a given `seed`. */
export function makeEvents(count: number, seed: number): BenchEvent[] {
  const random = randomSource(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const events: BenchEvent[] = [];
  for (let i = 0; i < count; i++) {
    const user = pick(USERS);
    const action = pick(ACTIONS);
    const resource = pick(RESOURCES);
    const id = Math.floor(random() * 1_000_000);
    const ip = `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
    const event: BenchEvent = {
      actor: `${user}@example.com`,
      action,
      target: `${resource}/${id}`,
      status: pick(STATUSES),
      source: ip,
      // About 100 bytes, different for every event.
      message: `User ${user}@example.com performed ${action} on ${resource} ${id} from ${ip} (request ${seed}-${i})`,
    };
    if (i % 4 === 0) {
      event["new"] = { id, owner: `${user}@example.com`, amount: Math.floor(random() * 100_000) / 100 };
    }
    events.push(event);
  }
  return events;
}

/** A `v1/log` request body, as `log()` of the SDKs sends it without `verify`. */
export function v1Body(event: BenchEvent): string {
  return JSON.stringify({ event });
}

/** A `v2/log` request body, as `logBulk()` sends it. */
export function v2Body(events: readonly BenchEvent[]): string {
  return JSON.stringify({ events: events.map((event) => ({ event })) });
}

/**
 * The canonical envelope texts the server would hash for these events (wire-protocol §5.1),
 * with increasing `received_at` values: the inputs of the SHA-256 and SQLite ceilings.
 */
export function envelopeTexts(events: readonly BenchEvent[]): string[] {
  const start = Date.now() * 1000;
  return events.map((event, i) =>
    canonicalEnvelope({ event: normalizeEvent(event), received_at: formatReceivedAt(start + i) }),
  );
}
