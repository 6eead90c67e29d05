import { Buffer } from "#platform";
import { openCheckpoint, parseCheckpoint, parseVerifierKey, type VerifierKey } from "../checkpoint/note.js";
import { type Check, fail, none, PASS } from "./check.js";
import type { NoteOpener, OpenedNote } from "./file.js";
import type { TreeHead } from "./proofs.js";

/** A checkpoint's body as verification compares it: origin, size and hex root hash. */
function headOf(checkpoint: { origin: string; size: number; rootHash: Uint8Array }) {
  return {
    origin: checkpoint.origin,
    size: checkpoint.size,
    root_hash: Buffer.from(checkpoint.rootHash).toString("hex"),
  };
}

/** The text of a note without its signature block, parsed as a checkpoint, when it is one. */
function unsignedBody(note: string): ReturnType<typeof headOf> | undefined {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) return undefined;
  const parsed = parseCheckpoint(note.slice(0, split + 1));
  return "error" in parsed ? undefined : headOf(parsed);
}

/**
 * Opens checkpoint notes with a pinned verifier key (`<name>+<key id>+<key>`): the signature
 * passes only if that key signed the note. Without a key, the body is read and the signature is
 * "none": nothing says who wrote it. Throws `ERR_KEY_FORMAT` on a key line that is not one.
 *
 * @example const open = noteOpener("log.example/t+1a2b3c4d+AVn…"); open(note).signature.status
 */
export function noteOpener(verifierKey?: string | VerifierKey): NoteOpener {
  const key = typeof verifierKey === "string" ? parseVerifierKey(verifierKey) : verifierKey;
  return (note: string): OpenedNote => {
    if (typeof note !== "string") return { signature: fail("the checkpoint note is not text") };
    const body = unsignedBody(note);
    if (!key) {
      const signature = none("no verifier key was given to check the checkpoint's signature");
      return body
        ? { signature, checkpoint: body }
        : { signature: fail("the checkpoint note does not parse") };
    }
    const opened = openCheckpoint(note, key);
    if (!opened.ok) {
      const signature = fail(
        `the checkpoint does not verify with the pinned key ${key.name}: ${opened.reason}`,
      );
      return body ? { signature, checkpoint: body } : { signature };
    }
    return { signature: PASS, checkpoint: headOf(opened.checkpoint) };
  };
}

/**
 * Whether a root the server gave (`root` of a search page, or `v1/root`) is that of a signed
 * checkpoint: the note must verify with the pinned key, be for the root's tree, and say the same
 * size and root hash.
 */
export function checkRootCheckpoint(args: {
  root: TreeHead & { readonly tree_name?: string };
  note: string;
  open: NoteOpener;
}): { check: Check; checkpoint?: TreeHead & { origin: string } } {
  const { root, note, open } = args;
  const opened = open(note);
  if (!opened.checkpoint) return { check: opened.signature };
  const checkpoint = opened.checkpoint;
  if (opened.signature.status === "fail") return { check: opened.signature, checkpoint };
  if (root.tree_name !== undefined && !checkpoint.origin.endsWith(`/${root.tree_name}`)) {
    return {
      check: fail(`the checkpoint is for origin ${checkpoint.origin}, not tree ${root.tree_name}`),
      checkpoint,
    };
  }
  if (checkpoint.size !== root.size || checkpoint.root_hash !== root.root_hash) {
    return {
      check: fail(
        `the signed checkpoint says root ${checkpoint.root_hash} at size ${checkpoint.size}, the server ${root.root_hash} at size ${root.size}`,
      ),
      checkpoint,
    };
  }
  return { check: opened.signature, checkpoint };
}
