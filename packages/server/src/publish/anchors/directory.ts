import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { CheckpointRecord } from "../../store/contract/checkpoint.js";
import { type Anchor, checkpointJson } from "./anchor.js";

/**
 * `VERITRAIL_ANCHOR_DIR`: each tree's checkpoints appended to `<dir>/<tree_name>.jsonl`, one
 * JSON line each (`{tree_name, size, root_hash, published_at, note}`), in size order. The file is
 * only ever appended to, so a copy taken at any time (a backup, another machine's rsync, a
 * write-once volume) keeps every root the server published. A crash between the append and the
 * stored state can repeat a line; readers take the lines of one size as one checkpoint.
 */
export class DirectoryAnchor implements Anchor {
  readonly name = "directory";
  readonly kind = "directory";
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async deliver(tree: { treeName: string }, checkpoint: CheckpointRecord): Promise<void> {
    // Tree names are 64 hex (log/tree-name.ts), so the name is a safe file name.
    if (!/^[0-9a-f]{64}$/.test(tree.treeName)) throw new Error(`unexpected tree name ${tree.treeName}`);
    await mkdir(this.#dir, { recursive: true });
    await appendFile(
      join(this.#dir, `${tree.treeName}.jsonl`),
      `${JSON.stringify(checkpointJson(tree, checkpoint))}\n`,
      { flush: true },
    );
  }
}
