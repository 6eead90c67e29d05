import { randomBytes } from "node:crypto";

/** A new random public tree name: 64 hex, so it never collides with a Pangea tree (wire-protocol §5.7). */
export function newTreeName(): string {
  return randomBytes(32).toString("hex");
}
