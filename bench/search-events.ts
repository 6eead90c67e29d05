/**
 * Audit events with the skew of real logs, for the search benchmark: 500 actors, 5 actions, 50
 * tenants, 20 targets, and a message of about 8 words drawn from a vocabulary of 5,000 words
 * with Zipf-like frequencies, so that terms have very different selectivities. Seeded: every run
 * searches the same data.
 */

/** mulberry32: a tiny, fast, seeded PRNG. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  "ka",
  "mo",
  "ri",
  "te",
  "su",
  "no",
  "pa",
  "li",
  "ve",
  "do",
  "zu",
  "an",
  "ei",
  "ro",
  "mi",
  "sa",
  "to",
  "ne",
  "gu",
  "fi",
];

/**
 * Word `rank` (0 is the most frequent): three syllables, so every word has 6 letters and none is
 * a substring of another within a message, where words are separated by spaces.
 */
export function word(rank: number): string {
  const a = SYLLABLES[rank % 20]!;
  const b = SYLLABLES[Math.floor(rank / 20) % 20]!;
  const c = SYLLABLES[Math.floor(rank / 400) % 20]!;
  return `${a}${b}${c}`;
}

export const VOCABULARY_SIZE = 5000;
export const ACTORS = 500;
export const TENANTS = 50;
const ACTIONS = ["login", "logout", "create", "update", "delete"];
const STATUSES = ["success", "success", "success", "failure", "denied"];

/** A sampler of ranks with probability ∝ 1/(rank+1): the most common word is in ~10% of messages. */
function zipf(random: () => number, size: number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    total += 1 / (i + 1);
    cumulative[i] = total;
  }
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface SearchBenchEvent {
  actor: string;
  action: string;
  status: string;
  target: string;
  tenant_id: string;
  message: string;
}

/** A generator of `SearchBenchEvent`s, deterministic for a seed. */
export function searchEvents(seed: number): () => SearchBenchEvent {
  const random = randomSource(seed);
  const rank = zipf(random, VOCABULARY_SIZE);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return () => {
    const words: string[] = [];
    const length = 6 + Math.floor(random() * 5);
    for (let i = 0; i < length; i++) words.push(word(rank()));
    return {
      actor: `user${Math.floor(random() * ACTORS)}@example.com`,
      action: pick(ACTIONS),
      status: pick(STATUSES),
      target: `document/${Math.floor(random() * 20)}`,
      tenant_id: `tenant${Math.floor(random() * TENANTS)}`,
      message: words.join(" "),
    };
  };
}
