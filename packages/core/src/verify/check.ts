/*
 * The outcome of one verification, in the words the Pangea SDKs use (wire-protocol §5.6):
 * "pass", "fail", or "none" when there was nothing to check it against. A failure always says
 * why, so that a report can name what is wrong and not only that something is.
 */

export type CheckStatus = "pass" | "fail" | "none";

export interface Check {
  readonly status: CheckStatus;
  /** Why it failed, or why nothing could be checked; absent on "pass". */
  readonly reason?: string;
}

export const PASS: Check = Object.freeze({ status: "pass" });

export function fail(reason: string): Check {
  return { status: "fail", reason };
}

export function none(reason: string): Check {
  return { status: "none", reason };
}

/** The worst of several checks: any fail, else any pass, else none (the first reason kept). */
export function worst(checks: readonly Check[]): Check {
  return (
    checks.find((c) => c.status === "fail") ??
    checks.find((c) => c.status === "pass") ??
    checks[0] ??
    none("nothing to check")
  );
}
