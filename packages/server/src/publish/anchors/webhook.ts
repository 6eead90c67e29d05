import { ANCHOR_TIMEOUT_MS } from "../../limits.js";
import type { CheckpointRecord } from "../../store/contract/checkpoint.js";
import type { Anchor } from "./anchor.js";

/**
 * `VERITRAIL_ANCHOR_WEBHOOK_URL`: a POST of each checkpoint note (`text/plain`), with the tree
 * and size in headers for routing. Any 2xx is a delivery; anything else, or no answer within
 * `ANCHOR_TIMEOUT_MS`, is a failure retried with backoff.
 */
export class WebhookAnchor implements Anchor {
  readonly name = "webhook";
  readonly kind = "webhook";
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  async deliver(tree: { treeName: string }, checkpoint: CheckpointRecord): Promise<void> {
    const response = await fetch(this.#url, {
      method: "POST",
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "veritrail-tree-name": tree.treeName,
        "veritrail-tree-size": String(checkpoint.size),
      },
      body: checkpoint.note,
      signal: AbortSignal.timeout(ANCHOR_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
  }
}
