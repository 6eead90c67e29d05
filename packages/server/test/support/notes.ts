import assert from "node:assert/strict";
import { openCheckpoint as openNote, parseVerifierKey } from "@veritrail/core";

/** Opens a checkpoint note with a verifier key line (core checkpoint/note.ts), failing the test if it does not verify. */
export function openCheckpoint(
  note: string,
  verifierKey: string,
): { origin: string; size: number; rootHash: string } {
  const opened = openNote(note, parseVerifierKey(verifierKey));
  assert.ok(opened.ok, opened.ok ? "" : opened.reason);
  const { origin, size, rootHash } = opened.checkpoint;
  return { origin, size, rootHash: Buffer.from(rootHash).toString("hex") };
}
