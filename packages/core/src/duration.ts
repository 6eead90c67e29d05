import { CoreError } from "./errors.js";

/*
 * The Pangea duration grammar (OpenAPI `Duration`): a whole number and a unit, e.g. `7d`,
 * `1day`, `120min`, `2months`, `10y`. Months count 30 days and years 365, as retention
 * windows are meant (nobody needs calendar arithmetic to keep logs "14 days").
 */

const UNITS: ReadonlyArray<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(mi|min|mins|minute|minutes)$/, 60],
  [/^(h|hour|hr|hrs|hours)$/, 3600],
  [/^(d|da|day|days)$/, 86_400],
  [/^(w|week|weeks)$/, 7 * 86_400],
  [/^(mo|mon|month|months)$/, 30 * 86_400],
  [/^(y|year|years)$/, 365 * 86_400],
];

/** The exact pattern of the OpenAPI `Duration` schema. */
export const DURATION_PATTERN =
  /^(\d+)(d|da|day|days|h|hour|hr|hrs|hours|mi|min|mins|minute|minutes|mo|mon|month|months|s|sec|secs|second|seconds|w|week|weeks|y|year|years)$/;

/**
 * Parses a Pangea duration to seconds; throws `ERR_DURATION_FORMAT` outside the grammar.
 *
 * @example parseDuration("2months") === 5_184_000
 */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match || match[1]!.length > 9) {
    throw new CoreError(
      "ERR_DURATION_FORMAT",
      `"${text.slice(0, 40)}" is not a duration such as 7d, 120min or 2months`,
    );
  }
  const unit = UNITS.find(([pattern]) => pattern.test(match[2]!));
  return Number(match[1]) * unit![1];
}
